package io.cordon

import io.cordon.core.CordonException
import io.cordon.core.DutyState
import io.cordon.core.NewHandover
import io.cordon.core.PassOutcome
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.Instant
import java.time.temporal.ChronoUnit
import java.util.UUID
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The rota and handovers through the generated Kotlin, with two phones (two stores, two
 * enrolments) against one real reference server (`cordon serve`).
 */
class HandoverTest : AgainstReferenceServer() {
    /** Puts both officers on the sample assignment. */
    private fun assignBoth(outgoing: String, incoming: String) {
        server.admin(
            "assignment", "--file", assignmentFile(dir).toString(), "--organisation", ORGANISATION_ID,
            "--officer", outgoing, "--officer", incoming,
        )
    }

    private fun unacknowledgedAtOffice(): List<String> =
        Json.parseToJsonElement(server.admin("handover", "list", "--organisation", ORGANISATION_ID, "--unacknowledged", "--json"))
            .jsonArray.map { it.jsonObject["id"]!!.jsonPrimitive.content }

    @Test
    fun `a note written offline reaches the incoming phone, is acknowledged there once, and the outgoing phone learns of it`() {
        val suffix = UUID.randomUUID().toString().take(6)
        val (outgoingId, incomingId) = "OFC-OUT-$suffix" to "OFC-IN-$suffix"
        val (outgoing, outgoingSync) = enrolled(outgoingId)
        val (incoming, incomingSync) = enrolled(incomingId)
        assignBoth(outgoingId, incomingId)
        runBlocking { outgoingSync.syncOnce(); incomingSync.syncOnce() }

        val note = outgoing.writeHandover(
            NewHandover(
                assignmentId = ASSIGNMENT_ID,
                toOfficerId = incomingId,
                principalState = "<b>Asleep</b> in the east suite since 23:10.",
                openIssues = "Press at the north gate.",
                equipmentAndKeys = "Radio 3, car keys.",
                watchFor = null,
            ),
        )
        assertEquals(outgoingId, note.fromOfficerId)
        assertThrows<CordonException.HandoverNotForYou> { outgoing.acknowledgeHandover(note.id) }
        val blank = assertThrows<CordonException.InvalidInput> {
            outgoing.writeHandover(NewHandover(ASSIGNMENT_ID, incomingId, " ", null, null, null))
        }
        assertEquals("principalState", blank.field)

        assertEquals(1, runBlocking { outgoingSync.syncOnce() }.applied)
        assertTrue(note.id in unacknowledgedAtOffice())
        runBlocking { incomingSync.syncOnce(); incomingSync.syncOnce() }
        assertEquals(listOf(note), incoming.handoversToAcknowledge())
        assertEquals(1, incoming.handovers().size, "once")

        val acknowledged = incoming.acknowledgeHandover(note.id)
        assertNotNull(acknowledged.acknowledgedAt)
        assertEquals(acknowledged, incoming.acknowledgeHandover(note.id))
        val pass = runBlocking { incomingSync.syncOnce() }
        assertEquals(1, pass.applied)
        assertTrue(note.id !in unacknowledgedAtOffice())

        assertNull(outgoing.handovers().single().acknowledgedAt)
        assertEquals(PassOutcome.Completed, runBlocking { outgoingSync.syncOnce() }.outcome)
        assertEquals(acknowledged.acknowledgedAt, outgoing.handovers().single().acknowledgedAt)
    }

    @Test
    fun `the on-call officer called in by the office sees it after the next sync`() {
        val officer = "OFC-CALL-${UUID.randomUUID().toString().take(6)}"
        val (store, sync) = enrolled(officer)
        server.assign(officer)
        val now = Instant.now().truncatedTo(ChronoUnit.SECONDS)
        val shift = server.admin(
            "rota", "set", "--organisation", ORGANISATION_ID, "--assignment", ASSIGNMENT_ID, "--officer", officer,
            "--role", "on_call", "--from", now.minus(Duration.ofHours(1)).toString(), "--until", now.plus(Duration.ofHours(8)).toString(),
        ).trim()
        runBlocking { sync.syncOnce() }
        assertEquals(DutyState.ON_CALL, store.myDuty().state)
        assertTrue(store.unseenCallIns().isEmpty())

        server.admin("rota", "call-in", "--organisation", ORGANISATION_ID, "--shift", shift)
        runBlocking { sync.syncOnce() }
        assertEquals(DutyState.CALLED_IN, store.myDuty().state)
        assertEquals(listOf(shift), store.unseenCallIns().map { it.shiftId })
        assertEquals("admin", store.markCallInSeen(shift).calledInBy)
        assertTrue(store.unseenCallIns().isEmpty())
        assertEquals(store.rota(ASSIGNMENT_ID).filter { it.officerId == officer }.map { it.shiftId }, listOf(shift))
        assertThrows<CordonException.NotFound> { store.markCallInSeen("no-such-shift") }
    }
}
