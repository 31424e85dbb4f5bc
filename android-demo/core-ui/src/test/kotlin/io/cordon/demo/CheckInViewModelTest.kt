package io.cordon.demo

import io.cordon.ASSIGNMENT_ID
import io.cordon.CordonStore
import io.cordon.assignment
import io.cordon.checkIn
import io.cordon.core.CheckInKind
import io.cordon.core.WelfareStatus
import io.cordon.nowMillis
import io.cordon.openStore
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The check-in screen over a real store: the core decides the state, the screen measures it. */
class CheckInViewModelTest {
    @TempDir
    lateinit var dir: Path
    private lateinit var store: CordonStore
    private val text = TimeText(LONDON)

    @BeforeEach
    fun open() {
        store = openStore(dir)
        store.upsertAssignment(assignment(intervalSecs = 1800, graceSecs = 300))
    }

    @AfterEach
    fun close() = store.close()

    private fun screen(clock: TestClock) = CheckInViewModel(store, ASSIGNMENT_ID, clock, text, LONDON.id)

    @Test
    fun `an officer who clocked on 40 minutes ago on a 30-minute policy sees an overdue warning`() = runBlocking {
        val now = nowMillis()
        store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, occurredAt = now.minus(Duration.ofMinutes(40))))
        val vm = screen(TestClock(now))

        vm.refresh()

        val welfare = assertNotNull(vm.state.value.welfare)
        assertIs<WelfareStatus.Overdue>(welfare.status)
        assertEquals("Overdue by 5 min 00 s: check in now", welfare.overdueWarning)
        assertEquals(Tone.ALARM, welfare.tone)
        assertTrue(vm.state.value.onDuty)
    }

    @Test
    fun `a welfare check-in restarts the countdown from the screen's clock and it counts down as time passes`() = runBlocking {
        val now = nowMillis()
        store.recordCheckIn(checkIn(CheckInKind.CLOCK_ON, occurredAt = now.minus(Duration.ofMinutes(40))))
        val clock = TestClock(now)
        val vm = screen(clock)

        vm.welfare()
        val afterCheckIn = assertNotNull(vm.state.value.welfare)
        assertIs<WelfareStatus.OnTime>(afterCheckIn.status)
        assertEquals(
            "Next check-in in 30 min 00 s (${text.clock(now.plus(Duration.ofMinutes(30)))})",
            afterCheckIn.countdown,
        )
        assertNull(afterCheckIn.overdueWarning)

        clock.advance(Duration.ofMinutes(10))
        vm.refresh()
        assertTrue(vm.state.value.welfare!!.countdown!!.startsWith("Next check-in in 20 min 00 s"))
        assertTrue(vm.state.value.lastCheckIn!!.startsWith("Last: welfare at "))
    }

    @Test
    fun `clocking off puts the officer off duty with no countdown`() = runBlocking {
        val clock = TestClock(nowMillis())
        val vm = screen(clock)
        vm.clockOn()
        assertTrue(vm.state.value.onDuty)

        clock.advance(Duration.ofSeconds(1))
        vm.clockOff()

        assertEquals(WelfareStatus.OffDuty, vm.state.value.welfare!!.status)
        assertNull(vm.state.value.welfare!!.countdown)
        assertEquals(false, vm.state.value.onDuty)
    }

    @Test
    fun `a checkpoint without a tag is refused by the core and the screen says why`() = runBlocking {
        val vm = screen(TestClock(nowMillis()))
        vm.clockOn()

        vm.checkpoint(" ")

        assertEquals("Checkpoint tag must not be blank.", vm.state.value.message)
        assertEquals(1, store.checkIns(ASSIGNMENT_ID).size) // only the clock-on
    }

    @Test
    fun `a duress alarm reads as an ordinary welfare check-in on this screen`() = runBlocking {
        val vm = screen(TestClock(nowMillis()))
        vm.clockOn()
        store.recordCheckIn(checkIn(CheckInKind.DURESS))

        vm.refresh()

        assertTrue(vm.state.value.lastCheckIn!!.startsWith("Last: welfare at "), vm.state.value.lastCheckIn)
    }

    @Test
    fun `an assignment that is not on the phone is a message, not a crash`() = runBlocking {
        val vm = CheckInViewModel(store, "A-NOWHERE", TestClock(nowMillis()), text, LONDON.id)
        vm.refresh()
        assertEquals("The assignment A-NOWHERE is not on this phone.", vm.state.value.message)
    }
}
