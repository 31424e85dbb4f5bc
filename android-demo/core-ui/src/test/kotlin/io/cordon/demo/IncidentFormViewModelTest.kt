package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.NARRATIVE
import io.cordon.core.AttachmentKind
import io.cordon.core.OperationKind
import io.cordon.core.PersonInvolved
import io.cordon.core.PersonRole
import io.cordon.core.ReportState
import io.cordon.core.Severity
import io.cordon.nowMillis
import io.cordon.openStore
import io.cordon.photo
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The incident form over a real store: every rule is the core's, shown beside its field. */
class IncidentFormViewModelTest {
    @TempDir
    lateinit var dir: Path
    private lateinit var store: CordonStore
    private val clock = TestClock(nowMillis().minus(Duration.ofMinutes(10)))

    @BeforeEach
    fun open() {
        store = openStore(dir)
    }

    @AfterEach
    fun close() = store.close()

    private fun form() = IncidentFormViewModel(store, clock, TimeText(LONDON), LONDON.id)

    private val narrative = NARRATIVE

    @Test
    fun `a draft may be saved without a narrative but not submitted without one`() = runBlocking {
        val vm = form()
        assertTrue(vm.saveDraft())
        assertEquals(ReportStage.DRAFT, vm.state.value.stage)

        assertFalse(vm.submit())

        assertEquals(mapOf("narrative" to "Narrative must not be blank."), vm.state.value.fieldErrors)
        assertEquals(ReportState.DRAFT, store.report(vm.state.value.reportId!!).state)
    }

    @Test
    fun `a new form that fails submission stays one draft when submitted again`() = runBlocking {
        val vm = form()
        assertFalse(vm.submit())
        vm.edit { it.copy(narrative = narrative) }

        assertTrue(vm.submit())

        assertEquals(1, store.reportIds().size)
        assertEquals(ReportStage.SUBMITTED, vm.state.value.stage)
    }

    @Test
    fun `editing a field clears its error and leaves the others`() = runBlocking {
        val vm = form()
        vm.edit { it.copy(discoveredAt = it.occurredAt.minusSeconds(60)) }
        vm.saveDraft()
        assertEquals(
            "Time discovered cannot be before time of the incident.",
            vm.state.value.fieldErrors["discoveredAt"],
        )
        assertNull(vm.state.value.reportId) // nothing stored

        vm.edit { it.copy(narrative = "changed") }
        assertNotNull(vm.state.value.fieldErrors["discoveredAt"])
        vm.edit { it.copy(discoveredAt = it.occurredAt) }
        assertEquals(emptyMap(), vm.state.value.fieldErrors)
    }

    @Test
    fun `a blank person description is shown beside the persons field`() = runBlocking {
        val vm = form()
        vm.edit { it.copy(narrative = narrative, persons = listOf(PersonInvolved(PersonRole.WITNESS, ""))) }
        vm.saveDraft()
        assertEquals("Description of person 1 must not be blank.", vm.state.value.fieldErrors["persons"])
    }

    @Test
    fun `a photo attached to a new form saves the draft first and queues the bytes in the bulk lane`() = runBlocking {
        val vm = form()
        vm.edit { it.copy(narrative = narrative) }

        assertTrue(vm.attach(photo(dir, size = 2048).toString(), AttachmentKind.PHOTO, "image/jpeg"))

        assertEquals(listOf("IMG_0412.jpg · photo · 2 KB"), vm.state.value.attachments)
        assertEquals(1L, store.outboxStatus().pending.bulk)
        assertEquals(ReportStage.DRAFT, vm.state.value.stage)
    }

    @Test
    fun `a photo with a document's type is refused beside the file type`() = runBlocking {
        val vm = form()
        assertFalse(vm.attach(photo(dir).toString(), AttachmentKind.PHOTO, "application/pdf"))
        assertEquals("File type is not allowed here.", vm.state.value.fieldErrors["mimeType"])
    }

    @Test
    fun `submission locks the report, and an edit after it says to amend instead`() = runBlocking {
        val vm = form()
        vm.edit { it.copy(narrative = narrative, controlRoomReference = "CR-0412") }
        assertTrue(vm.submit())
        val submitted = vm.state.value
        assertEquals(ReportStage.SUBMITTED, submitted.stage)
        assertFalse(submitted.editable)
        assertEquals("Hash chain intact (0 amendments)", submitted.integrity)

        vm.edit { it.copy(narrative = "rewritten") }
        assertFalse(vm.saveDraft())

        assertEquals("This report has been submitted and is locked. Add an amendment instead.", vm.state.value.message)
        assertEquals(narrative, store.report(submitted.reportId!!).content.narrative)
    }

    @Test
    fun `an amendment needs a reason and a change, then joins the hash chain`() = runBlocking {
        val vm = form()
        vm.edit { it.copy(narrative = narrative) }
        vm.submit()

        assertFalse(vm.amend())
        assertEquals("Reason for the amendment must not be blank.", vm.state.value.fieldErrors["reason"])

        vm.editAmendmentReason("Control room confirmed the plate")
        assertFalse(vm.amend())
        assertEquals("The amendment changes nothing in the report.", vm.state.value.fieldErrors["patch"])

        vm.edit { it.copy(severity = Severity.HIGH, policeReference = "CAD 2231") }
        assertTrue(vm.amend())

        val amended = vm.state.value
        assertEquals(1, amended.amendments.size)
        assertTrue(amended.amendments.single().endsWith("Control room confirmed the plate (severity, police reference)"), amended.amendments.single())
        assertEquals("Hash chain intact (1 amendment)", amended.integrity)
        assertEquals("", amended.amendmentReason)
        assertEquals(Severity.HIGH, store.report(amended.reportId!!).content.severity)
        assertEquals(
            listOf(OperationKind.REPORT_CREATE, OperationKind.REPORT_SUBMIT, OperationKind.REPORT_AMEND),
            store.queuedOperations().map { it.kind },
        )
    }

    @Test
    fun `amending a draft is refused by the core`() = runBlocking {
        val vm = form()
        vm.edit { it.copy(narrative = narrative) }
        vm.saveDraft()
        vm.editAmendmentReason("typo")
        assertFalse(vm.amend())
        assertEquals("This report is still a draft. Edit it, or submit it before amending.", vm.state.value.message)
    }

    @Test
    fun `a stored report opens with its content and attachments`() = runBlocking {
        val first = form()
        first.edit { it.copy(narrative = narrative, injuries = "none") }
        first.attach(photo(dir).toString(), AttachmentKind.PHOTO, "image/jpeg")

        val again = form()
        again.open(first.state.value.reportId!!)

        assertEquals(narrative, again.state.value.form.narrative)
        assertEquals("none", again.state.value.form.injuries)
        assertEquals(1, again.state.value.attachments.size)
    }
}
