import Cordon
@testable import CordonAppCore
import XCTest

final class TimeTextTests: XCTestCase {
    private let text = TimeText(zone: london)
    private let dueAt = Date(timeIntervalSince1970: 1_795_894_200) // 2026-11-28T19:30:00Z, 19:30 in London
    private var overdueAt: Date { dueAt.addingTimeInterval(300) }

    func testTimeLeftReadsInHoursMinutesOrSecondsAndCountsAStartedSecondUp() {
        XCTAssertEqual(TimeText.remaining(65 * 60), "1 h 05 min")
        XCTAssertEqual(TimeText.remaining(12 * 60 + 3), "12 min 03 s")
        XCTAssertEqual(TimeText.remaining(45), "45 s")
        XCTAssertEqual(TimeText.remaining(0.4), "1 s")
        XCTAssertEqual(TimeText.remaining(-120), "2 min 00 s")
    }

    func testTimeGoneByCountsWholeSecondsOnly() {
        XCTAssertEqual(TimeText.elapsed(0.999), "0 s")
        XCTAssertEqual(TimeText.elapsed(300.001), "5 min 00 s")
    }

    func testADateAHairOffTheMillisecondDoesNotTipASecond() {
        XCTAssertEqual(TimeText.remaining(1800.000_000_1), "30 min 00 s")
    }

    func testPolicyIntervalsReadAsTheOfficeSetThem() {
        XCTAssertEqual(TimeText.interval(seconds: 1800), "30 min")
        XCTAssertEqual(TimeText.interval(seconds: 5400), "1 h 30 min")
        XCTAssertEqual(TimeText.interval(seconds: 90), "1 min 30 s")
    }

    func testClockTimesAreInTheOfficersZoneSummerTimeIncluded() {
        XCTAssertEqual(text.clock(dueAt), "19:30")
        XCTAssertEqual(text.clock(Date(timeIntervalSince1970: 1_782_934_200)), "20:30") // 2026-07-01T19:30Z, BST
        XCTAssertEqual(text.dayAndClock(dueAt), "Sat 28 Nov 19:30")
    }

    func testOnTimeCountsDownToTheDueTime() {
        let line = WelfareLine(.onTime(dueAt: dueAt, overdueAt: overdueAt), now: dueAt.addingTimeInterval(-(24 * 60 + 10)), text: text)
        XCTAssertEqual(line.headline, "On time")
        XCTAssertEqual(line.countdown, "Next check-in in 24 min 10 s (19:30)")
        XCTAssertNil(line.overdueWarning)
    }

    func testDueCountsDownTheGracePeriod() {
        let line = WelfareLine(.due(dueAt: dueAt, overdueAt: overdueAt), now: dueAt.addingTimeInterval(90), text: text)
        XCTAssertEqual(line.countdown, "Check in now: overdue in 3 min 30 s (19:35)")
        XCTAssertEqual(line.tone, .attention)
    }

    func testOverdueWarnsHowLongTheOfficerHasBeenOverdue() {
        let line = WelfareLine(.overdue(dueAt: dueAt, overdueAt: overdueAt), now: overdueAt.addingTimeInterval(242), text: text)
        XCTAssertEqual(line.overdueWarning, "Overdue by 4 min 02 s: check in now")
        XCTAssertEqual(line.tone, .alarm)
    }

    func testOffDutyShowsNoCountdown() {
        let line = WelfareLine(.offDuty, now: dueAt, text: text)
        XCTAssertEqual(line.headline, "Off duty")
        XCTAssertNil(line.countdown)
    }
}
