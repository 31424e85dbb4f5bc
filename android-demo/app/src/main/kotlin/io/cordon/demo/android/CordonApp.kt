package io.cordon.demo.android

import android.app.Application
import android.util.Log
import io.cordon.demo.CordonSession
import io.cordon.demo.CoreLog
import io.cordon.demo.SessionOpening
import io.cordon.demo.StoreKeyVault
import io.cordon.HttpUrlConnectionTransport
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.distinctUntilChangedBy
import kotlinx.coroutines.launch

/**
 * Opens the officer's session once per process and wires Android's events to it:
 * connectivity to [io.cordon.demo.SyncController.setOnline], and the engine's wish for
 * the next pass to a WorkManager job, and the core's log lines to Logcat. Nothing here
 * decides anything.
 *
 * The store opens through the [StoreKeyVault]: its key is wrapped by an AndroidKeyStore
 * key and kept in SharedPreferences (`DeviceKeys.kt`). If the store cannot be opened
 * (its key lost, say), [opening] says why and the app shows only that.
 */
class CordonApp : Application() {
    lateinit var opening: SessionOpening
        private set

    /** The session, or null if the store could not be opened (see [opening]). */
    val session: CordonSession? get() = (opening as? SessionOpening.Ready)?.session
    private val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)

    override fun onCreate() {
        super.onCreate()
        // Before the session opens, so that no line the core logs is missed.
        CoreLog.install(BuildConfig.DEBUG) { Log.println(it.priority, it.tag, it.message) }
        val keys = StoreKeyVault(
            databasePath = filesDir.resolve("cordon.db").path,
            wrapper = AndroidKeyStoreWrapper(),
            wrapped = SharedPreferencesWrappedKeyStore(this),
        )
        opening = CordonSession.open(
            keys = keys,
            serverUrl = BuildConfig.CORDON_SERVER_URL,
            transport = HttpUrlConnectionTransport(),
            scope = appScope,
        )
        val session = session ?: return // nothing to sync: the screen says why
        ConnectivityWatcher(this, session.sync).start()
        // Whenever the engine changes its mind about the next pass, (re)schedule the job.
        appScope.launch {
            session.sync.status
                .distinctUntilChangedBy { it.nextSyncAt }
                .collect { SyncWorker.schedule(this@CordonApp, it.nextSyncAt) }
        }
    }
}
