package io.cordon

import io.cordon.core.CordonException
import io.cordon.core.PassOutcome
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull

/**
 * Post orders acknowledged, through the generated Kotlin against the real reference server
 * (`cordon serve`): acknowledged offline, delivered once, seen by the office, and asked
 * for again when the office issues a new version.
 */
class PostOrdersTest : AgainstReferenceServer() {
    /** The sample assignment with post orders version `version`, as a file for `cordon admin assignment`. */
    private fun assignmentWithOrders(version: Int): Path {
        val orders = JsonObject(Samples.assignment["post_orders"]!!.jsonObject + ("version" to JsonPrimitive(version)))
        val json = JsonObject(Samples.assignment + ("post_orders" to orders))
        return Files.writeString(Files.createTempFile(dir, "assignment-", ".json"), json.toString())
    }

    /** The office's view of `officer`'s post orders on the sample assignment. */
    private fun officeRow(officer: String): JsonObject =
        Json.parseToJsonElement(server.admin("list", "post-orders", "--json", "--organisation", ORGANISATION_ID))
            .jsonArray.map { it.jsonObject }
            .single { it["officer_id"]!!.jsonPrimitive.content == officer && it["assignment_id"]!!.jsonPrimitive.content == ASSIGNMENT_ID }

    @Test
    fun `post orders are acknowledged offline, reach the office once, and a new version asks again`() {
        val officer = "OFC-ORDERS"
        val (store, sync) = enrolled(officer)
        server.assign(officer, assignmentWithOrders(2))
        assertEquals(PassOutcome.Completed, runBlocking { sync.syncOnce() }.outcome)

        val before = store.postOrdersAcknowledgement(ASSIGNMENT_ID)
        assertEquals(2, before.version)
        assertNull(before.acknowledgedAt)

        val acknowledged = store.acknowledgePostOrders(ASSIGNMENT_ID, 2)
        assertNotNull(acknowledged.acknowledgedAt)
        assertEquals(acknowledged, store.acknowledgePostOrders(ASSIGNMENT_ID, 2))
        val stale = assertThrows<CordonException.PostOrdersNotCurrent> { store.acknowledgePostOrders(ASSIGNMENT_ID, 1) }
        assertEquals(Triple(ASSIGNMENT_ID, 1, 2), Triple(stale.assignmentId, stale.version, stale.current))

        val pass = runBlocking { sync.syncOnce() }
        assertEquals(1, pass.applied)
        assertEquals(2, officeRow(officer)["acknowledged_version"]!!.jsonPrimitive.int)
        assertEquals("true", officeRow(officer)["current_acknowledged"]!!.jsonPrimitive.content)

        server.assign(officer, assignmentWithOrders(3))
        assertEquals(1, runBlocking { sync.syncOnce() }.assignmentsReceived)
        val next = store.postOrdersAcknowledgement(ASSIGNMENT_ID)
        assertEquals(3, next.version)
        assertNull(next.acknowledgedAt)
        assertEquals("false", officeRow(officer)["current_acknowledged"]!!.jsonPrimitive.content)
    }
}
