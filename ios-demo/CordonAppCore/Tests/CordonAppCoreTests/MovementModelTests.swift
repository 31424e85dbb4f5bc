import Cordon
@testable import CordonAppCore
import XCTest

/// The movements screen over a real store: the core decides where each leg stands, offline.
@MainActor
final class MovementModelTests: XCTestCase {
    private let text = TimeText(zone: london)

    private func store() throws -> CordonStore {
        let store = try openStore(try temporaryDirectory())
        _ = try store.upsertAssignment(assignment())
        return store
    }

    private func today() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = london
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date())
    }

    func testALegIsPlannedDepartsIsDelayedWithANewEtaAndArrives() async throws {
        let store = try store()
        let screen = MovementModel(store: store, assignmentId: halcyonId, text: text, day: today())
        let departure = nowMillis().addingTimeInterval(5 * 60)
        let planned = await screen.plan(movementLeg(departure: departure))
        let id = try XCTUnwrap(planned)
        XCTAssertEqual(screen.legs.first?.line, "Planned · departs \(text.clock(departure)) · ETA \(text.clock(departure.addingTimeInterval(45 * 60)))")

        await screen.depart(id)
        XCTAssertEqual(screen.legs.first?.status, .underWay)
        let newEta = departure.addingTimeInterval(70 * 60)
        await screen.delay(id, newEta: newEta)
        XCTAssertEqual(screen.legs.first?.line, "Delayed · ETA \(text.clock(newEta))")
        await screen.arrive(id)

        XCTAssertEqual(screen.legs.first?.status, .arrived)
        XCTAssertEqual(screen.legs.first?.path, "Residence → Embassy, Grosvenor Square")
        XCTAssertEqual(screen.overdue, 0)
        XCTAssertNil(screen.message)
        XCTAssertEqual(try store.queuedOperations().count, 4, "one plan and three events, queued for the office")
    }

    func testALegPastItsEtaPlusGraceShowsOverdueOfflineAndADelayClearsIt() async throws {
        let screen = MovementModel(store: try store(), assignmentId: halcyonId, text: text, day: today())
        // Left an hour ago, ETA 15 minutes ago; the sample's grace is 5 minutes.
        let planned = await screen.plan(movementLeg(departure: nowMillis().addingTimeInterval(-3600)))
        let id = try XCTUnwrap(planned)
        await screen.depart(id)

        XCTAssertEqual(screen.overdue, 1)
        XCTAssertEqual(screen.legs.first?.status, .overdue)
        XCTAssertTrue(screen.legs.first?.line.hasPrefix("OVERDUE · ETA ") ?? false)

        await screen.delay(id, newEta: nowMillis().addingTimeInterval(20 * 60))
        XCTAssertEqual(screen.overdue, 0)
        XCTAssertEqual(screen.legs.first?.status, .delayed)
    }

    func testAnEventOutOfOrderIsRefusedWithASentenceAndNothingChanges() async throws {
        let store = try store()
        let screen = MovementModel(store: store, assignmentId: halcyonId, text: text, day: today())
        let planned = await screen.plan(movementLeg(departure: nowMillis().addingTimeInterval(5 * 60)))
        let id = try XCTUnwrap(planned)

        await screen.arrive(id)

        XCTAssertNotNil(screen.message)
        XCTAssertEqual(try store.movementLeg(id).status, .planned)
        XCTAssertEqual(try store.queuedOperations().count, 1)
    }
}
