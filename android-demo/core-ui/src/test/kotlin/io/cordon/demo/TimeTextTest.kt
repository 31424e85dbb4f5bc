package io.cordon.demo

import io.cordon.core.WelfareStatus
import org.junit.jupiter.api.Test
import java.time.Duration
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertNull

class TimeTextTest {
    private val text = TimeText(LONDON)
    private val dueAt = Instant.parse("2026-11-28T19:30:00Z") // 19:30 in London (GMT)
    private val overdueAt = dueAt.plus(Duration.ofMinutes(5))

    @Test
    fun `time left reads in hours, minutes or seconds and counts a started second up`() {
        assertEquals("1 h 05 min", TimeText.remaining(Duration.ofMinutes(65)))
        assertEquals("12 min 03 s", TimeText.remaining(Duration.ofSeconds(12 * 60 + 3)))
        assertEquals("45 s", TimeText.remaining(Duration.ofSeconds(45)))
        assertEquals("1 s", TimeText.remaining(Duration.ofMillis(400)))
        assertEquals("0 s", TimeText.remaining(Duration.ZERO))
        assertEquals("2 min 00 s", TimeText.remaining(Duration.ofMinutes(-2)))
    }

    @Test
    fun `time gone by counts whole seconds only`() {
        assertEquals("0 s", TimeText.elapsed(Duration.ofMillis(999)))
        assertEquals("5 min 00 s", TimeText.elapsed(Duration.ofMillis(300_001)))
    }

    @Test
    fun `policy intervals read as the office set them`() {
        assertEquals("30 min", TimeText.interval(1800))
        assertEquals("1 h", TimeText.interval(3600))
        assertEquals("1 h 30 min", TimeText.interval(5400))
        assertEquals("1 min 30 s", TimeText.interval(90))
    }

    @Test
    fun `clock times are in the officer's zone, summer time included`() {
        assertEquals("19:30", text.clock(dueAt))
        assertEquals("20:30", text.clock(Instant.parse("2026-07-01T19:30:00Z")))
        assertEquals("Sat 28 Nov 19:30", text.dayAndClock(dueAt))
    }

    @Test
    fun `on time counts down to the due time`() {
        val line = WelfareLine.of(WelfareStatus.OnTime(dueAt, overdueAt), dueAt.minusSeconds(24 * 60 + 10), text)
        assertEquals("On time", line.headline)
        assertEquals("Next check-in in 24 min 10 s (19:30)", line.countdown)
        assertNull(line.overdueWarning)
        assertEquals(Tone.CALM, line.tone)
    }

    @Test
    fun `due counts down the grace period to the overdue time`() {
        val line = WelfareLine.of(WelfareStatus.Due(dueAt, overdueAt), dueAt.plusSeconds(90), text)
        assertEquals("Check in now: overdue in 3 min 30 s (19:35)", line.countdown)
        assertNull(line.overdueWarning)
        assertEquals(Tone.ATTENTION, line.tone)
    }

    @Test
    fun `overdue warns how long the officer has been overdue`() {
        val line = WelfareLine.of(WelfareStatus.Overdue(dueAt, overdueAt), overdueAt.plusSeconds(242), text)
        assertEquals("Overdue by 4 min 02 s: check in now", line.overdueWarning)
        assertEquals("Check-in was due at 19:30", line.countdown)
        assertEquals(Tone.ALARM, line.tone)
    }

    @Test
    fun `off duty shows no countdown`() {
        val line = WelfareLine.of(WelfareStatus.OffDuty, dueAt, text)
        assertEquals("Off duty", line.headline)
        assertNull(line.countdown)
        assertNull(line.overdueWarning)
    }
}
