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
        _ = try store.upsertAssignment(assignment())
        let error = errorThrown { try store.recordCheckIn(checkIn(.welfare, timeZone: "Mars/Olympus_Mons")) }
        guard case let .InvalidInput(field, rule, reason)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(field, "timeZone")
        XCTAssertEqual(rule, .unknownTimeZone)
        XCTAssertTrue(reason.contains("Mars/Olympus_Mons"), reason)
        XCTAssertEqual(try store.outboxStatus().pending.normal, 0)
    }

    func testAnUnknownRecordIsNotFound() throws {
        let store = try openStore(dir)
        let error = errorThrown { try store.welfareStatus("A-NOWHERE") }
        XCTAssertEqual(error as? CordonError, .NotFound(record: "assignment", id: "A-NOWHERE"))
    }

    func testEditingASubmittedReportIsReportLocked() throws {
        let store = try openStore(dir)
        let report = try store.submitReport(store.createReport(incident()).id)
        let error = errorThrown { try store.updateReport(report.id, incident(narrative: "rewritten")) }
        XCTAssertEqual(error as? CordonError, .ReportLocked(reportId: report.id))
    }

    func testAmendingADraftIsReportNotSubmitted() throws {
        let store = try openStore(dir)
        let draft = try store.createReport(incident())
        let patch = IncidentPatch(injuries: "none")
        let error = errorThrown {
            try store.amendReport(draft.id, NewAmendment(author: "ALPHA-2", reason: "typo", patch: patch))
        }
        XCTAssertEqual(error as? CordonError, .ReportNotSubmitted(reportId: draft.id))
    }

    func testRequeueingAnOperationThatIsNotDeadIsInvalidOperationState() throws {
        let store = try openStore(dir)
        _ = try store.recordCheckIn(duress())
        let seq = try XCTUnwrap(store.queuedOperations().first).seq
        let error = errorThrown { try store.requeueDead(seq) }
        XCTAssertEqual(error as? CordonError, .InvalidOperationState(seq: seq, state: "pending", expected: "dead"))
    }

    func testADatabaseFromANewerVersionIsIncompatibleVersionAndLeftAsItWas() throws {
        let path = dir.appendingPathComponent("cordon.db")
        do {
            let store = try openStore(dir)
            _ = try store.recordCheckIn(duress())
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
        let report = try store.createReport(incident())
        let missing = dir.appendingPathComponent("gone.jpg").path
        let error = errorThrown {
            try store.attachFile(report.id, missing, .photo, "image/jpeg")
        }
        guard case .Io(missing, _)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
    }

    func testAStoreThatCannotBeCreatedIsStorage() throws {
        let error = errorThrown { try CordonStore.open(dir.appendingPathComponent("no/such/dir/cordon.db").path) }
        guard case let .Storage(detail)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(detail.contains("no/such/dir"), detail)
    }

    func testAnEnrolmentTheNetworkFailsIsSyncCarryingTheTransportsReason() async throws {
        let store = try openStore(dir)
        let offline = RecordingTransport { _ in throw TransportError.Network(detail: "no route to host") }
        let sync = try CordonSync(store, offline, defaultSyncConfig("https://sync.example.test"))
        do {
            _ = try await sync.enrol("K7QX-2M9P")
            XCTFail("enrolment should fail")
        } catch let CordonError.Sync(detail) {
            XCTAssertTrue(detail.contains("no route to host"), detail)
        }
        XCTAssertEqual(offline.kinds, [.enrol])
    }

    func testAnyErrorThrownByTheAppsTransportEndsThePassWithoutCrashing() async throws {
        struct AppBug: Error {}
        let store = try openStore(dir)
        _ = try store.recordCheckIn(duress())
        let buggy = RecordingTransport { _ in throw AppBug() }
        let sync = try CordonSync(store, buggy, defaultSyncConfig("https://sync.example.test"))
        try sync.setToken("token-1")

        let report = try await sync.syncOnce()

        guard case .interrupted = report.outcome else { return XCTFail("\(report.outcome)") }
        XCTAssertEqual(try store.outboxStatus().pending.urgent, 1) // kept, to retry
    }
}
