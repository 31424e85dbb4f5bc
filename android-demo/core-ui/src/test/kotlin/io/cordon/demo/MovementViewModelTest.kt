package io.cordon.demo

import io.cordon.ASSIGNMENT_ID
import io.cordon.CordonStore
import io.cordon.assignment
import io.cordon.core.LegStatus
import io.cordon.movementLeg
import io.cordon.nowMillis
import io.cordon.openStore
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import java.time.LocalDate
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull

/** The movements screen over a real store: the core decides where each leg stands, offline. */
class MovementViewModelTest {
    @TempDir
    lateinit var dir: Path
    private lateinit var store: CordonStore
    private val text = TimeText(LONDON)

    @BeforeEach
    fun open() {
        store = openStore(dir)
        store.upsertAssignment(assignment())
    }

    @AfterEach
    fun close() = store.close()

    private fun screen() = MovementViewModel(store, ASSIGNMENT_ID, text)

    private fun today(): LocalDate = LocalDate.now(LONDON)

    @Test
    fun `a leg is planned, departs, is delayed with a new ETA and arrives`() = runBlocking {
        val vm = screen()
        vm.refresh(today())
        val departure = nowMillis().plus(Duration.ofMinutes(5))
        val id = assertNotNull(vm.plan(movementLeg(departure)))
        assertEquals("Planned · departs ${text.clock(departure)} · ETA ${text.clock(departure.plus(Duration.ofMinutes(45)))}", vm.state.value.legs.single().line)

        vm.depart(id)
        assertEquals(LegStatus.UNDER_WAY, vm.state.value.legs.single().status)
        val newEta = departure.plus(Duration.ofMinutes(70))
        vm.delay(id, newEta)
        assertEquals("Delayed · ETA ${text.clock(newEta)}", vm.state.value.legs.single().line)
        vm.arrive(id)

        val row = vm.state.value.legs.single()
        assertEquals(LegStatus.ARRIVED, row.status)
        assertEquals("Residence → Embassy, Grosvenor Square", row.path)
        assertEquals(0, vm.state.value.overdue)
        assertNull(vm.state.value.message)
        assertEquals(4, store.queuedOperations().size, "one plan and three events, queued for the office")
    }

    @Test
    fun `a leg past its ETA plus grace shows overdue offline, and a delay clears it`() = runBlocking {
        val vm = screen()
        // Left an hour ago, ETA 15 minutes ago; the sample's grace is 5 minutes.
        val id = assertNotNull(vm.plan(movementLeg(nowMillis().minus(Duration.ofMinutes(60)))))
        vm.depart(id)
        vm.refresh(today())

        assertEquals(1, vm.state.value.overdue)
        val row = vm.state.value.legs.single()
        assertEquals(LegStatus.OVERDUE, row.status)
        assertEquals(true, row.line.startsWith("OVERDUE · ETA "))

        vm.delay(id, nowMillis().plus(Duration.ofMinutes(20)))
        assertEquals(0, vm.state.value.overdue)
        assertEquals(LegStatus.DELAYED, vm.state.value.legs.single().status)
    }

    @Test
    fun `an event out of order is refused with a sentence and nothing changes`() = runBlocking {
        val vm = screen()
        val id = assertNotNull(vm.plan(movementLeg(nowMillis().plus(Duration.ofMinutes(5)))))

        vm.arrive(id)

        assertNotNull(vm.state.value.message)
        assertEquals(LegStatus.PLANNED, store.movementLeg(id).status)
        assertEquals(1, store.queuedOperations().size)
    }
}
