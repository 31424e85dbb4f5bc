package io.cordon

import io.cordon.core.CheckInKind
import io.cordon.core.CordonException
import io.cordon.core.IncidentPatch
import io.cordon.core.InputRule
import io.cordon.core.Location
import io.cordon.core.NewAmendment
import io.cordon.core.NewCheckIn
import io.cordon.core.PassOutcome
import io.cordon.core.ReportIntegrity
import io.cordon.core.Severity
import io.cordon.core.WelfareStatus
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * Whatever value a Kotlin app can hold reaches the core: an alarm is always stored
 * (repaired), any other call answers a typed CordonException. Nothing throws a foreign
 * exception from the generated code, and nothing crashes.
 */
class HostValuesTest {
    @TempDir
    lateinit var dir: Path

    /** An emoji cut in half by `take(n)`: a lone high surrogate at the end. */
    private val halfAnEmoji = "help \uD83D\uDE00".take(6)

    @Test
    fun `a panic whose note holds half an emoji is stored with a replacement character`() {
        openStore(dir).use { store ->
            val stored = store.recordCheckIn(NewCheckIn(kind = CheckInKind.PANIC, note = halfAnEmoji))

            assertEquals("help \uFFFD", stored.note)
            assertEquals(1L, store.outboxStatus().pending.urgent)
        }
    }

    @Test
    fun `a welfare note holding half an emoji is refused as malformed text on its field`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val e = assertFailsWith<CordonException.InvalidInput> {
                store.recordCheckIn(checkIn(CheckInKind.WELFARE, note = halfAnEmoji))
            }
            assertEquals("note" to InputRule.MALFORMED_TEXT, e.field to e.rule)
            assertEquals(0L, store.outboxStatus().pending.normal)
        }
    }

    @Test
    fun `a lone surrogate in an id or a zone is a typed error, not a charset exception`() {
        openStore(dir).use { store ->
            assertFailsWith<CordonException.NotFound> { store.report("R-\uDC00") }
            store.upsertAssignment(assignment())
            val e = assertFailsWith<CordonException.InvalidInput> {
                store.recordCheckIn(checkIn(CheckInKind.WELFARE, timeZone = "Europe/\uD800"))
            }
            assertEquals("timeZone", e.field)
        }
    }

    @Test
    fun `a duress at an instant beyond any calendar is stored at the device clock`() {
        openStore(dir).use { store ->
            for (time in listOf(Instant.MAX, Instant.MIN)) {
                val before = Instant.now()
                val stored = store.recordCheckIn(
                    NewCheckIn(
                        kind = CheckInKind.DURESS,
                        occurredAt = time,
                        location = Location(latitude = 51.5, longitude = -0.12, fixTime = time),
                    ),
                )
                assertFalse(stored.occurredAt.isBefore(before.minusMillis(1)), "${stored.occurredAt}")
                assertFalse(stored.occurredAt.isAfter(Instant.now()), "${stored.occurredAt}")
                assertEquals(51.5, stored.location?.latitude)
                assertNull(stored.location?.fixTime)
            }
            assertEquals(2L, store.outboxStatus().pending.urgent)
        }
    }

    @Test
    fun `a welfare check-in at an instant beyond any calendar is refused as not a time`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val e = assertFailsWith<CordonException.InvalidInput> {
                store.recordCheckIn(checkIn(CheckInKind.WELFARE, occurredAt = Instant.MAX))
            }
            assertEquals("occurredAt" to InputRule.NOT_A_TIME, e.field to e.rule)
            val fix = assertFailsWith<CordonException.InvalidInput> {
                store.recordCheckIn(
                    checkIn(CheckInKind.WELFARE, location = Location(51.5, -0.12, fixTime = Instant.MIN)),
                )
            }
            assertEquals("location.fixTime" to InputRule.NOT_A_TIME, fix.field to fix.rule)
        }
    }

    @Test
    fun `a duress check-in is one argument, and an amendment names only what it changes`() {
        openStore(dir).use { store ->
            val alarm = store.recordCheckIn(NewCheckIn(kind = CheckInKind.DURESS))
            assertEquals("Etc/UTC", alarm.timeZone)

            val draft = store.createReport(incident())
            store.submitReport(draft.id)
            val amendment = store.amendReport(
                draft.id,
                NewAmendment(author = OFFICER_ID, reason = "severity agreed", patch = IncidentPatch(severity = Severity.HIGH)),
            )
            assertEquals(listOf("severity"), amendment.changedFields)
            assertEquals(Severity.HIGH, store.report(draft.id).content.severity)
        }
    }

    @Test
    fun `errors read as one line an app can show, with no stack trace`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val e = assertFailsWith<CordonException.InvalidInput> {
                store.recordCheckIn(checkIn(CheckInKind.WELFARE, timeZone = "Mars/Olympus_Mons"))
            }
            assertEquals("""invalid timeZone: "Mars/Olympus_Mons" is not an IANA time zone""", e.toString())
            assertFalse('\n' in e.toString())
        }
    }

    @Test
    fun `cases without data print their name`() {
        assertEquals("Completed", PassOutcome.Completed.toString())
        assertEquals("AlreadyRunning", PassOutcome.AlreadyRunning.toString())
        assertEquals("OffDuty", WelfareStatus.OffDuty.toString())
        assertEquals("Draft", ReportIntegrity.Draft.toString())
        assertEquals("Interrupted { error: \"offline\" }", PassOutcome.Interrupted("offline").toString())
    }

    @Test
    fun `a configuration the engine cannot use is refused when the engine is made`() {
        openStore(dir).use { store ->
            val base = defaultSyncConfig("https://sync.example.test")
            val cases = listOf(
                base.copy(chunkBytes = 0) to ("chunkBytes" to InputRule.OUT_OF_RANGE),
                base.copy(serverUrl = "") to ("serverUrl" to InputRule.BLANK),
                base.copy(serverUrl = "sync.example.test") to ("serverUrl" to InputRule.BAD_FORMAT),
                base.copy(requestTimeoutMs = 0) to ("requestTimeoutMs" to InputRule.OUT_OF_RANGE),
            )
            for ((config, expected) in cases) {
                val e = assertFailsWith<CordonException.InvalidInput> {
                    CordonSync(store, RecordingTransport { emptyPull() }, config)
                }
                assertEquals(expected, e.field to e.rule)
            }
        }
    }

    @Test
    fun `an attachment path never leads outside the store`() {
        openStore(dir).use { store ->
            val e = assertFailsWith<CordonException.NotFound> { store.attachmentPath("../../../etc/passwd") }
            assertEquals("attachment", e.record)
            val draft = store.createReport(incident())
            val a = store.attachFile(draft.id, photo(dir).toString(), io.cordon.core.AttachmentKind.PHOTO, "image/jpeg")
            assertTrue(store.attachmentPath(a.id).startsWith(store.path() + ".attachments"), store.attachmentPath(a.id))
        }
    }

    @Test
    fun `a report and a check-in naming an assignment not on the device follow one rule`() {
        openStore(dir).use { store ->
            val report = assertFailsWith<CordonException.InvalidInput> {
                store.createReport(incident(assignmentId = "A-NOWHERE"))
            }
            val checkIn = assertFailsWith<CordonException.InvalidInput> {
                store.recordCheckIn(checkIn(CheckInKind.WELFARE, assignmentId = "A-NOWHERE"))
            }
            for (e in listOf(report, checkIn)) {
                assertEquals("assignmentId" to InputRule.UNKNOWN_RECORD, e.field to e.rule)
            }
        }
    }
}
