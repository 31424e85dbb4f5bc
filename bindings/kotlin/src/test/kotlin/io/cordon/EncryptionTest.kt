package io.cordon

import io.cordon.core.AttachmentKind
import io.cordon.core.CheckInKind
import io.cordon.core.CordonException
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * Encryption at rest through the real generated bindings: a store opened with the app's
 * 32-byte key (as the Android Keystore would hand it over) holds no plaintext, a wrong key
 * is `CordonException.WrongKey` with the file untouched, a key of another length is
 * `CordonException.InvalidKey`, and `rekey` moves the store to a new key.
 */
class EncryptionTest {
    @TempDir
    lateinit var dir: Path

    private val codename = "CODENAME-MERLIN-4"
    private fun key(byte: Int) = ByteArray(32) { byte.toByte() }
    private fun path() = dir.resolve("cordon.db").toString()
    private fun sha256(p: Path) = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)).toList()
    private fun holdsCodename(p: Path) = String(Files.readAllBytes(p), Charsets.ISO_8859_1).contains(codename)

    @Test
    fun `an encrypted store holds no plaintext and opens again with its key`() {
        CordonStore.openEncrypted(path(), key(1)).use { store ->
            store.recordCheckIn(checkIn(CheckInKind.DURESS, assignmentId = null, note = codename))
        }
        assertFalse(holdsCodename(dir.resolve("cordon.db")))
        CordonStore.openEncrypted(path(), key(1)).use { store ->
            assertEquals(codename, store.checkIns(null).single().note)
        }
    }

    @Test
    fun `a wrong key or no key is WrongKey and the file is left as it was`() {
        CordonStore.openEncrypted(path(), key(1)).use { store ->
            store.recordCheckIn(checkIn(CheckInKind.DURESS, assignmentId = null, note = codename))
        }
        val before = sha256(dir.resolve("cordon.db"))
        val e = assertFailsWith<CordonException.WrongKey> { CordonStore.openEncrypted(path(), key(2)) }
        assertEquals(path(), e.path)
        assertFailsWith<CordonException.WrongKey> { CordonStore.open(path()) }
        assertEquals(before, sha256(dir.resolve("cordon.db")))
        assertFalse(Files.exists(dir.resolve("cordon.db-wal")))
        assertFalse(Files.exists(dir.resolve("cordon.db-shm")))
    }

    @Test
    fun `a key that is not 32 bytes is InvalidKey and opens nothing`() {
        for (size in listOf(0, 16, 31, 33)) {
            val e = assertFailsWith<CordonException.InvalidKey> { CordonStore.openEncrypted(path(), ByteArray(size)) }
            assertTrue("$size bytes were given" in e.reason, e.reason)
        }
        assertFalse(Files.exists(dir.resolve("cordon.db")))
        CordonStore.openEncrypted(path(), key(1)).use { store ->
            assertFailsWith<CordonException.InvalidKey> { store.rekey(ByteArray(16)) }
        }
    }

    @Test
    fun `rekey moves the store to the new key with its queue intact`() {
        CordonStore.openEncrypted(path(), key(1)).use { store ->
            repeat(3) { store.recordCheckIn(checkIn(CheckInKind.DURESS, assignmentId = null, note = codename)) }
            val queued = store.queuedOperations()
            store.rekey(key(2))
            assertEquals(queued, store.queuedOperations())
        }
        assertFailsWith<CordonException.WrongKey> { CordonStore.openEncrypted(path(), key(1)) }
        CordonStore.openEncrypted(path(), key(2)).use { store ->
            assertEquals(3, store.queuedOperations().size)
        }
    }

    @Test
    fun `a plaintext store opened with a key is encrypted with its queue`() {
        openStore(dir).use { store ->
            store.recordCheckIn(checkIn(CheckInKind.DURESS, assignmentId = null, note = codename))
        }
        CordonStore.openEncrypted(path(), key(1)).use { store ->
            assertEquals(1, store.queuedOperations().size)
        }
        assertFalse(holdsCodename(dir.resolve("cordon.db")))
    }

    @Test
    fun `a rekey cut short after the database keeps its files for finishRekey with the old key`() {
        val photo = ByteArray(200_000) { (it * 31).toByte() }
        val source = dir.resolve("photo.jpg").also { Files.write(it, photo) }
        val attachments = dir.resolve("cordon.db.attachments")
        val id = CordonStore.openEncrypted(path(), key(1)).use { store ->
            val report = store.createReport(incident())
            val id = store.attachFile(report.id, source.toString(), AttachmentKind.PHOTO, "image/jpeg").id
            // The file step fails after the database is under the new key: its copy
            // cannot be written (a directory is in the way).
            val blocker = Files.createDirectory(attachments.resolve("$id.partial"))
            assertFailsWith<CordonException.Io> { store.rekey(key(2)) }
            assertTrue(store.rekeyUnfinished())
            Files.delete(blocker)
            id
        }
        assertFailsWith<CordonException.WrongKey> { CordonStore.openEncrypted(path(), key(1)) }
        CordonStore.openEncrypted(path(), key(2)).use { store ->
            assertTrue(store.rekeyUnfinished(), "the open says the old key is needed")
            val shown = dir.resolve("shown.jpg")
            assertFailsWith<CordonException.WrongKey> { store.exportAttachment(id, shown.toString()) }
            assertFailsWith<CordonException.WrongKey> { store.finishRekey(key(3)) }
            assertFailsWith<CordonException.InvalidKey> { store.finishRekey(ByteArray(8)) }
            assertEquals(1, store.finishRekey(key(1)))
            assertFalse(store.rekeyUnfinished())
            store.exportAttachment(id, shown.toString())
            assertEquals(photo.toList(), Files.readAllBytes(shown).toList())
        }
        CordonStore.openEncrypted(path(), key(2)).use { store -> assertFalse(store.rekeyUnfinished()) }
    }
}
