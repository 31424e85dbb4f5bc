package io.cordon.demo

import io.cordon.AgainstReferenceServer
import io.cordon.ORGANISATION_ID
import io.cordon.ReferenceServer
import io.cordon.checkIn
import io.cordon.core.AlarmKind
import io.cordon.core.AlarmState
import io.cordon.core.AlarmStatus
import io.cordon.core.CheckInKind
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull

/**
 * The control room on the phone's screens: duress stays covert on the main screen, a
 * panic alarm shows "Control room has your alarm" with the operator's note once
 * acknowledged, and messages are listed and marked read, against the real server.
 */
class ControlRoomViewModelTest : AgainstReferenceServer() {
    override fun prepareOffice(server: ReferenceServer) {
        server.admin("operator", "add", "--organisation", ORGANISATION_ID, "--username", OPERATOR)
    }

    private fun acknowledge(alarmId: String, note: String) {
        server.admin(
            "alarm", "acknowledge", "--organisation", ORGANISATION_ID, "--alarm", alarmId,
            "--operator", OPERATOR, "--note", note,
        )
    }

    private fun status(kind: AlarmKind, state: AlarmState, note: String? = null) =
        AlarmStatus("AL-${kind.name}", "C-${kind.name}", kind, state, note, Instant.EPOCH)

    @Test
    fun `the main screen never shows a duress alarm and shows a panic alarm only once acknowledged`() {
        assertNull(ControlRoomText.mainScreen(listOf(status(AlarmKind.DURESS, AlarmState.ACKNOWLEDGED, "Police on the way"))))
        assertNull(ControlRoomText.mainScreen(listOf(status(AlarmKind.PANIC, AlarmState.RAISED))))

        val notice = assertNotNull(
            ControlRoomText.mainScreen(listOf(status(AlarmKind.PANIC, AlarmState.ACKNOWLEDGED, "Police on the way"))),
        )

        assertEquals("Control room has your alarm", notice.headline)
        assertEquals("Police on the way", notice.note)
    }

    @Test
    fun `acknowledged alarms come back by sync and only the panic one reaches the main screen`() = runBlocking {
        val (store, sync) = enrolled("OFC-DEMO-ALARM")
        val duress = store.recordCheckIn(checkIn(CheckInKind.DURESS, assignmentId = null))
        val panic = store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null))
        sync.syncOnce()
        store.alarmStatuses().forEach { acknowledge(it.alarmId, "Police on the way") }
        sync.syncOnce()
        val model = ControlRoomViewModel(store)

        model.refresh()

        val main = assertNotNull(model.state.value.mainScreen)
        assertEquals(panic.id, main.checkInId)
        assertEquals(ControlRoomText.HAS_YOUR_ALARM, main.headline)
        assertEquals("Police on the way", main.note)
        assertNull(model.state.value.opened)
        model.openAlarm(duress.id)
        val openedDuress = assertNotNull(model.state.value.opened)
        assertEquals(AlarmKind.DURESS, openedDuress.kind)
        assertEquals(ControlRoomText.HAS_YOUR_ALARM, openedDuress.headline)
        model.closeAlarm()
        assertNull(model.state.value.opened)
    }

    @Test
    fun `my alarm opens the alarm the office reported on last, duress included, and nothing before any`() = runBlocking {
        val (store, sync) = enrolled("OFC-DEMO-MINE")
        val model = ControlRoomViewModel(store)
        model.openLatestAlarm()
        assertNull(model.state.value.opened)

        val duress = store.recordCheckIn(checkIn(CheckInKind.DURESS, assignmentId = null))
        sync.syncOnce()
        model.openLatestAlarm()

        val opened = assertNotNull(model.state.value.opened)
        assertEquals(duress.id, opened.checkInId)
        assertEquals(ControlRoomText.WAITING, opened.headline)
        model.refresh()
        assertNull(model.state.value.mainScreen, "duress stays off the main screen")
    }

    @Test
    fun `a message from the control room is listed unread and marked read, and its receipt goes once`() = runBlocking {
        val officer = "OFC-DEMO-MSG"
        val (store, sync) = enrolled(officer)
        val id = server.admin(
            "message", "send", "--organisation", ORGANISATION_ID, "--from", OPERATOR,
            "--officer", officer, "--body", "Meet at the <b>north</b> gate.",
        ).trim()
        sync.syncOnce()
        val model = ControlRoomViewModel(store)
        model.refresh()
        assertEquals(listOf(MessageRow(id, OPERATOR, "Meet at the <b>north</b> gate.", model.state.value.messages[0].sentAt, read = false)), model.state.value.messages)
        assertEquals(1, model.state.value.unread)

        model.markRead(id)

        assertEquals(true, model.state.value.messages.single().read)
        assertEquals(0, model.state.value.unread)
        assertEquals(1, sync.syncOnce().applied)
        val receipts = server.admin("list", "receipts", "--json")
        assertEquals(1, Regex("\"message\\.read\"").findAll(receipts).count(), receipts)
    }

    @Test
    fun `marking an unknown message read shows a message instead of failing`() = runBlocking {
        val (store, _) = enrolled("OFC-DEMO-ERR")
        val model = ControlRoomViewModel(store)

        model.markRead("no-such-message")

        assertEquals("The message no-such-message is not on this phone.", model.state.value.error)
    }

    private companion object {
        const val OPERATOR = "op.jones"
    }
}
