package io.cordon

import io.cordon.core.AssignmentStatus
import io.cordon.core.AttachmentKind
import io.cordon.core.CheckInKind
import io.cordon.core.IncidentPatch
import io.cordon.core.NewAmendment
import io.cordon.core.OperationKind
import io.cordon.core.Lane
import io.cordon.core.ReportIntegrity
import io.cordon.core.ReportState
import io.cordon.core.Severity
import io.cordon.core.WelfareStatus
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.time.Instant
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** An officer's shift through the Kotlin binding, offline: what an app does all day. */
class OfficerFlowTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `a new store has a device id and no officer until enrolment`() {
        openStore(dir).use { store ->
            val identity = store.deviceIdentity()
            assertEquals(36, identity.deviceId.length)
            assertNull(identity.officerId)
            assertTrue(identity.createdAt <= Instant.now())
        }
    }

    @Test
    fun `the device id survives closing and reopening the store`() {
        val first = openStore(dir).use { it.deviceIdentity().deviceId }
        val again = openStore(dir).use { it.deviceIdentity().deviceId }
        assertEquals(first, again)
    }

    @Test
    fun `an assignment reads back whole and an older version never replaces a newer one`() {
        openStore(dir).use { store ->
            assertTrue(store.upsertAssignment(assignment(serverVersion = 2)))
            assertFalse(store.upsertAssignment(assignment(serverVersion = 1).copy(title = "stale")))

            val held = store.assignment(ASSIGNMENT_ID)
            assertEquals(assignment(serverVersion = 2), held)
            assertEquals(SAMPLE_ASSIGNMENT.postOrders.version, held.postOrders.version)
            assertEquals(listOf(ASSIGNMENT_ID), store.assignments().map { it.id })
        }
    }

    @Test
    fun `every check-in kind is recorded and only duress and panic take the urgent lane`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val start = nowMillis().minus(Duration.ofMinutes(10))
            store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, occurredAt = start))
            store.recordCheckIn(checkIn(CheckInKind.WELFARE, occurredAt = start.plusSeconds(60)))
            store.recordCheckIn(checkIn(CheckInKind.CHECKPOINT, occurredAt = start.plusSeconds(120), tagId = CHECKPOINT_TAG))
            store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null, occurredAt = start.plusSeconds(180)))
            store.recordCheckIn(duress(note = "Behind the garage"))
            store.recordCheckIn(checkIn(CheckInKind.CLOCK_OFF))

            assertEquals(
                listOf(CheckInKind.CLOCK_ON, CheckInKind.WELFARE, CheckInKind.CHECKPOINT, CheckInKind.CLOCK_OFF),
                store.checkIns(ASSIGNMENT_ID).map { it.kind },
            )
            assertEquals(6, store.checkIns(null).size)
            val pending = store.outboxStatus().pending
            assertEquals(2L, pending.urgent)
            assertEquals(4L, pending.normal)
            assertEquals(
                setOf(CheckInKind.PANIC.name, CheckInKind.DURESS.name).map { it.lowercase() }.toSet(),
                store.queuedOperations().filter { it.lane == Lane.URGENT }
                    .map { Regex(""""kind":"(\w+)"""").find(it.payload)!!.groupValues[1] }.toSet(),
            )
        }
    }

    @Test
    fun `a duress alarm with unusable input is still recorded, with the repair noted`() {
        openStore(dir).use { store ->
            val recorded = store.recordCheckIn(
                checkIn(CheckInKind.DURESS, assignmentId = null, timeZone = "Mars/Olympus_Mons", note = "help"),
            )
            assertEquals("Etc/UTC", recorded.timeZone)
            assertTrue(recorded.note!!.startsWith("help") && "time zone" in recorded.note!!, recorded.note)
            assertEquals(1L, store.outboxStatus().pending.urgent)
        }
    }

    @Test
    fun `the welfare clock runs from off duty through on time and due to overdue`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment(intervalSecs = 1800, graceSecs = 300))
            assertEquals(WelfareStatus.OffDuty, store.welfareStatus(ASSIGNMENT_ID))

            val fortyMinutesAgo = nowMillis().minus(Duration.ofMinutes(40))
            store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, occurredAt = fortyMinutesAgo))
            val overdue = assertIs<WelfareStatus.Overdue>(store.welfareStatus(ASSIGNMENT_ID))
            assertEquals(fortyMinutesAgo.plus(Duration.ofMinutes(30)), overdue.dueAt)
            assertEquals(fortyMinutesAgo.plus(Duration.ofMinutes(35)), overdue.overdueAt)

            store.recordCheckIn(checkIn(CheckInKind.WELFARE, occurredAt = nowMillis().minus(Duration.ofMinutes(32))))
            assertIs<WelfareStatus.Due>(store.welfareStatus(ASSIGNMENT_ID))

            val now = nowMillis()
            store.recordCheckIn(checkIn(CheckInKind.WELFARE, occurredAt = now))
            assertEquals(
                WelfareStatus.OnTime(dueAt = now.plus(Duration.ofMinutes(30)), overdueAt = now.plus(Duration.ofMinutes(35))),
                store.welfareStatus(ASSIGNMENT_ID),
            )

            store.recordCheckIn(checkIn(CheckInKind.CLOCK_OFF, occurredAt = now.plusMillis(1)))
            assertEquals(WelfareStatus.OffDuty, store.welfareStatus(ASSIGNMENT_ID))
        }
    }

    @Test
    fun `a stood-down assignment puts the officer off duty whatever the last check-in`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, occurredAt = nowMillis().minus(Duration.ofHours(2))))
            store.upsertAssignment(assignment(serverVersion = 2, status = AssignmentStatus.STOOD_DOWN))
            assertEquals(WelfareStatus.OffDuty, store.welfareStatus(ASSIGNMENT_ID))
        }
    }

    @Test
    fun `an incident report goes from draft through submission to a verified amendment chain`() {
        openStore(dir).use { store ->
            val draft = store.createReport(incident(narrative = ""))
            assertEquals(ReportState.DRAFT, draft.state)
            assertEquals(ReportIntegrity.Draft, store.verifyReport(draft.id))

            val edited = store.updateReport(draft.id, incident())
            assertEquals(ReportState.DRAFT, edited.state)
            assertTrue(edited.content.narrative.startsWith("Grey van"))

            val submitted = store.submitReport(draft.id)
            assertEquals(ReportState.SUBMITTED, submitted.state)
            val sealed = assertNotNull(submitted.contentHash)
            assertEquals(64, sealed.length)
            assertNotNull(submitted.submittedAt)

            val amendment = store.amendReport(
                draft.id,
                NewAmendment(
                    author = "ALPHA-2",
                    reason = "Control room confirmed the van's plate is on a watch list",
                    patch = IncidentPatch(severity = Severity.HIGH, policeReference = "CAD 2231"),
                ),
            )
            val amended = store.report(draft.id)
            assertEquals(Severity.HIGH, amended.content.severity)
            assertEquals(amendment, amended.amendments.single())
            assertEquals(1, amendment.sequence)
            assertEquals(sealed, amendment.previousHash)
            assertEquals(listOf("severity", "police_reference"), amendment.changedFields)

            assertEquals(
                ReportIntegrity.Intact(headHash = amendment.hash, amendments = 1),
                store.verifyReport(draft.id),
            )
            assertEquals(listOf(draft.id), store.reportIds())
            assertEquals(amended, store.report(draft.id))
            assertEquals(emptyList(), store.reportReviews(draft.id))
            assertEquals(
                listOf(
                    OperationKind.REPORT_CREATE,
                    OperationKind.REPORT_UPDATE,
                    OperationKind.REPORT_SUBMIT,
                    OperationKind.REPORT_AMEND,
                ),
                store.queuedOperations().map { it.kind },
            )
        }
    }

    @Test
    fun `a list screen reads every report in one call, newest first`() {
        openStore(dir).use { store ->
            val first = store.createReport(incident(narrative = "first"))
            Thread.sleep(2) // a later millisecond: "newest first" is by creation time
            val second = store.createReport(incident(narrative = "second"))
            store.submitReport(first.id)

            val reports = store.reports()

            assertEquals(listOf(second.id, first.id), reports.map { it.id })
            assertEquals(store.report(first.id), reports[1])
        }
    }

    @Test
    fun `a file attached to a draft is copied in with its SHA-256 and its bytes queued in the bulk lane`() {
        openStore(dir).use { store ->
            val report = store.createReport(incident())
            val source = photo(dir)
            val bytes = Files.readAllBytes(source)

            val attachment = store.attachFile(report.id, source.toString(), AttachmentKind.PHOTO, "image/jpeg")

            assertEquals(sha256Hex(bytes), attachment.sha256)
            assertEquals(bytes.size.toLong(), attachment.sizeBytes)
            assertEquals("IMG_0412.jpg", attachment.fileName)
            Files.delete(source) // the app may drop its copy: the store has its own
            assertContentEquals(bytes, Files.readAllBytes(Path.of(store.attachmentPath(attachment.id))))
            assertEquals(listOf(attachment), store.report(report.id).attachments)
            assertEquals(1L, store.outboxStatus().pending.bulk)

            val submitted = store.submitReport(report.id)
            assertEquals(listOf(attachment), submitted.attachments)
        }
    }

    @Test
    fun `timestamps cross as java time Instant at the millisecond precision the core keeps`() {
        openStore(dir).use { store ->
            store.upsertAssignment(assignment())
            val anHourAgo = nowMillis().minus(Duration.ofHours(1))
            val before = Instant.now()

            val recorded = store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, occurredAt = anHourAgo.plusNanos(456_789)))

            assertEquals(anHourAgo, recorded.occurredAt)
            assertTrue(recorded.recordedAt >= before.minusMillis(1) && recorded.recordedAt <= Instant.now())
            assertEquals(recorded, store.checkIns(ASSIGNMENT_ID).single())
        }
    }
}
