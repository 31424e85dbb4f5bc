import Cordon
import Foundation
import XCTest

/// Every kind of the core's error reaches Swift as a case of `CordonError` carrying the
/// core's reason; what the app's own transport throws ends a pass instead of crashing it.
final class ErrorTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    func testInputBreakingARuleIsInvalidInputNamingTheField() throws {
        let store = try openStore(dir)
        _ = try store.upsertAssignment(assignment: assignment())
        let error = errorThrown { try store.recordCheckIn(checkIn: checkIn(.welfare, timeZone: "Mars/Olympus_Mons")) }
        guard case let .InvalidInput(field, reason)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(field, "time_zone")
        XCTAssertTrue(reason.contains("Mars/Olympus_Mons"), reason)
        XCTAssertEqual(try store.outboxStatus().pending.normal, 0)
    }

    func testAnUnknownRecordIsNotFound() throws {
        let store = try openStore(dir)
        let error = errorThrown { try store.welfareStatus(assignmentId: "A-NOWHERE") }
        XCTAssertEqual(error as? CordonError, .NotFound(record: "assignment", id: "A-NOWHERE"))
    }

    func testEditingASubmittedReportIsReportLocked() throws {
        let store = try openStore(dir)
        let report = try store.submitReport(reportId: store.createReport(content: incident()).id)
        let error = errorThrown { try store.updateReport(reportId: report.id, content: incident(narrative: "rewritten")) }
        XCTAssertEqual(error as? CordonError, .ReportLocked(reportId: report.id))
    }

    func testAmendingADraftIsReportNotSubmitted() throws {
        let store = try openStore(dir)
        let draft = try store.createReport(content: incident())
        var patch = noChange()
        patch.injuries = "none"
        let error = errorThrown {
            try store.amendReport(reportId: draft.id, amendment: NewAmendment(author: "ALPHA-2", reason: "typo", patch: patch))
        }
        XCTAssertEqual(error as? CordonError, .ReportNotSubmitted(reportId: draft.id))
    }

    func testRequeueingAnOperationThatIsNotDeadIsInvalidOperationState() throws {
        let store = try openStore(dir)
        _ = try store.recordCheckIn(checkIn: duress())
        let seq = try XCTUnwrap(store.queuedOperations().first).seq
        let error = errorThrown { try store.requeueDead(seq: seq) }
        XCTAssertEqual(error as? CordonError, .InvalidOperationState(seq: seq, state: "pending", expected: "dead"))
    }

    func testADatabaseFromANewerVersionIsIncompatibleVersionAndLeftAsItWas() throws {
        let path = dir.appendingPathComponent("cordon.db")
        do {
            let store = try openStore(dir)
            _ = try store.recordCheckIn(checkIn: duress())
        } // the last reference goes: the store is closed
        let file = try FileHandle(forUpdating: path)
        file.seek(toFileOffset: 60) // SQLite's user_version
        file.write(Data([0, 0, 0x03, 0xE7])) // 999
        file.closeFile()
        let before = try Data(contentsOf: path)

        let error = errorThrown { try openStore(dir) }

        guard case let .IncompatibleVersion(errorPath, found, _)? = error as? CordonError else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertEqual(errorPath, path.path)
        XCTAssertEqual(found, 999)
        XCTAssertEqual(try Data(contentsOf: path), before)
    }

    func testAFileThatIsNotADatabaseIsCorruptAndNeverDeleted() throws {
        let path = dir.appendingPathComponent("cordon.db")
        let text = Data(String(repeating: "this was a shift log, not SQLite\n", count: 200).utf8)
        try text.write(to: path)

        let error = errorThrown { try openStore(dir) }

        guard case .Corrupt(path.path, _)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(try Data(contentsOf: path), text)
    }

    func testAttachingAFileThatDoesNotExistIsIo() throws {
        let store = try openStore(dir)
        let report = try store.createReport(content: incident())
        let missing = dir.appendingPathComponent("gone.jpg").path
        let error = errorThrown {
            try store.attachFile(reportId: report.id, sourcePath: missing, kind: .photo, mimeType: "image/jpeg")
        }
        guard case .Io(missing, _)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
    }

    func testAStoreThatCannotBeCreatedIsStorage() throws {
        let error = errorThrown { try CordonStore.open(path: dir.appendingPathComponent("no/such/dir/cordon.db").path) }
        guard case let .Storage(detail)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(detail.contains("no/such/dir"), detail)
    }

    func testAnEnrolmentTheNetworkFailsIsSyncCarryingTheTransportsReason() async throws {
        let store = try openStore(dir)
        let offline = RecordingTransport { _ in throw TransportError.Network(message: "no route to host") }
        let sync = CordonSync(store: store, transport: offline, config: defaultSyncConfig(serverUrl: "https://sync.example.test"))
        do {
            _ = try await sync.enrol(code: "K7QX-2M9P")
            XCTFail("enrolment should fail")
        } catch let CordonError.Sync(detail) {
            XCTAssertTrue(detail.contains("no route to host"), detail)
        }
        XCTAssertEqual(offline.kinds, [.enrol])
    }

    func testAnyErrorThrownByTheAppsTransportEndsThePassWithoutCrashing() async throws {
        struct AppBug: Error {}
        let store = try openStore(dir)
        _ = try store.recordCheckIn(checkIn: duress())
        let buggy = RecordingTransport { _ in throw AppBug() }
        let sync = CordonSync(store: store, transport: buggy, config: defaultSyncConfig(serverUrl: "https://sync.example.test"))
        try sync.setToken(token: "token-1")

        let report = try await sync.syncOnce()

        guard case .interrupted = report.outcome else { return XCTFail("\(report.outcome)") }
        XCTAssertEqual(try store.outboxStatus().pending.urgent, 1) // kept, to retry
    }
}
