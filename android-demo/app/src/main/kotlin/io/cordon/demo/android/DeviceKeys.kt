package io.cordon.demo.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import io.cordon.demo.KeySlot
import io.cordon.demo.KeyWrapper
import io.cordon.demo.WrappedKeyStore
import java.io.IOException
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * The wrapping key in AndroidKeyStore: AES-256 for GCM, made on the phone and never
 * exportable (the app only ever holds a handle), never in a backup or on another phone.
 *
 * - No user authentication (`setUserAuthenticationRequired(false)`): the sync worker
 *   opens the store in the background, with nobody at the screen, and an alarm queued
 *   before the phone locked must still go out.
 * - Not `setUnlockedDeviceRequired(true)`: WorkManager may start the process while the
 *   phone is locked (at night, after a reboot once unlocked), and the store's key is
 *   unwrapped once per process. Requiring an unlocked phone would hold back queued alarms
 *   until someone unlocked it. The database itself sits in credential-encrypted storage
 *   (`filesDir`), unreadable before the first unlock after a boot.
 * - Randomized encryption (the default): the keystore picks each IV.
 */
class AndroidKeyStoreWrapper(private val alias: String = "cordon.store-key-wrapper") : KeyWrapper {
    private val keyStore: KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    override fun wrappingKey(): SecretKey? = keyStore.getKey(alias, null) as SecretKey?

    override fun createWrappingKey(): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .setUserAuthenticationRequired(false)
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER).run {
            init(spec)
            generateKey()
        }
    }

    override fun deleteWrappingKey() {
        if (keyStore.containsAlias(alias)) keyStore.deleteEntry(alias)
    }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
    }
}

/**
 * The wrapped store key in the app's private SharedPreferences (Base64). Writes are
 * `commit()`ed, not `apply()`ed: the vault gives the core a key only once it is kept.
 */
class SharedPreferencesWrappedKeyStore(context: Context) : WrappedKeyStore {
    private val prefs = context.getSharedPreferences("cordon-store-key", Context.MODE_PRIVATE)

    override fun read(slot: KeySlot): ByteArray? = prefs.getString(slot.name, null)?.let {
        try {
            Base64.decode(it, Base64.NO_WRAP)
        } catch (e: IllegalArgumentException) {
            ByteArray(0) // damaged: the vault reports it unreadable, and replaces nothing
        }
    }

    override fun write(slot: KeySlot, blob: ByteArray) {
        if (!prefs.edit().putString(slot.name, Base64.encodeToString(blob, Base64.NO_WRAP)).commit()) {
            throw IOException("the wrapped key could not be saved")
        }
    }

    override fun delete(slot: KeySlot) {
        if (!prefs.edit().remove(slot.name).commit()) throw IOException("the wrapped key could not be deleted")
    }
}
