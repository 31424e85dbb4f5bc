import Cordon
@testable import CordonAppCore
import Foundation
import XCTest

/// The sighting screen against the real server: the BOLO list pulled by a sync, then a
/// sighting written with no signal (its registration typed differently) shows the match at
/// once; a sighting of nothing is the core's typed error, with nothing stored.
@MainActor
final class SightingModelTests: XCTestCase {
    private nonisolated(unsafe) static var server: ReferenceServer!

    override nonisolated class func setUp() {
        super.setUp()
        do {
            server = try ReferenceServer()
        } catch {
            fatalError("reference server: \(error)")
        }
    }

    override nonisolated class func tearDown() {
        server?.stop()
        super.tearDown()
    }

    private var office: ReferenceServer { Self.server }

    private func phone(_ officer: String) async throws -> (CordonStore, CordonSync) {
        let store = try openStore(try temporaryDirectory(), "phone.db")
        let sync = try CordonSync(store, URLSessionTransport(), defaultSyncConfig(office.url))
        _ = try await sync.enrol(office.enrolmentCode(officer: officer))
        return (store, sync)
    }

    func testASightingWrittenOfflineThatMatchesThePulledBoloListShowsTheMatchAtOnce() async throws {
        let (store, sync) = try await phone("OFC-DEMO-SIGHT")
        _ = try office.admin("bolo", "add", "--organisation", organisationId, "--registration", "AB12 CDE",
                             "--reason", "Photographed the residence", "--priority", "high")
        _ = try await sync.syncOnce()
        let screen = SightingModel(store: store, zone: london.identifier, text: TimeText(zone: london))
        await screen.refresh()
        XCTAssertEqual(screen.bolo, ["AB12CDE · high · Photographed the residence"])

        // No sync from here: the phone has no signal.
        await screen.record(SightingForm(place: "Mews", registration: "XY11 ZZZ", colour: "Blue"))
        XCTAssertNil(screen.alert)
        await screen.record(SightingForm(place: "East gate", registration: "ab-12 cde", subject: "Two men, long lens"))

        XCTAssertEqual(screen.alert, "BOLO MATCH: AB12CDE (high): Photographed the residence")
        XCTAssertTrue(screen.saved?.hasPrefix("Sighting logged ") ?? false, "\(String(describing: screen.saved))")
        XCTAssertEqual(try store.outboxStatus().pending.urgent, 1)
        XCTAssertEqual(try store.outboxStatus().pending.normal, 1)
    }

    func testASightingOfNothingIsRefusedWithTheCoresMessageAndNothingIsStored() async throws {
        let (store, _) = try await phone("OFC-DEMO-SIGHT-BAD")
        let screen = SightingModel(store: store, zone: london.identifier, text: TimeText(zone: london))

        await screen.record(SightingForm(place: "East gate"))

        var expected: String?
        do { _ = try store.recordSighting(NewSighting(place: "East gate")) } catch { expected = UserMessages.of(error) }
        XCTAssertNotNil(screen.message)
        XCTAssertEqual(screen.message, expected)
        XCTAssertNil(screen.saved)
        XCTAssertEqual(try store.sightings().count, 0)
    }
}
