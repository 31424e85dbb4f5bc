import Cordon
import Foundation
import XCTest

/// Post orders acknowledged, through the generated Swift against the real reference server
/// (`cordon serve`): acknowledged offline, delivered once, seen by the office, and asked for
/// again when the office issues a new version.
final class PostOrdersTests: ServerTestCase {
    /// The sample assignment with post orders version `version`, as a file for
    /// `cordon admin assignment`.
    private func assignmentWithOrders(_ version: Int) throws -> URL {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: Samples.file("assignment.json"))) as! [String: Any]
        var orders = json["post_orders"] as! [String: Any]
        orders["version"] = version
        json["post_orders"] = orders
        let file = dir.appendingPathComponent("assignment-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        return file
    }

    /// The office's view of `officer`'s post orders on the sample assignment.
    private func officeRow(_ officer: String) throws -> [String: Any] {
        let out = try server.admin("list", "post-orders", "--json", "--organisation", organisationId)
        let rows = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
        let mine = rows.filter { $0["officer_id"] as? String == officer && $0["assignment_id"] as? String == halcyonId }
        XCTAssertEqual(mine.count, 1)
        return mine[0]
    }

    func testPostOrdersAreAcknowledgedOfflineReachTheOfficeOnceAndANewVersionAsksAgain() async throws {
        let officer = "OFC-ORDERS"
        let store = try openStore(dir, "orders.db")
        let sync = try CordonSync(store, URLSessionTransport(), defaultSyncConfig(server.url))
        _ = try await sync.enrol(server.enrolmentCode(officer: officer))
        try server.assign(officer: officer, file: assignmentWithOrders(2))
        let first = try await sync.syncOnce()
        XCTAssertEqual(first.outcome, .completed)

        let before = try store.postOrdersAcknowledgement(halcyonId)
        XCTAssertEqual(before.version, 2)
        XCTAssertNil(before.acknowledgedAt)

        let acknowledged = try store.acknowledgePostOrders(halcyonId, 2)
        XCTAssertNotNil(acknowledged.acknowledgedAt)
        XCTAssertEqual(try store.acknowledgePostOrders(halcyonId, 2), acknowledged)
        let stale = errorThrown { try store.acknowledgePostOrders(halcyonId, 1) }
        XCTAssertEqual(stale as? CordonError, .PostOrdersNotCurrent(assignmentId: halcyonId, version: 1, current: 2))

        let pass = try await sync.syncOnce()
        XCTAssertEqual(pass.applied, 1)
        XCTAssertEqual(try officeRow(officer)["acknowledged_version"] as? Int, 2)
        XCTAssertEqual(try officeRow(officer)["current_acknowledged"] as? Bool, true)

        try server.assign(officer: officer, file: assignmentWithOrders(3))
        let third = try await sync.syncOnce()
        XCTAssertEqual(third.assignmentsReceived, 1)
        let next = try store.postOrdersAcknowledgement(halcyonId)
        XCTAssertEqual(next.version, 3)
        XCTAssertNil(next.acknowledgedAt)
        XCTAssertEqual(try officeRow(officer)["current_acknowledged"] as? Bool, false)
    }
}
