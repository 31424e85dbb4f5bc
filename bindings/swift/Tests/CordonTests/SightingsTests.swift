import Cordon
import Foundation
import XCTest

/// The surveillance log through the generated Swift against the real reference server
/// (`cordon serve`): the office's BOLO list pulled, a sighting of that car written offline
/// (its registration typed differently) flagged at once and sent urgent, the office's own
/// match beside it; bad input a typed error naming the field.
final class SightingsTests: XCTestCase {
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

    private func sighting(_ registration: String) -> NewSighting {
        NewSighting(timeZone: zone, place: "Opposite the east gate",
                    subject: "Two men, one photographing the gate",
                    vehicle: Vehicle(make: "Ford", model: "Transit", colour: "Grey", registration: registration))
    }

    func testASightingOfACarOnThePulledBoloListIsFlaggedOfflineSentUrgentAndMatchedByTheOfficeToo() async throws {
        let store = try openStore(dir, "sightings.db")
        let sync = try CordonSync(store, URLSessionTransport(), defaultSyncConfig(server.url))
        _ = try await sync.enrol(server.enrolmentCode(officer: "OFC-SIGHT"))
        _ = try server.admin("bolo", "add", "--organisation", organisationId, "--registration", "AB12 CDE",
                             "--reason", "Photographed the residence", "--priority", "high")
        let first = try await sync.syncOnce()
        XCTAssertEqual(first.outcome, .completed)
        let bolo = try store.boloEntries()
        XCTAssertEqual(bolo.map(\.registration), ["AB12CDE"])
        XCTAssertEqual(bolo.first?.priority, .high)

        // No sync in between: the match needs no signal.
        let plain = try store.recordSighting(sighting("XY11 ZZZ"))
        let seen = try store.recordSighting(sighting("ab-12-cde"))
        XCTAssertNil(plain.boloMatch)
        XCTAssertEqual(seen.boloMatch?.registration, "AB12CDE")
        XCTAssertEqual(seen.boloMatch?.boloId, bolo.first?.id)
        XCTAssertEqual(seen.vehicle?.registration, "AB12CDE")
        XCTAssertEqual(try store.outboxStatus().pending.urgent, 1)
        XCTAssertEqual(try store.sightings().map(\.id), [plain.id, seen.id])

        let pass = try await sync.syncOnce()
        XCTAssertEqual(pass.applied, 2)
        let out = try server.admin("list", "sightings", "--organisation", organisationId, "--json")
        let office = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
        XCTAssertEqual(office.first?["id"] as? String, seen.id)
        XCTAssertEqual((office.first?["office_match"] as? [String: Any])?["bolo_id"] as? String, bolo.first?.id)
    }

    func testARegistrationThatIsOnlySpacesAndHyphensIsInvalidInputNamingItWithNothingStored() throws {
        let store = try openStore(dir, "sightings-invalid.db")
        let error = errorThrown { try store.recordSighting(sighting(" - ")) }
        guard case let .InvalidInput(field, rule, _)? = error as? CordonError else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertEqual(field, "vehicle.registration")
        XCTAssertEqual(rule, .blank)
        XCTAssertEqual(try store.sightings().count, 0)
        XCTAssertEqual(try store.outboxStatus().pending.normal, 0)
    }
}
