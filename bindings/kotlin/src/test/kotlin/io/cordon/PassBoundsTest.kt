package io.cordon

import io.cordon.core.CheckInKind
import io.cordon.core.HttpRequest
import io.cordon.core.HttpResponse
import io.cordon.core.PassOutcome
import io.cordon.core.RequestKind
import io.cordon.core.SyncListener
import io.cordon.core.SyncStatus
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Instant
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/** How long a pass may run, what stops it, and how many may run on one store. */
class PassBoundsTest {
    @TempDir
    lateinit var dir: Path

    private val config = defaultSyncConfig("https://sync.example.test")

    /** The server's answer to a push: every operation applied. */
    private fun accepted(request: HttpRequest): HttpResponse {
        val ops = Json.parseToJsonElement(request.body.decodeToString()).jsonObject["operations"]!!.jsonArray
        val results = ops.joinToString(",") {
            val o = it.jsonObject
            """{"id":${o["id"]},"seq":${o["seq"]!!.jsonPrimitive.content},"status":"applied","server_version":1}"""
        }
        return jsonResponse(200, """{"server_time":"${Instant.now()}","results":[$results]}""")
    }

    /** A transport that parks the first push until [release] and then accepts everything. */
    private class Parking(private val answer: (HttpRequest) -> HttpResponse) {
        val inPush = CountDownLatch(1)
        val release = CountDownLatch(1)
        val transport = RecordingTransport { request ->
            if (request.kind == RequestKind.PUSH) {
                inPush.countDown()
                check(release.await(30, TimeUnit.SECONDS))
            }
            answer(request)
        }
    }

    private fun waitUntil(what: String, condition: () -> Boolean) {
        val until = System.nanoTime() + 10_000_000_000
        while (!condition()) {
            check(System.nanoTime() < until) { "timed out waiting until $what" }
            Thread.sleep(10)
        }
    }

    @Test
    fun `cancelling the coroutine returns at once and the pass stops after the request in hand`() {
        openStore(dir).use { store ->
            repeat(3) { store.recordCheckIn(duress()) }
            val parking = Parking { if (it.kind == RequestKind.PUSH) accepted(it) else emptyPull() }
            val oneAtATime = config.copy(batch = config.batch.copy(maxOperations = 1))
            CordonSync(store, parking.transport, oneAtATime).use { sync ->
                sync.setToken("token-1")
                runBlocking {
                    val pass = async(Dispatchers.Default) { sync.syncOnce() }
                    assertTrue(parking.inPush.await(30, TimeUnit.SECONDS))

                    val started = System.nanoTime()
                    pass.cancel()
                    withTimeout(1_000) { pass.join() }
                    assertTrue((System.nanoTime() - started) / 1_000_000 < 1_000)
                }
                parking.release.countDown()
                // The pass settles the batch it had sent and stops there.
                waitUntil("the cancelled pass ends") { store.outboxStatus().inFlight.urgent == 0L && store.outboxStatus().pending.urgent == 2L }
                Thread.sleep(200)
                assertEquals(listOf(RequestKind.PUSH), parking.transport.kinds())
                assertEquals(2L, store.outboxStatus().pending.urgent)
            }
        }
    }

    @Test
    fun `cancel stops the running pass of a sync, for WorkManager's onStopped`() {
        openStore(dir).use { store ->
            repeat(3) { store.recordCheckIn(duress()) }
            val parking = Parking { if (it.kind == RequestKind.PUSH) accepted(it) else emptyPull() }
            val oneAtATime = config.copy(batch = config.batch.copy(maxOperations = 1))
            CordonSync(store, parking.transport, oneAtATime).use { sync ->
                sync.setToken("token-1")
                runBlocking {
                    val pass = async(Dispatchers.Default) { sync.syncOnce() }
                    assertTrue(parking.inPush.await(30, TimeUnit.SECONDS))
                    sync.cancel()
                    parking.release.countDown()
                    assertEquals(PassOutcome.Cancelled, withTimeout(10_000) { pass.await() }.outcome)
                }
                assertEquals(1, parking.transport.requests.size)
                assertEquals(2L, store.outboxStatus().pending.urgent)
            }
        }
    }

    @Test
    fun `a second CordonSync over the same store finds the pass already running`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val parking = Parking { if (it.kind == RequestKind.PUSH) accepted(it) else emptyPull() }
            val other = RecordingTransport { emptyPull() }
            CordonSync(store, parking.transport, config).use { first ->
                CordonSync(store, other, config).use { second ->
                    first.setToken("token-1")
                    runBlocking {
                        val pass = async(Dispatchers.Default) { first.syncOnce() }
                        assertTrue(parking.inPush.await(30, TimeUnit.SECONDS))

                        assertEquals(PassOutcome.AlreadyRunning, second.syncOnce().outcome)

                        parking.release.countDown()
                        assertEquals(PassOutcome.Completed, withTimeout(10_000) { pass.await() }.outcome)
                    }
                    assertEquals(0, other.requests.size)
                }
            }
        }
    }

    @Test
    fun `a pass stops at its time bound while alarms keep arriving`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val transport = RecordingTransport {
                if (it.kind == RequestKind.PUSH) {
                    store.recordCheckIn(duress()) // another alarm for every one sent
                    Thread.sleep(20)
                    accepted(it)
                } else {
                    emptyPull()
                }
            }
            CordonSync(store, transport, config.copy(maxPassMs = 1_000)).use { sync ->
                sync.setToken("token-1")
                val started = System.nanoTime()
                val summary = runBlocking { sync.syncOnce() }
                val tookMs = (System.nanoTime() - started) / 1_000_000

                assertEquals(PassOutcome.OutOfTime, summary.outcome)
                assertTrue(tookMs < 3_000, "took $tookMs ms")
                assertEquals(0L, store.outboxStatus().inFlight.urgent)
                // Each request may take what is left of the pass (never under a second).
                assertEquals(setOf(1_000L), transport.requests.map { it.timeoutMs }.toSet())
            }
        }
    }

    @Test
    fun `a listener that throws is ignored and hears the next change`() {
        openStore(dir).use { store ->
            val calls = AtomicInteger()
            val transport = RecordingTransport { if (it.kind == RequestKind.PUSH) accepted(it) else emptyPull() }
            CordonSync(store, transport, config).use { sync ->
                sync.setListener(object : SyncListener {
                    override fun onStatus(status: SyncStatus) {
                        calls.incrementAndGet()
                        throw IllegalStateException("the app's listener is broken")
                    }
                })
                sync.setToken("token-1")
                store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null))
                assertEquals(PassOutcome.Completed, runBlocking { sync.syncOnce() }.outcome)
                sync.setOnline(false)
                assertEquals(3, calls.get())
            }
        }
    }
}
