package io.cordon

import io.cordon.core.BoloPriority
import io.cordon.core.CordonException
import io.cordon.core.InputRule
import io.cordon.core.NewSighting
import io.cordon.core.PassOutcome
import io.cordon.core.Vehicle
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull

/**
 * The surveillance log through the generated Kotlin against the real reference server
 * (`cordon serve`): the office's BOLO list pulled, a sighting of that car written offline
 * (its registration typed differently) flagged at once and sent urgent, the office's own
 * match beside it; bad input a typed error naming the field.
 */
class SightingsTest : AgainstReferenceServer() {
    private fun sighting(registration: String) = NewSighting(
        timeZone = ZONE,
        place = "Opposite the east gate",
        subject = "Two men, one photographing the gate",
        vehicle = Vehicle(make = "Ford", model = "Transit", colour = "Grey", registration = registration),
    )

    @Test
    fun `a sighting of a car on the pulled BOLO list is flagged offline, sent urgent and matched by the office too`() {
        val (store, sync) = enrolled("OFC-SIGHT")
        server.admin("bolo", "add", "--organisation", ORGANISATION_ID, "--registration", "AB12 CDE",
            "--reason", "Photographed the residence", "--priority", "high")
        assertEquals(PassOutcome.Completed, runBlocking { sync.syncOnce() }.outcome)
        val bolo = store.boloEntries().single()
        assertEquals("AB12CDE", bolo.registration)
        assertEquals(BoloPriority.HIGH, bolo.priority)

        // No sync in between: the match needs no signal.
        val plain = store.recordSighting(sighting("XY11 ZZZ"))
        val seen = store.recordSighting(sighting("ab-12-cde"))
        assertNull(plain.boloMatch)
        val match = assertNotNull(seen.boloMatch)
        assertEquals("AB12CDE", match.registration)
        assertEquals(bolo.id, match.boloId)
        assertEquals("AB12CDE", seen.vehicle!!.registration)
        assertEquals(1L, store.outboxStatus().pending.urgent)
        assertEquals(listOf(plain, seen), store.sightings())

        assertEquals(2, runBlocking { sync.syncOnce() }.applied)
        val office = Json.parseToJsonElement(
            server.admin("list", "sightings", "--organisation", ORGANISATION_ID, "--json"),
        ).jsonArray.map { it.jsonObject }
        assertEquals(seen.id, office.first()["id"]!!.jsonPrimitive.content)
        assertEquals(bolo.id, office.first()["office_match"]!!.jsonObject["bolo_id"]!!.jsonPrimitive.content)
    }

    @Test
    fun `a registration that is only spaces and hyphens is InvalidInput naming it, with nothing stored`() {
        openStore(dir, "sightings-invalid.db").use { store ->
            val e = assertThrows<CordonException.InvalidInput> { store.recordSighting(sighting(" - ")) }
            assertEquals("vehicle.registration", e.field)
            assertEquals(InputRule.BLANK, e.rule)
            assertEquals(emptyList(), store.sightings())
            assertEquals(0L, store.outboxStatus().pending.normal)
            assertThrows<CordonException.NotFound> { store.sighting("nope") }
        }
    }
}
