package io.cordon.demo

import io.cordon.HttpUrlConnectionTransport
import io.cordon.NARRATIVE
import io.cordon.RecordingTransport
import io.cordon.ReferenceServer
import io.cordon.assignment
import io.cordon.core.AttachmentKind
import io.cordon.core.PassOutcome
import io.cordon.core.RequestKind
import io.cordon.core.Transport
import io.cordon.duress
import io.cordon.nowMillis
import io.cordon.photo
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.UUID
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The app's state holders over the real binding, talking to the real reference server
 * (`cordon serve`) through the app's own HttpURLConnection transport: an officer's shift
 * as the screens see it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OfficerShiftTest {
    private lateinit var serverDir: Path
    private lateinit var server: ReferenceServer
    private lateinit var office: Office

    @TempDir
    lateinit var dir: Path
    private val sessions = mutableListOf<Pair<CordonSession, CoroutineScope>>()

    @BeforeAll
    fun startServer() {
        serverDir = Files.createTempDirectory("cordon-office")
        server = ReferenceServer.start(serverDir)
        office = Office(server, serverDir)
    }

    @AfterAll
    fun stopServer() {
        server.close()
        serverDir.toFile().deleteRecursively()
    }

    @AfterEach
    fun closeSessions() {
        sessions.forEach { (session, scope) ->
            scope.cancel()
            session.close()
        }
        sessions.clear()
    }

    private fun officer() = "OFC-${UUID.randomUUID().toString().take(8)}"

    /** A fresh phone: its own store, the app's transport, not yet enrolled. */
    private fun phone(
        transport: Transport = HttpUrlConnectionTransport(),
        clock: TestClock = TestClock(nowMillis()),
    ): CordonSession {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val session = openTestSession(
            databasePath = dir.resolve("phone-${UUID.randomUUID()}.db").toString(),
            serverUrl = office.url,
            transport = transport,
            scope = scope,
            clock = clock,
            zone = LONDON,
        )
        sessions += session to scope
        return session
    }

    private suspend fun CordonSession.enrolAs(officer: String) {
        enrolment.editCode(office.enrolmentCode(officer))
        assertTrue(enrolment.enrol(), enrolment.state.value.message)
    }

    @Test
    fun `a wrong enrolment code is refused with the office's reason and a right one enrols the officer`() = runBlocking {
        val phone = phone()
        phone.enrolment.editCode("NOT-A-CODE")
        assertFalse(phone.enrolment.enrol())
        val refusal = assertNotNull(phone.enrolment.state.value.message)
        assertEquals(
            "Could not complete this with the office: " +
                "HTTP 403 enrolment_refused: the enrolment code is unknown, used or expired.",
            refusal,
        )
        assertFalse(phone.sync.status.value.enrolled)

        val officer = officer()
        phone.enrolAs(officer)

        assertEquals(officer, phone.enrolment.state.value.officerId)
        assertEquals("Enrolled as $officer", phone.enrolment.state.value.message)
        assertTrue(phone.sync.status.value.enrolled)
    }

    @Test
    fun `an assignment the office sends arrives by sync and shows with its post orders`() = runBlocking {
        val officer = officer()
        val phone = phone()
        phone.enrolAs(officer)
        office.assign(officer, "A-GATE", title = "Embassy gate")

        assertEquals(1, phone.sync.syncNow().assignmentsReceived)
        phone.assignments.refresh()
        val row = phone.assignments.state.value.assignments.single()
        assertEquals("Embassy gate", row.title)
        assertEquals("OP-A-GATE · Static post · Active", row.subtitle)
        assertEquals("Sat 28 Nov 18:00 – Sun 29 Nov 06:00", row.window)

        phone.assignments.select("A-GATE")
        val details = assertNotNull(phone.assignments.state.value.selected)
        assertEquals("Post orders v2, issued Fri 27 Nov 18:00", details.postOrdersHeading)
        assertEquals("Patrol hourly. Challenge anyone loitering at the east gate.", details.postOrders)
        assertEquals("Check in every 30 min (5 min grace)", details.checkInPolicy)
        assertEquals(listOf("ALPHA-1 · team leader"), details.team)
    }

    @Test
    fun `a duress alarm raised behind a queued photo reaches the office first, alone, before the photo's bytes`() = runBlocking {
        val recording = RecordingTransport(HttpUrlConnectionTransport()::send)
        val clock = TestClock(nowMillis())
        val phone = phone(recording, clock)
        phone.enrolAs(officer())
        val report = phone.incident()
        report.edit { it.copy(narrative = NARRATIVE) }
        assertTrue(report.attach(photo(dir, size = 64 * 1024).toString(), AttachmentKind.PHOTO, "image/jpeg"))
        assertTrue(report.submit())
        recording.requests.clear() // forget the enrolment

        val duress = phone.duress
        duress.press()
        clock.advance(duress.holdToArm)
        withTimeout(5_000) { duress.state.first { it is DuressState.CountingDown } }
        clock.advance(duress.cancelWindow)
        val sent = assertIs<DuressState.Sent>(withTimeout(5_000) { duress.state.first { it is DuressState.Sent } })

        // The control handed the alarm to sync: one pass, started at once, no button pressed.
        val pass = withTimeout(10_000) { phone.sync.lastReport.first { it != null } }!!
        assertEquals(PassOutcome.Completed, pass.outcome)
        val kinds = recording.kinds()
        assertEquals(RequestKind.PUSH, kinds.first(), kinds.toString())
        val firstPush = recording.bodies(RequestKind.PUSH).first()
        assertTrue(sent.checkIn.id in firstPush && """"kind":"duress"""" in firstPush, firstPush)
        assertEquals(1, Regex(""""seq":""").findAll(firstPush).count(), "the alarm travels alone: $firstPush")
        assertTrue(kinds.indexOf(RequestKind.PUSH) < kinds.indexOf(RequestKind.ATTACHMENT_CHUNK), kinds.toString())
        assertEquals(1, Regex(sent.checkIn.id).findAll(office.checkInsJson()).count())
    }

    @Test
    fun `a check-in the office refuses is a dead letter with its reason, and once the office fixes it a retry delivers it`() = runBlocking {
        val officer = officer()
        val phone = phone()
        phone.enrolAs(officer)
        phone.store.upsertAssignment(assignment(id = "A-LATE")) // provisioned before the office assigned it
        val checkIns = phone.checkIns("A-LATE")
        checkIns.clockOn()
        phone.sync.syncNow()

        phone.syncStatus.refresh()
        val dead = phone.syncStatus.state.value.deadLetters.single()
        assertEquals("Check-in", dead.what)
        assertTrue("A-LATE" in dead.reason, dead.reason)
        assertEquals(0L, phone.syncStatus.state.value.normalUndelivered)

        office.assign(officer, "A-LATE")
        phone.syncStatus.retry(dead.seq)

        val screen = phone.syncStatus.state.value
        assertEquals(emptyList(), screen.deadLetters, screen.toString())
        assertEquals("Everything delivered", screen.summary)
        assertNull(screen.message)
        val delivered = phone.store.checkIns("A-LATE").single()
        assertEquals(1, Regex(delivered.id).findAll(office.checkInsJson()).count())
    }

    @Test
    fun `a discarded dead letter leaves the sync screen and is never sent`() = runBlocking {
        val phone = phone()
        phone.enrolAs(officer())
        phone.store.upsertAssignment(assignment(id = "A-NOT-MINE"))
        val recorded = phone.checkIns("A-NOT-MINE").also { it.clockOn() }
        assertNull(recorded.state.value.message)
        phone.syncStatus.syncNow()
        val dead = phone.syncStatus.state.value.deadLetters.single()

        phone.syncStatus.discard(dead.seq)

        assertEquals(emptyList(), phone.syncStatus.state.value.deadLetters)
        assertEquals("Everything delivered", phone.syncStatus.state.value.summary)
        assertEquals(0, Regex(phone.store.checkIns(null).single().id).findAll(office.checkInsJson()).count())
    }

    @Test
    fun `offline an alarm waits on the phone, back online it goes at once and the background job learns when to run next`(): Unit = runBlocking {
        val phone = phone()
        phone.enrolAs(officer())
        phone.sync.setOnline(false)
        phone.store.recordCheckIn(duress()) // straight to the store: the control's timing is tested elsewhere

        phone.syncStatus.refresh()
        assertEquals("Offline: records are kept on the phone", phone.syncStatus.state.value.connection)
        assertEquals("1 waiting: 1 alarm", phone.syncStatus.state.value.summary)
        assertNull(phone.sync.status.value.nextSyncAt)

        phone.sync.setOnline(true) // starts a pass by itself
        val pass = withTimeout(10_000) { phone.sync.lastReport.first { it != null } }!!
        assertEquals(1, pass.applied)
        assertEquals(0L, phone.sync.refreshStatus().outbox.pending.urgent)

        val background = phone.sync.backgroundPass()
        assertFalse(background.shouldRetry)
        val wait = assertNotNull(background.delayFrom(nowMillis()))
        // The control room has not acknowledged the alarm yet: the core asks to hear back
        // within seconds (ALARM_POLL), not at the ordinary 15-minute pull interval.
        assertTrue(wait > Duration.ZERO && wait <= Duration.ofSeconds(5), wait.toString())
        phone.syncStatus.refresh()
        assertTrue(phone.syncStatus.state.value.connection.startsWith("Online, next sync "))
        assertNotNull(phone.syncStatus.state.value.lastDelivered)
    }
}
