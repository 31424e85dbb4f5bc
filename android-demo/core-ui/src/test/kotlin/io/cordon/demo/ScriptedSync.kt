package io.cordon.demo

import io.cordon.CordonSync
import io.cordon.NoHandle
import io.cordon.core.PassSummary
import io.cordon.core.SyncListener
import io.cordon.core.SyncStatus
import kotlinx.coroutines.CompletableDeferred
import java.time.Instant
import java.util.concurrent.CopyOnWriteArrayList

/**
 * A [CordonSync] that records what the app asks of the engine and can fail or hold a
 * call, over a [real] engine for everything else: the calls a platform callback or a
 * background job makes, seen from the engine's side.
 */
class ScriptedSync(private val real: CordonSync) : CordonSync(NoHandle) {
    /** Every connectivity report that reached the engine, in order. */
    val onlineReports: MutableList<Boolean> = CopyOnWriteArrayList()

    /** Errors the next setOnline calls throw, one each, before reaching the engine. */
    val setOnlineFailures: MutableList<Exception> = CopyOnWriteArrayList()

    @Volatile var passesStarted = 0
        private set

    @Volatile var cancelCalls = 0
        private set

    /** When set, syncUntilDrained runs only once cancel() was called (a pass that takes minutes). */
    @Volatile var drainWaitsForCancel = false
    private val cancelled = CompletableDeferred<Unit>()

    override fun setOnline(online: Boolean) {
        onlineReports += online
        if (setOnlineFailures.isNotEmpty()) throw setOnlineFailures.removeAt(0)
        real.setOnline(online)
    }

    override suspend fun syncOnce(): PassSummary {
        passesStarted++
        return real.syncOnce()
    }

    override suspend fun syncUntilDrained(maxPasses: Int): List<PassSummary> {
        passesStarted++
        if (drainWaitsForCancel) cancelled.await()
        return real.syncUntilDrained(maxPasses)
    }

    override fun cancel() {
        cancelCalls++
        cancelled.complete(Unit)
        real.cancel()
    }

    override fun status(): SyncStatus = real.status()
    override fun nextSyncAt(): Instant? = real.nextSyncAt()
    override fun setListener(listener: SyncListener?) = real.setListener(listener)
}
