package io.cordon.demo

import java.time.Instant

/** What to do with the one background sync job (WorkManager's unique work). */
sealed interface JobOrder {
    /** Nothing to do now. */
    data object None : JobOrder

    /** No job: offline, paused or not enrolled (connectivity or a new token starts sync again). */
    data object Cancel : JobOrder

    /**
     * The one job, at [at] (at once if past). [behindRunningJob]: the job that is running
     * asked for it as it ends, so it is queued behind that job (WorkManager's
     * `APPEND_OR_REPLACE`); otherwise it replaces the job scheduled (`REPLACE`).
     */
    data class Schedule(val at: Instant, val behindRunningJob: Boolean) : JobOrder
}

/**
 * Keeps the background sync to one job. The engine's wish for its next pass changes
 * often while a job runs (every status the job's own passes report): queuing a job for
 * each would pile up a chain of jobs, and replacing the running one would cancel it. So
 * while a job runs the latest wish is only noted, and the job, as it ends, schedules the
 * single job after it from the latest wish; when no job runs, a new wish replaces the
 * scheduled job.
 *
 * The platform glue calls [wish] whenever the engine's `nextSyncAt` changes, and
 * [jobStarted] / [jobEnded] (or [jobStopped]) around the job's work, and carries out each
 * [JobOrder].
 */
class SyncJobs {
    private var running = false
    private var wanted: Instant? = null

    /** The engine now wants its next pass at [at] (null: none). */
    @Synchronized
    fun wish(at: Instant?): JobOrder {
        wanted = at
        return when {
            running -> JobOrder.None
            at == null -> JobOrder.Cancel
            else -> JobOrder.Schedule(at, behindRunningJob = false)
        }
    }

    @Synchronized
    fun jobStarted() {
        running = true
        wanted = null
    }

    /**
     * The platform stopped the job before its passes were over (WorkManager runs it again
     * later by itself): nothing to queue behind it.
     */
    @Synchronized
    fun jobStopped() {
        running = false
    }

    /**
     * The job's passes are over; [nextSyncAt] is the engine's wish as the job read it at
     * the end. A wish noted during the job may be older or newer than that: the earlier
     * of the two is kept (an early job finds nothing due and costs one request; a late
     * one could hold back an alarm). Returns the job to queue behind this one, or none.
     */
    @Synchronized
    fun jobEnded(nextSyncAt: Instant?): JobOrder {
        running = false
        val at = listOfNotNull(wanted, nextSyncAt).minOrNull()
        wanted = at
        return if (at == null) JobOrder.None else JobOrder.Schedule(at, behindRunningJob = true)
    }
}
