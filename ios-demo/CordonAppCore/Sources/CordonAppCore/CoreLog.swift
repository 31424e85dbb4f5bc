import Cordon
#if canImport(os)
import os
#endif

/// How os_log files a line: the cases of `OSLogType` (which Linux has not).
public enum CoreLogType: Equatable, Sendable {
    case debug, info, `default`, error, fault
}

/// A line for os_log: `Logger(subsystem:category:).log(level:_:)`.
public struct CoreLogLine: Equatable, Sendable {
    public let subsystem: String
    public let category: String
    public let type: CoreLogType
    public let message: String
}

/// The core's log lines in os_log (Console.app, `log stream --subsystem io.cordon`). The
/// app installs it once, handing each line to a `Logger`; everything else is here, where
/// the tests reach it.
public enum CoreLog {
    /// The subsystem of every line the core logs; the category is where in the core.
    public static let subsystem = "io.cordon"

    /// Warnings are os_log's default type (kept, and distinct from errors); debug and
    /// trace are both debug (not kept unless streamed).
    public static func type(_ level: LogLevel) -> CoreLogType {
        switch level {
        case .error: return .error
        case .warn: return .default
        case .info: return .info
        case .debug, .trace: return .debug
        }
    }

    /// `sync pass ended outcome=completed requests=2 ...` in category `cordon_core::sync`.
    public static func line(_ entry: LogEntry) -> CoreLogLine {
        CoreLogLine(subsystem: subsystem, category: entry.target, type: type(entry.level), message: entry.line)
    }

    /// Debug builds show the core's debug lines; release builds info and above.
    public static func level(debugBuild: Bool) -> LogLevel { debugBuild ? .debug : .info }

    /// Sends the core's lines at the level for the build to `write` (a `Logger` in the app).
    public static func install(debugBuild: Bool, write: @escaping @Sendable (CoreLogLine) -> Void) {
        setLogSink(OSLogSink(write: write), level(debugBuild: debugBuild))
    }
}

/// The core's LogSink that hands each entry, as a `CoreLogLine`, to `write`.
public final class OSLogSink: LogSink, Sendable {
    private let write: @Sendable (CoreLogLine) -> Void

    public init(write: @escaping @Sendable (CoreLogLine) -> Void) {
        self.write = write
    }

    public func log(_ entry: LogEntry) {
        write(CoreLog.line(entry))
    }
}

#if canImport(os)
extension CoreLogType {
    public var osLogType: OSLogType {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .default: return .default
        case .error: return .error
        case .fault: return .fault
        }
    }
}
#endif
