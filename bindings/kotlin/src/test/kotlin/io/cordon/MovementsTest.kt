package io.cordon

import io.cordon.core.CordonException
import io.cordon.core.InputRule
import io.cordon.core.LegStatus
import io.cordon.core.MovementEventKind
import io.cordon.core.NewMovementEvent
import io.cordon.core.PassOutcome
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * Movements of the principal, through the generated Kotlin against the real reference
 * server (`cordon serve`): a leg planned and its events recorded offline, the overdue
 * state known offline, the typed refusal of an event out of order, and the leg with its
 * events delivered once and in order to the office.
 */
class MovementsTest : AgainstReferenceServer() {
    private fun event(legId: String, kind: MovementEventKind, newEta: java.time.Instant? = null) =
        NewMovementEvent(legId = legId, kind = kind, occurredAt = null, newEta = newEta, route = null, handedTo = null, note = null)

    @Test
    fun `a leg is planned, departs, is overdue offline, is delayed and arrives, and reaches the office in order`() {
        val officer = "OFC-MOVES"
        val (store, sync) = enrolled(officer)
        server.assign(officer)
        assertEquals(PassOutcome.Completed, runBlocking { sync.syncOnce() }.outcome)

        // Departed an hour ago, ETA 15 minutes ago: past ETA plus the sample's 5 minutes' grace.
        val leg = store.planMovementLeg(movementLeg(departure = nowMillis().minus(Duration.ofMinutes(60))))
        assertEquals(LegStatus.OVERDUE, store.recordMovementEvent(event(leg.id, MovementEventKind.DEPARTED)).status)
        val overdue = store.overdueLegs()
        assertEquals(listOf(leg.id), overdue.map { it.leg.id })
        assertEquals(LegStatus.OVERDUE, overdue.single().status)

        val departedTwice = assertThrows<CordonException.InvalidInput> {
            store.recordMovementEvent(event(leg.id, MovementEventKind.DEPARTED))
        }
        assertEquals(Pair("kind", InputRule.OUT_OF_ORDER), Pair(departedTwice.field, departedTwice.rule))

        val delayed = store.recordMovementEvent(event(leg.id, MovementEventKind.DELAYED, newEta = nowMillis().plus(Duration.ofMinutes(20))))
        assertEquals(LegStatus.DELAYED, delayed.status)
        assertTrue(store.overdueLegs().isEmpty())
        val arrived = store.recordMovementEvent(event(leg.id, MovementEventKind.ARRIVED))
        assertEquals(LegStatus.ARRIVED, arrived.status)

        val pass = runBlocking { sync.syncOnce() }
        assertEquals(4, pass.applied)
        val office = Json.parseToJsonElement(server.admin("list", "movements", "--json", "--organisation", ORGANISATION_ID))
            .jsonArray.map { it.jsonObject }
            .single { it["officer_id"]!!.jsonPrimitive.content == officer }
        val state = office["state"]!!.jsonObject
        assertEquals("arrived", state["status"]!!.jsonPrimitive.content)
        assertEquals(
            listOf("departed", "delayed", "arrived"),
            state["events"]!!.jsonArray.map { it.jsonObject["kind"]!!.jsonPrimitive.content },
        )
        assertEquals(0, runBlocking { sync.syncOnce() }.applied, "delivered once")
    }
}
