import Cordon
import Foundation
import XCTest

/// The core's log lines reach the app's LogSink: real sync passes against the reference
/// server (`cordon serve`) log their end, and the sink and level decide what arrives.
final class LogSinkTests: ServerTestCase {
    override func tearDownWithError() throws {
        setLogSink(nil, .info)
        try super.tearDownWithError()
    }

    /// Keeps every entry it is given (called on the sync worker thread).
    private final class RecordingSink: LogSink, @unchecked Sendable {
        private let lock = NSLock()
        private var received: [LogEntry] = []

        var entries: [LogEntry] {
            lock.lock()
            defer { lock.unlock() }
            return received
        }

        var passesEnded: [LogEntry] { entries.filter { $0.message == "sync pass ended" } }

        func log(_ entry: LogEntry) {
            lock.lock()
            received.append(entry)
            lock.unlock()
        }
    }

    /// Counts the passes it hears of, then throws, as a sink whose log file is full would.
    private final class ThrowingSink: LogSink, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0

        var passesEnded: Int {
            lock.lock()
            defer { lock.unlock() }
            return count
        }

        func log(_ entry: LogEntry) throws {
            if entry.message == "sync pass ended" {
                lock.lock()
                count += 1
                lock.unlock()
            }
            throw TestFailure("the app's log file is full")
        }
    }

    /// A fresh device enrolled with the server; returns its sync and the id of the duress
    /// alarm it queued.
    private func deviceWithAnAlarm() async throws -> (CordonSync, String) {
        let store = try openStore(dir, "device-\(UUID().uuidString).db")
        let sync = try CordonSync(store, URLSessionTransport(),
                              defaultSyncConfig(server.url))
        _ = try await sync.enrol(server.enrolmentCode(officer: "OFC-\(UUID().uuidString.prefix(8))"))
        return (sync, try store.recordCheckIn(duress()).id)
    }

    func testASyncPassDeliversItsEndAtInfoWithTheOutcomeAndCountsAsFields() async throws {
        let sink = RecordingSink()
        setLogSink(sink, .info)
        let (sync, _) = try await deviceWithAnAlarm()

        let report = try await sync.syncOnce()

        XCTAssertEqual(report.outcome, .completed)
        XCTAssertEqual(report.applied, 1)
        XCTAssertEqual(sink.passesEnded, [
            LogEntry(
                level: .info, target: "cordon_core::sync", message: "sync pass ended",
                fields: ["outcome": "completed", "requests": "\(report.requests)", "applied": "1",
                         "duplicates": "0", "rejected": "0"],
                line: "sync pass ended outcome=completed requests=\(report.requests) applied=1 duplicates=0 rejected=0"),
        ])
    }

    func testAtWarnACompletedSyncPassDeliversNothing() async throws {
        let sink = RecordingSink()
        setLogSink(sink, .warn)
        let (sync, _) = try await deviceWithAnAlarm()

        let report = try await sync.syncOnce()

        XCTAssertEqual(report.outcome, .completed)
        XCTAssertEqual(sink.entries, [])
    }

    func testASinkThatThrowsLosesItsEntriesAndTheAlarmStillReachesTheOffice() async throws {
        let sink = ThrowingSink()
        setLogSink(sink, .info)
        let (sync, alarmId) = try await deviceWithAnAlarm()

        let first = try await sync.syncOnce()
        let second = try await sync.syncOnce()

        XCTAssertEqual([first.outcome, second.outcome], [.completed, .completed])
        XCTAssertEqual(first.applied, 1)
        XCTAssertEqual(sink.passesEnded, 2, "the sink was still called for the second pass")
        let office = try server.admin("list", "check-ins", "--json")
        XCTAssertEqual(office.components(separatedBy: alarmId).count - 1, 1, "the office holds the alarm once")
    }

    func testRemovingTheSinkStopsDeliveryAndANewSinkReplacesTheOldOne() async throws {
        let first = RecordingSink()
        setLogSink(first, .info)
        let (sync, _) = try await deviceWithAnAlarm()
        _ = try await sync.syncOnce()
        XCTAssertEqual(first.passesEnded.count, 1)

        setLogSink(nil, .info)
        _ = try await sync.syncOnce()
        XCTAssertEqual(first.passesEnded.count, 1, "nothing arrives without a sink")

        let second = RecordingSink()
        setLogSink(second, .info)
        _ = try await sync.syncOnce()
        XCTAssertEqual(first.passesEnded.count, 1, "the replaced sink hears nothing more")
        XCTAssertEqual(second.passesEnded.map { $0.fields["outcome"] }, ["completed"])
    }
}
