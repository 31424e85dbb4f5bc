package io.cordon.demo

import java.time.Clock
import java.time.Duration
import java.time.Instant
import java.time.ZoneId
import java.time.ZoneOffset

/** A clock the test moves by hand (thread-safe: the duress ticker reads it from its coroutine). */
class TestClock(start: Instant) : Clock() {
    @Volatile
    private var now: Instant = start

    fun advance(by: Duration) {
        now = now.plus(by)
    }

    override fun instant(): Instant = now
    override fun getZone(): ZoneId = ZoneOffset.UTC
    override fun withZone(zone: ZoneId?): Clock = this
}

val LONDON: ZoneId = ZoneId.of("Europe/London")
