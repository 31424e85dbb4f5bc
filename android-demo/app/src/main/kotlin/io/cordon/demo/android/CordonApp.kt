package io.cordon.demo.android

import android.app.Application
import android.util.Log
import io.cordon.demo.CordonSession
import io.cordon.demo.CoreLog
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
 */
class CordonApp : Application() {
    lateinit var session: CordonSession
        private set
    private val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)

    override fun onCreate() {
        super.onCreate()
        // Before the session opens, so that no line the core logs is missed.
        CoreLog.install(BuildConfig.DEBUG) { Log.println(it.priority, it.tag, it.message) }
        session = CordonSession(
            databasePath = filesDir.resolve("cordon.db").path,
            serverUrl = BuildConfig.CORDON_SERVER_URL,
            transport = HttpUrlConnectionTransport(),
            scope = appScope,
        )
        ConnectivityWatcher(this, session.sync).start()
        // Whenever the engine changes its mind about the next pass, (re)schedule the job.
        appScope.launch {
            session.sync.status
                .distinctUntilChangedBy { it.nextSyncAt }
                .collect { SyncWorker.schedule(this@CordonApp, it.nextSyncAt) }
        }
    }
}
