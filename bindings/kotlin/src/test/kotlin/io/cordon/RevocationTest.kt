package io.cordon

import io.cordon.core.CheckInKind
import io.cordon.core.CordonException
import io.cordon.core.PassOutcome
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

/**
 * A lost phone through the real generated bindings and the real reference server: the
 * office revokes the device (`cordon admin device revoke`); the next sync tells the office
 * what was not sent, destroys the store's files and says so; every later call is the
 * typed `CordonException.Revoked`, never a crash.
 */
class RevocationTest : AgainstReferenceServer() {
    @Test
    fun `a revoked phone reports what it had not sent, destroys its store and answers Revoked`() {
        val (store, sync) = enrolled("OFC-LOST")
        store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null))
        assertEquals(PassOutcome.Completed, runBlocking { sync.syncOnce() }.outcome)
        val unsent = store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null))
        val deviceId = store.deviceIdentity().deviceId

        server.admin(
            "device", "revoke", "--organisation", ORGANISATION_ID, "--device", deviceId,
            "--reason", "lost on the tube", "--by", "duty.manager",
        )
        val outcome = assertIs<PassOutcome.Revoked>(runBlocking { sync.syncOnce() }.outcome)

        assertEquals(1L, outcome.unsent)
        assertTrue(outcome.officeTold)
        assertTrue(outcome.filesRemoved >= 1, outcome.toString())
        assertFailsWith<CordonException.Revoked> { store.checkIns(null) }
        assertFailsWith<CordonException.Revoked> {
            store.recordCheckIn(checkIn(CheckInKind.DURESS, assignmentId = null))
        }
        val office = server.admin("device", "list", "--organisation", ORGANISATION_ID, "--json")
        assertTrue(unsent.id in office && "lost on the tube" in office, office)
    }
}
