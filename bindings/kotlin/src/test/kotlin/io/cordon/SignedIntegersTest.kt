package io.cordon

import io.cordon.core.CordonException
import io.cordon.core.InputRule
import io.cordon.core.PostOrders
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.extension
import kotlin.io.path.readText
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/**
 * Kotlin's unsigned types are awkward in app code (no Java interop, `1u` literals), so
 * every number of the binding is a signed `Int` or `Long`. A negative one from the app
 * is a typed error on its field, never a crash.
 */
class SignedIntegersTest {
    @TempDir
    lateinit var dir: Path

    /**
     * What uniffi generates for an unsigned type anywhere in the API (its converter
     * object), and how one shows in a record field or a function's result.
     */
    private val unsigned = Regex(
        """object FfiConverterU(Int|Long|Short|Byte)\b|(val|var)\s+`?\w+`?\s*:\s*(kotlin\.)?U(Int|Long|Short|Byte)\b|\)\s*:\s*(kotlin\.)?U(Int|Long|Short|Byte)\b""",
    )

    /** uniffi's own plumbing, always generated, never seen by an app: buffer sizes. */
    private fun plumbing(line: String) = line.contains("RustBuffer") || line.contains("fun allocationSize(")

    @Test
    fun `the generated Kotlin has no unsigned type in its API`() {
        val generated = Path.of(System.getProperty("uniffi.generated.dir"))
        val files = Files.walk(generated).use { paths -> paths.filter { it.extension == "kt" }.toList() }
        assertTrue(files.size >= 2, "generated Kotlin of both crates under $generated: $files")
        val found = files.flatMap { file ->
            file.readText().lines().withIndex()
                .filter { (_, line) -> unsigned.containsMatchIn(line) && !plumbing(line) }
                .map { (i, line) -> "${file.fileName}:${i + 1}: ${line.trim()}" }
        }
        assertEquals(emptyList(), found)
    }

    @Test
    fun `negative numbers in an assignment from the app are typed errors on their fields`() {
        openStore(dir).use { store ->
            val cases = listOf(
                assignment(graceSecs = -1) to "checkInPolicy.graceSecs",
                assignment(graceSecs = Int.MIN_VALUE) to "checkInPolicy.graceSecs",
                assignment(intervalSecs = -1800) to "checkInPolicy.intervalSecs",
                SAMPLE_ASSIGNMENT.copy(postOrders = PostOrders(version = -1, text = "Hold the door.",
                    issuedAt = SAMPLE_ASSIGNMENT.postOrders.issuedAt)) to "postOrders.version",
                assignment(serverVersion = Long.MIN_VALUE) to "serverVersion",
            )
            for ((assignment, field) in cases) {
                val e = assertFailsWith<CordonException.InvalidInput> { store.upsertAssignment(assignment) }
                assertEquals(field to InputRule.OUT_OF_RANGE, e.field to e.rule)
            }
            assertEquals(emptyList(), store.assignments())
        }
    }

    @Test
    fun `negative batch limits are refused when the engine is made`() {
        openStore(dir).use { store ->
            val base = defaultSyncConfig("https://sync.example.test")
            val cases = listOf(
                base.copy(batch = base.batch.copy(maxOperations = -1)) to "batch.maxOperations",
                base.copy(batch = base.batch.copy(maxOperations = Int.MIN_VALUE)) to "batch.maxOperations",
                base.copy(batch = base.batch.copy(maxBytes = -1)) to "batch.maxBytes",
                base.copy(batch = base.batch.copy(maxBytes = Long.MIN_VALUE)) to "batch.maxBytes",
            )
            for ((config, field) in cases) {
                val e = assertFailsWith<CordonException.InvalidInput> {
                    CordonSync(store, RecordingTransport { emptyPull() }, config)
                }
                assertEquals(field to InputRule.OUT_OF_RANGE, e.field to e.rule)
            }
        }
    }
}
