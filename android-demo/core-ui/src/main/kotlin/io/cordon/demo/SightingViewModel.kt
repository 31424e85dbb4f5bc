package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.BoloEntry
import io.cordon.core.BoloMatch
import io.cordon.core.NewSighting
import io.cordon.core.Vehicle
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

/** What the officer types on the sighting screen (blank fields are left out). */
data class SightingForm(
    val place: String = "",
    val registration: String = "",
    val colour: String = "",
    val make: String = "",
    val model: String = "",
    val subject: String = "",
    val direction: String = "",
)

data class SightingState(
    /** The BOLO list as last pulled: "AB12CDE · high · Photographed the residence". */
    val bolo: List<String> = emptyList(),
    /** "BOLO MATCH: AB12CDE (high): Photographed the residence" the moment a match is written. */
    val alert: String? = null,
    /** "Sighting logged 21:14" once written (offline included). */
    val saved: String? = null,
    val message: String? = null,
)

/**
 * The sighting screen: logs what the officer saw (works offline) and shows at once, from
 * the core's answer, whether it matched the BOLO list the phone pulled. The match itself is
 * the core's (`recordSighting` sets `boloMatch` in the write's own transaction).
 */
class SightingViewModel(
    private val store: CordonStore,
    private val zone: String,
    private val text: TimeText,
    private val assignmentId: String? = null,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(SightingState())
    val state: StateFlow<SightingState> = _state.asStateFlow()

    /** Re-reads the BOLO list (after a sync pass). */
    suspend fun refresh() {
        attempt { withContext(io) { store.boloEntries() } }
            .onSuccess { list -> _state.update { it.copy(bolo = list.map(::line), message = null) } }
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    /** Logs the sighting; a bad field is the core's typed error, shown as a message. */
    suspend fun record(form: SightingForm) {
        fun given(s: String) = s.trim().ifEmpty { null }
        val vehicle = listOf(form.registration, form.colour, form.make, form.model).any { it.isNotBlank() }
        val new = NewSighting(
            assignmentId = assignmentId,
            timeZone = zone,
            place = form.place,
            direction = given(form.direction),
            subject = given(form.subject),
            vehicle = if (vehicle) {
                Vehicle(given(form.make), given(form.model), given(form.colour), given(form.registration))
            } else {
                null
            },
        )
        attempt { withContext(io) { store.recordSighting(new) } }
            .onSuccess { s ->
                _state.update {
                    it.copy(
                        alert = s.boloMatch?.let(::alertText),
                        saved = "Sighting logged ${text.clock(s.recordedAt)}",
                        message = null,
                    )
                }
            }
            .onFailure { e -> _state.update { it.copy(alert = null, saved = null, message = UserMessages.of(e)) } }
    }

    private fun line(e: BoloEntry) =
        listOfNotNull(e.registration ?: e.description, e.priority.name.lowercase(), e.reason).joinToString(" · ")

    private fun alertText(m: BoloMatch) = "BOLO MATCH: ${m.registration} (${m.priority.name.lowercase()}): ${m.reason}"
}
