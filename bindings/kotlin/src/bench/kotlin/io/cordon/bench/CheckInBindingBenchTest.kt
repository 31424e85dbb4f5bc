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
import java.nio.file.Path
import kotlin.test.assertTrue

/**
 * A check-in written from Kotlin through the binding against the same write looped in
 * Rust over the same store, interleaved round by round in one run (docs/PERFORMANCE.md).
 * The ratio is what crossing the FFI adds: lowering the record, the JNA calls, lifting
 * the result. The design sets no ratio budget; the one checked is the officer's: a
 * check-in through the binding returns within a millisecond (median). Run by
 * scripts/bench-bindings.sh against an optimised library.
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
        occurredAt = null,
        timeZone = ZONE,
        location = Location(latitude = 51.5007, longitude = -0.1246, accuracyM = 8.0, fixTime = null),
        tagId = null,
        note = "All quiet at the east gate.",
    )

    @Test
    fun `a check-in written through the Kotlin binding returns within a millisecond`() {
        CordonStore.open(dir.resolve("bench.db").toString()).use { store ->
            store.upsertAssignment(assignment())
            // Warm-up: JIT, JNA's first binding, SQLite's page cache.
            repeat(writesPerRound) { store.recordCheckIn(welfare) }
            benchRecordCheckInsInRust(store, welfare, writesPerRound.toUInt())

            val kotlinUs = mutableListOf<Double>()
            val rustUs = mutableListOf<Double>()
            val ratios = mutableListOf<Double>()
            val emptyCallUs = mutableListOf<Double>()
            repeat(rounds) {
                val start = System.nanoTime()
                repeat(writesPerRound) { store.recordCheckIn(welfare) }
                val k = (System.nanoTime() - start) / 1e3 / writesPerRound
                val r = benchRecordCheckInsInRust(store, welfare, writesPerRound.toUInt()).toDouble() / 1e3 / writesPerRound
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
            println("check-in write through the binding ($rounds rounds of $writesPerRound writes, interleaved):")
            println("  Rust   Store::record_check_in        median %8.1f us".format(rust))
            println("  Kotlin CordonStore.recordCheckIn     median %8.1f us   budget <= 1000 us   %s"
                .format(kotlin, if (kotlin <= 1000) "PASS" else "FAIL"))
            println("  ratio Kotlin / Rust (median of rounds)  %6.2fx   (for reference)".format(ratio))
            println("  difference of the medians            %8.1f us".format(kotlin - rust))
            println("  a call doing no work (path())        %8.1f us   (for reference)".format(emptyCallUs.median()))
            assertTrue(kotlin <= 1000.0, "a check-in through the binding took ${"%.1f".format(kotlin)} us (median)")
        }
    }

    private fun List<Double>.median() = sorted()[size / 2]
}
