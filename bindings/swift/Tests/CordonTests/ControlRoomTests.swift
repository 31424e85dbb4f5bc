import Cordon
import Foundation
import XCTest

/// The control room back on the phone, against the real reference server: an operator's
/// acknowledgement (through `cordon admin alarm acknowledge`, the server's own Rust API)
/// reaches alarmStatuses(), and a message from the control room arrives, is marked read,
/// and its read receipt reaches the server exactly once.
final class ControlRoomTests: ServerTestCase {
    private let operatorName = "op.jones"

    override func setUpWithError() throws {
        try super.setUpWithError()
        try server.admin("operator", "add", "--organisation", organisationId, "--username", operatorName)
    }

    private func enrolledDevice(officer: String) async throws -> (CordonStore, CordonSync) {
        let store = try openStore(dir, "device-\(UUID().uuidString).db")
        let sync = try CordonSync(store, URLSessionTransport(), defaultSyncConfig(server.url))
        _ = try await sync.enrol(server.enrolmentCode(officer: officer))
        return (store, sync)
    }

    func testAPanicAlarmsAcknowledgementByAnOperatorReachesThePhoneWithTheNote() async throws {
        let (store, sync) = try await enrolledDevice(officer: "OFC-PANIC")
        let panic = try store.recordCheckIn(checkIn(.panic, assignmentId: nil))

        _ = try await sync.syncOnce()
        let raised = try XCTUnwrap(try store.alarmStatuses().first)
        XCTAssertEqual(try store.alarmStatuses().count, 1)
        XCTAssertEqual(raised.checkInId, panic.id)
        XCTAssertEqual(raised.kind, .panic)
        XCTAssertEqual(raised.state, .raised)

        try server.admin("alarm", "acknowledge", "--organisation", organisationId, "--alarm", raised.alarmId,
                         "--operator", operatorName, "--note", "Police on the way")
        _ = try await sync.syncOnce()

        let acknowledged = try XCTUnwrap(try store.alarmStatus(panic.id))
        XCTAssertEqual(acknowledged.state, .acknowledged)
        XCTAssertEqual(acknowledged.note, "Police on the way")
        XCTAssertNil(try store.alarmStatus("no-such-check-in"))
    }

    func testAMessageFromTheControlRoomIsReadOnThePhoneAndItsReceiptReachesTheServerOnce() async throws {
        let officer = "OFC-MSG"
        let (store, sync) = try await enrolledDevice(officer: officer)
        let id = try server.admin("message", "send", "--organisation", organisationId, "--from", operatorName,
                                  "--officer", officer, "--body", "Police <b>two</b> minutes out.")
            .trimmingCharacters(in: .whitespacesAndNewlines)

        _ = try await sync.syncOnce()
        let messages = try store.messages()
        XCTAssertEqual(messages.map(\.message.messageId), [id])
        XCTAssertEqual(messages[0].message.body, "Police <b>two</b> minutes out.")
        XCTAssertEqual(messages[0].message.sender, operatorName)
        XCTAssertNil(messages[0].readAt)
        XCTAssertEqual(try store.unreadMessageCount(), 1)

        let readAt = try XCTUnwrap(try store.markMessageRead(id).readAt)
        XCTAssertEqual(try store.markMessageRead(id).readAt, readAt, "the first read time is kept")
        XCTAssertEqual(try store.unreadMessageCount(), 0)

        let first = try await sync.syncOnce()
        let second = try await sync.syncOnce()
        XCTAssertEqual(first.applied, 1)
        XCTAssertEqual(second.applied, 0)

        let receipts = try server.admin("list", "receipts", "--json")
        XCTAssertEqual(receipts.components(separatedBy: "\"message.read\"").count - 1, 1, receipts)
        let office = try server.admin("message", "list", "--organisation", organisationId, "--json")
        XCTAssertEqual(office.components(separatedBy: "\"read_at\": \"").count - 1, 1, office)
    }

    func testMarkingAnUnknownOrBlankMessageReadIsATypedError() async throws {
        let (store, _) = try await enrolledDevice(officer: "OFC-ERR")

        XCTAssertThrowsError(try store.markMessageRead("no-such-message")) { error in
            XCTAssertEqual(error as? CordonError, .NotFound(record: "message", id: "no-such-message"))
        }
        XCTAssertThrowsError(try store.markMessageRead(" ")) { error in
            guard case let .InvalidInput(field, rule, _)? = error as? CordonError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(field, "messageId")
            XCTAssertEqual(rule, .blank)
        }
    }
}
