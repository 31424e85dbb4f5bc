package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.CheckIn
import io.cordon.core.CheckInKind
import io.cordon.core.Lane
import io.cordon.nowMillis
import io.cordon.openStore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue

/**
 * The duress control's state machine on a hand-moved clock, over a real store: hold to
 * arm, a cancel window, then the alarm recorded at once in the urgent lane.
 */
class DuressControlTest {
    @TempDir
    lateinit var dir: Path
    private lateinit var store: CordonStore
    private val clock = TestClock(nowMillis())
    private val raised = mutableListOf<CheckIn>()

    @BeforeEach
    fun open() {
        store = openStore(dir)
    }

    @AfterEach
    fun close() = store.close()

    private fun CoroutineScope.control() = DuressControl(
        store = store,
        scope = this,
        clock = clock,
        zoneId = LONDON.id,
        onRaised = { raised += it },
        holdToArm = Duration.ofSeconds(2),
        cancelWindow = Duration.ofSeconds(5),
        tickEvery = Duration.ofMillis(5),
    )

    private suspend fun DuressControl.awaitState(predicate: (DuressState) -> Boolean): DuressState =
        withTimeout(5_000) { state.first(predicate) }

    @Test
    fun `letting go before the hold time sends nothing`() = runBlocking {
        val control = control()
        control.press()
        clock.advance(Duration.ofMillis(1500))
        control.release()

        assertEquals(DuressState.Idle("Held too briefly: nothing sent"), control.state.value)
        delay(30) // a few ticks: nothing may arm or send later
        assertEquals(emptyList(), store.checkIns(null))
        assertEquals(0L, store.outboxStatus().pending.urgent)
    }

    @Test
    fun `holding long enough arms a countdown that counts the seconds left`() = runBlocking {
        val control = control()
        control.press()
        clock.advance(Duration.ofSeconds(2))
        val armed = assertIs<DuressState.CountingDown>(control.awaitState { it is DuressState.CountingDown })
        assertEquals(5, armed.secondsLeft)

        clock.advance(Duration.ofMillis(2500))
        control.awaitState { it is DuressState.CountingDown && it.secondsLeft == 3L }
        control.cancel()
    }

    @Test
    fun `cancelling during the countdown sends nothing, even after the countdown would have ended`() = runBlocking {
        val control = control()
        control.press()
        clock.advance(Duration.ofSeconds(2))
        control.awaitState { it is DuressState.CountingDown }
        control.release() // letting go after arming does not cancel: only the cancel button does

        control.cancel()
        clock.advance(Duration.ofSeconds(10))
        delay(30)

        assertEquals(DuressState.Idle("Cancelled: nothing sent"), control.state.value)
        assertEquals(emptyList(), store.checkIns(null))
        assertEquals(emptyList(), raised)
    }

    @Test
    fun `when the countdown ends the alarm is recorded at once in the urgent lane and handed to sync`() = runBlocking {
        val control = control()
        control.press()
        clock.advance(Duration.ofSeconds(2))
        control.awaitState { it is DuressState.CountingDown }
        control.release()
        clock.advance(Duration.ofSeconds(5))

        val sent = assertIs<DuressState.Sent>(control.awaitState { it is DuressState.Sent })

        assertEquals(CheckInKind.DURESS, sent.checkIn.kind)
        assertEquals(listOf(sent.checkIn), store.checkIns(null))
        assertEquals(listOf(sent.checkIn), raised)
        val queued = store.queuedOperations().single()
        assertEquals(Lane.URGENT, queued.lane)
        assertEquals(sent.checkIn.id, queued.recordId)
    }

    @Test
    fun `cancel is too late once the alarm has gone, and a new hold starts over`() = runBlocking {
        val control = control()
        control.press()
        clock.advance(Duration.ofSeconds(2))
        control.awaitState { it is DuressState.CountingDown }
        clock.advance(Duration.ofSeconds(5))
        control.awaitState { it is DuressState.Sent }

        control.cancel()
        assertIs<DuressState.Sent>(control.state.value)

        control.press()
        assertIs<DuressState.Holding>(control.state.value)
        control.release()
        assertEquals(1, store.checkIns(null).size)
    }

    @Test
    fun `the hold shows its progress towards arming`() = runBlocking {
        val control = control()
        control.press()
        clock.advance(Duration.ofSeconds(1))
        val holding = assertIs<DuressState.Holding>(control.awaitState { it is DuressState.Holding && it.progress > 0f })
        assertTrue(holding.progress in 0.49f..0.51f, holding.progress.toString())
        control.release()
    }
}
