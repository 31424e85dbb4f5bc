package io.cordon

import io.cordon.core.AttachmentKind
import io.cordon.core.CheckInKind
import io.cordon.core.CordonException
import io.cordon.core.HttpRequest
import io.cordon.core.HttpResponse
import io.cordon.core.InputRule
import io.cordon.core.IncidentPatch
import io.cordon.core.NewAmendment
import io.cordon.core.PassOutcome
import io.cordon.core.RequestKind
import io.cordon.core.TransportException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.RandomAccessFile
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

/**
 * Every kind of the core's error reaches Kotlin as its own CordonException subclass,
 * carrying the core's reason; and what the app's own transport throws ends a pass
 * instead of crashing it.
 */
class ErrorMappingTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `input breaking a rule is InvalidInput naming the field`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val e = assertFailsWith<CordonException.InvalidInput> {
                store.recordCheckIn(checkIn(CheckInKind.WELFARE, timeZone = "Mars/Olympus_Mons"))
            }
            assertEquals("timeZone", e.field)
            assertEquals(InputRule.UNKNOWN_TIME_ZONE, e.rule)
            assertTrue("Mars/Olympus_Mons" in e.reason, e.reason)
            assertEquals(0L, store.outboxStatus().pending.normal) // nothing half-written
        }
    }

    @Test
    fun `a checkpoint without its tag is InvalidInput for tagId`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val e = assertFailsWith<CordonException.InvalidInput> { store.recordCheckIn(checkIn(CheckInKind.CHECKPOINT)) }
            assertEquals("tagId", e.field)
            assertEquals(InputRule.REQUIRED, e.rule)
        }
    }

    @Test
    fun `an unknown record is NotFound naming what was looked for`() {
        openStore(dir).use { store ->
            val e = assertFailsWith<CordonException.NotFound> { store.welfareStatus("A-NOWHERE") }
            assertEquals("assignment", e.record)
            assertEquals("A-NOWHERE", e.id)
        }
    }

    @Test
    fun `editing a submitted report is ReportLocked`() {
        openStore(dir).use { store ->
            val report = store.submitReport(store.createReport(incident()).id)
            val e = assertFailsWith<CordonException.ReportLocked> { store.updateReport(report.id, incident("rewritten")) }
            assertEquals(report.id, e.reportId)
        }
    }

    @Test
    fun `amending a draft is ReportNotSubmitted`() {
        openStore(dir).use { store ->
            val draft = store.createReport(incident())
            val e = assertFailsWith<CordonException.ReportNotSubmitted> {
                store.amendReport(draft.id, NewAmendment("ALPHA-2", "typo", IncidentPatch(injuries = "none")))
            }
            assertEquals(draft.id, e.reportId)
        }
    }

    @Test
    fun `requeueing an operation that is not dead is InvalidOperationState`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val seq = store.queuedOperations().single().seq
            val e = assertFailsWith<CordonException.InvalidOperationState> { store.requeueDead(seq) }
            assertEquals(seq, e.seq)
            assertEquals("pending", e.state)
            assertEquals("dead", e.expected)
        }
    }

    @Test
    fun `a database from a newer version is IncompatibleVersion and is left as it was`() {
        val path = dir.resolve("cordon.db")
        openStore(dir).use { it.recordCheckIn(duress()) }
        RandomAccessFile(path.toFile(), "rw").use { f -> f.seek(60); f.writeInt(999) } // user_version
        val before = Files.readAllBytes(path)

        val e = assertFailsWith<CordonException.IncompatibleVersion> { openStore(dir) }

        assertEquals(999L, e.found)
        assertTrue(e.supported in 1L..998L)
        assertEquals(path.toString(), e.path)
        assertContentEquals(before, Files.readAllBytes(path))
    }

    @Test
    fun `a file that is not a database is Corrupt and is never deleted`() {
        val path = Files.writeString(dir.resolve("cordon.db"), "this was a shift log, not SQLite\n".repeat(200))
        val before = Files.readAllBytes(path)

        val e = assertFailsWith<CordonException.Corrupt> { openStore(dir) }

        assertEquals(path.toString(), e.path)
        assertContentEquals(before, Files.readAllBytes(path))
    }

    @Test
    fun `attaching a file that does not exist is Io naming the path`() {
        openStore(dir).use { store ->
            val report = store.createReport(incident())
            val missing = dir.resolve("gone.jpg").toString()
            val e = assertFailsWith<CordonException.Io> {
                store.attachFile(report.id, missing, AttachmentKind.PHOTO, "image/jpeg")
            }
            assertEquals(missing, e.path)
            assertEquals(0L, store.outboxStatus().pending.bulk)
        }
    }

    @Test
    fun `a store that cannot be created is Storage`() {
        val e = assertFailsWith<CordonException.Storage> {
            CordonStore.open(dir.resolve("no/such/dir/cordon.db").toString())
        }
        assertTrue("no/such/dir" in e.detail, e.detail)
    }

    @Test
    fun `an enrolment the network fails is Sync carrying the transport's reason`() {
        openStore(dir).use { store ->
            val offline = RecordingTransport { throw TransportException.Network("no route to host") }
            CordonSync(store, offline, defaultSyncConfig("https://sync.example.test")).use { sync ->
                val e = assertFailsWith<CordonException.Sync> { runBlocking { sync.enrol("K7QX-2M9P") } }
                assertTrue("no route to host" in e.detail, e.detail)
                assertEquals(listOf(RequestKind.ENROL), offline.kinds())
            }
        }
    }

    @Test
    fun `errors are ordinary exceptions an app can catch as CordonException`() {
        openStore(dir).use { store ->
            val e: Exception = assertFailsWith<CordonException> { store.report("R-NOWHERE") }
            assertIs<CordonException.NotFound>(e)
            assertTrue("R-NOWHERE" in e.message!!, e.message)
        }
    }

    @Test
    fun `a TransportException from the app's transport interrupts the pass with its detail`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val down = RecordingTransport { throw TransportException.Network("connection reset by peer") }
            CordonSync(store, down, defaultSyncConfig("https://sync.example.test")).use { sync ->
                sync.setToken("token-1")
                val outcome = runBlocking { sync.syncOnce() }.outcome
                val interrupted = assertIs<PassOutcome.Interrupted>(outcome)
                assertTrue("connection reset by peer" in interrupted.error, interrupted.error)
                assertEquals(1L, store.outboxStatus().pending.urgent) // kept, to retry
            }
        }
    }

    @Test
    fun `any other exception thrown by the app's transport also ends the pass without crashing`() {
        openStore(dir).use { store ->
            store.recordCheckIn(duress())
            val buggy = object : io.cordon.core.Transport {
                override fun send(request: HttpRequest): HttpResponse = throw IllegalStateException("bug in the app")
            }
            CordonSync(store, buggy, defaultSyncConfig("https://sync.example.test")).use { sync ->
                sync.setToken("token-1")
                val interrupted = assertIs<PassOutcome.Interrupted>(runBlocking { sync.syncOnce() }.outcome)
                assertTrue("bug in the app" in interrupted.error, interrupted.error)
                assertEquals(1L, store.outboxStatus().pending.urgent)
            }
        }
    }
}
