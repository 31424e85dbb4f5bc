import Cordon
@testable import CordonAppCore
import XCTest

/// The models belong to the session, not to a view: a tab switch or a view made afresh
/// (it asks the session again) finds the same form, edits and countdown.
@MainActor
final class SessionModelsTests: XCTestCase {
    private func session(_ clock: TestClock = TestClock()) throws -> CordonSession {
        try openTestSession(databasePath: try temporaryDirectory().appendingPathComponent("phone.db").path,
                            serverURL: "http://127.0.0.1:9", transport: NoNetwork(), now: clock.reader, zone: london)
    }

    func testTheIncidentFormKeepsUnsavedEditsAcrossATabSwitchAndSavesThemIntoOneReport() async throws {
        let session = try session()
        let form = session.incident()
        form.form.narrative = "Grey van passed the residence twice"

        let again = session.incident() // the officer comes back to the tab

        XCTAssertTrue(form === again)
        XCTAssertEqual(again.form.narrative, "Grey van passed the residence twice")
        succeeds(await again.saveDraft())
        again.form.policeReference = "CAD 4471"
        succeeds(await session.incident().saveDraft())
        XCTAssertEqual(try session.store.reportIds().count, 1)
    }

    func testTheStoresKeyIsRotatedUnderAnOpenSessionWhichGoesOnSaving() async throws {
        let session = try session()
        session.incident().form.narrative = "Before the new key"
        succeeds(await session.incident().saveDraft())

        try await session.rotateKey()

        let after = session.newIncident()
        after.form.narrative = "After the new key"
        succeeds(await after.saveDraft(), after.message ?? "")
        XCTAssertEqual(try session.store.reportIds().count, 2)
    }

    func testEachAssignmentHasItsOwnForms() async throws {
        let session = try session()
        XCTAssertFalse(session.incident(assignmentId: "A-1") === session.incident(assignmentId: "A-2"))
        XCTAssertFalse(session.incident(assignmentId: "A-1") === session.incident())
        XCTAssertTrue(session.checkIns(assignmentId: "A-1") === session.checkIns(assignmentId: "A-1"))
        XCTAssertFalse(session.checkIns(assignmentId: "A-1") === session.checkIns(assignmentId: "A-2"))
        XCTAssertTrue(session.postOrders(assignmentId: "A-1") === session.postOrders(assignmentId: "A-1"))
        XCTAssertFalse(session.postOrders(assignmentId: "A-1") === session.postOrders(assignmentId: "A-2"))
    }

    func testANewReportReplacesTheKeptFormWithABlankOne() async throws {
        let session = try session()
        let first = session.incident()
        first.form.narrative = "First"
        succeeds(await first.saveDraft())

        let fresh = session.newIncident()

        XCTAssertFalse(first === fresh)
        XCTAssertTrue(fresh === session.incident())
        XCTAssertEqual(fresh.form.narrative, "")
    }

    func testADuressCountdownArmedBeforeTheViewWasMadeAgainIsCancelledFromTheNewView() async throws {
        let clock = TestClock()
        let session = try session(clock)
        let before = session.duress
        before.press()
        clock.advance(by: 2)
        await waitUntil("armed") { if case .countingDown = before.state { return true } else { return false } }

        let after = session.duress // the new view's control
        after.cancel()
        clock.advance(by: 10)
        try await Task.sleep(for: .milliseconds(300)) // several ticks: nothing may send later

        XCTAssertTrue(before === after)
        XCTAssertEqual(after.state, .idle(note: "Cancelled: nothing sent"))
        XCTAssertEqual(try session.store.checkIns(nil), [])
    }

    func testTheDuressAlarmCarriesTheAssignmentSelectedWhenItGoes() async throws {
        let clock = TestClock()
        let session = try session(clock)
        _ = try session.store.upsertAssignment(assignment(id: "A-7"))
        let duress = session.duress
        duress.press()
        clock.advance(by: 2)
        await waitUntil("armed") { if case .countingDown = duress.state { return true } else { return false } }
        session.selectedAssignment = "A-7" // chosen during the countdown, on another tab

        clock.advance(by: 5)
        await waitUntil("sent") { if case .sent = duress.state { return true } else { return false } }

        guard case let .sent(alarm) = duress.state else { return XCTFail() }
        XCTAssertEqual(alarm.assignmentId, "A-7")
    }
}
