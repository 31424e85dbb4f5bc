package io.cordon.demo

import io.cordon.LogEntry
import io.cordon.LogLevel
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals

class CoreLogTest {
    @Test
    fun `each core level has its Logcat priority, trace as verbose`() {
        assertEquals(
            mapOf(
                LogLevel.ERROR to 6,
                LogLevel.WARN to 5,
                LogLevel.INFO to 4,
                LogLevel.DEBUG to 3,
                LogLevel.TRACE to 2,
            ),
            LogLevel.entries.associateWith(CoreLog::priority),
        )
    }

    @Test
    fun `an entry becomes one line under the Cordon tag, led by where in the core it was logged`() {
        val written = mutableListOf<LogcatLine>()
        LogcatSink(written::add).log(
            LogEntry(
                level = LogLevel.WARN,
                target = "cordon_core::sync",
                message = "sync pass ended",
                fields = mapOf("outcome" to "interrupted", "requests" to "1"),
                line = "sync pass ended outcome=interrupted requests=1",
            ),
        )
        assertEquals(
            listOf(LogcatLine(5, "Cordon", "cordon_core::sync: sync pass ended outcome=interrupted requests=1")),
            written,
        )
    }

    @Test
    fun `debug builds log the core's debug lines and release builds info and above`() {
        assertEquals(listOf(LogLevel.DEBUG, LogLevel.INFO), listOf(true, false).map(CoreLog::level))
    }
}
