package io.cordon.demo

import io.cordon.ASSIGNMENT_ID
import io.cordon.AgainstReferenceServer
import io.cordon.ORGANISATION_ID
import io.cordon.assignmentFile
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.time.Duration
import java.time.Instant
import java.time.temporal.ChronoUnit
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The handover screen with two phones against the real server: the outgoing officer
 * writes, the incoming officer acknowledges, and each screen says where the note stands;
 * the duty line says "called in" once the office calls the officer in.
 */
class HandoverViewModelTest : AgainstReferenceServer() {
    private val text = TimeText(LONDON)

    @Test
    fun `a note written on one phone is acknowledged on the other and both screens say so`() = runBlocking {
        val (outgoing, outgoingSync) = enrolled("OFC-VM-OUT")
        val (incoming, incomingSync) = enrolled("OFC-VM-IN")
        server.admin(
            "assignment", "--file", assignmentFile(dir).toString(), "--organisation", ORGANISATION_ID,
            "--officer", "OFC-VM-OUT", "--officer", "OFC-VM-IN",
        )
        outgoingSync.syncOnce()
        incomingSync.syncOnce()
        val mine = HandoverViewModel(outgoing, text)
        val theirs = HandoverViewModel(incoming, text)

        assertFalse(mine.write(ASSIGNMENT_ID, "OFC-VM-IN", "  "))
        assertEquals("principalState", mine.state.value.field)
        assertTrue(mine.write(ASSIGNMENT_ID, "OFC-VM-IN", "<b>Asleep</b>, east suite", equipmentAndKeys = "Radio 3"))
        val written = mine.state.value.all.single()
        assertTrue(written.heading.startsWith("To OFC-VM-IN, "), written.heading)
        assertEquals("Not acknowledged yet", written.status)
        assertNull(mine.state.value.field)

        outgoingSync.syncOnce()
        incomingSync.syncOnce()
        theirs.refresh()
        val waiting = theirs.state.value.toAcknowledge.single()
        assertEquals("<b>Asleep</b>, east suite", waiting.principalState)
        assertTrue(waiting.heading.startsWith("From OFC-VM-OUT, "), waiting.heading)

        theirs.acknowledge(waiting.id)
        assertTrue(theirs.state.value.toAcknowledge.isEmpty())
        mine.acknowledge(written.id)
        assertTrue("only the incoming officer" in mine.state.value.message!!, mine.state.value.message)
        incomingSync.syncOnce()
        outgoingSync.syncOnce()
        mine.refresh()
        assertTrue(mine.state.value.all.single().status.startsWith("Acknowledged "), mine.state.value.all.toString())
    }

    @Test
    fun `the duty line says called in until the officer has seen it`() = runBlocking {
        val (store, sync) = enrolled("OFC-VM-CALL")
        server.assign("OFC-VM-CALL")
        val now = Instant.now().truncatedTo(ChronoUnit.SECONDS)
        val shift = server.admin(
            "rota", "set", "--organisation", ORGANISATION_ID, "--assignment", ASSIGNMENT_ID, "--officer", "OFC-VM-CALL",
            "--role", "on_call", "--from", now.minus(Duration.ofHours(1)).toString(), "--until", now.plus(Duration.ofHours(8)).toString(),
        ).trim()
        server.admin("rota", "call-in", "--organisation", ORGANISATION_ID, "--shift", shift)
        sync.syncOnce()
        val screen = HandoverViewModel(store, text)

        screen.refresh()

        assertTrue(screen.state.value.duty!!.startsWith("Called in by admin at "), screen.state.value.duty)
        assertEquals(shift, screen.state.value.unseenCallIn)
        screen.sawCallIn()
        assertNull(screen.state.value.unseenCallIn)
    }
}
