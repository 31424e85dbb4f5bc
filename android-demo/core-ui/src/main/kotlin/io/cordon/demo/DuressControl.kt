package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.CheckIn
import io.cordon.core.CheckInKind
import io.cordon.core.NewCheckIn
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.time.Clock
import java.time.Duration
import java.time.Instant

/** Where the duress control is. */
sealed interface DuressState {
    /** Nothing happening; [note] says what just ended ("Cancelled", "Held too briefly"). */
    data class Idle(val note: String? = null) : DuressState

    /** The button is held down; the alarm arms at [armsAt] if it is still held. */
    data class Holding(val armsAt: Instant, val progress: Float) : DuressState

    /** Armed: the alarm goes at [sendsAt] unless cancelled. */
    data class CountingDown(val sendsAt: Instant, val secondsLeft: Long) : DuressState

    /** Being written to the store (milliseconds). */
    data object Sending : DuressState

    /** Recorded (durably, in the urgent lane) and handed to sync. */
    data class Sent(val checkIn: CheckIn) : DuressState

    /** The store refused it (only a storage failure can); press again to retry. */
    data class Failed(val message: String) : DuressState
}

/**
 * The duress control: hold the button for [holdToArm] to arm it, then a [cancelWindow]
 * countdown in which one tap cancels, then the alarm is recorded at once.
 *
 * Everything about the alarm itself is the core's: a duress check-in needs no
 * assignment, is never refused for bad input, goes to the urgent lane and is synced to
 * disk before the call returns. This class only decides *when* the officer meant it, and
 * then hands the recorded alarm to [onRaised] (the app starts a sync pass there, so the
 * alarm leaves on the next round trip, ahead of anything queued).
 *
 * Timing runs on [clock] (inject one in tests) with a ticker in [scope] while the control
 * is held or counting down, so the countdown survives the screen going away.
 */
class DuressControl(
    private val store: CordonStore,
    private val scope: CoroutineScope,
    private val clock: Clock,
    private val zoneId: String,
    private val onRaised: (CheckIn) -> Unit,
    private val assignmentId: () -> String? = { null },
    val holdToArm: Duration = Duration.ofSeconds(2),
    val cancelWindow: Duration = Duration.ofSeconds(5),
    private val tickEvery: Duration = Duration.ofMillis(100),
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow<DuressState>(DuressState.Idle())
    val state: StateFlow<DuressState> = _state.asStateFlow()
    private var ticker: Job? = null

    /** The officer put a finger on the button. */
    fun press() {
        val now = clock.instant()
        val started = _state.compareAndSetWhen({ it is DuressState.Idle || it is DuressState.Sent || it is DuressState.Failed }) {
            DuressState.Holding(armsAt = now.plus(holdToArm), progress = 0f)
        }
        if (started) startTicker()
    }

    /** The finger came off: before arming that is a slip, and nothing happens. */
    fun release() {
        advance()
        _state.update { if (it is DuressState.Holding) DuressState.Idle("Held too briefly: nothing sent") else it }
    }

    /** Cancel while holding or counting down. Too late once sending has begun. */
    fun cancel() {
        _state.update {
            if (it is DuressState.Holding || it is DuressState.CountingDown) DuressState.Idle("Cancelled: nothing sent") else it
        }
    }

    /** Moves the control on by the clock: arms a long enough hold, sends when the countdown ends. */
    suspend fun tick() {
        advance()
        val current = _state.value
        if (current is DuressState.CountingDown && !clock.instant().isBefore(current.sendsAt)) {
            if (_state.compareAndSet(current, DuressState.Sending)) send()
        }
    }

    /** Holding -> armed, and the countdown's seconds, by the clock. Never sends. */
    private fun advance() {
        val now = clock.instant()
        _state.update {
            when {
                it is DuressState.Holding && !now.isBefore(it.armsAt) ->
                    DuressState.CountingDown(now.plus(cancelWindow), secondsLeft(now, now.plus(cancelWindow)))
                it is DuressState.Holding -> {
                    val held = holdToArm.toMillis() - Duration.between(now, it.armsAt).toMillis()
                    it.copy(progress = (held.toFloat() / holdToArm.toMillis()).coerceIn(0f, 1f))
                }
                it is DuressState.CountingDown -> it.copy(secondsLeft = secondsLeft(now, it.sendsAt))
                else -> it
            }
        }
    }

    private suspend fun send() {
        val alarm = NewCheckIn(
            kind = CheckInKind.DURESS,
            assignmentId = assignmentId(),
            occurredAt = null, // the core stamps it: an alarm is never refused for its time
            timeZone = zoneId,
            location = null,
            tagId = null,
            note = null,
        )
        // Once begun, an alarm is finished even if the ticker's scope is being cancelled.
        attempt { withContext(io + NonCancellable) { store.recordCheckIn(alarm) } }
            .onSuccess { recorded ->
                _state.value = DuressState.Sent(recorded)
                onRaised(recorded)
            }
            .onFailure { e -> _state.value = DuressState.Failed(UserMessages.of(e)) }
    }

    private fun startTicker() {
        ticker?.cancel() // a finished or finishing one: never two tickers at once
        ticker = scope.launch {
            while (isActive && (_state.value.let { it is DuressState.Holding || it is DuressState.CountingDown })) {
                tick()
                delay(tickEvery.toMillis())
            }
        }
    }

    private fun secondsLeft(now: Instant, sendsAt: Instant): Long {
        val left = Duration.between(now, sendsAt)
        return if (left.isNegative) 0 else left.seconds + if (left.nano > 0) 1 else 0
    }

    private inline fun MutableStateFlow<DuressState>.compareAndSetWhen(
        allowed: (DuressState) -> Boolean,
        next: () -> DuressState,
    ): Boolean {
        while (true) {
            val current = value
            if (!allowed(current)) return false
            if (compareAndSet(current, next())) return true
        }
    }
}
