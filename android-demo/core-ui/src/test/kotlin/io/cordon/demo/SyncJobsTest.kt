package io.cordon.demo

import org.junit.jupiter.api.Test
import java.time.Duration
import java.time.Instant
import kotlin.test.assertEquals

/**
 * The background sync stays one job: orders for WorkManager's unique work, checked
 * against a small model of it (REPLACE drops every unfinished job and queues one;
 * APPEND_OR_REPLACE queues one behind the unfinished ones).
 */
class SyncJobsTest {
    private val t0 = Instant.parse("2026-12-06T14:00:00Z")
    private fun at(seconds: Long) = t0.plus(Duration.ofSeconds(seconds))

    /** WorkManager's unique work under one name: the jobs not yet finished, in order. */
    private class UniqueWork {
        val unfinished = mutableListOf<Instant>()

        fun carryOut(order: JobOrder) {
            when (order) {
                JobOrder.None -> Unit
                JobOrder.Cancel -> unfinished.clear()
                is JobOrder.Schedule -> {
                    if (!order.behindRunningJob) unfinished.clear()
                    unfinished += order.at
                }
            }
        }
    }

    @Test
    fun `while no job runs each new wish replaces the scheduled job`() {
        val jobs = SyncJobs()
        val work = UniqueWork()

        listOf(at(30), at(10), at(60)).forEach { work.carryOut(jobs.wish(it)) }

        assertEquals(listOf(at(60)), work.unfinished)
    }

    @Test
    fun `wishes while a job runs queue nothing, and the job queues exactly one job behind it`() {
        val jobs = SyncJobs()
        val work = UniqueWork()
        work.carryOut(jobs.wish(at(0)))
        jobs.jobStarted() // the scheduled job runs

        val during = listOf(at(5), at(8), at(3), at(9)).map { jobs.wish(it) }
        assertEquals(List(4) { JobOrder.None }, during)

        work.carryOut(jobs.jobEnded(nextSyncAt = at(20)))
        work.unfinished.removeAt(0) // the job itself finishes

        assertEquals(listOf(at(9)), work.unfinished)
    }

    @Test
    fun `the job queues its successor at the earlier of its own reading and a wish made while it ran`() {
        val jobs = SyncJobs()
        jobs.jobStarted()
        jobs.wish(at(40))

        assertEquals(JobOrder.Schedule(at(15), behindRunningJob = true), jobs.jobEnded(nextSyncAt = at(15)))
    }

    @Test
    fun `no wish left when the job ends queues nothing, and going offline while idle cancels the job`() {
        val jobs = SyncJobs()
        jobs.jobStarted()
        assertEquals(JobOrder.None, jobs.jobEnded(nextSyncAt = null))

        assertEquals(JobOrder.Cancel, jobs.wish(null))
    }

    @Test
    fun `a wish before the job started does not outlive it`() {
        val jobs = SyncJobs()
        jobs.wish(at(1))
        jobs.jobStarted()

        assertEquals(JobOrder.None, jobs.jobEnded(nextSyncAt = null))
    }

    @Test
    fun `a stopped job queues nothing and wishes after it replace the scheduled job again`() {
        val jobs = SyncJobs()
        jobs.jobStarted()
        jobs.jobStopped()

        assertEquals(JobOrder.Schedule(at(5), behindRunningJob = false), jobs.wish(at(5)))
    }
}
