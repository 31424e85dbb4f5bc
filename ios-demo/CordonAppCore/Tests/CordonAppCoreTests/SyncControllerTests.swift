import Cordon
@testable import CordonAppCore
import XCTest

/// What the platform's connectivity callback and background task make of the engine
/// through `SyncController`: passes only on a real change of connectivity, no error out of
/// the callback, and a background pass that ends when its time is up.
@MainActor
final class SyncControllerTests: XCTestCase {
    private var store: CordonStore!
    private var engine: CordonSync!
    private var sync: ScriptedSync!
    private var controller: SyncController!

    override func setUp() async throws {
        store = try openStore(try temporaryDirectory())
        // Not enrolled: a pass ends at once without a request.
        engine = try CordonSync(store, NoNetwork(), defaultSyncConfig("http://127.0.0.1:9"))
        sync = ScriptedSync(engine)
        controller = SyncController(sync: sync)
    }

    /// Lets the passes that `setOnline` requested start (they are tasks on the main actor).
    private func settle() async throws {
        try await Task.sleep(for: .milliseconds(100))
    }

    func testRepeatedReportsOfTheSameConnectivityReachTheEngineAndStartAPassOnlyOnce() async throws {
        for _ in 0..<3 { controller.setOnline(true) } // e.g. Wi-Fi to cellular: still satisfied
        for _ in 0..<2 { controller.setOnline(false) }
        for _ in 0..<2 { controller.setOnline(true) }
        try await settle()

        XCTAssertEqual(sync.onlineReports, [true, false, true])
        XCTAssertEqual(sync.passesStarted, 2)
    }

    func testGoingOfflineStartsNoPass() async throws {
        controller.setOnline(false)
        try await settle()

        XCTAssertEqual(sync.onlineReports, [false])
        XCTAssertEqual(sync.passesStarted, 0)
    }

    func testAStorageErrorWhileRecordingConnectivityIsKeptForTheScreenAndTheNextReportTriesAgain() async throws {
        sync.failNextSetOnline(with: CordonError.Storage(detail: "disk I/O error"))

        controller.setOnline(true)
        try await settle()

        XCTAssertNotNil(controller.problem)
        XCTAssertEqual(sync.passesStarted, 0)

        controller.setOnline(true)
        try await settle()

        XCTAssertEqual(sync.onlineReports, [true, true])
        XCTAssertNil(controller.problem)
        XCTAssertEqual(sync.passesStarted, 1)
    }

    func testABackgroundPassThatOutrunsItsBudgetIsCancelledInTheEngineAndReturns() async throws {
        sync.drainWaitsForCancel()
        let started = Date()

        _ = try await controller.backgroundPass(budget: .milliseconds(100))

        XCTAssertEqual(sync.cancelCalls, 1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testABackgroundPassWithinItsBudgetIsNotCancelled() async throws {
        _ = try await controller.backgroundPass(budget: .milliseconds(100))
        try await Task.sleep(for: .milliseconds(300)) // past the budget: the deadline went with the pass

        XCTAssertEqual(sync.cancelCalls, 0)
        XCTAssertEqual(sync.passesStarted, 1)
    }
}
