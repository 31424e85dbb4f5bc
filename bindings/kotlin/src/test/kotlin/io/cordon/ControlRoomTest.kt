package io.cordon

import io.cordon.core.AlarmKind
import io.cordon.core.AlarmState
import io.cordon.core.CheckInKind
import io.cordon.core.CordonException
import io.cordon.core.InputRule
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull

/**
 * The control room back on the phone, against the real reference server: an operator's
 * acknowledgement (done through `cordon admin alarm acknowledge`, the server's own Rust
 * API) reaches alarmStatuses(), and a message from the control room arrives, is marked
 * read, and its read receipt reaches the server exactly once.
 */
class ControlRoomTest : AgainstReferenceServer() {
    override fun prepareOffice(server: ReferenceServer) {
        server.admin("operator", "add", "--organisation", ORGANISATION_ID, "--username", OPERATOR)
    }

    @Test
    fun `a panic alarm's acknowledgement by an operator reaches the phone with the operator's note`() {
        val (store, sync) = enrolled("OFC-PANIC")
        val panic = store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null))

        runBlocking { sync.syncOnce() }
        val raised = store.alarmStatuses().single()
        assertEquals(panic.id, raised.checkInId)
        assertEquals(AlarmKind.PANIC, raised.kind)
        assertEquals(AlarmState.RAISED, raised.state)
        assertEquals(raised, store.alarmStatus(panic.id))

        server.admin(
            "alarm", "acknowledge", "--organisation", ORGANISATION_ID, "--alarm", raised.alarmId,
            "--operator", OPERATOR, "--note", "Police on the way",
        )
        runBlocking { sync.syncOnce() }

        val acknowledged = assertNotNull(store.alarmStatus(panic.id))
        assertEquals(AlarmState.ACKNOWLEDGED, acknowledged.state)
        assertEquals("Police on the way", acknowledged.note)
        assertNull(store.alarmStatus("no-such-check-in"))
    }

    @Test
    fun `a message from the control room is read on the phone and its receipt reaches the server once`() {
        val officer = "OFC-MSG"
        val (store, sync) = enrolled(officer)
        val id = server.admin(
            "message", "send", "--organisation", ORGANISATION_ID, "--from", OPERATOR,
            "--officer", officer, "--body", "Police <b>two</b> minutes out.",
        ).trim()

        runBlocking { sync.syncOnce() }
        val received = store.messages().single()
        assertEquals(id, received.message.messageId)
        assertEquals("Police <b>two</b> minutes out.", received.message.body)
        assertEquals(OPERATOR, received.message.sender)
        assertNull(received.readAt)
        assertEquals(1L, store.unreadMessageCount())

        val read = store.markMessageRead(id)
        val readAt = assertNotNull(read.readAt)
        assertEquals(readAt, store.markMessageRead(id).readAt, "the first read time is kept")
        assertEquals(0L, store.unreadMessageCount())

        assertEquals(1, runBlocking { sync.syncOnce() }.applied)
        assertEquals(0, runBlocking { sync.syncOnce() }.applied)

        val receipts = server.admin("list", "receipts", "--json")
        assertEquals(1, Regex("\"message\\.read\"").findAll(receipts).count(), receipts)
        val office = server.admin("message", "list", "--organisation", ORGANISATION_ID, "--json")
        assertEquals(1, Regex("\"read_at\": \"[^\"]+\"").findAll(office).count(), office)
    }

    @Test
    fun `marking an unknown or blank message read is a typed error`() {
        val (store, _) = enrolled("OFC-ERR")

        val unknown = assertFailsWith<CordonException.NotFound> { store.markMessageRead("no-such-message") }
        val blank = assertFailsWith<CordonException.InvalidInput> { store.markMessageRead(" ") }

        assertEquals("message", unknown.record)
        assertEquals("messageId", blank.field)
        assertEquals(InputRule.BLANK, blank.rule)
    }

    private companion object {
        const val OPERATOR = "op.jones"
    }
}
