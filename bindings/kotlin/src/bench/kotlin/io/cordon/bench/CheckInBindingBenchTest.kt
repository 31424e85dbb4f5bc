package io.cordon.bench

import io.cordon.ASSIGNMENT_ID
import io.cordon.CordonStore
import io.cordon.ZONE
import io.cordon.assignment
import io.cordon.benchRecordCheckInsInRust
import io.cordon.core.CheckInKind
import io.cordon.core.Location
import io.cordon.core.NewCheckIn
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.assertTrue

/**
 * What a call through the Kotlin binding costs (docs/PERFORMANCE.md, "Bindings"), run by
 * scripts/bench-bindings.sh against an optimised library:
 * - a check-in written from Kotlin against the same write looped in Rust over the same
 *   store, interleaved round by round in one run, after a warm-up long enough for the JIT
 *   to compile the whole call path (20,000 calls that do no work, then 4,000 writes);
 *   budget: Kotlin within 1.3x of Rust (median of rounds);
 * - one million calls in a row after a million of warm-up, the process's resident memory
 *   sampled as they go: it must stay level (JNA frees the native memory of each call's
 *   structures through its cleaner, which must keep up).
 */
class CheckInBindingBenchTest {
    @TempDir
    lateinit var dir: Path

    private val rounds = System.getProperty("cordon.bench.rounds")?.toInt() ?: 15
    private val writesPerRound = 400

    // The core benchmark's write (core/benches/store.rs): a welfare check-in with a fix and a note.
    private val welfare = NewCheckIn(
        kind = CheckInKind.WELFARE,
        assignmentId = ASSIGNMENT_ID,
        timeZone = ZONE,
        location = Location(latitude = 51.5007, longitude = -0.1246, accuracyM = 8.0),
        note = "All quiet at the east gate.",
    )

    @Test
    fun `a check-in written through the Kotlin binding costs at most 1_3 times the same write from Rust`() {
        CordonStore.open(dir.resolve("bench.db").toString()).use { store ->
            store.upsertAssignment(assignment())
            // Warm-up: the JIT compiles the call path (JNA, uniffi's converters), JNA binds
            // every function, SQLite's page cache fills.
            repeat(20_000) { store.path() }
            repeat(10) {
                repeat(writesPerRound) { store.recordCheckIn(welfare) }
                benchRecordCheckInsInRust(store, welfare, writesPerRound)
            }

            val kotlinUs = mutableListOf<Double>()
            val rustUs = mutableListOf<Double>()
            val ratios = mutableListOf<Double>()
            val emptyCallUs = mutableListOf<Double>()
            repeat(rounds) {
                val start = System.nanoTime()
                repeat(writesPerRound) { store.recordCheckIn(welfare) }
                val k = (System.nanoTime() - start) / 1e3 / writesPerRound
                val r = benchRecordCheckInsInRust(store, welfare, writesPerRound).toDouble() / 1e3 / writesPerRound
                kotlinUs += k
                rustUs += r
                ratios += k / r
                // The fixed cost of a call: one that does no work in the core.
                val e = System.nanoTime()
                repeat(writesPerRound) { store.path() }
                emptyCallUs += (System.nanoTime() - e) / 1e3 / writesPerRound
            }
            val ratio = ratios.median()
            val kotlin = kotlinUs.median()
            val rust = rustUs.median()
            println("check-in write through the binding ($rounds rounds of $writesPerRound writes, interleaved, after warm-up):")
            println("  Rust   Store::record_check_in        median %8.1f us".format(rust))
            println("  Kotlin CordonStore.recordCheckIn     median %8.1f us".format(kotlin))
            println("  ratio Kotlin / Rust (median of rounds)  %6.2fx   budget <= 1.30x   %s"
                .format(ratio, if (ratio <= 1.3) "PASS" else "OVER"))
            println("  difference of the medians            %8.1f us".format(kotlin - rust))
            println("  a call doing no work (path())        %8.1f us   (for reference)".format(emptyCallUs.median()))
            assertTrue(kotlin <= 1000.0, "a check-in through the binding took ${"%.1f".format(kotlin)} us (median)")
            assertTrue(ratio <= 1.3, "a check-in through the binding took %.2fx the Rust write".format(ratio))
        }
    }

    @Test
    fun `a million calls in a row leave resident memory bounded`() {
        CordonStore.open(dir.resolve("calls.db").toString()).use { store ->
            // Warm-up: a JVM grows its heap towards the ceiling before it collects much,
            // and a call now allocates so little that the first million calls are still
            // filling it (resident memory then rises by the heap's growth, not by what the
            // calls keep). Measure a million calls once the heap is at its ceiling.
            val warmUp = mutableListOf<Long>()
            for (i in 1..1_000_000) {
                store.path()
                if (i % 100_000 == 0) warmUp += residentKb()
            }
            println("warm-up, resident memory every 100,000 calls (MB): " + warmUp.joinToString(" ") { "%.0f".format(it / 1024.0) })
            val samples = mutableListOf<Long>()
            val start = System.nanoTime()
            for (i in 1..1_000_000) {
                store.path()
                if (i % 100_000 == 0) samples += residentKb()
            }
            val seconds = (System.nanoTime() - start) / 1e9
            val first = samples.first()
            val last = samples.last()
            println("one million calls of CordonStore.path() in %.1f s (%.1f us each)".format(seconds, seconds * 1e6 / 1_000_000))
            println("  resident memory every 100,000 calls (MB): " + samples.joinToString(" ") { "%.0f".format(it / 1024.0) })
            println("  growth from the first sample to the last: %+.1f MB   budget <= 64 MB   %s"
                .format((last - first) / 1024.0, if (last - first <= 64 * 1024) "PASS" else "OVER"))
            assertTrue(last - first <= 64 * 1024, "resident memory grew by ${(last - first) / 1024} MB over a million calls")
        }
    }

    private fun residentKb(): Long =
        Files.readAllLines(Path.of("/proc/self/status")).first { it.startsWith("VmRSS:") }
            .split(Regex("\\s+"))[1].toLong()

    private fun List<Double>.median() = sorted()[size / 2]
}
