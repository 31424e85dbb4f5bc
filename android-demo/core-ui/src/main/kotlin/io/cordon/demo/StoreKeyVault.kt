package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.CordonException
import java.io.File
import java.security.SecureRandom
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Holds the AES-256 key that wraps the store's key. On a phone it is an AndroidKeyStore
 * key (`AndroidKeyStoreWrapper` in `:app`): usable for AES-GCM, never exportable, never in
 * a backup. Its bytes never reach this code, only a [SecretKey] handle to cipher with.
 */
interface KeyWrapper {
    /** The wrapping key, or null if this phone has none (never made, or lost). */
    fun wrappingKey(): SecretKey?

    /** Makes the wrapping key (only called when [wrappingKey] is null) and returns it. */
    fun createWrappingKey(): SecretKey

    /** Deletes the wrapping key: whatever it wrapped can never be unwrapped again. */
    fun deleteWrappingKey()
}

/**
 * Where the wrapped store key is kept between runs (SharedPreferences on a phone): only
 * sealed blobs, never a key. Two slots: [KeySlot.NEXT] holds a new key while a rotation
 * is under way, so a rotation cut short at any point still leaves a key that opens the
 * store.
 */
interface WrappedKeyStore {
    fun read(slot: KeySlot): ByteArray?

    /** Durable when it returns (SharedPreferences: `commit()`, not `apply()`), or throws. */
    fun write(slot: KeySlot, blob: ByteArray)

    /** Durable when it returns, or throws; deleting an empty slot does nothing. */
    fun delete(slot: KeySlot)
}

enum class KeySlot { CURRENT, NEXT }

/** How [StoreKeyVault.open] went: the store, or why not (nothing deleted either way). */
sealed interface StoreOpening {
    class Opened(val store: CordonStore) : StoreOpening

    /** Why the store could not be opened, in words for the screen shown instead of the app. */
    sealed interface Unavailable : StoreOpening {
        val message: String
    }

    /**
     * The key to this phone's records is gone, or no longer opens them. The database file
     * is left as it was (evidence) and no new key was made over it: only the office can
     * decide what happens to it.
     */
    data class KeyLost(val why: KeyLoss) : Unavailable {
        override val message: String get() = KEY_LOST
    }

    /** The key store failed (the keystore or the preferences did not answer): nothing changed; try again. */
    data class KeyStoreFailed(val detail: String) : Unavailable {
        override val message: String
            get() = "This phone's key store did not answer ($detail). Nothing has been deleted: restart the app."
    }

    /** The core refused the store for another reason (corrupt, from a newer app, no space). */
    data class Failed(val error: CordonException) : Unavailable {
        override val message: String get() = UserMessages.of(error)
    }

    companion object {
        const val KEY_LOST = "This phone's Cordon data can no longer be opened. Nothing has been deleted: " +
            "contact the control room before reinstalling the app."
    }
}

enum class KeyLoss {
    /** The wrapping key is gone from the keystore (credentials cleared, or a restored phone). */
    WRAPPING_KEY_GONE,

    /** The wrapped key does not unwrap: damaged, or wrapped by another phone's key. */
    WRAPPED_KEY_UNREADABLE,

    /** A database is here but this phone holds no key for it (restored from a backup). */
    NO_KEY_FOR_DATABASE,

    /** The key unwraps but the core says it does not open the database. */
    WRONG_KEY,
}

/**
 * The store's 32-byte key: made at random on the first run, kept only wrapped (AES-256-GCM
 * under the [KeyWrapper]'s key) in the [WrappedKeyStore], unwrapped on each run and handed
 * to `CordonStore.openEncrypted`, then wiped from this side's memory (the core keeps its
 * own copy while the store is open and wipes it on close).
 *
 * It never makes a new key over an existing database: a lost or unreadable key is
 * [StoreOpening.KeyLost], with the file left in place. The one exception is a database
 * from the app version before encryption (plaintext): that one is opened with a new key
 * and the core encrypts it in place, its records and queue kept; a database encrypted
 * under another key is refused by the core ([CordonException.WrongKey]) and left byte for
 * byte as it was.
 *
 * A blob is `[version 1][12-byte IV][32-byte key + 16-byte tag, AES-GCM]`, the version byte
 * and a context string authenticated as associated data.
 */
class StoreKeyVault(
    private val databasePath: String,
    private val wrapper: KeyWrapper,
    private val wrapped: WrappedKeyStore,
    private val random: SecureRandom = SecureRandom(),
) {
    /** Opens the store at the database path with this phone's key (made on the first run). */
    @Synchronized
    fun open(): StoreOpening {
        val databaseExists = File(databasePath).exists()
        val current = try {
            wrapped.read(KeySlot.CURRENT)
        } catch (e: Exception) {
            return StoreOpening.KeyStoreFailed(describe(e))
        }
        return when {
            current == null -> openWithNewKey(databaseExists)
            // The key protects nothing on this phone any more (a revoked store destroyed
            // before the key was forgotten, or a first run cut short): never reuse it.
            !databaseExists -> try {
                forgetKeys()
                openWithNewKey(databaseExists = false)
            } catch (e: Exception) {
                StoreOpening.KeyStoreFailed(describe(e))
            }
            else -> openWithKeptKey(current)
        }
    }

    /**
     * A new key for [store] (opened by this vault): kept wrapped in [KeySlot.NEXT] first,
     * then given to the core (`rekey`: the database, then the attachment files), then made
     * current. The old key stays in [KeySlot.CURRENT] until the core has every file under
     * the new one: cut short anywhere, the next [open] finds whichever key the database is
     * under and, if the files' step was cut short, finishes it with the old key.
     */
    @Synchronized
    fun rekey(store: CordonStore) {
        val key = newKey()
        try {
            val blob = seal(key)
            wrapped.write(KeySlot.NEXT, blob)
            try {
                store.rekey(key)
            } catch (e: CordonException) {
                // The database may have taken the new key with files left under the old
                // one: finish now if the old key does it, else both slots stay for [open].
                val old = runCatching { wrapped.read(KeySlot.CURRENT) }.getOrNull()
                if (!store.rekeyUnfinished() || !finishRekey(store, old)) throw e
            }
            wrapped.write(KeySlot.CURRENT, blob)
            wrapped.delete(KeySlot.NEXT)
        } finally {
            key.fill(0)
        }
    }

    /** Gives the core the old key ([blob], wrapped) to finish a rekey; false if that failed. */
    private fun finishRekey(store: CordonStore, blob: ByteArray?): Boolean {
        val old = try {
            unseal(blob ?: return false)
        } catch (e: Exception) {
            return false
        }
        return try {
            store.finishRekey(old)
            true
        } catch (e: CordonException) {
            false
        } finally {
            old.fill(0)
        }
    }

    /**
     * Forgets this phone's key for good (the office revoked the device and the core has
     * destroyed the store): the wrapped keys and the wrapping key are deleted. Returns
     * false if the key store failed; the next [open] tries again (a key without its
     * database is forgotten there).
     */
    @Synchronized
    fun forget(): Boolean = try {
        forgetKeys()
        true
    } catch (e: Exception) {
        false
    }

    private fun forgetKeys() {
        wrapped.delete(KeySlot.NEXT)
        wrapped.delete(KeySlot.CURRENT)
        wrapper.deleteWrappingKey()
    }

    private fun openWithNewKey(databaseExists: Boolean): StoreOpening {
        val key = newKey()
        try {
            // Kept before the core sees it: a store is never encrypted under a key that
            // could be lost with the process.
            wrapped.write(KeySlot.CURRENT, seal(key))
        } catch (e: Exception) {
            key.fill(0)
            return StoreOpening.KeyStoreFailed(describe(e))
        }
        return when (val opened = openWith(key)) {
            Attempt.WrongKey -> {
                // Encrypted under a key this phone does not have: the new key protects
                // nothing; the database stays as it is.
                runCatching { wrapped.delete(KeySlot.CURRENT) }
                StoreOpening.KeyLost(if (databaseExists) KeyLoss.NO_KEY_FOR_DATABASE else KeyLoss.WRONG_KEY)
            }
            is Attempt.Done -> opened.opening
        }
    }

    private fun openWithKeptKey(current: ByteArray): StoreOpening {
        val next = try {
            wrapped.read(KeySlot.NEXT)
        } catch (e: Exception) {
            return StoreOpening.KeyStoreFailed(describe(e))
        }
        when (val first = unsealAndOpen(current)) {
            Attempt.WrongKey -> Unit
            is Attempt.Done -> {
                // A rotation that never reached the core: its key protects nothing.
                if (next != null && first.opening is StoreOpening.Opened) runCatching { wrapped.delete(KeySlot.NEXT) }
                return first.opening
            }
        }
        if (next == null) return StoreOpening.KeyLost(KeyLoss.WRONG_KEY)
        // A rotation whose database step the core completed: the new key is current once
        // every attachment file is under it too (the old key, still in CURRENT, finishes
        // a file step cut short; if that fails both keys stay for the next open).
        return when (val second = unsealAndOpen(next)) {
            Attempt.WrongKey -> StoreOpening.KeyLost(KeyLoss.WRONG_KEY)
            is Attempt.Done -> {
                val opening = second.opening
                val finished = opening !is StoreOpening.Opened ||
                    !opening.store.rekeyUnfinished() || finishRekey(opening.store, current)
                if (opening is StoreOpening.Opened && finished) {
                    runCatching {
                        wrapped.write(KeySlot.CURRENT, next)
                        wrapped.delete(KeySlot.NEXT)
                    }
                }
                second.opening
            }
        }
    }

    private fun unsealAndOpen(blob: ByteArray): Attempt {
        val key = try {
            unseal(blob)
        } catch (e: Lost) {
            return Attempt.Done(StoreOpening.KeyLost(e.why))
        } catch (e: Exception) {
            return Attempt.Done(StoreOpening.KeyStoreFailed(describe(e)))
        }
        return openWith(key)
    }

    /** Opens the store with [key], then wipes [key]. */
    private fun openWith(key: ByteArray): Attempt = try {
        Attempt.Done(StoreOpening.Opened(CordonStore.openEncrypted(databasePath, key)))
    } catch (e: CordonException.WrongKey) {
        Attempt.WrongKey
    } catch (e: CordonException) {
        Attempt.Done(StoreOpening.Failed(e))
    } finally {
        key.fill(0)
    }

    private fun newKey(): ByteArray = ByteArray(KEY_BYTES).also { random.nextBytes(it) }

    private fun seal(key: ByteArray): ByteArray {
        val wrappingKey = wrapper.wrappingKey() ?: wrapper.createWrappingKey()
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // No IV given: the provider picks a fresh random one (AndroidKeyStore insists on it).
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey)
        cipher.updateAAD(AAD)
        val sealed = cipher.doFinal(key)
        val iv = cipher.iv
        check(iv.size == IV_BYTES && sealed.size == KEY_BYTES + TAG_BYTES) { "unexpected AES-GCM output" }
        return byteArrayOf(VERSION) + iv + sealed
    }

    private fun unseal(blob: ByteArray): ByteArray {
        if (blob.size != BLOB_BYTES || blob[0] != VERSION) throw Lost(KeyLoss.WRAPPED_KEY_UNREADABLE)
        val wrappingKey = wrapper.wrappingKey() ?: throw Lost(KeyLoss.WRAPPING_KEY_GONE)
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey, GCMParameterSpec(TAG_BYTES * 8, blob, 1, IV_BYTES))
        cipher.updateAAD(AAD)
        return try {
            cipher.doFinal(blob, 1 + IV_BYTES, KEY_BYTES + TAG_BYTES)
        } catch (e: AEADBadTagException) {
            // Tampered, or wrapped under another wrapping key (a new phone, a new keystore key).
            throw Lost(KeyLoss.WRAPPED_KEY_UNREADABLE)
        }
    }

    private sealed interface Attempt {
        data object WrongKey : Attempt
        class Done(val opening: StoreOpening) : Attempt
    }

    private class Lost(val why: KeyLoss) : Exception()

    private fun describe(e: Exception): String = e.message ?: e.javaClass.simpleName

    companion object {
        const val KEY_BYTES = 32
        private const val IV_BYTES = 12
        private const val TAG_BYTES = 16
        private const val VERSION: Byte = 1
        const val BLOB_BYTES = 1 + IV_BYTES + KEY_BYTES + TAG_BYTES
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private val AAD = byteArrayOf(VERSION) + "cordon/store-key".toByteArray()
    }
}
