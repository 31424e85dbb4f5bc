package io.cordon.demo

import io.cordon.LogEntry
import io.cordon.LogLevel
import io.cordon.LogSink
import io.cordon.setLogSink

/** A line for Logcat: `android.util.Log.println(priority, tag, message)`. */
data class LogcatLine(val priority: Int, val tag: String, val message: String)

/**
 * The core's log lines in Logcat. The app installs it once, handing each line to
 * `android.util.Log.println`; everything else is here, where the JVM tests reach it.
 * Filter with `adb logcat -s Cordon`.
 */
object CoreLog {
    /** The tag of every line the core logs. */
    const val TAG = "Cordon"

    // android.util.Log's priorities (this module has no Android classes).
    const val VERBOSE = 2
    const val DEBUG = 3
    const val INFO = 4
    const val WARN = 5
    const val ERROR = 6

    fun priority(level: LogLevel): Int = when (level) {
        LogLevel.ERROR -> ERROR
        LogLevel.WARN -> WARN
        LogLevel.INFO -> INFO
        LogLevel.DEBUG -> DEBUG
        LogLevel.TRACE -> VERBOSE
    }

    /** `cordon_core::sync: sync pass ended outcome=completed requests=2 ...` under [TAG]. */
    fun logcat(entry: LogEntry) = LogcatLine(priority(entry.level), TAG, "${entry.target}: ${entry.line}")

    /** Debug builds show the core's debug lines; release builds info and above. */
    fun level(debugBuild: Boolean): LogLevel = if (debugBuild) LogLevel.DEBUG else LogLevel.INFO

    /** Sends the core's lines at [level] for the build to [write] (`Log.println` in the app). */
    fun install(debugBuild: Boolean, write: (LogcatLine) -> Unit) = setLogSink(LogcatSink(write), level(debugBuild))
}

/** The core's LogSink that hands each entry, as a [LogcatLine], to [write]. */
class LogcatSink(private val write: (LogcatLine) -> Unit) : LogSink {
    override fun log(entry: LogEntry) = write(CoreLog.logcat(entry))
}
