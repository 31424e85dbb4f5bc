package io.cordon.demo.android

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import io.cordon.demo.JobOrder
import io.cordon.demo.SyncJobs
import java.time.Duration
import java.time.Instant
import kotlin.coroutines.cancellation.CancellationException

/**
 * The background sync job: runs passes until the outbox is drained, then queues the one
 * job after it for when the engine next wants to run (the core decides; see
 * [io.cordon.demo.BackgroundPass]). [SyncJobs] keeps it to one job: what to do is decided
 * there and tested on the JVM; this only carries the orders out.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        // No store (its key lost) or a revoked phone: nothing to sync, and no job after this one.
        val session = (applicationContext as CordonApp).session
        if (session == null || session.revocation.value != null) return Result.success()
        jobs.jobStarted()
        val pass = try {
            session.sync.backgroundPass()
        } catch (e: CancellationException) {
            // Stopped by WorkManager (constraints lost, quota): the pass stops at its next
            // safe point with everything kept, and WorkManager runs this job again later.
            jobs.jobStopped()
            throw e
        } catch (e: Exception) {
            null
        }
        val next = pass?.nextSyncAt ?: runCatching { session.sync.status.value.nextSyncAt }.getOrNull()
        carryOut(applicationContext, jobs.jobEnded(next))
        // The engine's nextSyncAt already holds its backoff after an interrupted pass, and
        // the job after this one is queued for it: never Result.retry(), which would run
        // this job again beside that one.
        return Result.success()
    }

    companion object {
        private const val NAME = "cordon-sync"
        private val jobs = SyncJobs()

        /** The engine wants its next pass at [at] (null: none); called on every change. */
        fun schedule(context: Context, at: Instant?) = carryOut(context, jobs.wish(at))

        private fun carryOut(context: Context, order: JobOrder) {
            val work = WorkManager.getInstance(context)
            when (order) {
                JobOrder.None -> Unit
                JobOrder.Cancel -> work.cancelUniqueWork(NAME)
                is JobOrder.Schedule -> {
                    val request = OneTimeWorkRequestBuilder<SyncWorker>()
                        .setInitialDelay(Duration.between(Instant.now(), order.at).coerceAtLeast(Duration.ZERO))
                        .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                        .build()
                    // Behind the running job (its successor), or in place of the one scheduled.
                    val policy = if (order.behindRunningJob) ExistingWorkPolicy.APPEND_OR_REPLACE else ExistingWorkPolicy.REPLACE
                    work.enqueueUniqueWork(NAME, policy, request)
                }
            }
        }
    }
}
