import Cordon
import Foundation
import XCTest

/// The sync engine driven through the binding, with a scripted transport standing in for
/// the server (the reference server's own turn is in ReferenceServerSyncTests).
final class SyncEngineTests: XCTestCase {
    private var dir: URL!
    private let config = defaultSyncConfig("https://sync.example.test/")

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    func testBeforeEnrolmentAPassReportsNotEnrolledAndSendsNothing() async throws {
        let store = try openStore(dir)
        _ = try store.recordCheckIn(duress())
        let transport = RecordingTransport { _ in throw TestFailure("nothing should be sent") }
        let sync = try CordonSync(store, transport, config)

        let pass = try await sync.syncOnce()
        XCTAssertEqual(pass.outcome, .notEnrolled)
        XCTAssertTrue(transport.requests.isEmpty)
        XCTAssertNil(try sync.nextSyncAt())
    }

    func testEnrolmentThroughTheAppsTransportStoresTheOfficerAndTheToken() async throws {
        let store = try openStore(dir)
        let deviceId = try store.deviceIdentity().deviceId
        let transport = RecordingTransport { _ in
            jsonResponse(200, #"{"server_time":"\#(serverTime())","token":"tok-123","device_id":"\#(deviceId)","officer_id":"\#(officerId)","organisation_id":"\#(organisationId)"}"#)
        }
        let sync = try CordonSync(store, transport, config)

        let enrolled = try await sync.enrol("K7QX-2M9P")

        XCTAssertEqual(enrolled.token, "tok-123")
        XCTAssertEqual(try store.deviceIdentity().officerId, officerId)
        XCTAssertTrue(try sync.status().enrolled)
        XCTAssertEqual(transport.requests.map(\.url), ["https://sync.example.test/v1/enrol"])
    }

    func testABatchRefusedAsMalformedBecomesDeadLettersThatCanBeRequeuedOrDiscarded() async throws {
        let store = try openStore(dir)
        _ = try store.upsertAssignment(assignment())
        _ = try store.recordCheckIn(checkIn(.clockOn))
        _ = try store.recordCheckIn(checkIn(.welfare))
        let transport = RecordingTransport { request in
            request.kind == .push ? errorResponse(400, code: "bad_request", message: "batch over the limit") : emptyPull()
        }
        let sync = try CordonSync(store, transport, config)
        try sync.setToken("token-1")

        let report = try await sync.syncOnce()

        XCTAssertEqual(report.outcome, .completed)
        XCTAssertEqual(report.rejected, 2)
        let dead = try store.deadLetters()
        XCTAssertEqual(dead.map(\.state), [.dead, .dead])
        XCTAssertTrue(dead.allSatisfy { $0.lastError?.contains("batch over the limit") == true })
        try store.requeueDead(dead[0].seq)
        try store.discardDead(dead[1].seq)
        XCTAssertEqual(try store.deadLetters(), [])
        XCTAssertEqual(try store.queuedOperations().map(\.seq), [dead[0].seq])
    }

    func testARefusedTokenPausesSyncUntilTheAppSetsANewOne() async throws {
        let store = try openStore(dir)
        _ = try store.recordCheckIn(duress())
        let transport = RecordingTransport { _ in errorResponse(401, code: "unauthorized", message: "token revoked") }
        let sync = try CordonSync(store, transport, config)
        try sync.setToken("old-token")

        guard case .authPaused = try await sync.syncOnce().outcome else { return XCTFail("expected auth paused") }
        guard case .authPaused = try await sync.syncOnce().outcome else { return XCTFail("expected auth paused") }
        XCTAssertEqual(transport.requests.count, 1)

        try sync.setToken("new-token")
        XCTAssertFalse(try sync.status().authPaused)
        XCTAssertEqual(try store.outboxStatus().pending.urgent, 1)
    }

    func testTheListenerHearsStatusChangesAndNextSyncFollowsConnectivity() throws {
        final class Heard: SyncListener, @unchecked Sendable {
            private let lock = NSLock()
            private var statuses: [SyncStatus] = []
            func onStatus(status: SyncStatus) {
                lock.lock()
                statuses.append(status)
                lock.unlock()
            }
            var all: [SyncStatus] {
                lock.lock()
                defer { lock.unlock() }
                return statuses
            }
        }
        let store = try openStore(dir)
        let heard = Heard()
        let sync = try CordonSync(store, RecordingTransport { _ in emptyPull() }, config)
        sync.setListener(heard)
        try sync.setToken("token-1")
        _ = try store.recordCheckIn(duress())
        XCTAssertNotNil(try sync.nextSyncAt())

        try sync.setOnline(false)
        XCTAssertEqual(heard.all.last?.online, false)
        XCTAssertNil(try sync.nextSyncAt())

        try sync.setOnline(true)
        XCTAssertEqual(heard.all.last?.online, true)
        let next = try XCTUnwrap(try sync.nextSyncAt())
        XCTAssertLessThanOrEqual(next, Date().addingTimeInterval(1), "a queued alarm is due now")
        XCTAssertEqual(heard.all.count, 3)

        sync.setListener(nil)
        try sync.setOnline(false)
        XCTAssertEqual(heard.all.count, 3)
    }
}
