package io.cordon.demo

import io.cordon.HttpUrlConnectionTransport
import io.cordon.assignment
import io.cordon.nowMillis
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotSame
import kotlin.test.assertSame
import kotlin.test.assertTrue

/**
 * The screens' state holders belong to the session, not to a screen: a tab switch or a
 * rotation (the screen asks the session again) finds the same form, edits and countdown.
 */
class SessionModelsTest {
    @TempDir
    lateinit var dir: Path
    private val clock = TestClock(nowMillis())
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private lateinit var session: CordonSession

    @BeforeEach
    fun open() {
        session = openTestSession(
            databasePath = dir.resolve("phone.db").toString(),
            serverUrl = "http://127.0.0.1:9", // never reached: nothing here syncs
            transport = HttpUrlConnectionTransport(),
            scope = scope,
            clock = clock,
            zone = LONDON,
        )
    }

    @AfterEach
    fun close() {
        scope.cancel()
        session.close()
    }

    @Test
    fun `the incident form keeps unsaved edits across a tab switch and saves them into one report`() = runBlocking {
        val form = session.incident()
        form.edit { it.copy(narrative = "Grey van passed the residence twice") }

        val again = session.incident() // the officer comes back to the tab

        assertSame(form, again)
        assertEquals("Grey van passed the residence twice", again.state.value.form.narrative)
        assertTrue(again.saveDraft())
        again.edit { it.copy(policeReference = "CAD 4471") }
        assertTrue(session.incident().saveDraft())
        assertEquals(1, session.store.reportIds().size)
    }

    @Test
    fun `the store's key is rotated under an open session, which goes on saving`() = runBlocking {
        val before = session.incident()
        before.edit { it.copy(narrative = "Before the new key") }
        assertTrue(before.saveDraft())

        session.rotateKey()

        val after = session.newIncident()
        after.edit { it.copy(narrative = "After the new key") }
        assertTrue(after.saveDraft(), after.state.value.message)
        assertEquals(2, session.store.reportIds().size)
    }

    @Test
    fun `each assignment has its own forms`() {
        assertNotSame(session.incident("A-1"), session.incident("A-2"))
        assertNotSame(session.incident("A-1"), session.incident(null))
        assertSame(session.checkIns("A-1"), session.checkIns("A-1"))
        assertNotSame(session.checkIns("A-1"), session.checkIns("A-2"))
        assertSame(session.postOrders("A-1"), session.postOrders("A-1"))
        assertNotSame(session.postOrders("A-1"), session.postOrders("A-2"))
    }

    @Test
    fun `a new report replaces the kept form with a blank one`() = runBlocking {
        val first = session.incident()
        first.edit { it.copy(narrative = "First") }
        assertTrue(first.saveDraft())

        val fresh = session.newIncident()

        assertNotSame(first, fresh)
        assertSame(fresh, session.incident())
        assertEquals("", fresh.state.value.form.narrative)
    }

    @Test
    fun `a duress countdown armed before a rotation is cancelled from the screen after it`() = runBlocking {
        val before = session.duress
        before.press()
        clock.advance(Duration.ofSeconds(2))
        withTimeout(5_000) { before.state.first { it is DuressState.CountingDown } }

        val after = session.duress // the new screen's control
        after.cancel()
        clock.advance(Duration.ofSeconds(10))
        delay(300) // several ticks: nothing may send later

        assertSame(before, after)
        assertEquals(DuressState.Idle("Cancelled: nothing sent"), after.state.value)
        assertEquals(emptyList(), session.store.checkIns(null))
    }

    @Test
    fun `the duress alarm carries the assignment selected when it goes`() = runBlocking {
        session.store.upsertAssignment(assignment(id = "A-7"))
        val duress = session.duress
        duress.press()
        clock.advance(Duration.ofSeconds(2))
        withTimeout(5_000) { duress.state.first { it is DuressState.CountingDown } }
        session.selectAssignment("A-7") // chosen during the countdown, on another tab

        clock.advance(Duration.ofSeconds(5))
        val sent = assertIs<DuressState.Sent>(withTimeout(5_000) { duress.state.first { it is DuressState.Sent } })

        assertEquals("A-7", sent.checkIn.assignmentId)
    }
}
