import Cordon
@testable import CordonAppCore
import XCTest

/// The duress control's state machine on a hand-moved clock, over a real store: hold to
/// arm, a cancel window, then the alarm recorded at once in the urgent lane.
@MainActor
final class DuressControlTests: XCTestCase {
    private var raised: [CheckIn] = []

    private func control(_ store: CordonStore, _ clock: TestClock) -> DuressControl {
        DuressControl(store: store, now: clock.reader, zone: london, onRaised: { [weak self] in self?.raised.append($0) },
                      holdToArm: 2, cancelWindow: 5, tickEvery: .milliseconds(5))
    }

    private func arm(_ control: DuressControl, _ clock: TestClock) async {
        control.press()
        clock.advance(by: 2)
        await waitUntil("armed") { if case .countingDown = control.state { return true } else { return false } }
    }

    func testLettingGoBeforeTheHoldTimeSendsNothing() async throws {
        let store = try openStore(try temporaryDirectory())
        let clock = TestClock()
        let control = control(store, clock)
        control.press()
        clock.advance(by: 1.5)
        control.release()

        XCTAssertEqual(control.state, .idle(note: "Held too briefly: nothing sent"))
        try await Task.sleep(for: .milliseconds(30))
        XCTAssertEqual(try store.checkIns(nil), [])
    }

    func testHoldingLongEnoughArmsACountdownThatCountsTheSecondsLeft() async throws {
        let store = try openStore(try temporaryDirectory())
        let clock = TestClock()
        let control = control(store, clock)
        await arm(control, clock)
        guard case let .countingDown(_, secondsLeft) = control.state else { return XCTFail() }
        XCTAssertEqual(secondsLeft, 5)

        clock.advance(by: 2.5)
        await waitUntil("3 s left") {
            if case .countingDown(_, 3) = control.state { return true } else { return false }
        }
        control.cancel()
    }

    func testCancellingDuringTheCountdownSendsNothingEvenAfterItWouldHaveEnded() async throws {
        let store = try openStore(try temporaryDirectory())
        let clock = TestClock()
        let control = control(store, clock)
        await arm(control, clock)
        control.release() // letting go after arming does not cancel: only the cancel button does

        control.cancel()
        clock.advance(by: 10)
        try await Task.sleep(for: .milliseconds(30))

        XCTAssertEqual(control.state, .idle(note: "Cancelled: nothing sent"))
        XCTAssertEqual(try store.checkIns(nil), [])
        XCTAssertEqual(raised, [])
    }

    func testWhenTheCountdownEndsTheAlarmIsRecordedAtOnceInTheUrgentLaneAndHandedToSync() async throws {
        let store = try openStore(try temporaryDirectory())
        let clock = TestClock()
        let control = control(store, clock)
        await arm(control, clock)
        control.release()
        clock.advance(by: 5)

        await waitUntil("sent") { if case .sent = control.state { return true } else { return false } }

        guard case let .sent(alarm) = control.state else { return XCTFail() }
        XCTAssertEqual(alarm.kind, .duress)
        XCTAssertEqual(try store.checkIns(nil), [alarm])
        XCTAssertEqual(raised, [alarm])
        let queued = try store.queuedOperations()
        XCTAssertEqual(queued.map(\.lane), [.urgent])
        XCTAssertEqual(queued.first?.recordId, alarm.id)
    }

    func testCancelIsTooLateOnceTheAlarmHasGone() async throws {
        let store = try openStore(try temporaryDirectory())
        let clock = TestClock()
        let control = control(store, clock)
        await arm(control, clock)
        clock.advance(by: 5)
        await waitUntil("sent") { if case .sent = control.state { return true } else { return false } }

        control.cancel()

        guard case .sent = control.state else { return XCTFail("\(control.state)") }
        XCTAssertEqual(try store.checkIns(nil).count, 1)
    }
}
