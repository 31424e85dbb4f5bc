import Cordon
@testable import CordonAppCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

let london = TimeZone(identifier: "Europe/London")!

/// A clock the test moves by hand (read from the duress ticker's task, hence the lock).
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = nowMillis()) { current = start }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(by seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }

    /// The clock as the models take it.
    var reader: @Sendable () -> Date { { [self] in self.now } }
}

/// Waits (yielding to the main actor) until `condition` holds; fails the test after `timeout`.
@MainActor
func waitUntil(_ what: String, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line,
               _ condition: () -> Bool) async {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline {
            XCTFail("timed out waiting until \(what)", file: file, line: line)
            return
        }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// `XCTAssertTrue` for a value awaited in the argument (XCTest's autoclosures cannot await).
func succeeds(_ ok: Bool, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(ok, message, file: file, line: line)
}

/// `XCTAssertFalse` for a value awaited in the argument.
func fails(_ ok: Bool, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(ok, message, file: file, line: line)
}

/// The office's side of the reference server, as the tests of the app's models need it.
extension ReferenceServer {
    /// Puts `officer` on assignment `id` (reference OP-`id`): the sample assignment
    /// (fixtures/assignment.json, a static post with a 30-minute welfare interval) under that
    /// id and `title`.
    func assign(officer: String, id: String, title: String? = nil) throws {
        try assign(officer: officer, file: assignmentFile(in: dir, id: id, reference: "OP-\(id)", title: title))
    }

    /// Every check-in the office holds, as `cordon admin list check-ins --json` prints them.
    func checkInsJSON() throws -> String { try admin("list", "check-ins", "--json") }
}

/// Hands each request to the app's transport and records their kinds and bodies in order.
final class Recorder: Transport, @unchecked Sendable {
    private let next: Transport
    private let lock = NSLock()
    private var sent: [HttpRequest] = []

    init(_ next: Transport) { self.next = next }

    var requests: [HttpRequest] {
        lock.lock()
        defer { lock.unlock() }
        return sent
    }

    func forget() {
        lock.lock()
        sent.removeAll()
        lock.unlock()
    }

    func send(request: HttpRequest) throws -> HttpResponse {
        lock.lock()
        sent.append(request)
        lock.unlock()
        return try next.send(request: request)
    }
}
