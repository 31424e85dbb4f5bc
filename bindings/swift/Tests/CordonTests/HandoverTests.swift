import Cordon
import Foundation
import XCTest

/// The rota and handovers through the generated Swift, with two phones (two stores, two
/// enrolments) against one real reference server (`cordon serve`).
final class HandoverTests: XCTestCase {
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

    private func phone(_ officer: String) async throws -> (CordonStore, CordonSync) {
        let store = try openStore(dir, "\(officer).db")
        let sync = try CordonSync(store, URLSessionTransport(), defaultSyncConfig(server.url))
        _ = try await sync.enrol(server.enrolmentCode(officer: officer))
        return (store, sync)
    }

    private func unacknowledgedAtOffice() throws -> [String] {
        let out = try server.admin("handover", "list", "--organisation", organisationId, "--unacknowledged", "--json")
        let rows = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
        return rows.compactMap { $0["id"] as? String }
    }

    func testANoteWrittenOfflineReachesTheIncomingPhoneIsAcknowledgedOnceAndTheOutgoingPhoneLearnsOfIt() async throws {
        let (outgoing, outgoingSync) = try await phone("OFC-OUT")
        let (incoming, incomingSync) = try await phone("OFC-IN")
        try server.admin("assignment", "--file", assignmentFile(in: dir).path, "--organisation", organisationId,
                         "--officer", "OFC-OUT", "--officer", "OFC-IN")
        _ = try await outgoingSync.syncOnce()
        _ = try await incomingSync.syncOnce()

        let note = try outgoing.writeHandover(NewHandover(
            assignmentId: halcyonId, toOfficerId: "OFC-IN",
            principalState: "<b>Asleep</b> in the east suite since 23:10.",
            openIssues: "Press at the north gate.", equipmentAndKeys: "Radio 3, car keys.", watchFor: nil))
        XCTAssertEqual(note.fromOfficerId, "OFC-OUT")
        let own = errorThrown { try outgoing.acknowledgeHandover(note.id) }
        XCTAssertEqual(own as? CordonError, .HandoverNotForYou(handoverId: note.id))

        let sent = try await outgoingSync.syncOnce()
        XCTAssertEqual(sent.applied, 1)
        XCTAssertEqual(try unacknowledgedAtOffice(), [note.id])
        _ = try await incomingSync.syncOnce()
        _ = try await incomingSync.syncOnce()
        XCTAssertEqual(try incoming.handoversToAcknowledge(), [note])

        let acknowledged = try incoming.acknowledgeHandover(note.id)
        XCTAssertNotNil(acknowledged.acknowledgedAt)
        XCTAssertEqual(try incoming.acknowledgeHandover(note.id), acknowledged)
        let pass = try await incomingSync.syncOnce()
        XCTAssertEqual(pass.applied, 1)
        XCTAssertEqual(try unacknowledgedAtOffice(), [])

        _ = try await outgoingSync.syncOnce()
        XCTAssertEqual(try outgoing.handovers().first?.acknowledgedAt, acknowledged.acknowledgedAt)
    }

    func testTheOnCallOfficerCalledInSeesItAfterTheNextSync() async throws {
        let (store, sync) = try await phone("OFC-CALL")
        try server.assign(officer: "OFC-CALL")
        let formatter = ISO8601DateFormatter()
        let now = Date()
        let shift = try server.admin(
            "rota", "set", "--organisation", organisationId, "--assignment", halcyonId, "--officer", "OFC-CALL",
            "--role", "on_call", "--from", formatter.string(from: now.addingTimeInterval(-3600)),
            "--until", formatter.string(from: now.addingTimeInterval(8 * 3600))
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await sync.syncOnce()
        XCTAssertEqual(try store.myDuty().state, .onCall)

        try server.admin("rota", "call-in", "--organisation", organisationId, "--shift", shift)
        _ = try await sync.syncOnce()
        XCTAssertEqual(try store.myDuty().state, .calledIn)
        XCTAssertEqual(try store.unseenCallIns().map(\.shiftId), [shift])
        _ = try store.markCallInSeen(shift)
        XCTAssertEqual(try store.unseenCallIns(), [])
    }
}
