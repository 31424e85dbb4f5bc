package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.CheckIn
import io.cordon.core.CheckInKind
import io.cordon.core.NewCheckIn
import io.cordon.core.WelfareStatus
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import java.time.Clock
import java.time.Duration
import java.time.Instant

/** How loudly the welfare line speaks. */
enum class Tone { CALM, ATTENTION, ALARM }

/** The welfare clock as one line of text and a warning flag. */
data class WelfareLine(
    val status: WelfareStatus,
    val headline: String,
    /** "Next check-in in 24 min 10 s (19:30)"; null when off duty. */
    val countdown: String?,
    /** Set when overdue: the screen shows a red banner with this text. */
    val overdueWarning: String?,
    val tone: Tone,
) {
    companion object {
        /**
         * Words for the core's [status] at [now]. Which state applies is the core's
         * decision (from the assignment's policy); this only measures the time left.
         */
        fun of(status: WelfareStatus, now: Instant, text: TimeText): WelfareLine = when (status) {
            WelfareStatus.OffDuty -> WelfareLine(status, "Off duty", null, null, Tone.CALM)
            is WelfareStatus.OnTime -> WelfareLine(
                status,
                "On time",
                "Next check-in in ${TimeText.remaining(Duration.between(now, status.dueAt))} (${text.clock(status.dueAt)})",
                null,
                Tone.CALM,
            )
            is WelfareStatus.Due -> WelfareLine(
                status,
                "Check-in due",
                "Check in now: overdue in ${TimeText.remaining(Duration.between(now, status.overdueAt))} " +
                    "(${text.clock(status.overdueAt)})",
                null,
                Tone.ATTENTION,
            )
            is WelfareStatus.Overdue -> WelfareLine(
                status,
                "Overdue",
                "Check-in was due at ${text.clock(status.dueAt)}",
                "Overdue by ${TimeText.elapsed(Duration.between(status.overdueAt, now))}: check in now",
                Tone.ALARM,
            )
        }
    }
}

data class CheckInScreenState(
    val assignmentId: String,
    val welfare: WelfareLine? = null,
    val lastCheckIn: String? = null,
    /** Clock on is offered while off duty; welfare, checkpoint and clock off while on. */
    val onDuty: Boolean = false,
    val message: String? = null,
)

/**
 * The check-in screen of one assignment: the welfare countdown, and the buttons that
 * record clock-on, welfare, checkpoint and clock-off check-ins.
 *
 * [clock] is the device's clock (inject a fixed one in tests); check-ins are stamped
 * with it and countdowns measured from it. Store calls run on [io].
 */
class CheckInViewModel(
    private val store: CordonStore,
    private val assignmentId: String,
    private val clock: Clock,
    private val text: TimeText,
    private val zoneId: String,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(CheckInScreenState(assignmentId))
    val state: StateFlow<CheckInScreenState> = _state.asStateFlow()

    /** Re-reads the welfare clock from the core and measures it against [clock]. */
    suspend fun refresh() {
        val loaded = attempt {
            withContext(io) {
                store.welfareStatus(assignmentId) to store.checkIns(assignmentId).lastOrNull()
            }
        }
        loaded.onSuccess { (status, last) ->
            _state.update {
                it.copy(
                    welfare = WelfareLine.of(status, clock.instant(), text),
                    lastCheckIn = last?.let(::describe),
                    onDuty = status != WelfareStatus.OffDuty,
                )
            }
        }.onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    /**
     * Keeps the countdown current: refreshes every [period] until the caller's coroutine
     * is cancelled (a Compose `LaunchedEffect`, a SwiftUI `.task`).
     */
    suspend fun tick(period: Duration = Duration.ofSeconds(1)) {
        while (true) {
            refresh()
            delay(period.toMillis())
        }
    }

    suspend fun clockOn() = record(CheckInKind.CLOCK_ON)
    suspend fun welfare() = record(CheckInKind.WELFARE)
    suspend fun checkpoint(tagId: String) = record(CheckInKind.CHECKPOINT, tagId = tagId)
    suspend fun clockOff() = record(CheckInKind.CLOCK_OFF)

    fun dismissMessage() = _state.update { it.copy(message = null) }

    private suspend fun record(kind: CheckInKind, tagId: String? = null) {
        val checkIn = NewCheckIn(
            kind = kind,
            assignmentId = assignmentId,
            occurredAt = clock.instant(),
            timeZone = zoneId,
            location = null,
            tagId = tagId,
            note = null,
        )
        attempt { withContext(io) { store.recordCheckIn(checkIn) } }
            .onSuccess { _state.update { it.copy(message = null) } }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
        refresh()
    }

    private fun describe(checkIn: CheckIn): String {
        // A duress alarm is covert: on screen it reads as the welfare check-in it
        // pretends to be (the core restarts the welfare clock for it for the same reason).
        val kind = if (checkIn.kind == CheckInKind.DURESS) CheckInKind.WELFARE else checkIn.kind
        return "Last: ${kind.label().lowercase()} at ${text.clock(checkIn.occurredAt)}" +
            (checkIn.tagId?.let { " ($it)" } ?: "")
    }
}
