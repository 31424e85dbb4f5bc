package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.CordonSync
import io.cordon.RecordingTransport
import io.cordon.core.CordonException
import io.cordon.core.TransportException
import io.cordon.defaultSyncConfig
import io.cordon.openStore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull

/**
 * What the platform's connectivity callback and background job make of the engine through
 * [SyncController]: passes only on a real change of connectivity, no exception into the
 * callback, and a background pass that ends when its time is up.
 */
class SyncControllerTest {
    @TempDir
    lateinit var dir: Path
    private lateinit var store: CordonStore
    private lateinit var engine: CordonSync
    private lateinit var sync: ScriptedSync
    private lateinit var controller: SyncController

    // Unconfined: a requested pass starts inside the call that requested it, so the
    // tests can count passes right after a connectivity report.
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Unconfined)

    @BeforeEach
    fun open() {
        store = openStore(dir)
        // Not enrolled: a pass ends at once without a request, and none may reach this.
        val transport = RecordingTransport { throw TransportException.Network("no network in this test") }
        engine = CordonSync(store, transport, defaultSyncConfig("http://127.0.0.1:9"))
        sync = ScriptedSync(engine)
        controller = SyncController(sync, scope)
    }

    @AfterEach
    fun close() {
        scope.cancel()
        controller.close()
        engine.close()
        store.close()
    }

    @Test
    fun `repeated reports of the same connectivity reach the engine and start a pass only once`() {
        repeat(3) { controller.setOnline(true) } // e.g. signal strength changing
        repeat(2) { controller.setOnline(false) }
        repeat(2) { controller.setOnline(true) }

        assertEquals(listOf(true, false, true), sync.onlineReports)
        assertEquals(2, sync.passesStarted)
    }

    @Test
    fun `going offline starts no pass`() {
        controller.setOnline(false)

        assertEquals(listOf(false), sync.onlineReports)
        assertEquals(0, sync.passesStarted)
    }

    @Test
    fun `a storage error while recording connectivity is kept for the screen, not thrown, and the next report tries again`() {
        sync.setOnlineFailures += CordonException.Storage("disk I/O error")

        controller.setOnline(true) // would crash the app if it threw inside the callback

        assertNotNull(controller.problem.value)
        assertEquals(0, sync.passesStarted)

        controller.setOnline(true)

        assertEquals(listOf(true, true), sync.onlineReports)
        assertNull(controller.problem.value)
        assertEquals(1, sync.passesStarted)
    }

    @Test
    fun `a background pass that outruns its budget is cancelled in the engine and returns`() = runBlocking {
        sync.drainWaitsForCancel = true

        withTimeout(5_000) { controller.backgroundPass(budget = Duration.ofMillis(100)) }

        assertEquals(1, sync.cancelCalls)
    }

    @Test
    fun `a background pass within its budget is not cancelled`() = runBlocking {
        controller.backgroundPass(budget = Duration.ofMillis(100))
        delay(300) // past the budget: the deadline must be gone with the pass

        assertEquals(0, sync.cancelCalls)
        assertEquals(1, sync.passesStarted)
    }
}
