package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.AttachmentKind
import io.cordon.core.CordonException
import io.cordon.core.IncidentCategory
import io.cordon.core.IncidentContent
import io.cordon.core.IncidentPatch
import io.cordon.core.IncidentReport
import io.cordon.core.NewAmendment
import io.cordon.core.PersonInvolved
import io.cordon.core.ReportIntegrity
import io.cordon.core.ReportReview
import io.cordon.core.ReportState
import io.cordon.core.Severity
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import java.time.Clock
import java.time.Instant

/**
 * The incident form as the officer fills it in: plain text fields, empty meaning "not
 * given". Keys of [IncidentScreenState.fieldErrors] are the core's field names (`discoveredAt`).
 */
data class IncidentForm(
    val assignmentId: String? = null,
    val category: IncidentCategory = IncidentCategory.SUSPICIOUS_ACTIVITY,
    val severity: Severity = Severity.MEDIUM,
    val occurredAt: Instant,
    val discoveredAt: Instant,
    val narrative: String = "",
    val persons: List<PersonInvolved> = emptyList(),
    val policeReference: String = "",
    val controlRoomReference: String = "",
    val actionsTaken: String = "",
    val injuries: String = "",
) {
    /** The content the core checks and stores (an empty optional field is absent). */
    fun content(timeZone: String) = IncidentContent(
        assignmentId = assignmentId,
        category = category,
        severity = severity,
        occurredAt = occurredAt,
        discoveredAt = discoveredAt,
        timeZone = timeZone,
        location = null,
        narrative = narrative,
        persons = persons,
        policeReference = policeReference.orNull(),
        controlRoomReference = controlRoomReference.orNull(),
        actionsTaken = actionsTaken.orNull(),
        injuries = injuries.orNull(),
    )

    /**
     * The form as an amendment of the report as it read ([before]): the fields the officer
     * edited, null for the rest. The core decides what that changes (and refuses a patch
     * that changes nothing). The iOS app needs this to keep untouched dates out of the
     * patch; the same rule here keeps the two apps' amendments alike.
     */
    fun patch(before: IncidentForm): IncidentPatch {
        val edited = fieldsDifferentFrom(before)
        fun <T> ifEdited(field: String, value: T): T? = if (field in edited) value else null
        return IncidentPatch(
            category = ifEdited("category", category),
            severity = ifEdited("severity", severity),
            occurredAt = ifEdited("occurredAt", occurredAt),
            discoveredAt = ifEdited("discoveredAt", discoveredAt),
            location = null,
            narrative = ifEdited("narrative", narrative),
            persons = ifEdited("persons", persons),
            policeReference = ifEdited("policeReference", policeReference.orNull()),
            controlRoomReference = ifEdited("controlRoomReference", controlRoomReference.orNull()),
            actionsTaken = ifEdited("actionsTaken", actionsTaken.orNull()),
            injuries = ifEdited("injuries", injuries.orNull()),
        )
    }

    /** The core's names of the fields that differ between this form and [other]. */
    internal fun fieldsDifferentFrom(other: IncidentForm): Set<String> = buildSet {
        if (category != other.category) add("category")
        if (severity != other.severity) add("severity")
        if (occurredAt != other.occurredAt) add("occurredAt")
        if (discoveredAt != other.discoveredAt) add("discoveredAt")
        if (narrative != other.narrative) add("narrative")
        if (persons != other.persons) add("persons")
        if (policeReference != other.policeReference) add("policeReference")
        if (controlRoomReference != other.controlRoomReference) add("controlRoomReference")
        if (actionsTaken != other.actionsTaken) add("actionsTaken")
        if (injuries != other.injuries) add("injuries")
    }

    companion object {
        fun blank(now: Instant, assignmentId: String? = null) =
            IncidentForm(assignmentId = assignmentId, occurredAt = now, discoveredAt = now)

        fun of(content: IncidentContent) = IncidentForm(
            assignmentId = content.assignmentId,
            category = content.category,
            severity = content.severity,
            occurredAt = content.occurredAt,
            discoveredAt = content.discoveredAt,
            narrative = content.narrative,
            persons = content.persons,
            policeReference = content.policeReference.orEmpty(),
            controlRoomReference = content.controlRoomReference.orEmpty(),
            actionsTaken = content.actionsTaken.orEmpty(),
            injuries = content.injuries.orEmpty(),
        )
    }
}

private fun String.orNull(): String? = ifBlank { null }

enum class ReportStage { NEW, DRAFT, SUBMITTED }

data class IncidentScreenState(
    val form: IncidentForm,
    /** The form as the report last read from the store: what an amendment is measured against. */
    val stored: IncidentForm? = null,
    val reportId: String? = null,
    val stage: ReportStage = ReportStage.NEW,
    /** "IMG_0412.jpg · photo · 48 KB" */
    val attachments: List<String> = emptyList(),
    /** "#1 OFC-7, 19:42: plate confirmed (severity, police reference)" */
    val amendments: List<String> = emptyList(),
    /** The office's review outcomes, oldest first. */
    val reviews: List<String> = emptyList(),
    /** "Hash chain intact (1 amendment)" or where it broke; null for a draft. */
    val integrity: String? = null,
    val amendmentReason: String = "",
    val fieldErrors: Map<String, String> = emptyMap(),
    val message: String? = null,
) {
    val editable: Boolean get() = stage != ReportStage.SUBMITTED
    val amendable: Boolean get() = stage == ReportStage.SUBMITTED
}

/**
 * One incident report from first draft to amendments: edit the form, save the draft,
 * attach a photo, submit (which locks it), then amend with a reason. Every check is the
 * core's; an error naming a field shows beside that field, any other as a message.
 */
class IncidentFormViewModel(
    private val store: CordonStore,
    private val clock: Clock,
    private val text: TimeText,
    private val zoneId: String,
    assignmentId: String? = null,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(IncidentScreenState(IncidentForm.blank(clock.instant(), assignmentId)))
    val state: StateFlow<IncidentScreenState> = _state.asStateFlow()

    /** Changes the form locally (nothing is stored until [saveDraft]); clears the errors of changed fields. */
    fun edit(change: (IncidentForm) -> IncidentForm) = _state.update { s ->
        val form = change(s.form)
        val changed = form.fieldsDifferentFrom(s.form)
        s.copy(form = form, fieldErrors = s.fieldErrors - changed)
    }

    fun editAmendmentReason(reason: String) = _state.update { it.copy(amendmentReason = reason, fieldErrors = it.fieldErrors - "reason") }

    /** Opens a stored report. */
    suspend fun open(reportId: String) = act { withContext(io) { store.report(reportId) } }

    /** Stores the form as a draft (creating the report the first time). */
    suspend fun saveDraft(): Boolean = act { withContext(io) { save() } }

    /** Copies the file at [path] into the report (saving the draft first if it is new). */
    suspend fun attach(path: String, kind: AttachmentKind, mimeType: String): Boolean = act {
        withContext(io) {
            val report = save()
            store.attachFile(report.id, path, kind, mimeType)
            store.report(report.id)
        }
    }

    /** Saves the form, then submits it: the core checks it is complete, seals and locks it. */
    suspend fun submit(): Boolean = act {
        withContext(io) { store.submitReport(save().id) }
    }

    /** Appends the form's changes to a submitted report as an amendment with the given reason. */
    suspend fun amend(): Boolean = act {
        val s = _state.value
        withContext(io) {
            val identity = store.deviceIdentity()
            val author = identity.officerId ?: "device ${identity.deviceId}"
            val id = s.reportId ?: throw CordonException.ReportNotSubmitted("new")
            store.amendReport(
                id,
                NewAmendment(author = author, reason = s.amendmentReason, patch = s.form.patch(s.stored ?: s.form)),
            )
            store.report(id)
        }
    }

    fun dismissMessage() = _state.update { it.copy(message = null) }

    /** Creates or updates the draft from the form. Blocking: call on [io]. */
    private fun save(): IncidentReport {
        val s = _state.value
        val content = s.form.content(zoneId)
        return when (val id = s.reportId) {
            null -> store.createReport(content)
            else -> store.updateReport(id, content)
        }.also { report -> _state.update { it.copy(reportId = report.id, stage = ReportStage.DRAFT) } }
    }

    /** Runs [call], shows the report it returns, or puts its error beside a field or in the message. */
    private suspend fun act(call: suspend () -> IncidentReport): Boolean {
        val result = attempt { call() }
        result.onSuccess { report ->
            val (reviews, integrity) = withContext(io) {
                val integrity = if (report.state == ReportState.SUBMITTED) store.verifyReport(report.id) else null
                store.reportReviews(report.id) to integrity
            }
            _state.update { show(it, report, reviews, integrity) }
        }.onFailure { e ->
            val field = UserMessages.formField(e)
            val message = UserMessages.of(e)
            _state.update {
                if (field != null) it.copy(fieldErrors = it.fieldErrors + (field to message), message = null)
                else it.copy(message = message)
            }
        }
        return result.isSuccess
    }

    private fun show(s: IncidentScreenState, report: IncidentReport, reviews: List<ReportReview>, integrity: ReportIntegrity?) =
        s.copy(
            form = IncidentForm.of(report.content),
            stored = IncidentForm.of(report.content),
            reportId = report.id,
            stage = if (report.state == ReportState.SUBMITTED) ReportStage.SUBMITTED else ReportStage.DRAFT,
            attachments = report.attachments.map { "${it.fileName} · ${it.kind.label().lowercase()} · ${size(it.sizeBytes)}" },
            amendments = report.amendments.map { a ->
                "#${a.sequence} ${a.author}, ${text.dayAndClock(a.createdAt)}: ${a.reason} " +
                    "(${a.changedFields.joinToString(", ") { f -> FieldLabels.of(f).lowercase() }})"
            },
            reviews = reviews.map { r -> "${r.outcome.label()} by ${r.reviewer}" + (r.note?.let { ": $it" } ?: "") },
            integrity = when (integrity) {
                null, ReportIntegrity.Draft -> null
                is ReportIntegrity.Intact -> "Hash chain intact (${integrity.amendments} amendment${if (integrity.amendments == 1) "" else "s"})"
                is ReportIntegrity.Broken -> "Hash chain BROKEN at link ${integrity.link}: ${integrity.reason}"
            },
            amendmentReason = if (report.amendments.size > s.amendments.size) "" else s.amendmentReason,
            fieldErrors = emptyMap(),
            message = null,
        )

    private fun size(bytes: Long): String = when {
        bytes >= 1024L * 1024L -> "%.1f MB".format(bytes.toDouble() / (1024 * 1024))
        bytes >= 1024L -> "${bytes / 1024L} KB"
        else -> "$bytes B"
    }
}
