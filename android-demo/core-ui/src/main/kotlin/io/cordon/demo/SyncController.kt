package io.cordon.demo

import io.cordon.CordonSync
import io.cordon.core.EnrolResponse
import io.cordon.core.PassOutcome
import io.cordon.core.SyncListener
import io.cordon.core.PassSummary
import io.cordon.core.SyncStatus
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.time.Duration
import java.time.Instant

/** What a background job (WorkManager, BGTaskScheduler) did, and when to run the next. */
data class BackgroundPass(
    val reports: List<PassSummary>,
    /** When the engine next wants a pass; null: not until connectivity or a token changes. */
    val nextSyncAt: Instant?,
) {
    /**
     * The network or server failed mid-pass: the job should report a retry (the outbox
     * keeps everything). Not enrolled or refused credentials are not fixed by retrying.
     */
    val shouldRetry: Boolean get() = reports.lastOrNull()?.outcome is PassOutcome.Interrupted

    /** How long to wait before the next job, from [now]; null: schedule none. */
    fun delayFrom(now: Instant): Duration? = nextSyncAt?.let { Duration.between(now, it).coerceAtLeast(Duration.ZERO) }
}

/**
 * The one place the app talks to [CordonSync]: connectivity, sync now, the background
 * job, enrolment, and the status as a [StateFlow] fed by the core's [SyncListener].
 *
 * The platform shells only forward events: Android's ConnectivityManager callback and
 * iOS's NWPathMonitor call [setOnline]; WorkManager and BGTaskScheduler call
 * [backgroundPass] and schedule the next job from its [BackgroundPass.delayFrom].
 */
class SyncController(
    private val sync: CordonSync,
    private val scope: CoroutineScope,
    private val io: CoroutineDispatcher = Dispatchers.IO,
    /**
     * A pass found the device revoked and the core destroyed the store (the session
     * forgets the key, then tells the officer); called on [io] before the pass's caller
     * resumes.
     */
    private val onRevoked: (PassOutcome.Revoked) -> Unit = {},
) : AutoCloseable {
    private val _status = MutableStateFlow(sync.status())
    val status: StateFlow<SyncStatus> = _status.asStateFlow()
    private val _lastReport = MutableStateFlow<PassSummary?>(null)
    val lastReport: StateFlow<PassSummary?> = _lastReport.asStateFlow()
    private val _problem = MutableStateFlow<String?>(null)

    /** A connectivity change the core could not record (a storage error), in words; null once one is recorded. */
    val problem: StateFlow<String?> = _problem.asStateFlow()

    /** The last connectivity the core recorded; null before the first report. */
    private var online: Boolean? = null

    init {
        // Called on whichever thread changed the status (a sync worker included);
        // a StateFlow is safe to set from any thread.
        sync.setListener(object : SyncListener {
            override fun onStatus(status: SyncStatus) {
                _status.value = status
            }
        })
    }

    /**
     * The platform reports connectivity. Only a change counts: Android calls back on every
     * change of a network's capabilities (signal strength among them) and iOS on every path
     * update, and a pass on each would defeat the core's backoff. Coming online makes
     * everything waiting due at once and starts a pass.
     *
     * Never throws: this runs inside the platform's callback, where an exception would
     * crash the app. A storage error is kept in [problem], and the next report tries again.
     */
    fun setOnline(online: Boolean) {
        synchronized(this) {
            if (online == this.online) return
            try {
                sync.setOnline(online)
            } catch (e: Exception) {
                _problem.value = UserMessages.of(e)
                return
            }
            this.online = online
            _problem.value = null
        }
        if (online) requestSync()
    }

    /**
     * Stops every pass of this engine at its next safe point; each returns at once with
     * `PassOutcome.Cancelled` (WorkManager's `onStopped`, a BGTask's expiration).
     */
    fun cancelPasses() = sync.cancel()

    /** One pass now (the sync screen's button). */
    suspend fun syncNow(): PassSummary {
        val report = sync.syncOnce()
        _lastReport.value = report
        // A revoked store has nothing left to read a status from.
        if (!noticeRevocation(listOf(report))) refreshStatus()
        return report
    }

    /** Reads the status afresh (store writes such as a requeue do not notify the listener). */
    suspend fun refreshStatus(): SyncStatus = withContext(io) { sync.status() }.also { _status.value = it }

    /**
     * Starts a pass without waiting for it (after a duress alarm, or a retried dead
     * letter). If one is running, the core runs another round in it, so nothing waits
     * for the next schedule.
     */
    fun requestSync(): Job = scope.launch { attempt { syncNow() } }

    /**
     * What a background job runs: passes until drained (at most [maxPasses]), and no
     * longer than [budget] if one is given: then the passes are cancelled (the core stops
     * at its next safe point and keeps the rest queued) and this returns.
     */
    suspend fun backgroundPass(maxPasses: Int = 10, budget: Duration? = null): BackgroundPass {
        val deadline = budget?.let { scope.launch { delay(it.toMillis()); cancelPasses() } }
        val reports = try {
            sync.syncUntilDrained(maxPasses)
        } finally {
            deadline?.cancel()
        }
        reports.lastOrNull()?.let { _lastReport.value = it }
        if (noticeRevocation(reports)) return BackgroundPass(reports, nextSyncAt = null)
        return withContext(io) { BackgroundPass(reports, sync.nextSyncAt()) }
    }

    /** Redeems the office's one-time code; throws the core's error for the screen to word. */
    suspend fun enrol(code: String): EnrolResponse {
        val enrolled = sync.enrol(code)
        refreshStatus()
        return enrolled
    }

    /** Calls [onRevoked] if one of [reports] found the device revoked; true if one did. */
    private suspend fun noticeRevocation(reports: List<PassSummary>): Boolean {
        val revoked = reports.firstNotNullOfOrNull { it.outcome as? PassOutcome.Revoked } ?: return false
        withContext(io) { onRevoked(revoked) }
        return true
    }

    override fun close() {
        sync.setListener(null)
    }
}
