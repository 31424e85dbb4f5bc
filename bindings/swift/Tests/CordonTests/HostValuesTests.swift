import Cordon
import Foundation
import XCTest

/// Whatever value a Swift app can hold reaches the core: an alarm is always stored
/// (repaired), any other call answers a typed CordonError. Nothing traps.
final class HostValuesTests: StoreTestCase {
    /// Dates a Double can hold that are no instant a calendar knows.
    private let noTimes: [Date] = [
        Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: .infinity),
        Date(timeIntervalSince1970: -.infinity), Date(timeIntervalSince1970: 1e19),
        Date(timeIntervalSince1970: -1e19), .distantFuture,
    ]

    private func invalidInput(_ error: Error?) -> (String, InputRule)? {
        guard case let .InvalidInput(field, rule, _)? = error as? CordonError else { return nil }
        return (field, rule)
    }

    func testADuressAtADateThatIsNoTimeIsStoredAtTheDeviceClockWithItsPosition() throws {
        for date in noTimes {
            let before = nowMillis()
            let stored = try store.recordCheckIn(NewCheckIn(
                kind: .duress, occurredAt: date,
                location: Location(latitude: 51.5, longitude: -0.12, fixTime: date)))
            XCTAssertGreaterThanOrEqual(stored.occurredAt, before, "\(date.timeIntervalSince1970)")
            XCTAssertLessThanOrEqual(stored.occurredAt, Date(), "\(date.timeIntervalSince1970)")
            XCTAssertEqual(stored.location?.latitude, 51.5)
            XCTAssertNil(stored.location?.fixTime)
        }
        XCTAssertEqual(try store.outboxStatus().pending.urgent, Int64(noTimes.count))
    }

    func testAWelfareCheckInAtADateThatIsNoTimeIsRefusedOnItsField() throws {
        _ = try store.upsertAssignment(assignment())
        for date in [Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: 1e19)] {
            let error = errorThrown { try store.recordCheckIn(checkIn(.welfare, occurredAt: date)) }
            let refused = try XCTUnwrap(invalidInput(error), "\(String(describing: error))")
            XCTAssertEqual(refused.0, "occurredAt")
            XCTAssertEqual(refused.1, .notATime)
        }
        var late = checkIn(.welfare)
        late.location = Location(latitude: 51.5, longitude: -0.12, fixTime: Date(timeIntervalSince1970: -.infinity))
        let error = errorThrown { try store.recordCheckIn(late) }
        XCTAssertEqual(invalidInput(error)?.0, "location.fixTime")
        XCTAssertEqual(try store.outboxStatus().pending.normal, 0)
    }

    func testAMillisecondReadsBackAsADateNeverLaterThanIt() throws {
        _ = try store.upsertAssignment(assignment())
        let base: Int64 = 1_795_000_000_000
        for offset: Int64 in [1, 3, 7, 123, 456, 789, 999] {
            let ms = base + offset
            let stored = try store.recordCheckIn(checkIn(.welfare, occurredAt: Date(timeIntervalSince1970: Double(ms) / 1000)))
            let seconds = stored.occurredAt.timeIntervalSince1970
            // seconds * 1000 - ms, computed exactly: never above the instant.
            XCTAssertLessThanOrEqual((-Double(ms)).addingProduct(seconds, 1000), 0, "\(ms)")
            // ... and the same millisecond when it goes back in.
            let again = try store.recordCheckIn(checkIn(.welfare, occurredAt: stored.occurredAt))
            XCTAssertEqual(again.occurredAt, stored.occurredAt)
        }
    }

    func testARecordStoredNowNeverReadsAsLaterThanAClockReadingTakenAfter() throws {
        for _ in 0..<200 {
            let recorded = try store.recordCheckIn(NewCheckIn(kind: .panic)).recordedAt
            XCTAssertLessThanOrEqual(recorded, Date())
        }
    }

    func testADuressIsOneArgumentAndAnAmendmentNamesOnlyWhatItChanges() throws {
        let alarm = try store.recordCheckIn(NewCheckIn(kind: .duress))
        XCTAssertEqual(alarm.timeZone, "Etc/UTC")

        let draft = try store.createReport(incident())
        _ = try store.submitReport(draft.id)
        let amendment = try store.amendReport(
            draft.id, NewAmendment(author: officerId, reason: "severity agreed", patch: IncidentPatch(severity: .high)))
        XCTAssertEqual(amendment.changedFields, ["severity"])
        XCTAssertEqual(try store.report(draft.id).content.severity, .high)
    }

    func testErrorsReadAsOneLineThroughLocalizedDescription() throws {
        _ = try store.upsertAssignment(assignment())
        let error = try XCTUnwrap(errorThrown { try store.recordCheckIn(checkIn(.welfare, timeZone: "Mars/Olympus_Mons")) })
        XCTAssertEqual(error.localizedDescription, #"invalid timeZone: "Mars/Olympus_Mons" is not an IANA time zone"#)
        XCTAssertEqual(invalidInput(error)?.1, .unknownTimeZone)
    }

    func testAConfigurationTheEngineCannotUseIsRefusedWhenTheEngineIsMade() throws {
        let base = defaultSyncConfig("https://sync.example.test")
        var zeroChunk = base
        zeroChunk.chunkBytes = 0
        var blank = base
        blank.serverUrl = ""
        var noScheme = base
        noScheme.serverUrl = "sync.example.test"
        let cases: [(SyncConfig, String, InputRule)] = [
            (zeroChunk, "chunkBytes", .outOfRange), (blank, "serverUrl", .blank), (noScheme, "serverUrl", .badFormat),
        ]
        for (config, field, rule) in cases {
            let error = errorThrown { try CordonSync(store, RecordingTransport { _ in emptyPull() }, config) }
            let refused = try XCTUnwrap(invalidInput(error), "\(String(describing: error))")
            XCTAssertEqual(refused.0, field)
            XCTAssertEqual(refused.1, rule)
        }
    }

    func testAnAttachmentPathNeverLeadsOutsideTheStore() throws {
        let error = errorThrown { try store.attachmentPath("../../../etc/passwd") }
        XCTAssertEqual(error as? CordonError, .NotFound(record: "attachment", id: "../../../etc/passwd"))
    }
}

/// Swift task cancellation and the bounds of a pass.
final class PassBoundsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    /// Holds the first push until released; answers every push as applied.
    private final class Parking: @unchecked Sendable {
        let inPush = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var parked = false

        lazy var transport = RecordingTransport { [unowned self] request in
            guard request.kind == .push else { return emptyPull() }
            self.lock.lock()
            let first = !self.parked
            self.parked = true
            self.lock.unlock()
            if first {
                self.inPush.signal()
                _ = self.release.wait(timeout: .now() + 30)
            }
            return PassBoundsTests.applied(request)
        }
    }

    fileprivate static func applied(_ request: HttpRequest) -> HttpResponse {
        let push = try! JSONSerialization.jsonObject(with: request.body) as! [String: Any]
        let results = (push["operations"] as! [[String: Any]]).map {
            #"{"id":"\#($0["id"] as! String)","seq":\#($0["seq"] as! Int),"status":"applied","server_version":1}"#
        }
        return jsonResponse(200, #"{"server_time":"\#(serverTime())","results":[\#(results.joined(separator: ","))]}"#)
    }

    private func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let until = Date().addingTimeInterval(10)
        while try !condition() {
            guard Date() < until else { return XCTFail("timed out waiting until \(what)") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    func testCancellingTheTaskReturnsAtOnceAndThePassStopsAfterTheRequestInHand() async throws {
        let store = try openStore(dir)
        for _ in 0..<3 { _ = try store.recordCheckIn(duress()) }
        let parking = Parking()
        var config = defaultSyncConfig("https://sync.example.test")
        config.batch.maxOperations = 1
        let sync = try CordonSync(store, parking.transport, config)
        try sync.setToken("token-1")

        let pass = Task { try await sync.syncOnce() }
        XCTAssertEqual(parking.inPush.wait(timeout: .now() + 30), .success)
        let started = Date()
        pass.cancel()
        let summary = try await pass.value
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        XCTAssertEqual(summary.outcome, .cancelled)

        parking.release.signal()
        try waitUntil("the cancelled pass ends") {
            let status = try store.outboxStatus()
            return status.inFlight.urgent == 0 && status.pending.urgent == 2
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(parking.transport.kinds, [.push])
        XCTAssertEqual(try store.outboxStatus().pending.urgent, 2)
    }

    func testASecondCordonSyncOverTheSameStoreFindsThePassAlreadyRunning() async throws {
        let store = try openStore(dir)
        _ = try store.recordCheckIn(duress())
        let parking = Parking()
        let other = RecordingTransport { _ in emptyPull() }
        let config = defaultSyncConfig("https://sync.example.test")
        let first = try CordonSync(store, parking.transport, config)
        let second = try CordonSync(store, other, config)
        try first.setToken("token-1")

        let pass = Task { try await first.syncOnce() }
        XCTAssertEqual(parking.inPush.wait(timeout: .now() + 30), .success)
        let answer = try await second.syncOnce()
        parking.release.signal()

        XCTAssertEqual(answer.outcome, .alreadyRunning)
        let firstOutcome = try await pass.value.outcome
        XCTAssertEqual(firstOutcome, .completed)
        XCTAssertTrue(other.requests.isEmpty)
    }
}
