package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.LegStatus
import io.cordon.core.MovementEventKind
import io.cordon.core.MovementLegState
import io.cordon.core.NewMovementEvent
import io.cordon.core.NewMovementLeg
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import java.time.Instant
import java.time.LocalDate

/** One leg as the movements screen lists it. */
data class LegRow(
    val legId: String,
    /** "Residence → Embassy". */
    val path: String,
    val status: LegStatus,
    /** "Under way · ETA 20:15", "Delayed · ETA 20:40", "OVERDUE · ETA 20:15 passed", "Arrived 20:38". */
    val line: String,
)

data class MovementState(
    val legs: List<LegRow> = emptyList(),
    /** How many legs are overdue now (the phone's clock, offline). */
    val overdue: Int = 0,
    /** The day's movement log, one line per leg plan or event, in time order. */
    val log: List<String> = emptyList(),
    val message: String? = null,
)

/**
 * The movements screen of an assignment: plan a leg, depart, delay with a new ETA, arrive;
 * every action is one local write that syncs later. The core decides where each leg
 * stands (`movementLegs`), overdue included, from the phone's own clock.
 */
class MovementViewModel(
    private val store: CordonStore,
    private val assignmentId: String,
    private val text: TimeText,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(MovementState())
    val state: StateFlow<MovementState> = _state.asStateFlow()
    private var day: LocalDate? = null

    /** Re-reads the legs and the log of `day` (the screen passes today in the officer's zone). */
    suspend fun refresh(day: LocalDate = this.day ?: LocalDate.now()) {
        this.day = day
        attempt {
            withContext(io) { store.movementLegs(assignmentId) to store.movementTimeline(assignmentId, day.toString()) }
        }
            .onSuccess { (legs, log) ->
                _state.value = MovementState(
                    legs = legs.map(::row),
                    overdue = legs.count { it.status == LegStatus.OVERDUE },
                    log = log.map { it.text },
                )
            }
            .onFailure(::fail)
    }

    /** Plans a leg; returns its id, or null with the reason on the screen. */
    suspend fun plan(leg: NewMovementLeg): String? =
        attempt { withContext(io) { store.planMovementLeg(leg) } }
            .onFailure(::fail)
            .getOrNull()
            ?.also { refresh() }
            ?.id

    suspend fun depart(legId: String) = record(legId, MovementEventKind.DEPARTED)

    suspend fun delay(legId: String, newEta: Instant) = record(legId, MovementEventKind.DELAYED, newEta)

    suspend fun arrive(legId: String) = record(legId, MovementEventKind.ARRIVED)

    private suspend fun record(legId: String, kind: MovementEventKind, newEta: Instant? = null) {
        val event = NewMovementEvent(legId = legId, kind = kind, occurredAt = null, newEta = newEta, route = null, handedTo = null, note = null)
        attempt { withContext(io) { store.recordMovementEvent(event) } }
            .onSuccess { refresh() }
            .onFailure(::fail)
    }

    private fun fail(e: Throwable) = _state.update { it.copy(message = UserMessages.of(e)) }

    private fun row(l: MovementLegState): LegRow {
        val closedAt = l.events.lastOrNull()?.occurredAt
        val line = when (l.status) {
            LegStatus.PLANNED -> "Planned · departs ${text.clock(l.leg.plannedDeparture)} · ETA ${text.clock(l.eta)}"
            LegStatus.UNDER_WAY -> "Under way · ETA ${text.clock(l.eta)}"
            LegStatus.DELAYED -> "Delayed · ETA ${text.clock(l.eta)}"
            LegStatus.OVERDUE -> "OVERDUE · ETA ${text.clock(l.eta)} passed"
            LegStatus.ARRIVED -> "Arrived ${closedAt?.let(text::clock).orEmpty()}"
            LegStatus.ABORTED -> "Aborted ${closedAt?.let(text::clock).orEmpty()}"
            LegStatus.HANDED_OVER -> "Handed over ${closedAt?.let(text::clock).orEmpty()}"
        }
        return LegRow(l.leg.id, "${l.leg.origin} → ${l.leg.destination}", l.status, line)
    }
}
