import Cordon
@testable import CordonAppCore
import XCTest

/// The incident form over a real store: every rule is the core's, shown beside its field.
@MainActor
final class IncidentFormModelTests: XCTestCase {
    private let narrative = sampleNarrative
    private var dir: URL!
    private var store: CordonStore!

    override func setUp() async throws {
        dir = try temporaryDirectory()
        store = try openStore(dir)
    }

    private func form() -> IncidentFormModel {
        IncidentFormModel(store: store, now: nowMillis().addingTimeInterval(-600), text: TimeText(zone: london), zone: london)
    }

    func testADraftMayBeSavedWithoutANarrativeButNotSubmittedWithoutOne() async throws {
        let model = form()
        succeeds(await model.saveDraft())

        fails(await model.submit())

        XCTAssertEqual(model.fieldErrors, ["narrative": "Narrative must not be blank."])
        XCTAssertEqual(try store.report(XCTUnwrap(model.reportId)).state, .draft)
    }

    func testANewFormThatFailsSubmissionStaysOneDraftWhenSubmittedAgain() async throws {
        let model = form()
        fails(await model.submit())
        model.form.narrative = narrative

        succeeds(await model.submit())

        XCTAssertEqual(try store.reportIds().count, 1)
        XCTAssertEqual(model.stage, .submitted)
    }

    func testEditingAFieldClearsItsErrorAndLeavesTheOthers() async throws {
        let model = form()
        model.form.discoveredAt = model.form.occurredAt.addingTimeInterval(-60)
        await model.saveDraft()
        XCTAssertEqual(model.fieldErrors["discoveredAt"], "Time discovered cannot be before time of the incident.")
        XCTAssertNil(model.reportId)

        model.form.narrative = "changed"
        XCTAssertNotNil(model.fieldErrors["discoveredAt"])
        model.form.discoveredAt = model.form.occurredAt
        XCTAssertEqual(model.fieldErrors, [:])
    }

    func testAPhotoAttachedToANewFormSavesTheDraftAndQueuesTheBytesInTheBulkLane() async throws {
        let model = form()
        model.form.narrative = narrative

        succeeds(await model.attach(path: try photo(in: dir, size: 2048).path, kind: .photo, mimeType: "image/jpeg"))

        XCTAssertEqual(model.attachments, ["IMG_0412.jpg · photo · 2 KB"])
        XCTAssertEqual(try store.outboxStatus().pending.bulk, 1)
    }

    func testSubmissionLocksTheReportAndAnEditAfterItSaysToAmendInstead() async throws {
        let model = form()
        model.form.narrative = narrative
        succeeds(await model.submit())
        XCTAssertFalse(model.editable)
        XCTAssertEqual(model.integrity, "Hash chain intact (0 amendments)")

        model.form.narrative = "rewritten"
        fails(await model.saveDraft())

        XCTAssertEqual(model.message, "This report has been submitted and is locked. Add an amendment instead.")
        XCTAssertEqual(try store.report(XCTUnwrap(model.reportId)).content.narrative, narrative)
    }

    func testAnAmendmentNeedsAReasonAndAChangeThenJoinsTheHashChain() async throws {
        let model = form()
        model.form.narrative = narrative
        await model.submit()

        fails(await model.amend())
        XCTAssertEqual(model.fieldErrors["reason"], "Reason for the amendment must not be blank.")

        model.amendmentReason = "Control room confirmed the plate"
        fails(await model.amend())
        XCTAssertEqual(model.fieldErrors["patch"], "The amendment changes nothing in the report.")

        model.form.severity = .high
        model.form.policeReference = "CAD 2231"
        succeeds(await model.amend())

        XCTAssertEqual(model.amendments.count, 1)
        XCTAssertTrue(model.amendments[0].hasSuffix("Control room confirmed the plate (severity, police reference)"),
                      model.amendments[0])
        XCTAssertEqual(model.integrity, "Hash chain intact (1 amendment)")
        XCTAssertEqual(model.amendmentReason, "")
        XCTAssertEqual(try store.queuedOperations().map(\.kind), [.reportCreate, .reportSubmit, .reportAmend])
    }
}
