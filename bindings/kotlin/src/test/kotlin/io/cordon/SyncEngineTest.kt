package io.cordon

import io.cordon.core.CheckInKind
import io.cordon.core.CordonException
import io.cordon.core.HttpMethod
import io.cordon.core.OperationState
import io.cordon.core.PassOutcome
import io.cordon.core.RequestKind
import io.cordon.core.SyncListener
import io.cordon.core.SyncStatus
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Instant
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The sync engine driven through the binding, with a scripted transport standing in for
 * the server (the reference server's own turn is in ReferenceServerSyncTest).
 */
class SyncEngineTest {
    @TempDir
    lateinit var dir: Path

    private val config = defaultSyncConfig("https://sync.example.test/")

    @Test
    fun `before enrolment a pass reports NotEnrolled and sends nothing`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val transport = RecordingTransport { error("nothing should be sent") }
            CordonSync(store, transport, config).use { sync ->
                assertEquals(PassOutcome.NotEnrolled, runBlocking { sync.syncOnce() }.outcome)
                assertEquals(emptyList(), transport.requests)
                assertFalse(sync.status().enrolled)
                assertNull(sync.nextSyncAt())
            }
        }
    }

    @Test
    fun `enrolment through the app's transport stores the officer and the token`() {
        openStore(dir).use { store ->
            val deviceId = store.deviceIdentity().deviceId
            val transport = RecordingTransport {
                jsonResponse(
                    200,
                    """{"server_time":"${Instant.now()}","token":"tok-123","device_id":"$deviceId",
                       "officer_id":"$OFFICER_ID","organisation_id":"$ORGANISATION_ID"}""",
                )
            }
            CordonSync(store, transport, config).use { sync ->
                val enrolled = runBlocking { sync.enrol("  K7QX-2M9P  ") }

                assertEquals("tok-123", enrolled.token)
                assertEquals(OFFICER_ID, store.deviceIdentity().officerId)
                assertTrue(sync.status().enrolled)
                val request = transport.requests.single()
                assertEquals(HttpMethod.POST, request.method)
                assertEquals("https://sync.example.test/v1/enrol", request.url)
                assertTrue(""""code":"K7QX-2M9P"""" in request.body.decodeToString())
            }
        }
    }

    @Test
    fun `a batch the server refuses as malformed becomes dead letters that can be requeued or discarded`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON))
            store.recordCheckIn(checkIn(CheckInKind.WELFARE))
            val transport = RecordingTransport { request ->
                when (request.kind) {
                    RequestKind.PUSH -> errorResponse(400, "bad_request", "batch over the limit")
                    else -> emptyPull()
                }
            }
            CordonSync(store, transport, config).use { sync ->
                sync.setToken("token-1")
                val report = runBlocking { sync.syncOnce() }
                assertEquals(PassOutcome.Completed, report.outcome)
                assertEquals(2, report.rejected)

                val dead = store.deadLetters()
                assertEquals(listOf(OperationState.DEAD, OperationState.DEAD), dead.map { it.state })
                assertTrue(dead.all { "batch over the limit" in it.lastError!! }, dead.toString())
                assertEquals(2L, store.outboxStatus().dead.normal)

                store.requeueDead(dead[0].seq)
                store.discardDead(dead[1].seq)
                assertEquals(emptyList(), store.deadLetters())
                assertEquals(listOf(dead[0].seq), store.queuedOperations().map { it.seq })
                assertEquals(OperationState.PENDING, store.queuedOperations().single().state)
            }
        }
    }

    @Test
    fun `a refused token pauses sync until the app sets a new one`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val transport = RecordingTransport { errorResponse(401, "unauthorized", "token revoked") }
            CordonSync(store, transport, config).use { sync ->
                sync.setToken("old-token")
                assertIs<PassOutcome.AuthPaused>(runBlocking { sync.syncOnce() }.outcome)
                assertTrue(sync.status().authPaused)
                assertIs<PassOutcome.AuthPaused>(runBlocking { sync.syncOnce() }.outcome)
                assertEquals(1, transport.requests.size) // paused: the second pass sent nothing

                sync.setToken("new-token")
                assertFalse(sync.status().authPaused)
                assertEquals(1L, store.outboxStatus().pending.urgent) // the alarm was kept
            }
        }
    }

    @Test
    fun `the listener hears status changes and next sync time follows connectivity`() {
        openStore(dir).use { store ->
            val heard = CopyOnWriteArrayList<SyncStatus>()
            CordonSync(store, RecordingTransport { emptyPull() }, config).use { sync ->
                sync.setListener(object : SyncListener {
                    override fun onStatus(status: SyncStatus) {
                        heard += status
                    }
                })
                sync.setToken("token-1")
                store.recordCheckIn(duress())
                assertNotNull(sync.nextSyncAt())

                sync.setOnline(false)
                assertFalse(heard.last().online)
                assertNull(sync.nextSyncAt())

                sync.setOnline(true)
                assertTrue(heard.last().online)
                val next = assertNotNull(sync.nextSyncAt())
                assertTrue(next <= Instant.now().plusSeconds(1), "a queued alarm is due now, not at $next")
                assertEquals(3, heard.size)
                assertTrue(heard.all { it.enrolled })

                sync.setListener(null)
                sync.setOnline(false)
                assertEquals(3, heard.size)
            }
        }
    }

    @Test
    fun `a listener that calls the store while the call that notified it is running gets its own answer`() {
        // The listener runs inside setOnline, on its thread, and makes a call that fails:
        // each call's status must be its own (patch-generated.py's per-thread stack), or
        // the inner failure would be read back as setOnline's.
        openStore(dir).use { store ->
            val inner = CopyOnWriteArrayList<Throwable>()
            CordonSync(store, RecordingTransport { emptyPull() }, config).use { sync ->
                sync.setToken("token-1")
                sync.setListener(object : SyncListener {
                    override fun onStatus(status: SyncStatus) {
                        try {
                            store.assignment("A-NOT-HERE")
                        } catch (e: Throwable) {
                            inner += e
                        }
                    }
                })

                sync.setOnline(false)

                assertEquals(1, inner.size, "the listener ran inside setOnline")
                assertIs<CordonException.NotFound>(inner.single())
                assertFalse(sync.status().online)
            }
        }
    }

    @Test
    fun `the listener hears the end of a pass on the sync worker thread`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val threads = CopyOnWriteArrayList<String>()
            val heard = CopyOnWriteArrayList<SyncStatus>()
            val transport = RecordingTransport { errorResponse(503, "unavailable", "maintenance") }
            CordonSync(store, transport, config).use { sync ->
                sync.setToken("token-1")
                sync.setListener(object : SyncListener {
                    override fun onStatus(status: SyncStatus) {
                        threads += Thread.currentThread().name
                        heard += status
                    }
                })

                assertIs<PassOutcome.Interrupted>(runBlocking { sync.syncOnce() }.outcome)

                assertTrue(heard.last().lastError!!.contains("maintenance"), heard.last().lastError)
                assertTrue(threads.last() != Thread.currentThread().name, threads.toString())
            }
        }
    }
}
