package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.AlarmKind
import io.cordon.core.AlarmState
import io.cordon.core.AlarmStatus
import io.cordon.core.ReceivedMessage
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import java.time.Instant

/** What the app says about one of the officer's alarms. */
data class AlarmNotice(
    val checkInId: String,
    val kind: AlarmKind,
    val state: AlarmState,
    /** "Control room has your alarm" once acknowledged. */
    val headline: String,
    /** The operator's note ("Police on the way"), shown as text. */
    val note: String?,
)

/** One message from the control room, as the list shows it. */
data class MessageRow(
    val id: String,
    val from: String,
    /** Plain text: put it in a Text, never parse it as markup. */
    val body: String,
    val sentAt: Instant,
    val read: Boolean,
)

data class ControlRoomState(
    /** What the main screen shows: only a panic alarm, never a duress one (covert). */
    val mainScreen: AlarmNotice? = null,
    /** The alarm the officer opened on purpose (duress included). */
    val opened: AlarmNotice? = null,
    val messages: List<MessageRow> = emptyList(),
    val unread: Int = 0,
    val error: String? = null,
)

/** The words, in one place. */
object ControlRoomText {
    const val HAS_YOUR_ALARM = "Control room has your alarm"
    const val WAITING = "Alarm sent: waiting for the control room"
    const val CLOSED = "Control room closed your alarm"

    fun notice(status: AlarmStatus): AlarmNotice = AlarmNotice(
        checkInId = status.checkInId,
        kind = status.kind,
        state = status.state,
        headline = when (status.state) {
            AlarmState.RAISED -> WAITING
            AlarmState.ACKNOWLEDGED -> HAS_YOUR_ALARM
            AlarmState.RESOLVED -> CLOSED
        },
        note = status.note,
    )

    /**
     * The main screen's notice: the newest panic alarm the control room has acknowledged
     * (with the operator's note). A duress alarm is covert: it never appears here, so
     * someone looking over the officer's shoulder sees nothing.
     */
    fun mainScreen(statuses: List<AlarmStatus>): AlarmNotice? =
        statuses.firstOrNull { it.kind == AlarmKind.PANIC && it.state != AlarmState.RAISED }?.let(::notice)
}

/**
 * The control room on the phone: where the officer's alarms stand (from the core's
 * alarmStatuses()) and the messages the control room sent, with mark-as-read (one local
 * write; the core queues the read receipt for the next sync). Call [refresh] after every
 * sync pass.
 */
class ControlRoomViewModel(
    private val store: CordonStore,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(ControlRoomState())
    val state: StateFlow<ControlRoomState> = _state.asStateFlow()

    suspend fun refresh() {
        attempt { withContext(io) { store.alarmStatuses() to store.messages() } }
            .onSuccess { (statuses, messages) ->
                _state.update { s ->
                    s.copy(
                        mainScreen = ControlRoomText.mainScreen(statuses),
                        opened = s.opened?.let { o -> statuses.firstOrNull { it.checkInId == o.checkInId }?.let(ControlRoomText::notice) ?: o },
                        messages = messages.map(::row),
                        unread = messages.count { it.readAt == null }, // the list holds every message
                        error = null,
                    )
                }
            }
            .onFailure { e -> _state.update { it.copy(error = UserMessages.of(e)) } }
    }

    /** The officer opened their alarm (the only way a duress alarm's state is shown). */
    suspend fun openAlarm(checkInId: String) = open { store.alarmStatus(checkInId) }

    /**
     * The officer asked where their alarm stands ("My alarm"): the one the office reported
     * on last, duress included, or a plain "no alarm" ([ControlRoomState.opened] null).
     */
    suspend fun openLatestAlarm() = open { store.alarmStatuses().firstOrNull() }

    private suspend fun open(read: () -> AlarmStatus?) {
        attempt { withContext(io) { read() } }
            .onSuccess { status -> _state.update { it.copy(opened = status?.let(ControlRoomText::notice)) } }
            .onFailure { e -> _state.update { it.copy(error = UserMessages.of(e)) } }
    }

    fun closeAlarm() = _state.update { it.copy(opened = null) }

    /** The officer read a message. */
    suspend fun markRead(messageId: String) {
        attempt { withContext(io) { store.markMessageRead(messageId) } }
            .onSuccess { refresh() }
            .onFailure { e -> _state.update { it.copy(error = UserMessages.of(e)) } }
    }

    private fun row(m: ReceivedMessage) = MessageRow(
        id = m.message.messageId,
        from = m.message.sender,
        body = m.message.body,
        sentAt = m.message.sentAt,
        read = m.readAt != null,
    )
}
