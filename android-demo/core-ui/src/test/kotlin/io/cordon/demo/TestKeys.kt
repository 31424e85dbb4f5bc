package io.cordon.demo

import io.cordon.core.Transport
import kotlinx.coroutines.CoroutineScope
import java.security.SecureRandom
import java.time.Clock
import java.time.ZoneId
import java.util.concurrent.ConcurrentHashMap
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import kotlin.test.assertIs

/**
 * The JVM's stand-in for AndroidKeyStore: a real AES-256 key from `javax.crypto`, so a
 * wrap really encrypts and a tampered blob really fails. Only where the key lives differs
 * (here in memory, exportable; on a phone in the keystore).
 */
class SoftwareKeyWrapper : KeyWrapper {
    @Volatile private var key: SecretKey? = null

    @Volatile var created = 0
        private set

    override fun wrappingKey(): SecretKey? = key

    override fun createWrappingKey(): SecretKey {
        check(key == null) { "a second wrapping key over the first" }
        created++
        return KeyGenerator.getInstance("AES").apply { init(256) }.generateKey().also { key = it }
    }

    override fun deleteWrappingKey() {
        key = null
    }
}

/** SharedPreferences' stand-in: blobs by slot, copied in and out; [failWrites] makes writes throw. */
class InMemoryWrappedKeyStore : WrappedKeyStore {
    private val blobs = ConcurrentHashMap<KeySlot, ByteArray>()

    /** Slots whose writes throw, as a full disk or a failed `commit()` would. */
    val failWrites: MutableSet<KeySlot> = ConcurrentHashMap.newKeySet()

    override fun read(slot: KeySlot): ByteArray? = blobs[slot]?.copyOf()

    override fun write(slot: KeySlot, blob: ByteArray) {
        if (slot in failWrites) throw java.io.IOException("commit() failed")
        blobs[slot] = blob.copyOf()
    }

    override fun delete(slot: KeySlot) {
        blobs.remove(slot)
    }

    fun isEmpty(): Boolean = blobs.isEmpty()
}

/** A SecureRandom that keeps each array it filled, and a copy of what it put there. */
class RecordingRandom : SecureRandom() {
    val filled: MutableList<ByteArray> = mutableListOf()
    val copies: MutableList<ByteArray> = mutableListOf()

    override fun nextBytes(bytes: ByteArray) {
        super.nextBytes(bytes)
        filled += bytes
        copies += bytes.copyOf()
    }
}

/** A phone's key handling for [databasePath]: a vault over a fresh wrapper and key store. */
fun testVault(
    databasePath: String,
    wrapper: KeyWrapper = SoftwareKeyWrapper(),
    wrapped: WrappedKeyStore = InMemoryWrappedKeyStore(),
): StoreKeyVault = StoreKeyVault(databasePath, wrapper, wrapped)

/** A session opened as the app opens it, through a vault; fails the test if it does not open. */
fun openTestSession(
    databasePath: String,
    serverUrl: String,
    transport: Transport,
    scope: CoroutineScope,
    clock: Clock,
    zone: ZoneId,
    keys: StoreKeyVault = testVault(databasePath),
): CordonSession =
    assertIs<SessionOpening.Ready>(CordonSession.open(keys, serverUrl, transport, scope, clock, zone)).session
