package io.cordon.demo

import io.cordon.AgainstReferenceServer
import io.cordon.ORGANISATION_ID
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The sighting screen against the real server: the BOLO list pulled by a sync, then a
 * sighting written with no signal (its registration typed differently) shows the match at
 * once; a sighting of nothing is the core's typed error, with nothing stored.
 */
class SightingViewModelTest : AgainstReferenceServer() {
    private val text = TimeText(LONDON)

    @Test
    fun `a sighting written offline that matches the pulled BOLO list shows the match at once`() = runBlocking {
        val (store, sync) = enrolled("OFC-DEMO-SIGHT")
        server.admin("bolo", "add", "--organisation", ORGANISATION_ID, "--registration", "AB12 CDE",
            "--reason", "Photographed the residence", "--priority", "high")
        sync.syncOnce()
        val vm = SightingViewModel(store, LONDON.id, text)
        vm.refresh()
        assertEquals(listOf("AB12CDE · high · Photographed the residence"), vm.state.value.bolo)

        // No sync from here: the phone has no signal.
        vm.record(SightingForm(place = "Mews", registration = "XY11 ZZZ", colour = "Blue"))
        assertNull(vm.state.value.alert)
        vm.record(SightingForm(place = "East gate", registration = "ab-12 cde", subject = "Two men, long lens"))

        assertEquals("BOLO MATCH: AB12CDE (high): Photographed the residence", vm.state.value.alert)
        val saved = assertNotNull(vm.state.value.saved)
        assertTrue(saved.startsWith("Sighting logged "), saved)
        assertEquals(1L, store.outboxStatus().pending.urgent)
        assertEquals(1L, store.outboxStatus().pending.normal)
    }

    @Test
    fun `a sighting of nothing is refused with the core's message and nothing is stored`() = runBlocking {
        val (store, _) = enrolled("OFC-DEMO-SIGHT-BAD")
        val vm = SightingViewModel(store, LONDON.id, text)

        vm.record(SightingForm(place = "East gate"))

        val message = assertNotNull(vm.state.value.message)
        assertEquals(UserMessages.of(runCatching { store.recordSighting(io.cordon.core.NewSighting(place = "East gate")) }.exceptionOrNull()!!), message)
        assertNull(vm.state.value.saved)
        assertEquals(emptyList(), store.sightings())
    }
}
