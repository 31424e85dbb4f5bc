import Foundation

/// Times as the screens show them, in the officer's zone: the same words as the Android
/// app's `TimeText`.
public struct TimeText: Sendable {
    private let clockFormat: DateFormatter
    private let dayFormat: DateFormatter

    public init(zone: TimeZone, locale: Locale = Locale(identifier: "en_GB")) {
        func formatter(_ pattern: String) -> DateFormatter {
            let f = DateFormatter()
            f.locale = locale
            f.timeZone = zone
            f.dateFormat = pattern
            return f
        }
        clockFormat = formatter("HH:mm")
        dayFormat = formatter("EEE d MMM HH:mm")
    }

    /// "19:30"
    public func clock(_ date: Date) -> String { clockFormat.string(from: date) }

    /// "Sat 28 Nov 19:30"
    public func dayAndClock(_ date: Date) -> String { dayFormat.string(from: date) }

    /// "Sat 28 Nov 18:00 – Sun 29 Nov 06:00"
    public func window(_ start: Date, _ end: Date) -> String { "\(dayAndClock(start)) – \(dayAndClock(end))" }

    /// Time left, as "1 h 05 min", "12 min 03 s" or "45 s", counting a started second up:
    /// a countdown shows "1 s" until the moment it is due, never "0 s" before.
    public static func remaining(_ interval: TimeInterval) -> String {
        words(Int((milliseconds(interval) / 1000).rounded(.up)))
    }

    /// Time gone by ("overdue by"), counting whole seconds only, as a stopwatch does.
    public static func elapsed(_ interval: TimeInterval) -> String {
        words(Int((milliseconds(interval) / 1000).rounded(.down)))
    }

    /// To the millisecond first (the core's precision): a `Date` may be a hair off it,
    /// which must not tip a whole second.
    private static func milliseconds(_ interval: TimeInterval) -> Double { (abs(interval) * 1000).rounded() }

    private static func words(_ total: Int) -> String {
        let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60)
        if hours > 0 { return "\(hours) h \(String(format: "%02d", minutes)) min" }
        if minutes > 0 { return "\(minutes) min \(String(format: "%02d", seconds)) s" }
        return "\(seconds) s"
    }

    /// A policy interval in seconds as "30 min", "1 h", "1 h 30 min" or "45 s".
    public static func interval(seconds: Int32) -> String {
        let s = Int(seconds)
        let parts = [(s / 3600, "h"), (s % 3600 / 60, "min"), (s % 60, "s")]
            .filter { $0.0 > 0 }
            .map { "\($0.0) \($0.1)" }
        return parts.isEmpty ? "0 s" : parts.joined(separator: " ")
    }
}

/// Store calls are short disk reads and writes: run them off the main actor.
func offMain<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await Task.detached(priority: .userInitiated) { try body() }.value
}
