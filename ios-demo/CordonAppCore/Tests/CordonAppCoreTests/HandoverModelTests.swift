import Cordon
@testable import CordonAppCore
import Foundation
import XCTest

/// The handover screen with two phones against the real server: the outgoing officer
/// writes, the incoming officer acknowledges, and each screen says where the note stands;
/// the duty line says "called in" once the office calls the officer in.
@MainActor
final class HandoverModelTests: XCTestCase {
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

    func testANoteWrittenOnOnePhoneIsAcknowledgedOnTheOtherAndBothScreensSaySo() async throws {
        let (outgoing, outgoingSync) = try await phone("OFC-VM-OUT")
        let (incoming, incomingSync) = try await phone("OFC-VM-IN")
        try office.admin("assignment", "--file", assignmentFile(in: try temporaryDirectory()).path,
                         "--organisation", organisationId, "--officer", "OFC-VM-OUT", "--officer", "OFC-VM-IN")
        _ = try await outgoingSync.syncOnce()
        _ = try await incomingSync.syncOnce()
        let text = TimeText(zone: london)
        let mine = HandoverModel(store: outgoing, text: text)
        let theirs = HandoverModel(store: incoming, text: text)

        let refused = await mine.write(assignmentId: halcyonId, to: "OFC-VM-IN", principalState: "  ")
        XCTAssertFalse(refused)
        XCTAssertEqual(mine.field, "principalState")
        let written = await mine.write(assignmentId: halcyonId, to: "OFC-VM-IN",
                                       principalState: "<b>Asleep</b>, east suite", equipmentAndKeys: "Radio 3")
        XCTAssertTrue(written)
        XCTAssertEqual(mine.all.count, 1)
        XCTAssertTrue(mine.all[0].heading.hasPrefix("To OFC-VM-IN, "), mine.all[0].heading)
        XCTAssertEqual(mine.all[0].status, "Not acknowledged yet")

        _ = try await outgoingSync.syncOnce()
        _ = try await incomingSync.syncOnce()
        await theirs.refresh()
        XCTAssertEqual(theirs.toAcknowledge.map(\.principalState), ["<b>Asleep</b>, east suite"])

        await theirs.acknowledge(theirs.toAcknowledge[0].id)
        XCTAssertEqual(theirs.toAcknowledge, [])
        await mine.acknowledge(mine.all[0].id)
        XCTAssertTrue(mine.message?.contains("only the incoming officer") ?? false, mine.message ?? "")
        _ = try await incomingSync.syncOnce()
        _ = try await outgoingSync.syncOnce()
        await mine.refresh()
        XCTAssertTrue(mine.all[0].status.hasPrefix("Acknowledged "), mine.all[0].status)
    }

    func testTheDutyLineSaysCalledInUntilTheOfficerHasSeenIt() async throws {
        let (store, sync) = try await phone("OFC-VM-CALL")
        try office.assign(officer: "OFC-VM-CALL")
        let formatter = ISO8601DateFormatter()
        let now = Date()
        let shift = try office.admin(
            "rota", "set", "--organisation", organisationId, "--assignment", halcyonId, "--officer", "OFC-VM-CALL",
            "--role", "on_call", "--from", formatter.string(from: now.addingTimeInterval(-3600)),
            "--until", formatter.string(from: now.addingTimeInterval(8 * 3600))
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        try office.admin("rota", "call-in", "--organisation", organisationId, "--shift", shift)
        _ = try await sync.syncOnce()
        let screen = HandoverModel(store: store, text: TimeText(zone: london))

        await screen.refresh()

        XCTAssertTrue(screen.duty?.hasPrefix("Called in by admin at ") ?? false, screen.duty ?? "")
        XCTAssertEqual(screen.unseenCallIn, shift)
        await screen.sawCallIn()
        XCTAssertNil(screen.unseenCallIn)
    }
}
