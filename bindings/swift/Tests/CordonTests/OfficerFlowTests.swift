import Cordon
import Foundation
import XCTest

/// An officer's shift through the Swift binding, offline: what an app does all day.
final class OfficerFlowTests: XCTestCase {
    private var dir: URL!
    private var store: CordonStore!

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
        store = try openStore(dir)
    }

    override func tearDownWithError() throws {
        store = nil
        try FileManager.default.removeItem(at: dir)
    }

    func testANewStoreHasADeviceIdAndNoOfficerUntilEnrolment() throws {
        let identity = try store.deviceIdentity()
        XCTAssertEqual(identity.deviceId.count, 36)
        XCTAssertNil(identity.officerId)
        XCTAssertLessThanOrEqual(identity.createdAt, Date())
    }

    func testAnAssignmentReadsBackWholeAndAnOlderVersionNeverReplacesANewerOne() throws {
        XCTAssertTrue(try store.upsertAssignment(assignment: assignment(serverVersion: 2)))
        var stale = assignment(serverVersion: 1)
        stale.title = "stale"
        XCTAssertFalse(try store.upsertAssignment(assignment: stale))

        XCTAssertEqual(try store.assignment(id: halcyonId), assignment(serverVersion: 2))
        XCTAssertEqual(try store.assignments().map(\.id), [halcyonId])
    }

    func testEveryCheckInKindIsRecordedAndOnlyDuressAndPanicTakeTheUrgentLane() throws {
        _ = try store.upsertAssignment(assignment: assignment())
        let start = nowMillis().addingTimeInterval(-600)
        _ = try store.recordCheckIn(checkIn: checkIn(.clockOn, occurredAt: start))
        _ = try store.recordCheckIn(checkIn: checkIn(.welfare, occurredAt: start.addingTimeInterval(60)))
        _ = try store.recordCheckIn(checkIn: checkIn(.checkpoint, occurredAt: start.addingTimeInterval(120), tagId: checkpointTag))
        _ = try store.recordCheckIn(checkIn: checkIn(.panic, assignmentId: nil, occurredAt: start.addingTimeInterval(180)))
        _ = try store.recordCheckIn(checkIn: duress(note: "Behind the garage"))
        _ = try store.recordCheckIn(checkIn: checkIn(.clockOff))

        XCTAssertEqual(try store.checkIns(assignmentId: halcyonId).map(\.kind), [.clockOn, .welfare, .checkpoint, .clockOff])
        XCTAssertEqual(try store.checkIns(assignmentId: nil).count, 6)
        let pending = try store.outboxStatus().pending
        XCTAssertEqual(pending.urgent, 2)
        XCTAssertEqual(pending.normal, 4)
    }

    func testTheWelfareClockRunsFromOffDutyThroughOnTimeAndDueToOverdue() throws {
        _ = try store.upsertAssignment(assignment: assignment(intervalSecs: 1800, graceSecs: 300))
        XCTAssertEqual(try store.welfareStatus(assignmentId: halcyonId), .offDuty)

        let fortyMinutesAgo = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 2400).rounded(.down))
        _ = try store.recordCheckIn(checkIn: checkIn(.clockOn, occurredAt: fortyMinutesAgo))
        XCTAssertEqual(
            try store.welfareStatus(assignmentId: halcyonId),
            .overdue(dueAt: fortyMinutesAgo.addingTimeInterval(1800), overdueAt: fortyMinutesAgo.addingTimeInterval(2100)))

        _ = try store.recordCheckIn(checkIn: checkIn(.welfare, occurredAt: Date().addingTimeInterval(-32 * 60)))
        guard case .due = try store.welfareStatus(assignmentId: halcyonId) else {
            return XCTFail("expected due, got \(try store.welfareStatus(assignmentId: halcyonId))")
        }

        _ = try store.recordCheckIn(checkIn: checkIn(.welfare))
        guard case let .onTime(dueAt, _) = try store.welfareStatus(assignmentId: halcyonId) else {
            return XCTFail("expected on time")
        }
        XCTAssertEqual(dueAt.timeIntervalSinceNow, 1800, accuracy: 5)

        _ = try store.recordCheckIn(checkIn: checkIn(.clockOff, occurredAt: Date().addingTimeInterval(0.01)))
        XCTAssertEqual(try store.welfareStatus(assignmentId: halcyonId), .offDuty)
    }

    func testAnIncidentReportGoesFromDraftThroughSubmissionToAVerifiedAmendmentChain() throws {
        let draft = try store.createReport(content: incident(narrative: ""))
        XCTAssertEqual(draft.state, .draft)
        XCTAssertEqual(try store.verifyReport(reportId: draft.id), .draft)

        _ = try store.updateReport(reportId: draft.id, content: incident())
        let submitted = try store.submitReport(reportId: draft.id)
        XCTAssertEqual(submitted.state, .submitted)
        let sealed = try XCTUnwrap(submitted.contentHash)

        var patch = noChange()
        patch.severity = .high
        patch.policeReference = "CAD 2231"
        let amendment = try store.amendReport(
            reportId: draft.id,
            amendment: NewAmendment(author: "ALPHA-2", reason: "Plate is on a watch list", patch: patch))
        let amended = try store.report(reportId: draft.id)

        XCTAssertEqual(amended.content.severity, .high)
        XCTAssertEqual(amended.amendments, [amendment])
        XCTAssertEqual(amendment.previousHash, sealed)
        XCTAssertEqual(amendment.changedFields, ["severity", "police_reference"])
        XCTAssertEqual(try store.verifyReport(reportId: draft.id), .intact(headHash: amendment.hash, amendments: 1))
        XCTAssertEqual(try store.report(reportId: draft.id), amended)
        XCTAssertEqual(try store.queuedOperations().map(\.kind), [.reportCreate, .reportUpdate, .reportSubmit, .reportAmend])
    }

    func testAFileAttachedToADraftIsCopiedInWithItsSha256AndQueuedInTheBulkLane() throws {
        let report = try store.createReport(content: incident())
        let source = try photo(in: dir)
        let bytes = try Data(contentsOf: source)

        let attachment = try store.attachFile(reportId: report.id, sourcePath: source.path, kind: .photo, mimeType: "image/jpeg")

        XCTAssertEqual(attachment.sha256, try sha256sum(source))
        XCTAssertEqual(attachment.sizeBytes, UInt64(bytes.count))
        try FileManager.default.removeItem(at: source) // the store has its own copy
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store.attachmentPath(attachmentId: attachment.id))), bytes)
        XCTAssertEqual(try store.report(reportId: report.id).attachments, [attachment])
        XCTAssertEqual(try store.outboxStatus().pending.bulk, 1)
    }

    func testTimestampsCrossAsDateWithinTheCoresMillisecond() throws {
        _ = try store.upsertAssignment(assignment: assignment())
        let wholeSecond = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3600).rounded(.down))
        let withFraction = wholeSecond.addingTimeInterval(0.123_456)

        let exact = try store.recordCheckIn(checkIn: checkIn(.clockOn, occurredAt: wholeSecond))
        let truncated = try store.recordCheckIn(checkIn: checkIn(.welfare, occurredAt: withFraction))

        XCTAssertEqual(exact.occurredAt, wholeSecond)
        // Date is a Double: sub-millisecond digits are dropped, and a millisecond value
        // may come back one millisecond early (see bindings/README.md).
        XCTAssertEqual(truncated.occurredAt.timeIntervalSince(wholeSecond), 0.123, accuracy: 0.0011)
        XCTAssertLessThanOrEqual(truncated.occurredAt, withFraction)
    }

    func testRecordsAreCodableAndSimpleEnumsListTheirCases() throws {
        _ = try store.upsertAssignment(assignment: assignment())
        let recorded = try store.recordCheckIn(checkIn: checkIn(.checkpoint, tagId: checkpointTag, note: "Gate locked"))

        let json = try JSONEncoder().encode(recorded)
        XCTAssertEqual(try JSONDecoder().decode(CheckIn.self, from: json), recorded)
        XCTAssertEqual(CheckInKind.allCases.count, 6)
        XCTAssertTrue(CheckInKind.allCases.contains(.duress))
    }
}
