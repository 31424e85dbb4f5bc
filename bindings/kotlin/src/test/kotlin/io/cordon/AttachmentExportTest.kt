package io.cordon

import io.cordon.core.AttachmentKind
import io.cordon.core.CordonException
import io.cordon.core.InputRule
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse

/**
 * `exportAttachment`: how an app shows an attachment once the store may keep it
 * encrypted. The bytes land at a path the app chooses, verified against the SHA-256
 * recorded at capture; damaged bytes are a typed error and leave no file behind.
 */
class AttachmentExportTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `an attachment exports to the app's path with the bytes and hash it was captured with`() {
        openStore(dir).use { store ->
            val report = store.createReport(incident())
            val source = photo(dir, size = 200 * 1024)
            val bytes = Files.readAllBytes(source)
            val attachment = store.attachFile(report.id, source.toString(), AttachmentKind.PHOTO, "image/jpeg")
            Files.delete(source)

            val shown = dir.resolve("shown.jpg")
            Files.write(shown, "stale".toByteArray()) // replaced
            store.exportAttachment(attachment.id, shown.toString())

            assertContentEquals(bytes, Files.readAllBytes(shown))
            assertEquals(attachment.sha256, sha256Hex(Files.readAllBytes(shown)))
        }
    }

    @Test
    fun `damaged bytes, an unknown id and a bad destination are typed errors that write nothing`() {
        openStore(dir).use { store ->
            val report = store.createReport(incident())
            val attachment = store.attachFile(report.id, photo(dir).toString(), AttachmentKind.PHOTO, "image/jpeg")
            val shown = dir.resolve("shown.jpg")

            assertFailsWith<CordonException.NotFound> { store.exportAttachment("../../etc/passwd", shown.toString()) }
            val inside = Paths.get(store.attachmentPath(attachment.id)).resolveSibling("copy.jpg")
            val refused = assertFailsWith<CordonException.InvalidInput> {
                store.exportAttachment(attachment.id, inside.toString())
            }
            assertEquals("destinationPath", refused.field)
            assertEquals(InputRule.BAD_FORMAT, refused.rule)
            assertFailsWith<CordonException.Io> {
                store.exportAttachment(attachment.id, dir.resolve("missing").resolve("x.jpg").toString())
            }

            Files.write(Paths.get(store.attachmentPath(attachment.id)), "doctored".toByteArray())
            val damaged = assertFailsWith<CordonException.CorruptAttachment> {
                store.exportAttachment(attachment.id, shown.toString())
            }
            assertEquals(attachment.id, damaged.attachmentId)
            assertFalse(Files.exists(shown))
            assertFalse(Files.exists(inside))
        }
    }
}
