import Cordon
import Foundation
import XCTest

/// An officer's shift through the Swift binding, offline: what an app does all day.
final class OfficerFlowTests: StoreTestCase {
    func testANewStoreHasADeviceIdAndNoOfficerUntilEnrolment() throws {
        let identity = try store.deviceIdentity()
        XCTAssertEqual(identity.deviceId.count, 36)
        XCTAssertNil(identity.officerId)
        XCTAssertLessThanOrEqual(identity.createdAt, Date())
    }

    func testAnAssignmentReadsBackWholeAndAnOlderVersionNeverReplacesANewerOne() throws {
        XCTAssertTrue(try store.upsertAssignment(assignment(serverVersion: 2)))
        var stale = assignment(serverVersion: 1)
        stale.title = "stale"
        XCTAssertFalse(try store.upsertAssignment(stale))

        XCTAssertEqual(try store.assignment(halcyonId), assignment(serverVersion: 2))
        XCTAssertEqual(try store.assignments().map(\.id), [halcyonId])
    }

    func testEveryCheckInKindIsRecordedAndOnlyDuressAndPanicTakeTheUrgentLane() throws {
        _ = try store.upsertAssignment(assignment())
        let start = nowMillis().addingTimeInterval(-600)
        _ = try store.recordCheckIn(checkIn(.clockOn, occurredAt: start))
        _ = try store.recordCheckIn(checkIn(.welfare, occurredAt: start.addingTimeInterval(60)))
        _ = try store.recordCheckIn(checkIn(.checkpoint, occurredAt: start.addingTimeInterval(120), tagId: checkpointTag))
        _ = try store.recordCheckIn(checkIn(.panic, assignmentId: nil, occurredAt: start.addingTimeInterval(180)))
        _ = try store.recordCheckIn(duress(note: "Behind the garage"))
        _ = try store.recordCheckIn(checkIn(.clockOff))

        XCTAssertEqual(try store.checkIns(halcyonId).map(\.kind), [.clockOn, .welfare, .checkpoint, .clockOff])
        XCTAssertEqual(try store.checkIns(nil).count, 6)
        let pending = try store.outboxStatus().pending
        XCTAssertEqual(pending.urgent, 2)
        XCTAssertEqual(pending.normal, 4)
    }

    func testTheWelfareClockRunsFromOffDutyThroughOnTimeAndDueToOverdue() throws {
        _ = try store.upsertAssignment(assignment(intervalSecs: 1800, graceSecs: 300))
        XCTAssertEqual(try store.welfareStatus(halcyonId), .offDuty)

        let fortyMinutesAgo = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 2400).rounded(.down))
        _ = try store.recordCheckIn(checkIn(.clockOn, occurredAt: fortyMinutesAgo))
        XCTAssertEqual(
            try store.welfareStatus(halcyonId),
            .overdue(dueAt: fortyMinutesAgo.addingTimeInterval(1800), overdueAt: fortyMinutesAgo.addingTimeInterval(2100)))

        _ = try store.recordCheckIn(checkIn(.welfare, occurredAt: Date().addingTimeInterval(-32 * 60)))
        guard case .due = try store.welfareStatus(halcyonId) else {
            return XCTFail("expected due, got \(try store.welfareStatus(halcyonId))")
        }

        _ = try store.recordCheckIn(checkIn(.welfare))
        guard case let .onTime(dueAt, _) = try store.welfareStatus(halcyonId) else {
            return XCTFail("expected on time")
        }
        XCTAssertEqual(dueAt.timeIntervalSinceNow, 1800, accuracy: 5)

        _ = try store.recordCheckIn(checkIn(.clockOff, occurredAt: Date().addingTimeInterval(0.01)))
        XCTAssertEqual(try store.welfareStatus(halcyonId), .offDuty)
    }

    func testAnIncidentReportGoesFromDraftThroughSubmissionToAVerifiedAmendmentChain() throws {
        let draft = try store.createReport(incident(narrative: ""))
        XCTAssertEqual(draft.state, .draft)
        XCTAssertEqual(try store.verifyReport(draft.id), .draft)

        _ = try store.updateReport(draft.id, incident())
        let submitted = try store.submitReport(draft.id)
        XCTAssertEqual(submitted.state, .submitted)
        let sealed = try XCTUnwrap(submitted.contentHash)

let patch = IncidentPatch(severity: .high, policeReference: "CAD 2231")
        let amendment = try store.amendReport(
            draft.id,
            NewAmendment(author: "ALPHA-2", reason: "Plate is on a watch list", patch: patch))
        let amended = try store.report(draft.id)

        XCTAssertEqual(amended.content.severity, .high)
        XCTAssertEqual(amended.amendments, [amendment])
        XCTAssertEqual(amendment.previousHash, sealed)
        XCTAssertEqual(amendment.changedFields, ["severity", "police_reference"])
        XCTAssertEqual(try store.verifyReport(draft.id), .intact(headHash: amendment.hash, amendments: 1))
        XCTAssertEqual(try store.report(draft.id), amended)
        XCTAssertEqual(try store.queuedOperations().map(\.kind), [.reportCreate, .reportUpdate, .reportSubmit, .reportAmend])
    }

    func testAFileAttachedToADraftIsCopiedInWithItsSha256AndQueuedInTheBulkLane() throws {
        let report = try store.createReport(incident())
        let source = try photo(in: dir)
        let bytes = try Data(contentsOf: source)

        let attachment = try store.attachFile(report.id, source.path, .photo, "image/jpeg")

        XCTAssertEqual(attachment.sha256, try sha256sum(source))
        XCTAssertEqual(attachment.sizeBytes, Int64(bytes.count))
        try FileManager.default.removeItem(at: source) // the store has its own copy
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store.attachmentPath(attachment.id))), bytes)
        XCTAssertEqual(try store.report(report.id).attachments, [attachment])
        XCTAssertEqual(try store.outboxStatus().pending.bulk, 1)
    }

    func testTimestampsCrossAsDateWithinTheCoresMillisecond() throws {
        _ = try store.upsertAssignment(assignment())
        let wholeSecond = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3600).rounded(.down))
        let withFraction = wholeSecond.addingTimeInterval(0.123_456)

        let exact = try store.recordCheckIn(checkIn(.clockOn, occurredAt: wholeSecond))
        let truncated = try store.recordCheckIn(checkIn(.welfare, occurredAt: withFraction))

        XCTAssertEqual(exact.occurredAt, wholeSecond)
        // Sub-millisecond digits are dropped: .123456 s is stored as 123 ms, and reads back
        // as the Double nearest below .123 s (never later than the instant).
        XCTAssertEqual(truncated.occurredAt.timeIntervalSince(wholeSecond), 0.123, accuracy: 0.000_001)
        XCTAssertLessThanOrEqual(truncated.occurredAt, withFraction)
    }

    func testRecordsAreCodableAndSimpleEnumsListTheirCases() throws {
        _ = try store.upsertAssignment(assignment())
        let recorded = try store.recordCheckIn(checkIn(.checkpoint, tagId: checkpointTag, note: "Gate locked"))

        let json = try JSONEncoder().encode(recorded)
        XCTAssertEqual(try JSONDecoder().decode(CheckIn.self, from: json), recorded)
        XCTAssertEqual(CheckInKind.allCases.count, 6)
        XCTAssertTrue(CheckInKind.allCases.contains(.duress))
    }
}
