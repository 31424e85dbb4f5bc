package io.cordon

import io.cordon.core.AttachmentKind
import io.cordon.core.CheckInKind
import io.cordon.core.OperationState
import io.cordon.core.PassOutcome
import io.cordon.core.RequestKind
import io.cordon.core.ReviewOutcome
import io.cordon.core.SyncConfig
import io.cordon.core.Transport
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.util.UUID
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * The binding against the real reference server (`cordon serve`) on loopback, through a
 * Transport written in Kotlin over java.net.http, and through the built-in one.
 */
class ReferenceServerSyncTest : AgainstReferenceServer() {

    /** A fresh device (its own store), enrolled with the server. */
    private data class Device(val store: CordonStore, val sync: CordonSync, val token: String)

    /** Enrols a new device as `officer` through `transport` (null: the built-in one). */
    private fun enrolledDevice(
        officer: String = "OFC-${UUID.randomUUID().toString().take(8)}",
        transport: Transport? = HttpUrlConnectionTransport(),
        config: SyncConfig = defaultSyncConfig(server.url),
    ): Device {
        val (store, sync) = newDevice(transport, config)
        val enrolled = runBlocking { sync.enrol(server.enrolmentCode(officer = officer)) }
        assertEquals(officer, enrolled.officerId)
        assertEquals(store.deviceIdentity().deviceId, enrolled.deviceId)
        return Device(store, sync, enrolled.token)
    }

    /** The office puts `officer` on the sample assignment (`cordon admin assignment --file`). */
    private fun assignShift(officer: String) = server.assign(officer)

    private fun officeCheckInsJson() = server.admin("list", "check-ins", "--json")

    @Test
    fun `an enrolled officer's shift reaches the office and the office's assignment and review come back`() {
        val officer = "OFC-SHIFT"
        val (store, sync) = enrolledDevice(officer)
        assertEquals(officer, store.deviceIdentity().officerId)
        assignShift(officer)

        val first = runBlocking { sync.syncOnce() }
        assertEquals(PassOutcome.Completed, first.outcome)
        assertEquals(1, first.assignmentsReceived)
        assertEquals("Residence night cover", store.assignment(ASSIGNMENT_ID).title)

        store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, assignmentId = ASSIGNMENT_ID))
        val alarm = store.recordCheckIn(duress(note = "Behind the garage"))
        val report = store.createReport(incident(assignmentId = ASSIGNMENT_ID))
        val photo = store.attachFile(report.id, photo(dir).toString(), AttachmentKind.PHOTO, "image/jpeg")
        store.submitReport(report.id)

        val second = runBlocking { sync.syncOnce() }

        assertEquals(PassOutcome.Completed, second.outcome)
        assertEquals(5, second.applied) // clock-on, duress, report create + submit, attachment
        assertEquals(0, second.rejected)
        assertEquals(1, second.attachmentsCompleted)
        assertEquals(photo.sizeBytes, second.bytesUploaded)
        val status = sync.status()
        assertEquals(0L, status.outbox.pending.urgent + status.outbox.pending.normal + status.outbox.pending.bulk)
        assertNotNull(status.lastSuccessAt)
        assertNotNull(status.serverClockOffsetMs)
        assertEquals(1, Regex(alarm.id).findAll(officeCheckInsJson()).count())

        server.admin("review", "--report", report.id, "--outcome", "returned", "--reviewer", "CR-DUTY", "--note", "Add the plate")
        assertEquals(1, runBlocking { sync.syncOnce() }.reviewsReceived)
        val review = store.reportReviews(report.id).single()
        assertEquals(ReviewOutcome.RETURNED, review.outcome)
        assertEquals("Add the plate", review.note)
    }

    @Test
    fun `duress recorded after an attachment was queued reaches the server before the attachment's bytes`() {
        val recording = RecordingTransport(HttpUrlConnectionTransport()::send)
        val (store, sync) = enrolledDevice(transport = recording)
        val report = store.createReport(incident())
        store.attachFile(report.id, photo(dir).toString(), AttachmentKind.PHOTO, "image/jpeg")
        store.submitReport(report.id)
        store.recordCheckIn(duress())
        recording.requests.clear() // forget the enrolment

        assertEquals(PassOutcome.Completed, runBlocking { sync.syncOnce() }.outcome)

        val kinds = recording.kinds()
        assertEquals(RequestKind.PUSH, kinds.first())
        val firstPush = recording.bodies(RequestKind.PUSH).first()
        assertTrue(""""kind":"duress"""" in firstPush, firstPush)
        assertEquals(1, Regex(""""seq":""").findAll(firstPush).count(), "the alarm travels alone: $firstPush")
        assertTrue(kinds.indexOf(RequestKind.PUSH) < kinds.indexOf(RequestKind.ATTACHMENT_CHUNK), kinds.toString())
    }

    @Test
    fun `an alarm raised during an upload goes out before the next chunk`() {
        lateinit var store: CordonStore
        var raised = false
        val recording = RecordingTransport { request ->
            val response = HttpUrlConnectionTransport().send(request)
            if (request.kind == RequestKind.ATTACHMENT_CHUNK && !raised) {
                raised = true // on the sync worker thread, between two chunks
                store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null, note = "Vehicle ramming the gate"))
            }
            response
        }
        val config = defaultSyncConfig(server.url).copy(chunkBytes = 16 * 1024)
        val device = enrolledDevice(transport = recording, config = config)
        store = device.store
        val report = store.createReport(incident())
        store.attachFile(report.id, photo(dir, size = 64 * 1024).toString(), AttachmentKind.PHOTO, "image/jpeg")
        assertEquals(1, runBlocking { device.sync.syncOnce() }.attachmentsCompleted)

        val kinds = recording.kinds()
        val firstChunk = kinds.indexOf(RequestKind.ATTACHMENT_CHUNK)
        assertEquals(RequestKind.PUSH, kinds[firstChunk + 1], kinds.toString())
        assertTrue(""""kind":"panic"""" in recording.requests[firstChunk + 1].body.decodeToString())
        assertEquals(RequestKind.ATTACHMENT_CHUNK, kinds[firstChunk + 2], kinds.toString())
        assertEquals(4, kinds.count { it == RequestKind.ATTACHMENT_CHUNK })
    }

    @Test
    fun `a check-in on an assignment the office never gave this officer becomes a dead letter with the server's reason`() {
        val (store, sync) = enrolledDevice()
        store.upsertAssignment(assignment(id = "A-NOT-MINE"))
        store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, assignmentId = "A-NOT-MINE"))

        val report = runBlocking { sync.syncOnce() }

        assertEquals(PassOutcome.Completed, report.outcome)
        assertEquals(1, report.rejected)
        val dead = store.deadLetters().single()
        assertEquals(OperationState.DEAD, dead.state)
        assertTrue("A-NOT-MINE" in dead.lastError!!, dead.lastError)
        store.discardDead(dead.seq)
        assertEquals(emptyList(), store.deadLetters())
    }

    @Test
    fun `a token the server does not know pauses sync until the real one is set again`() {
        val (store, sync, token) = enrolledDevice()
        store.recordCheckIn(duress())
        sync.setToken("not-a-token-the-server-issued")

        assertIs<PassOutcome.AuthPaused>(runBlocking { sync.syncOnce() }.outcome)
        assertEquals(1L, store.outboxStatus().pending.urgent)

        sync.setToken(token)
        val resumed = runBlocking { sync.syncOnce() }
        assertEquals(PassOutcome.Completed, resumed.outcome)
        assertEquals(1, resumed.applied)
    }

    @Test
    fun `the built-in HTTP transport syncs with the same server`() {
        val (store, sync) = enrolledDevice(transport = null)
        val alarm = store.recordCheckIn(duress())

        val reports = runBlocking { sync.syncUntilDrained(5) }

        assertEquals(PassOutcome.Completed, reports.last().outcome)
        assertEquals(1, reports.sumOf { it.applied })
        assertEquals(1, Regex(alarm.id).findAll(officeCheckInsJson()).count())
    }
}
