package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.DutyState
import io.cordon.core.Handover
import io.cordon.core.NewHandover
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

/** One handover note as the screen lists it. Every text is shown as text. */
data class HandoverLine(
    val id: String,
    /** "From OFC-7, Fri 27 Nov 23:10" (to me) or "To OFC-8, Fri 27 Nov 23:10" (mine). */
    val heading: String,
    val principalState: String,
    val openIssues: String?,
    val equipmentAndKeys: String?,
    val watchFor: String?,
    /** "Acknowledged Fri 27 Nov 23:40", or "Not acknowledged yet". */
    val status: String,
)

data class HandoverState(
    /** Notes to me that I have not acknowledged: each needs "Acknowledge". */
    val toAcknowledge: List<HandoverLine> = emptyList(),
    /** Every note, mine and to me, newest first. */
    val all: List<HandoverLine> = emptyList(),
    /** "Called in by op.jones at 22:05: come in now" while a call-in is in force. */
    val duty: String? = null,
    /** A call-in the officer has not seen yet (its shift id): show it until [HandoverViewModel.sawCallIn]. */
    val unseenCallIn: String? = null,
    val message: String? = null,
    /** The form field the message is about (lowerCamelCase), to mark it. */
    val field: String? = null,
)

/**
 * The handover screen, and the duty line above it: the outgoing officer writes a note
 * (offline; the office sends it to the incoming officer's phone), the incoming officer
 * acknowledges the notes addressed to them (offline too), and both see where each note
 * stands after a sync. The core decides everything (`writeHandover`,
 * `acknowledgeHandover`, `myDuty`, `unseenCallIns`); refresh after each sync pass.
 */
class HandoverViewModel(
    private val store: CordonStore,
    private val text: TimeText,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(HandoverState())
    val state: StateFlow<HandoverState> = _state.asStateFlow()

    /** Re-reads the notes and the officer's duty (after a sync pass). */
    suspend fun refresh() {
        attempt {
            withContext(io) { Triple(store.handovers(), store.myDuty(), store.unseenCallIns()) }
        }.onSuccess { (notes, duty, unseen) ->
            val me = withContext(io) { store.deviceIdentity().officerId }
            val lines = notes.map { line(it, me) }
            val shift = duty.shift
            _state.update {
                it.copy(
                    all = lines,
                    toAcknowledge = notes.filter { n -> n.note.toOfficerId == me && n.acknowledgedAt == null }.map { n -> line(n, me) },
                    duty = when {
                        duty.state == DutyState.CALLED_IN && shift?.calledInAt != null ->
                            "Called in by ${shift.calledInBy} at ${text.clock(shift.calledInAt!!)}: come in now"
                        duty.state == DutyState.ON_DUTY && shift != null -> "On duty until ${text.clock(shift.endsAt)}"
                        duty.state == DutyState.ON_CALL && shift != null -> "On call until ${text.clock(shift.endsAt)}"
                        else -> "Off duty"
                    },
                    unseenCallIn = unseen.firstOrNull()?.shiftId,
                    message = null,
                    field = null,
                )
            }
        }.onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    /** The outgoing officer writes a note to [to]; a bad field is named in the message. */
    suspend fun write(
        assignmentId: String,
        to: String,
        principalState: String,
        openIssues: String? = null,
        equipmentAndKeys: String? = null,
        watchFor: String? = null,
    ): Boolean {
        val note = NewHandover(
            assignmentId, to, principalState,
            openIssues?.takeIf { it.isNotBlank() }, equipmentAndKeys?.takeIf { it.isNotBlank() }, watchFor?.takeIf { it.isNotBlank() },
        )
        return attempt { withContext(io) { store.writeHandover(note) } }
            .onSuccess { refresh() }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e), field = UserMessages.formField(e)) } }
            .isSuccess
    }

    /** The incoming officer acknowledges note [id]. */
    suspend fun acknowledge(id: String) {
        attempt { withContext(io) { store.acknowledgeHandover(id) } }
            .onSuccess { refresh() }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    /** The officer saw the call-in on the screen. */
    suspend fun sawCallIn() {
        val shift = _state.value.unseenCallIn ?: return
        attempt { withContext(io) { store.markCallInSeen(shift) } }
            .onSuccess { refresh() }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    private fun line(h: Handover, me: String?): HandoverLine = HandoverLine(
        id = h.id,
        heading = if (h.fromOfficerId == me) "To ${h.note.toOfficerId}, ${text.dayAndClock(h.writtenAt)}"
        else "From ${h.fromOfficerId}, ${text.dayAndClock(h.writtenAt)}",
        principalState = h.note.principalState,
        openIssues = h.note.openIssues,
        equipmentAndKeys = h.note.equipmentAndKeys,
        watchFor = h.note.watchFor,
        status = h.acknowledgedAt?.let { "Acknowledged ${text.dayAndClock(it)}" } ?: "Not acknowledged yet",
    )
}
