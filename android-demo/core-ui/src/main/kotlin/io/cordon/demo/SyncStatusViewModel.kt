package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.OutboxOperation
import io.cordon.core.PassOutcome
import io.cordon.core.SyncStatus
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

/** One operation the server refused for good. */
data class DeadLetterRow(
    val seq: Long,
    val what: String,
    val record: String,
    /** The server's reason, word for word. */
    val reason: String,
    val queuedAt: String,
)

data class SyncScreenState(
    val urgentUndelivered: Long = 0,
    val normalUndelivered: Long = 0,
    val bulkUndelivered: Long = 0,
    /** "Everything delivered" or "3 waiting: 1 alarm, 2 records". */
    val summary: String = "",
    val connection: String = "",
    val lastDelivered: String? = null,
    val lastError: String? = null,
    val deadLetters: List<DeadLetterRow> = emptyList(),
    val syncing: Boolean = false,
    val message: String? = null,
)

/**
 * The sync screen: what waits in each lane, dead letters with the server's reason, and
 * what the officer can do about them: retry (requeue, then sync at once) or discard
 * (archived by the core, never silently lost).
 */
class SyncStatusViewModel(
    private val store: CordonStore,
    private val controller: SyncController,
    private val text: TimeText,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(SyncScreenState())
    val state: StateFlow<SyncScreenState> = _state.asStateFlow()

    /** Re-reads the status and the dead letters (call it when [SyncController.status] changes). */
    suspend fun refresh() {
        attempt {
            controller.refreshStatus() to withContext(io) { store.deadLetters() }
        }.onSuccess { (status, dead) ->
            _state.update { show(it, status, dead) }
        }.onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    suspend fun syncNow() {
        _state.update { it.copy(syncing = true, message = null) }
        val report = attempt { controller.syncNow() }
        _state.update { s ->
            s.copy(
                syncing = false,
                message = report.fold(
                    onSuccess = { r ->
                        when (val o = r.outcome) {
                            PassOutcome.Completed -> null
                            is PassOutcome.Interrupted -> "Sync stopped: ${o.error}. It will retry by itself."
                            is PassOutcome.AuthPaused -> "The office refused this phone's credentials. Enrol again."
                            PassOutcome.NotEnrolled -> "This phone is not enrolled yet."
                            PassOutcome.AlreadyRunning -> null
                            PassOutcome.OutOfTime -> "Sync paused to save time; the rest goes on the next run."
                            PassOutcome.Cancelled -> null
                            is PassOutcome.Revoked ->
                                "The office has shut this phone out and its records were erased " +
                                    "(${o.unsent} not sent). Call your control room."
                        }
                    },
                    onFailure = UserMessages::of,
                ),
            )
        }
        refresh()
    }

    /** Sends a dead letter again (after the cause was fixed at the office), at once. */
    suspend fun retry(seq: Long) {
        val requeued = attempt { withContext(io) { store.requeueDead(seq) } }
        requeued.onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
        if (requeued.isSuccess) syncNow() else refresh()
    }

    /** Gives up on a dead letter; the core archives it. */
    suspend fun discard(seq: Long) {
        attempt { withContext(io) { store.discardDead(seq) } }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
        refresh()
    }

    private fun show(s: SyncScreenState, status: SyncStatus, dead: List<OutboxOperation>): SyncScreenState {
        val pending = status.outbox.pending
        val inFlight = status.outbox.inFlight
        val urgent = pending.urgent + inFlight.urgent
        val normal = pending.normal + inFlight.normal
        val bulk = pending.bulk + inFlight.bulk
        val parts = listOfNotNull(
            plural(urgent, "alarm"),
            plural(normal, "record"),
            plural(bulk, "file"),
        )
        return s.copy(
            urgentUndelivered = urgent,
            normalUndelivered = normal,
            bulkUndelivered = bulk,
            summary = if (parts.isEmpty()) "Everything delivered" else "${urgent + normal + bulk} waiting: ${parts.joinToString(", ")}",
            connection = when {
                !status.enrolled -> "Not enrolled"
                status.authPaused -> "Paused: the office refused this phone's credentials"
                !status.online -> "Offline: records are kept on the phone"
                else -> "Online" + (status.nextSyncAt?.let { ", next sync ${text.clock(it)}" } ?: "")
            },
            lastDelivered = status.lastSuccessAt?.let { "Last delivered ${text.dayAndClock(it)}" },
            lastError = status.lastError,
            deadLetters = dead.map { op ->
                DeadLetterRow(
                    seq = op.seq,
                    what = op.kind.label(),
                    record = op.recordId,
                    reason = op.lastError ?: "refused by the server",
                    queuedAt = text.dayAndClock(op.createdAt),
                )
            },
        )
    }

    private fun plural(n: Long, noun: String): String? = when (n) {
        0L -> null
        1L -> "1 $noun"
        else -> "$n ${noun}s"
    }
}
