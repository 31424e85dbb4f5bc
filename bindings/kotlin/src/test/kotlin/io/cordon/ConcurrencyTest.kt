package io.cordon

import io.cordon.core.CheckInKind
import io.cordon.core.HttpResponse
import io.cordon.core.PassOutcome
import io.cordon.core.RequestKind
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.concurrent.CountDownLatch
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue

/** One store shared by many JVM threads, as an app's UI, workers and sync share it. */
class ConcurrencyTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `check-ins written from eight threads at once are all kept with distinct sequence numbers`() {
        val threads = 8
        val each = 25
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val start = CyclicBarrier(threads)
            val pool = Executors.newFixedThreadPool(threads)
            try {
                val writers = (0 until threads).map { t ->
                    pool.submit<List<String>> {
                        start.await()
                        (0 until each).map { i ->
                            // Readers interleave with the writes on purpose.
                            if (i % 5 == 0) store.outboxStatus()
                            store.recordCheckIn(checkIn(CheckInKind.WELFARE, note = "thread $t write $i")).id
                        }
                    }
                }
                val ids = writers.flatMap { it.get(60, TimeUnit.SECONDS) }
                assertEquals(threads * each, ids.toSet().size)
            } finally {
                pool.shutdownNow()
            }

            val queued = store.queuedOperations()
            assertEquals(threads * each, queued.size)
            assertEquals(threads * each, queued.map { it.seq }.toSet().size)
            assertEquals((threads * each).toLong(), store.outboxStatus().pending.normal)
            assertEquals(threads * each, store.checkIns(ASSIGNMENT_ID).size)
        }
    }

    @Test
    fun `a sync pass runs off the caller's thread and a second one started meanwhile reports AlreadyRunning`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val inPush = CountDownLatch(1)
            val release = CountDownLatch(1)
            val transport = RecordingTransport { request ->
                if (request.kind == RequestKind.PUSH) {
                    inPush.countDown()
                    check(release.await(30, TimeUnit.SECONDS))
                    HttpResponse(503, emptyList(), ByteArray(0))
                } else {
                    emptyPull()
                }
            }
            CordonSync(store, transport, defaultSyncConfig("https://sync.example.test")).use { sync ->
                sync.setToken("token-1")
                runBlocking {
                    val first = async(Dispatchers.Default) { sync.syncOnce() }
                    assertTrue(inPush.await(30, TimeUnit.SECONDS), "the first pass never reached the transport")

                    // The first pass is parked inside the transport; the store still answers.
                    assertEquals(1L, store.outboxStatus().inFlight.urgent)
                    assertEquals(PassOutcome.AlreadyRunning, sync.syncOnce().outcome)

                    release.countDown()
                    val report = withTimeout(30_000) { first.await() }
                    assertIs<PassOutcome.Interrupted>(report.outcome)
                }
                assertEquals(1L, store.outboxStatus().pending.urgent)
            }
        }
    }
}
