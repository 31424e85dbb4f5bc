import Cordon
@testable import CordonAppCore
import XCTest

/// The check-in screen over a real store: the core decides the state, the screen measures it.
@MainActor
final class CheckInModelTests: XCTestCase {
    private func store() throws -> CordonStore {
        let store = try openStore(try temporaryDirectory())
        _ = try store.upsertAssignment(assignment(intervalSecs: 1800, graceSecs: 300))
        return store
    }

    func testAnOfficerWhoClockedOnFortyMinutesAgoOnAThirtyMinutePolicySeesAnOverdueWarning() async throws {
        let store = try store()
        let now = nowMillis()
        _ = try store.recordCheckIn(checkIn(.clockOn, occurredAt: now.addingTimeInterval(-40 * 60)))
        let screen = CheckInModel(store: store, assignmentId: halcyonId, now: { now }, text: TimeText(zone: london), zone: london)

        await screen.refresh()

        guard case .overdue? = screen.welfare?.status else { return XCTFail("\(String(describing: screen.welfare))") }
        XCTAssertEqual(screen.welfare?.overdueWarning, "Overdue by 5 min 00 s: check in now")
        XCTAssertTrue(screen.onDuty)
    }

    func testAWelfareCheckInRestartsTheCountdownWhichCountsDownAsTimePasses() async throws {
        let store = try store()
        let clock = TestClock()
        _ = try store.recordCheckIn(checkIn(.clockOn, occurredAt: clock.now.addingTimeInterval(-40 * 60)))
        let text = TimeText(zone: london)
        let screen = CheckInModel(store: store, assignmentId: halcyonId, now: clock.reader, text: text, zone: london)

        await screen.welfareCheckIn()
        XCTAssertEqual(screen.welfare?.countdown,
                       "Next check-in in 30 min 00 s (\(text.clock(clock.now.addingTimeInterval(1800))))")
        XCTAssertNil(screen.welfare?.overdueWarning)

        clock.advance(by: 600)
        await screen.refresh()
        XCTAssertTrue(screen.welfare?.countdown?.hasPrefix("Next check-in in 20 min 00 s") == true)
    }

    func testACheckpointWithoutATagIsRefusedByTheCoreAndTheScreenSaysWhy() async throws {
        let store = try store()
        let screen = CheckInModel(store: store, assignmentId: halcyonId, now: { nowMillis() }, text: TimeText(zone: london), zone: london)
        await screen.clockOn()

        await screen.checkpoint(tagId: " ")

        XCTAssertEqual(screen.message, "Checkpoint tag must not be blank.")
        XCTAssertEqual(try store.checkIns(halcyonId).count, 1)
    }

    func testADuressAlarmReadsAsAnOrdinaryWelfareCheckInOnThisScreen() async throws {
        let store = try store()
        let screen = CheckInModel(store: store, assignmentId: halcyonId, now: { nowMillis() }, text: TimeText(zone: london), zone: london)
        await screen.clockOn()
        _ = try store.recordCheckIn(checkIn(.duress))

        await screen.refresh()

        XCTAssertTrue(screen.lastCheckIn?.hasPrefix("Last: welfare at ") == true, screen.lastCheckIn ?? "nil")
    }
}
