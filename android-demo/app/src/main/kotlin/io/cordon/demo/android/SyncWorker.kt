package io.cordon.demo.android

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.time.Duration
import java.time.Instant
import java.util.concurrent.atomic.AtomicBoolean

/**
 * The background sync job: runs passes until the outbox is drained, then schedules the
 * next job for when the engine next wants to run (the core decides; see
 * [io.cordon.demo.BackgroundPass]).
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        running.set(true)
        try {
            val app = applicationContext as CordonApp
            val pass = runCatching { app.session.sync.backgroundPass() }.getOrElse { return Result.retry() }
            schedule(applicationContext, pass.nextSyncAt)
            return if (pass.shouldRetry) Result.retry() else Result.success()
        } finally {
            running.set(false)
        }
    }

    companion object {
        private const val NAME = "cordon-sync"
        private val running = AtomicBoolean(false)

        /**
         * One job at [at] (now if past), replacing the one scheduled; none if [at] is null
         * (offline, paused or not enrolled: connectivity or a new token starts sync again).
         * While a job runs it is never replaced (that would cancel it): the next one is
         * queued behind it.
         */
        fun schedule(context: Context, at: Instant?) {
            val work = WorkManager.getInstance(context)
            if (at == null) {
                if (!running.get()) work.cancelUniqueWork(NAME)
                return
            }
            val request = OneTimeWorkRequestBuilder<SyncWorker>()
                .setInitialDelay(Duration.between(Instant.now(), at).coerceAtLeast(Duration.ZERO))
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .build()
            val policy = if (running.get()) ExistingWorkPolicy.APPEND_OR_REPLACE else ExistingWorkPolicy.REPLACE
            work.enqueueUniqueWork(NAME, policy, request)
        }
    }
}
