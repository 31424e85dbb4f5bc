package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.Assignment
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

data class AssignmentRow(
    val id: String,
    val title: String,
    /** "OP-HALCYON-03 · Static post · Active" */
    val subtitle: String,
    val window: String,
    val threat: String,
)

data class AssignmentDetails(
    val row: AssignmentRow,
    val principal: String?,
    val role: String,
    val sites: List<String>,
    val team: List<String>,
    /** "Post orders v3, issued Fri 27 Nov 18:00" */
    val postOrdersHeading: String,
    val postOrders: String,
    /** "Check in every 30 min (5 min grace)" */
    val checkInPolicy: String,
)

data class AssignmentsScreenState(
    val assignments: List<AssignmentRow> = emptyList(),
    val selected: AssignmentDetails? = null,
    val message: String? = null,
)

/**
 * The assignments the office sent (read-only on the device: they arrive by sync) and the
 * details of one, post orders included.
 */
class AssignmentsViewModel(
    private val store: CordonStore,
    private val text: TimeText,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(AssignmentsScreenState())
    val state: StateFlow<AssignmentsScreenState> = _state.asStateFlow()

    /** Re-reads the list (after a sync pass that received assignments), keeping the selection fresh. */
    suspend fun refresh() {
        attempt { withContext(io) { store.assignments() } }
            .onSuccess { all ->
                val selectedId = _state.value.selected?.row?.id
                _state.update { s ->
                    s.copy(
                        assignments = all.map(::row),
                        selected = all.firstOrNull { it.id == selectedId }?.let(::details),
                        message = null,
                    )
                }
            }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    suspend fun select(id: String) {
        attempt { withContext(io) { store.assignment(id) } }
            .onSuccess { a -> _state.update { it.copy(selected = details(a), message = null) } }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    fun closeDetails() = _state.update { it.copy(selected = null) }

    private fun row(a: Assignment) = AssignmentRow(
        id = a.id,
        title = a.title,
        subtitle = listOf(a.reference, a.kind.label(), a.status.label()).joinToString(" · "),
        window = text.window(a.startsAt, a.endsAt),
        threat = "Threat level: ${a.threatLevel.label().lowercase()}",
    )

    private fun details(a: Assignment) = AssignmentDetails(
        row = row(a),
        principal = a.principalCodename?.let { "Principal: $it" },
        role = "Your role: ${a.role.label().lowercase()}",
        sites = a.sites.map { "${it.name}, ${it.address} (${it.timeZone})" },
        team = a.team.map { "${it.callSign} · ${it.role.label().lowercase()}" },
        postOrdersHeading = "Post orders v${a.postOrders.version}, issued ${text.dayAndClock(a.postOrders.issuedAt)}",
        postOrders = a.postOrders.text,
        checkInPolicy = "Check in every ${TimeText.interval(a.checkInPolicy.intervalSecs.toLong())} " +
            "(${TimeText.interval(a.checkInPolicy.graceSecs.toLong())} grace)",
    )
}
