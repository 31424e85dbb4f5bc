import Cordon
import Foundation
import XCTest

/// Movements of the principal, through the generated Swift against the real reference
/// server (`cordon serve`): a leg planned and its events recorded offline, the overdue state
/// known offline, the typed refusal of an event out of order, and the leg with its events
/// delivered once and in order to the office.
final class MovementsTests: XCTestCase {
    private var server: ReferenceServer!
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
        server = try ReferenceServer()
    }

    override func tearDownWithError() throws {
        server.stop()
        try FileManager.default.removeItem(at: dir)
    }

    private func event(_ legId: String, _ kind: MovementEventKind, newEta: Date? = nil) -> NewMovementEvent {
        NewMovementEvent(legId: legId, kind: kind, occurredAt: nil, newEta: newEta, route: nil, handedTo: nil, note: nil)
    }

    func testALegDepartsIsOverdueOfflineIsDelayedArrivesAndReachesTheOfficeInOrder() async throws {
        let officer = "OFC-MOVES"
        let store = try openStore(dir, "moves.db")
        let sync = try CordonSync(store, URLSessionTransport(), defaultSyncConfig(server.url))
        _ = try await sync.enrol(server.enrolmentCode(officer: officer))
        try server.assign(officer: officer)
        let first = try await sync.syncOnce()
        XCTAssertEqual(first.outcome, .completed)

        // Departed an hour ago, ETA 15 minutes ago: past ETA plus the sample's 5 minutes' grace.
        let leg = try store.planMovementLeg(movementLeg(departure: nowMillis().addingTimeInterval(-3600)))
        XCTAssertEqual(try store.recordMovementEvent(event(leg.id, .departed)).status, .overdue)
        XCTAssertEqual(try store.overdueLegs().map { $0.leg.id }, [leg.id])

        let twice = errorThrown { try store.recordMovementEvent(event(leg.id, .departed)) }
        guard case let .InvalidInput(field, rule, _)? = twice as? CordonError else {
            return XCTFail("\(String(describing: twice))")
        }
        XCTAssertEqual(field, "kind")
        XCTAssertEqual(rule, .outOfOrder)

        let delayed = try store.recordMovementEvent(event(leg.id, .delayed, newEta: nowMillis().addingTimeInterval(20 * 60)))
        XCTAssertEqual(delayed.status, .delayed)
        XCTAssertEqual(try store.overdueLegs().count, 0)
        XCTAssertEqual(try store.recordMovementEvent(event(leg.id, .arrived)).status, .arrived)

        let pass = try await sync.syncOnce()
        XCTAssertEqual(pass.applied, 4)
        let out = try server.admin("list", "movements", "--json", "--organisation", organisationId)
        let rows = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
        let mine = rows.filter { $0["officer_id"] as? String == officer }
        XCTAssertEqual(mine.count, 1)
        let state = mine[0]["state"] as! [String: Any]
        XCTAssertEqual(state["status"] as? String, "arrived")
        let kinds = (state["events"] as! [[String: Any]]).map { $0["kind"] as? String }
        XCTAssertEqual(kinds, ["departed", "delayed", "arrived"])
        let again = try await sync.syncOnce()
        XCTAssertEqual(again.applied, 0, "delivered once")
    }
}
