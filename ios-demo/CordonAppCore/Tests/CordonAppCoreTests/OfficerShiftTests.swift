import Cordon
@testable import CordonAppCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// The app's models over the real binding, talking to the real reference server
/// (`cordon serve`) through the app's own URLSession transport: an officer's shift as the
/// screens see it.
@MainActor
final class OfficerShiftTests: XCTestCase {
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

    private func officer() -> String { "OFC-\(UUID().uuidString.prefix(8))" }

    /// A fresh phone: its own store, the app's transport, not yet enrolled.
    private func phone(transport: Transport = URLSessionTransport(), clock: TestClock = TestClock()) throws -> CordonSession {
        try openTestSession(databasePath: try temporaryDirectory().appendingPathComponent("phone.db").path,
                            serverURL: office.url, transport: transport, now: clock.reader, zone: london)
    }

    private func enrol(_ phone: CordonSession, as officer: String) async throws {
        phone.enrolment.code = try office.enrolmentCode(officer: officer)
        let enrolled = await phone.enrolment.enrol()
        XCTAssertTrue(enrolled, phone.enrolment.message ?? "")
    }

    func testAWrongEnrolmentCodeIsRefusedWithTheOfficesReasonAndARightOneEnrolsTheOfficer() async throws {
        let phone = try phone()
        phone.enrolment.code = "NOT-A-CODE"
        let refused = await phone.enrolment.enrol()
        XCTAssertFalse(refused)
        XCTAssertEqual(phone.enrolment.message, "Could not complete this with the office: "
                       + "HTTP 403 enrolment_refused: the enrolment code is unknown, used or expired.")

        let officer = officer()
        try await enrol(phone, as: officer)

        XCTAssertEqual(phone.enrolment.officerId, officer)
        XCTAssertEqual(phone.sync.status?.enrolled, true)
    }

    func testAnAssignmentTheOfficeSendsArrivesBySyncAndShowsWithItsPostOrders() async throws {
        let officer = officer()
        let phone = try phone()
        try await enrol(phone, as: officer)
        try office.assign(officer: officer, id: "A-GATE", title: "Embassy gate")

        let pass = try await phone.sync.syncNow()
        XCTAssertEqual(pass.assignmentsReceived, 1)
        await phone.assignments.refresh()
        XCTAssertEqual(phone.assignments.assignments.map(\.title), ["Embassy gate"])
        XCTAssertEqual(phone.assignments.assignments.first?.subtitle, "OP-A-GATE · Static post · Active")
        XCTAssertEqual(phone.assignments.assignments.first?.window, "Sat 28 Nov 18:00 – Sun 29 Nov 06:00")

        await phone.assignments.select(id: "A-GATE")
        let details = try XCTUnwrap(phone.assignments.selected)
        XCTAssertEqual(details.postOrdersHeading, "Post orders v2, issued Fri 27 Nov 18:00")
        XCTAssertEqual(details.postOrders, "Patrol hourly. Challenge anyone loitering at the east gate.")
        XCTAssertEqual(details.checkInPolicy, "Check in every 30 min (5 min grace)")
    }

    func testADuressAlarmRaisedBehindAQueuedPhotoReachesTheOfficeFirstAloneBeforeThePhotosBytes() async throws {
        let recorder = Recorder(URLSessionTransport())
        let clock = TestClock()
        let phone = try phone(transport: recorder, clock: clock)
        try await enrol(phone, as: officer())
        let report = phone.incident()
        report.form.narrative = sampleNarrative
        let attached = await report.attach(path: try photo(in: try temporaryDirectory(), size: 64 * 1024).path,
                                           kind: .photo, mimeType: "image/jpeg")
        XCTAssertTrue(attached)
        let submitted = await report.submit()
        XCTAssertTrue(submitted)
        recorder.forget() // the enrolment

        let duress = phone.duress
        duress.press()
        clock.advance(by: duress.holdToArm)
        await waitUntil("armed") { if case .countingDown = duress.state { return true } else { return false } }
        clock.advance(by: duress.cancelWindow)
        await waitUntil("sent") { if case .sent = duress.state { return true } else { return false } }
        guard case let .sent(alarm) = duress.state else { return XCTFail() }

        // The control handed the alarm to sync: one pass, started at once, no button pressed.
        await waitUntil("the pass ended") { phone.sync.lastReport != nil }
        XCTAssertEqual(phone.sync.lastReport?.outcome, .completed)
        let kinds = recorder.requests.map(\.kind)
        XCTAssertEqual(kinds.first, .push, "\(kinds)")
        let firstPush = String(decoding: recorder.requests[0].body, as: UTF8.self)
        XCTAssertTrue(firstPush.contains(alarm.id) && firstPush.contains(#""kind":"duress""#), firstPush)
        XCTAssertEqual(firstPush.components(separatedBy: #""seq":"#).count - 1, 1, "the alarm travels alone: \(firstPush)")
        let firstChunk = try XCTUnwrap(kinds.firstIndex(of: .attachmentChunk), "\(kinds)")
        XCTAssertLessThan(0, firstChunk)
        XCTAssertEqual(try office.checkInsJSON().components(separatedBy: alarm.id).count - 1, 1)
    }

    func testARefusedCheckInIsADeadLetterWithItsReasonAndOnceTheOfficeFixesItARetryDeliversIt() async throws {
        let officer = officer()
        let phone = try phone()
        try await enrol(phone, as: officer)
        _ = try phone.store.upsertAssignment(assignment(id: "A-LATE")) // provisioned before the office assigned it
        await phone.checkIns(assignmentId: "A-LATE").clockOn()
        await phone.syncStatus.syncNow()

        let dead = try XCTUnwrap(phone.syncStatus.deadLetters.first)
        XCTAssertEqual(phone.syncStatus.deadLetters.count, 1)
        XCTAssertEqual(dead.what, "Check-in")
        XCTAssertTrue(dead.reason.contains("A-LATE"), dead.reason)

        try office.assign(officer: officer, id: "A-LATE")
        await phone.syncStatus.retry(seq: dead.seq)

        XCTAssertEqual(phone.syncStatus.deadLetters, [])
        XCTAssertEqual(phone.syncStatus.summary, "Everything delivered")
        let delivered = try XCTUnwrap(try phone.store.checkIns("A-LATE").first)
        XCTAssertEqual(try office.checkInsJSON().components(separatedBy: delivered.id).count - 1, 1)
    }

    func testADiscardedDeadLetterLeavesTheSyncScreenAndIsNeverSent() async throws {
        let phone = try phone()
        try await enrol(phone, as: officer())
        _ = try phone.store.upsertAssignment(assignment(id: "A-NOT-MINE"))
        await phone.checkIns(assignmentId: "A-NOT-MINE").clockOn()
        await phone.syncStatus.syncNow()
        let dead = try XCTUnwrap(phone.syncStatus.deadLetters.first)

        await phone.syncStatus.discard(seq: dead.seq)

        XCTAssertEqual(phone.syncStatus.deadLetters, [])
        XCTAssertEqual(phone.syncStatus.summary, "Everything delivered")
        let id = try XCTUnwrap(try phone.store.checkIns(nil).first?.id)
        XCTAssertFalse(try office.checkInsJSON().contains(id))
    }

    func testOfflineAnAlarmWaitsBackOnlineItGoesAtOnceAndTheBackgroundTaskLearnsWhenToRunNext() async throws {
        let phone = try phone()
        try await enrol(phone, as: officer())
        phone.sync.setOnline(false)
        _ = try phone.store.recordCheckIn(duress()) // straight to the store: the control is tested elsewhere

        await phone.syncStatus.refresh()
        XCTAssertEqual(phone.syncStatus.connection, "Offline: records are kept on the phone")
        XCTAssertEqual(phone.syncStatus.summary, "1 waiting: 1 alarm")

        phone.sync.setOnline(true) // starts a pass by itself
        await waitUntil("the pass ended") { phone.sync.lastReport != nil }
        XCTAssertEqual(phone.sync.lastReport?.applied, 1)

        let background = try await phone.sync.backgroundPass()
        XCTAssertFalse(background.shouldRetry)
        let wait = try XCTUnwrap(background.delay(from: Date()))
        // The control room has not acknowledged the alarm yet: the core asks to hear back
        // within seconds (ALARM_POLL), not at the ordinary 15-minute pull interval.
        XCTAssertTrue(wait > 0 && wait <= 5, "\(wait)")
    }

    func testTheTransportReturnsAnErrorStatusAsAResponseAndNoServerAsANetworkError() async throws {
        let transport = URLSessionTransport()
        let missing = try transport.send(request: HttpRequest(kind: .pull, method: .get, url: office.url + "/no/such/path",
                                                              headers: [], body: Data(), timeoutMs: 5_000))
        XCTAssertEqual(missing.status, 404)

        let closed = HttpRequest(kind: .push, method: .post, url: "http://127.0.0.1:9/v1/push", headers: [], body: Data("{}".utf8),
                                 timeoutMs: 5_000)
        XCTAssertThrowsError(try transport.send(request: closed)) { error in
            guard case TransportError.Network = error else { return XCTFail("\(error)") }
        }
    }
}
