package io.cordon.demo

import java.time.Duration
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.util.Locale

/**
 * Times as the screens show them, in the officer's zone. Countdowns count whole seconds
 * *up* (a check-in due in 0.4 s reads "1 s", never "0 s" while it is not yet due), so
 * that a countdown reaches zero exactly when the core's status changes.
 */
class TimeText(private val zone: ZoneId, locale: Locale = Locale.UK) {
    private val clock = DateTimeFormatter.ofPattern("HH:mm", locale).withZone(zone)
    private val dayAndClock = DateTimeFormatter.ofPattern("EEE d MMM HH:mm", locale).withZone(zone)

    /** "19:30" in the officer's zone. */
    fun clock(at: Instant): String = clock.format(at)

    /** "Sat 28 Nov 19:30" in the officer's zone. */
    fun dayAndClock(at: Instant): String = dayAndClock.format(at)

    /** "Sat 28 Nov 18:00 – Sun 29 Nov 06:00". */
    fun window(start: Instant, end: Instant): String = "${dayAndClock(start)} – ${dayAndClock(end)}"

    companion object {
        /**
         * Time left, as "1 h 05 min", "12 min 03 s" or "45 s", counting a started second up:
         * a countdown shows "1 s" until the moment it is due, never "0 s" before.
         */
        fun remaining(duration: Duration): String =
            words(duration.abs().let { d -> d.seconds + if (d.nano > 0) 1 else 0 })

        /** Time gone by ("overdue by"), counting whole seconds only, as a stopwatch does. */
        fun elapsed(duration: Duration): String = words(duration.abs().seconds)

        private fun words(totalSeconds: Long): String {
            val hours = totalSeconds / 3600
            val minutes = (totalSeconds % 3600) / 60
            val seconds = totalSeconds % 60
            return when {
                hours > 0 -> "$hours h %02d min".format(minutes)
                minutes > 0 -> "$minutes min %02d s".format(seconds)
                else -> "$seconds s"
            }
        }

        /** A policy interval in seconds as "30 min", "1 h", "1 h 30 min" or "45 s". */
        fun interval(seconds: Long): String {
            val parts = listOfNotNull(
                (seconds / 3600).takeIf { it > 0 }?.let { "$it h" },
                (seconds % 3600 / 60).takeIf { it > 0 }?.let { "$it min" },
                (seconds % 60).takeIf { it > 0 }?.let { "$it s" },
            )
            return parts.joinToString(" ").ifEmpty { "0 s" }
        }
    }
}
