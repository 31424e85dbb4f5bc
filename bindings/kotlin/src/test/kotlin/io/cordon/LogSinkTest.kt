package io.cordon

import io.cordon.core.PassOutcome
import io.cordon.core.PassSummary
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals

/**
 * The core's log lines reach the app's LogSink: real sync passes against the reference
 * server (`cordon serve`) log their end, and the sink and level decide what arrives.
 */
class LogSinkTest : AgainstReferenceServer() {
    @AfterEach
    fun removeSink() {
        setLogSink(null, LogLevel.INFO)
    }

    /** Keeps every entry it is given (called on the sync worker thread). */
    private class RecordingSink : LogSink {
        val entries = CopyOnWriteArrayList<LogEntry>()
        override fun log(entry: LogEntry) {
            entries += entry
        }
        fun passesEnded() = entries.filter { it.message == "sync pass ended" }
    }

    /** A fresh device enrolled with the server; returns its sync and the id of the duress alarm it queued. */
    private fun deviceWithAnAlarm(): Pair<CordonSync, String> {
        val (store, sync) = enrolled()
        return sync to store.recordCheckIn(duress()).id
    }

    private fun passOf(sync: CordonSync): PassSummary = runBlocking { sync.syncOnce() }

    @Test
    fun `a sync pass delivers its end at info with the outcome and counts as fields`() {
        val sink = RecordingSink()
        setLogSink(sink, LogLevel.INFO)
        val (sync) = deviceWithAnAlarm()

        val report = passOf(sync)

        assertEquals(PassOutcome.Completed, report.outcome)
        assertEquals(1, report.applied)
        val requests = report.requests.toString()
        assertEquals(
            listOf(
                LogEntry(
                    level = LogLevel.INFO,
                    target = "cordon_core::sync",
                    message = "sync pass ended",
                    fields = mapOf(
                        "outcome" to "completed",
                        "requests" to requests,
                        "applied" to "1",
                        "duplicates" to "0",
                        "rejected" to "0",
                    ),
                    line = "sync pass ended outcome=completed requests=$requests applied=1 duplicates=0 rejected=0",
                ),
            ),
            sink.passesEnded(),
        )
    }

    @Test
    fun `at warn a completed sync pass delivers nothing`() {
        val sink = RecordingSink()
        setLogSink(sink, LogLevel.WARN)
        val (sync) = deviceWithAnAlarm()

        assertEquals(PassOutcome.Completed, passOf(sync).outcome)

        assertEquals(emptyList(), sink.entries)
    }

    @Test
    fun `a sink that throws loses its entries and the alarm still reaches the office`() {
        val calls = AtomicInteger()
        setLogSink(
            object : LogSink {
                override fun log(entry: LogEntry) {
                    if (entry.message == "sync pass ended") calls.incrementAndGet()
                    throw IllegalStateException("the app's log file is full")
                }
            },
            LogLevel.INFO,
        )
        val (sync, alarmId) = deviceWithAnAlarm()

        val first = passOf(sync)
        val second = passOf(sync)

        assertEquals(listOf(PassOutcome.Completed, PassOutcome.Completed), listOf(first.outcome, second.outcome))
        assertEquals(1, first.applied)
        assertEquals(2, calls.get(), "the sink was still called for the second pass")
        val office = server.admin("list", "check-ins", "--json")
        assertEquals(1, Regex(alarmId).findAll(office).count(), "the office holds the alarm once")
    }

    @Test
    fun `removing the sink stops delivery and a new sink replaces the old one`() {
        val first = RecordingSink()
        setLogSink(first, LogLevel.INFO)
        val (sync) = deviceWithAnAlarm()
        passOf(sync)
        assertEquals(1, first.passesEnded().size)

        setLogSink(null, LogLevel.INFO)
        passOf(sync)
        assertEquals(1, first.passesEnded().size, "nothing arrives without a sink")

        val second = RecordingSink()
        setLogSink(second, LogLevel.INFO)
        passOf(sync)
        assertEquals(1, first.passesEnded().size, "the replaced sink hears nothing more")
        assertEquals(listOf("completed"), second.passesEnded().map { it.fields["outcome"] })
    }
}
