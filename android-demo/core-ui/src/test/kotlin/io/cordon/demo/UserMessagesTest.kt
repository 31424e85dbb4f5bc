package io.cordon.demo

import io.cordon.core.CordonException
import io.cordon.core.InputRule
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue

class UserMessagesTest {
    @Test
    fun `an invalid field is named readably from its rule, never from the core's English`() {
        val error = CordonException.InvalidInput("discoveredAt", InputRule.OUT_OF_ORDER, "any English at all")
        assertEquals("Time discovered cannot be before time of the incident.", UserMessages.of(error))
    }

    @Test
    fun `every rule has its own sentence`() {
        val sentences = InputRule.entries.map { UserMessages.of(CordonException.InvalidInput("note", it, "")) }
        assertEquals(InputRule.entries.size, sentences.toSet().size, sentences.joinToString("\n"))
        assertTrue(sentences.all { it.startsWith("Note ") && it.endsWith(".") }, sentences.joinToString("\n"))
    }

    @Test
    fun `a nested field names the person it belongs to and is shown beside the persons field`() {
        val error = CordonException.InvalidInput("persons[1].description", InputRule.BLANK, "must not be blank")
        assertEquals("Description of person 2 must not be blank.", UserMessages.of(error))
        assertEquals("persons", UserMessages.formField(error))
    }

    @Test
    fun `a field the app has no label for still reads as words`() {
        assertEquals(
            "Sites 1 geofence radius m is out of range.",
            UserMessages.of(CordonException.InvalidInput("sites[0].geofenceRadiusM", InputRule.OUT_OF_RANGE, "")),
        )
    }

    @Test
    fun `errors that are not about one field have no form field`() {
        assertNull(UserMessages.formField(CordonException.ReportLocked("R-1")))
        assertNull(UserMessages.formField(IllegalStateException("boom")))
    }

    @Test
    fun `every kind of core error has its own message that never blames the officer for storage`() {
        val messages = listOf(
            CordonException.InvalidInput("narrative", InputRule.BLANK, "must not be blank"),
            CordonException.NotFound("assignment", "A-1"),
            CordonException.ReportLocked("R-1"),
            CordonException.ReportNotSubmitted("R-1"),
            CordonException.InvalidOperationState(7, "pending", "dead"),
            CordonException.IncompatibleVersion("/data/cordon.db", 9, 2),
            CordonException.Corrupt("/data/cordon.db", "file is not a database"),
            CordonException.Io("/data/photo.jpg", "permission denied"),
            CordonException.Sync("connection refused"),
            CordonException.Storage("disk full"),
            CordonException.PostOrdersNotCurrent("A-1", 2, 3),
            CordonException.Revoked(),
            CordonException.HandoverNotForYou("H-1"),
            CordonException.InvalidKey("a store key is 32 bytes long; 16 bytes were given"),
            CordonException.WrongKey("/data/cordon.db"),
        ).map(UserMessages::of)

        assertEquals(messages.size, messages.toSet().size, messages.joinToString("\n"))
        assertEquals("The assignment A-1 is not on this phone.", messages[1])
        assertTrue("amendment" in messages[2], messages[2])
        assertTrue("nothing has been deleted" in messages[5] && "Nothing has been deleted" in messages[6])
        assertTrue("disk full" in messages[9], messages[9])
        assertEquals("The office has issued post orders v3. Read them, then acknowledge v3.", messages[10])
        assertTrue("control room" in messages[11] && "erased" in messages[11], messages[11])
        assertTrue("only the incoming officer" in messages[12], messages[12])
        assertTrue("Nothing has been deleted" in messages[13] && "Nothing has been deleted" in messages[14])
    }

    @Test
    fun `an unexpected exception is still a sentence`() {
        assertEquals("Something went wrong: boom.", UserMessages.of(IllegalStateException("boom")))
    }
}
