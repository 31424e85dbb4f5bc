import Cordon
@testable import CordonAppCore
import Foundation
import XCTest

final class CoreLogTests: XCTestCase {
    func testEachCoreLevelHasItsOSLogTypeWarningsAsDefaultAndTraceAsDebug() {
        let levels: [LogLevel] = [.error, .warn, .info, .debug, .trace]
        XCTAssertEqual(levels.map(CoreLog.type), [.error, .default, .info, .debug, .debug])
    }

    func testAnEntryBecomesOneLineOfTheCordonSubsystemInTheCategoryOfWhereItWasLogged() {
        let written = Written()
        OSLogSink(write: { written.append($0) }).log(LogEntry(
            level: .warn, target: "cordon_core::sync", message: "sync pass ended",
            fields: ["outcome": "interrupted", "requests": "1"],
            line: "sync pass ended outcome=interrupted requests=1"))
        XCTAssertEqual(written.lines, [CoreLogLine(
            subsystem: "io.cordon", category: "cordon_core::sync", type: .default,
            message: "sync pass ended outcome=interrupted requests=1")])
    }

    func testDebugBuildsLogTheCoresDebugLinesAndReleaseBuildsInfoAndAbove() {
        XCTAssertEqual([true, false].map { CoreLog.level(debugBuild: $0) }, [.debug, .info])
    }

    /// What the sink wrote (it may be called on any thread).
    private final class Written: @unchecked Sendable {
        private let lock = NSLock()
        private var kept: [CoreLogLine] = []
        var lines: [CoreLogLine] { lock.lock(); defer { lock.unlock() }; return kept }
        func append(_ line: CoreLogLine) { lock.lock(); kept.append(line); lock.unlock() }
    }
}
