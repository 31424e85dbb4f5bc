import Cordon
@testable import CordonAppCore
import Foundation
import XCTest

/// The control room on the phone's screens: duress stays covert on the main screen, a
/// panic alarm shows "Control room has your alarm" with the operator's note once
/// acknowledged, and messages are listed and marked read, against the real server.
private let operatorName = "op.jones"

@MainActor
final class ControlRoomModelTests: XCTestCase {
    private nonisolated(unsafe) static var server: ReferenceServer!

    override nonisolated class func setUp() {
        super.setUp()
        do {
            server = try ReferenceServer()
            try server.admin("operator", "add", "--organisation", organisationId, "--username", operatorName)
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

    private func status(_ kind: AlarmKind, _ state: AlarmState, note: String? = nil) -> AlarmStatus {
        AlarmStatus(alarmId: "AL-\(kind)", checkInId: "C-\(kind)", kind: kind, state: state, note: note,
                    updatedAt: Date(timeIntervalSince1970: 0))
    }

    func testTheMainScreenNeverShowsADuressAlarmAndShowsPanicOnlyOnceAcknowledged() async {
        XCTAssertNil(ControlRoomText.mainScreen([status(.duress, .acknowledged, note: "Police on the way")]))
        XCTAssertNil(ControlRoomText.mainScreen([status(.panic, .raised)]))

        let notice = ControlRoomText.mainScreen([status(.panic, .acknowledged, note: "Police on the way")])

        XCTAssertEqual(notice?.headline, "Control room has your alarm")
        XCTAssertEqual(notice?.note, "Police on the way")
    }

    func testAcknowledgedAlarmsComeBackBySyncAndOnlyThePanicOneReachesTheMainScreen() async throws {
        let (store, sync) = try await phone("OFC-DEMO-ALARM")
        let duress = try store.recordCheckIn(checkIn(.duress, assignmentId: nil))
        let panic = try store.recordCheckIn(checkIn(.panic, assignmentId: nil))
        _ = try await sync.syncOnce()
        for alarm in try store.alarmStatuses() {
            try office.admin("alarm", "acknowledge", "--organisation", organisationId, "--alarm", alarm.alarmId,
                             "--operator", operatorName, "--note", "Police on the way")
        }
        _ = try await sync.syncOnce()
        let model = ControlRoomModel(store: store)

        await model.refresh()

        XCTAssertEqual(model.mainScreen?.checkInId, panic.id)
        XCTAssertEqual(model.mainScreen?.headline, ControlRoomText.hasYourAlarm)
        XCTAssertEqual(model.mainScreen?.note, "Police on the way")
        XCTAssertNil(model.opened)
        await model.openAlarm(checkInId: duress.id)
        XCTAssertEqual(model.opened?.kind, .duress)
        XCTAssertEqual(model.opened?.headline, ControlRoomText.hasYourAlarm)
        model.closeAlarm()
        XCTAssertNil(model.opened)
    }

    func testMyAlarmOpensTheAlarmTheOfficeReportedOnLastDuressIncludedAndNothingBeforeAny() async throws {
        let (store, sync) = try await phone("OFC-DEMO-MINE")
        let model = ControlRoomModel(store: store)
        await model.openLatestAlarm()
        XCTAssertNil(model.opened)

        let duress = try store.recordCheckIn(checkIn(.duress, assignmentId: nil))
        _ = try await sync.syncOnce()
        await model.openLatestAlarm()

        XCTAssertEqual(model.opened?.checkInId, duress.id)
        XCTAssertEqual(model.opened?.headline, ControlRoomText.waiting)
        await model.refresh()
        XCTAssertNil(model.mainScreen, "duress stays off the main screen")
    }

    func testAMessageIsListedUnreadThenMarkedReadAndItsReceiptGoesOnce() async throws {
        let officer = "OFC-DEMO-MSG"
        let (store, sync) = try await phone(officer)
        let id = try office.admin("message", "send", "--organisation", organisationId, "--from", operatorName,
                                  "--officer", officer, "--body", "Meet at the <b>north</b> gate.")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await sync.syncOnce()
        let model = ControlRoomModel(store: store)
        await model.refresh()
        XCTAssertEqual(model.messages.map(\.id), [id])
        XCTAssertEqual(model.messages.first?.body, "Meet at the <b>north</b> gate.")
        XCTAssertEqual(model.messages.first?.read, false)
        XCTAssertEqual(model.unread, 1)

        await model.markRead(messageId: id)

        XCTAssertEqual(model.messages.first?.read, true)
        XCTAssertEqual(model.unread, 0)
        let pass = try await sync.syncOnce()
        XCTAssertEqual(pass.applied, 1)
        let receipts = try office.admin("list", "receipts", "--json")
        XCTAssertEqual(receipts.components(separatedBy: "\"message.read\"").count - 1, 1, receipts)
    }

    func testMarkingAnUnknownMessageReadShowsAMessageInsteadOfFailing() async throws {
        let (store, _) = try await phone("OFC-DEMO-ERR")
        let model = ControlRoomModel(store: store)

        await model.markRead(messageId: "no-such-message")

        XCTAssertEqual(model.error, "The message no-such-message is not on this phone.")
    }
}
