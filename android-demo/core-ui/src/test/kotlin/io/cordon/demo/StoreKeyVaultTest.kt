package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.HttpUrlConnectionTransport
import io.cordon.incident
import io.cordon.checkIn
import io.cordon.core.AttachmentKind
import io.cordon.core.CheckInKind
import io.cordon.core.CordonException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancel
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The app's key handling over the real binding and real store files: the key is made once,
 * kept only wrapped, opens the same store on every run, and is never replaced over a
 * database it cannot open.
 */
class StoreKeyVaultTest {
    @TempDir
    lateinit var dir: Path
    private val wrapper = SoftwareKeyWrapper()
    private val wrapped = InMemoryWrappedKeyStore()
    private val db: Path get() = dir.resolve("phone.db")

    private fun vault(random: java.security.SecureRandom = java.security.SecureRandom()) =
        StoreKeyVault(db.toString(), wrapper, wrapped, random)

    private fun opened(opening: StoreOpening): CordonStore = assertIs<StoreOpening.Opened>(opening).store

    /** A check-in whose note marks the records, so a file can be searched for it in clear. */
    private fun CordonStore.recordMarked() = recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null, note = MARKER))

    private fun fileHolds(text: String): Boolean {
        val needle = text.toByteArray()
        val bytes = Files.readAllBytes(db)
        return (0..bytes.size - needle.size).any { i -> needle.indices.all { bytes[i + it] == needle[it] } }
    }

    /** Unwraps [blob] as the vault's format says, with the test's own cipher. */
    private fun unwrapByHand(blob: ByteArray): ByteArray {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, wrapper.wrappingKey(), GCMParameterSpec(128, blob, 1, 12))
        cipher.updateAAD(byteArrayOf(1) + "cordon/store-key".toByteArray())
        return cipher.doFinal(blob, 13, blob.size - 13)
    }

    @Test
    fun `the first run makes a key, keeps it only wrapped, opens an encrypted store and wipes its copy`() {
        val random = RecordingRandom()

        opened(vault(random).open()).use { it.recordMarked() }

        val key = random.copies.single()
        assertEquals(32, key.size)
        assertTrue(random.filled.single().all { it == 0.toByte() }, "the vault's own array is wiped after use")
        val blob = assertNotNull(wrapped.read(KeySlot.CURRENT))
        assertEquals(StoreKeyVault.BLOB_BYTES, blob.size)
        assertEquals(1, blob[0].toInt(), "version byte")
        assertFalse(blob.toList().windowed(8).any { it == key.take(8) }, "the blob holds the key only encrypted")
        assertContentEquals(key, unwrapByHand(blob))
        assertEquals(1, wrapper.created)
        // The file is encrypted: no SQLite header, no record text in clear.
        assertFalse(fileHolds("SQLite format 3"))
        assertFalse(fileHolds(MARKER))
        // The core was given exactly this key: it opens the store, and the plain open does not.
        CordonStore.openEncrypted(db.toString(), key.copyOf()).use { assertEquals(MARKER, it.checkIns(null).single().note) }
        assertFailsWith<CordonException> { CordonStore.open(db.toString()).close() }
    }

    @Test
    fun `a later run unwraps the same key and finds the records`() {
        opened(vault().open()).use { it.recordMarked() }
        val blob = wrapped.read(KeySlot.CURRENT)

        opened(vault().open()).use { store -> assertEquals(MARKER, store.checkIns(null).single().note) }

        assertContentEquals(blob, wrapped.read(KeySlot.CURRENT))
        assertEquals(1, wrapper.created)
    }

    @Test
    fun `a damaged wrapped key leaves the database and the blob as they were and makes no new key`() {
        opened(vault().open()).use { it.recordMarked() }
        val blob = assertNotNull(wrapped.read(KeySlot.CURRENT))
        blob[20] = (blob[20].toInt() xor 0x01).toByte() // one bit of the ciphertext
        wrapped.write(KeySlot.CURRENT, blob)
        val before = Files.readAllBytes(db)

        repeat(2) {
            // Every start says the same: nothing is replaced on the first, so the second finds it so.
            val lost = assertIs<StoreOpening.KeyLost>(vault().open())
            assertEquals(KeyLoss.WRAPPED_KEY_UNREADABLE, lost.why)
        }

        assertContentEquals(before, Files.readAllBytes(db))
        assertContentEquals(blob, wrapped.read(KeySlot.CURRENT))
        assertEquals(1, wrapper.created)
        assertEquals(StoreOpening.KEY_LOST, StoreOpening.KeyLost(KeyLoss.WRAPPED_KEY_UNREADABLE).message)
    }

    @Test
    fun `a wrapped key of an unknown version or length is unreadable, not a crash`() {
        opened(vault().open()).close()
        val blob = assertNotNull(wrapped.read(KeySlot.CURRENT))

        wrapped.write(KeySlot.CURRENT, byteArrayOf(2) + blob.copyOfRange(1, blob.size))
        assertEquals(KeyLoss.WRAPPED_KEY_UNREADABLE, assertIs<StoreOpening.KeyLost>(vault().open()).why)
        wrapped.write(KeySlot.CURRENT, blob.copyOf(blob.size - 1))
        assertEquals(KeyLoss.WRAPPED_KEY_UNREADABLE, assertIs<StoreOpening.KeyLost>(vault().open()).why)
    }

    @Test
    fun `a lost wrapping key (credentials cleared) is a typed state and the database stays`() {
        opened(vault().open()).use { it.recordMarked() }
        wrapper.deleteWrappingKey()
        val before = Files.readAllBytes(db)

        val lost = assertIs<StoreOpening.KeyLost>(vault().open())

        assertEquals(KeyLoss.WRAPPING_KEY_GONE, lost.why)
        assertContentEquals(before, Files.readAllBytes(db))
        assertNull(wrapper.wrappingKey(), "no new wrapping key")
        assertNotNull(wrapped.read(KeySlot.CURRENT))
    }

    @Test
    fun `a phone restored from a backup (database and blob, another keystore) cannot open them and changes nothing`() {
        opened(vault().open()).use { it.recordMarked() }
        val newPhone = SoftwareKeyWrapper().also { it.createWrappingKey() }
        val before = Files.readAllBytes(db)

        val lost = assertIs<StoreOpening.KeyLost>(StoreKeyVault(db.toString(), newPhone, wrapped).open())

        assertEquals(KeyLoss.WRAPPED_KEY_UNREADABLE, lost.why)
        assertContentEquals(before, Files.readAllBytes(db))
    }

    @Test
    fun `an encrypted database without its wrapped key is never given a new key`() {
        opened(vault().open()).use { it.recordMarked() }
        wrapped.delete(KeySlot.CURRENT) // the preferences lost, the database restored
        val before = Files.readAllBytes(db)

        val lost = assertIs<StoreOpening.KeyLost>(vault().open())

        assertEquals(KeyLoss.NO_KEY_FOR_DATABASE, lost.why)
        assertContentEquals(before, Files.readAllBytes(db))
        assertTrue(wrapped.isEmpty(), "the key tried is not kept: it protects nothing")
    }

    @Test
    fun `a plaintext store from the previous app version is encrypted in place with its queue`() {
        val queued = CordonStore.open(db.toString()).use { plain ->
            plain.recordMarked()
            plain.queuedOperations()
        }
        assertEquals(1, queued.size)
        assertTrue(fileHolds("SQLite format 3"))

        opened(vault().open()).use { store ->
            assertEquals(queued.map { it.seq to it.recordId }, store.queuedOperations().map { it.seq to it.recordId })
            assertEquals(MARKER, store.checkIns(null).single().note)
        }

        assertFalse(fileHolds("SQLite format 3"))
        assertFalse(fileHolds(MARKER))
        opened(vault().open()).use { assertEquals(1, it.queuedOperations().size) }
    }

    @Test
    fun `a key that cannot be saved is never used`() {
        wrapped.failWrites += KeySlot.CURRENT

        val failed = assertIs<StoreOpening.KeyStoreFailed>(vault().open())

        assertTrue(failed.message.startsWith("This phone's key store did not answer"), failed.message)
        assertFalse(Files.exists(db), "no database under a key that was not kept")
    }

    @Test
    fun `a wrapped key without its database (a revoked store destroyed before the key was forgotten) is replaced`() {
        opened(vault().open()).close()
        val old = wrapped.read(KeySlot.CURRENT)
        Files.delete(db)

        opened(vault().open()).use { it.recordMarked() }

        val new = assertNotNull(wrapped.read(KeySlot.CURRENT))
        assertFalse(old.contentEquals(new))
        assertEquals(2, wrapper.created, "the old wrapping key was deleted with it")
    }

    @Test
    fun `forgetting deletes the wrapped key and the wrapping key`() {
        opened(vault().open()).close()

        assertTrue(vault().forget())

        assertTrue(wrapped.isEmpty())
        assertNull(wrapper.wrappingKey())
    }

    @Test
    fun `rekey gives the store a new key that opens it on the next run, and the old key no longer does`() {
        val random = RecordingRandom()
        val vault = vault(random)
        val store = opened(vault.open())
        store.recordMarked()
        val before = wrapped.read(KeySlot.CURRENT)

        vault.rekey(store)
        store.recordMarked() // the open store goes on working
        store.close()

        val (oldKey, newKey) = random.copies
        assertFalse(oldKey.contentEquals(newKey))
        assertTrue(random.filled.all { array -> array.all { it == 0.toByte() } })
        assertFalse(before.contentEquals(wrapped.read(KeySlot.CURRENT)))
        assertNull(wrapped.read(KeySlot.NEXT))
        assertContentEquals(newKey, unwrapByHand(assertNotNull(wrapped.read(KeySlot.CURRENT))))
        assertFailsWith<CordonException.WrongKey> { CordonStore.openEncrypted(db.toString(), oldKey.copyOf()).close() }
        opened(vault().open()).use { assertEquals(2, it.checkIns(null).size) }
    }

    @Test
    fun `a rotation cut short after the core took the new key still opens, and the new key becomes current`() {
        val vault = vault()
        val store = opened(vault.open())
        store.recordMarked()
        wrapped.failWrites += KeySlot.CURRENT // the app dies before it records the new key as current

        assertFailsWith<java.io.IOException> { vault.rekey(store) }
        store.close()
        wrapped.failWrites.clear()
        val next = assertNotNull(wrapped.read(KeySlot.NEXT))

        opened(vault().open()).use { assertEquals(MARKER, it.checkIns(null).single().note) }

        assertContentEquals(next, wrapped.read(KeySlot.CURRENT))
        assertNull(wrapped.read(KeySlot.NEXT))
    }

    @Test
    fun `a rotation cut short between the database and the files keeps the old key until the files are finished`() {
        val photo = ByteArray(150_000) { (it * 13).toByte() }
        val source = dir.resolve("photo.jpg").also { Files.write(it, photo) }
        val vault = vault()
        val store = opened(vault.open())
        val id = store.attachFile(store.createReport(incident()).id, source.toString(), AttachmentKind.PHOTO, "image/jpeg").id
        val oldBlob = assertNotNull(wrapped.read(KeySlot.CURRENT))
        // The core's file step fails (a directory where the file's new copy goes), as an
        // app killed between the two steps would leave it.
        val blocker = Files.createDirectory(dir.resolve("phone.db.attachments").resolve("$id.partial"))

        assertFailsWith<CordonException.Io> { vault.rekey(store) }
        assertTrue(store.rekeyUnfinished())
        store.close()
        Files.delete(blocker)
        assertContentEquals(oldBlob, wrapped.read(KeySlot.CURRENT), "the old key is kept")
        val next = assertNotNull(wrapped.read(KeySlot.NEXT))

        opened(vault().open()).use { reopened ->
            assertFalse(reopened.rekeyUnfinished(), "the open finished it with the old key")
            val shown = dir.resolve("shown.jpg")
            reopened.exportAttachment(id, shown.toString())
            assertContentEquals(photo, Files.readAllBytes(shown))
        }
        assertContentEquals(next, wrapped.read(KeySlot.CURRENT))
        assertNull(wrapped.read(KeySlot.NEXT))
    }

    @Test
    fun `a rotation cut short before the core took the new key opens with the old one and drops the new`() {
        val vault = vault()
        opened(vault.open()).use { it.recordMarked() }
        val current = wrapped.read(KeySlot.CURRENT)
        // What rekey writes first (a new key, wrapped), as if the app died right after it.
        val other = InMemoryWrappedKeyStore()
        opened(StoreKeyVault(dir.resolve("other.db").toString(), wrapper, other).open()).close()
        wrapped.write(KeySlot.NEXT, assertNotNull(other.read(KeySlot.CURRENT)))

        opened(vault().open()).use { assertEquals(MARKER, it.checkIns(null).single().note) }

        assertContentEquals(current, wrapped.read(KeySlot.CURRENT))
        assertNull(wrapped.read(KeySlot.NEXT))
    }

    @Test
    fun `the session says why it cannot open instead of opening over a lost key`() {
        opened(vault().open()).close()
        wrapper.deleteWrappingKey()
        val scope = CoroutineScope(Job())

        val opening = CordonSession.open(vault(), "http://127.0.0.1:9", HttpUrlConnectionTransport(), scope)
        scope.cancel()

        val unavailable = assertIs<SessionOpening.Unavailable>(opening)
        assertEquals(
            "This phone's Cordon data can no longer be opened. Nothing has been deleted: " +
                "contact the control room before reinstalling the app.",
            unavailable.message,
        )
        assertEquals(StoreOpening.KeyLost(KeyLoss.WRAPPING_KEY_GONE), unavailable.why)
    }

    private companion object {
        const val MARKER = "vault-marker-7d1f"
    }
}
