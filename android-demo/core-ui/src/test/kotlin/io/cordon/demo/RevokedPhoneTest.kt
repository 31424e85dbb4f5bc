package io.cordon.demo

import io.cordon.AgainstReferenceServer
import io.cordon.HttpUrlConnectionTransport
import io.cordon.ORGANISATION_ID
import io.cordon.checkIn
import io.cordon.core.CheckInKind
import io.cordon.core.PassOutcome
import io.cordon.nowMillis
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * A lost phone, from the app's side, against the real reference server: the office
 * revokes the device, the next pass has the core destroy the store, and the app forgets
 * its key and tells the officer; the next start is a new, empty phone with a new key.
 */
class RevokedPhoneTest : AgainstReferenceServer() {
    @Test
    fun `after a revocation the app forgets its key, says the phone was wiped, and starts afresh`() = runBlocking {
        val db = dir.resolve("phone.db").toString()
        val wrapper = SoftwareKeyWrapper()
        val wrapped = InMemoryWrappedKeyStore()
        val keys = StoreKeyVault(db, wrapper, wrapped)
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val session = openTestSession(db, server.url, HttpUrlConnectionTransport(), scope, TestClock(nowMillis()), LONDON, keys)
        try {
            session.enrolment.editCode(server.enrolmentCode(officer = "OFC-LOST-APP"))
            assertTrue(session.enrolment.enrol(), session.enrolment.state.value.message)
            session.store.recordCheckIn(checkIn(CheckInKind.PANIC, assignmentId = null)) // not sent yet
            val deviceId = session.store.deviceIdentity().deviceId
            assertNull(session.revocation.value)

            server.admin(
                "device", "revoke", "--organisation", ORGANISATION_ID, "--device", deviceId,
                "--reason", "left in a taxi", "--by", "duty.manager",
            )
            val report = session.sync.syncNow()

            assertIs<PassOutcome.Revoked>(report.outcome)
            val revocation = assertNotNull(session.revocation.value)
            assertEquals(Revocation(unsent = 1, officeTold = true, keyForgotten = true), revocation)
            assertEquals(
                "The office revoked this phone and its Cordon data was wiped (1 not sent). Contact the control room.",
                revocation.message,
            )
            assertTrue(wrapped.isEmpty(), "the wrapped key is deleted")
            assertNull(wrapper.wrappingKey(), "and the key that wrapped it")
            assertFalse(Files.exists(dir.resolve("phone.db")), "the core destroyed the database")
        } finally {
            scope.cancel()
            session.close()
        }

        // The next start: no database, no key: a new phone to enrol, under a new key.
        val fresh = assertIs<StoreOpening.Opened>(keys.open()).store
        fresh.use { assertEquals(null, it.deviceIdentity().officerId) }
        assertEquals(2, wrapper.created)
    }
}
