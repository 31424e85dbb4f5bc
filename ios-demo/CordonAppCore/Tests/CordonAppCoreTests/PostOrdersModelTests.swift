import Cordon
@testable import CordonAppCore
import XCTest

/// The post orders line over a real store: the core decides whether the version is acknowledged.
@MainActor
final class PostOrdersModelTests: XCTestCase {
    /// The sample assignment as the office issued it for the `serverVersion`th time, with
    /// post orders `orders`.
    private func issued(serverVersion: Int64, orders: Int32) -> Assignment {
        var a = assignment(serverVersion: serverVersion)
        a.postOrders.version = orders
        return a
    }

    private func store() throws -> CordonStore {
        let store = try openStore(try temporaryDirectory())
        _ = try store.upsertAssignment(issued(serverVersion: 1, orders: 2))
        return store
    }

    func testTheScreenAsksForAnAcknowledgementOfTheVersionThePhoneHolds() async throws {
        let screen = PostOrdersModel(store: try store(), assignmentId: halcyonId, text: TimeText(zone: london))

        await screen.refresh()

        XCTAssertEqual(screen.prompt, "Post orders v2: acknowledge")
        XCTAssertNil(screen.acknowledged)
    }

    func testAcknowledgingClearsThePromptAndQueuesOneOperationForTheOffice() async throws {
        let store = try store()
        let text = TimeText(zone: london)
        let screen = PostOrdersModel(store: store, assignmentId: halcyonId, text: text)
        await screen.refresh()

        await screen.acknowledge()

        XCTAssertNil(screen.prompt)
        let at = try XCTUnwrap(try store.postOrdersAcknowledgement(halcyonId).acknowledgedAt)
        XCTAssertEqual(screen.acknowledged, "Post orders v2 acknowledged \(text.dayAndClock(at))")
        XCTAssertEqual(try store.outboxStatus().pending.normal, 1)
    }

    func testANewVersionFromTheOfficeAsksAgain() async throws {
        let store = try store()
        let screen = PostOrdersModel(store: store, assignmentId: halcyonId, text: TimeText(zone: london))
        await screen.refresh()
        await screen.acknowledge()

        _ = try store.upsertAssignment(issued(serverVersion: 2, orders: 3))
        await screen.refresh()

        XCTAssertEqual(screen.prompt, "Post orders v3: acknowledge")
        XCTAssertNil(screen.acknowledged)
    }

    func testAcknowledgingAVersionTheOfficeHasReplacedSaysSoAndShowsTheNewVersion() async throws {
        let store = try store()
        let screen = PostOrdersModel(store: store, assignmentId: halcyonId, text: TimeText(zone: london))
        await screen.refresh()
        _ = try store.upsertAssignment(issued(serverVersion: 2, orders: 3))

        await screen.acknowledge()

        XCTAssertEqual(screen.prompt, "Post orders v3: acknowledge")
        let message = try XCTUnwrap(screen.message)
        XCTAssertTrue(message.contains("post orders v3"), message)
        XCTAssertNil(try store.postOrdersAcknowledgement(halcyonId).acknowledgedAt)
        XCTAssertEqual(try store.outboxStatus().pending.normal, 0)
    }
}
