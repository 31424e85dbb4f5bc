import Cordon
@testable import CordonAppCore
import XCTest

final class UserMessagesTests: XCTestCase {
    func testAnInvalidFieldIsNamedReadablyInTheCoresReasonAsWell() {
        XCTAssertEqual(
            UserMessages.of(CordonError.InvalidInput(field: "discovered_at", reason: "cannot be before occurred_at")),
            "Time discovered cannot be before time of the incident.")
    }

    func testANestedFieldNamesItsPersonAndBelongsToThePersonsField() {
        let error = CordonError.InvalidInput(field: "persons[1].description", reason: "must not be blank")
        XCTAssertEqual(UserMessages.of(error), "Description of person 2 must not be blank.")
        XCTAssertEqual(UserMessages.formField(error), "persons")
    }

    func testAReasonThatDoesNotContinueTheFieldNameFollowsAColon() {
        XCTAssertEqual(
            UserMessages.of(CordonError.InvalidInput(field: "tag_id", reason: "a checkpoint needs the tag id")),
            "Checkpoint tag: a checkpoint needs the tag id.")
    }

    func testErrorsThatAreNotAboutOneFieldHaveNoFormField() {
        XCTAssertNil(UserMessages.formField(CordonError.ReportLocked(reportId: "R-1")))
        XCTAssertNil(UserMessages.formField(URLError(.notConnectedToInternet)))
    }

    func testEveryKindOfCoreErrorHasItsOwnMessage() {
        let messages = [
            CordonError.InvalidInput(field: "narrative", reason: "must not be blank"),
            .NotFound(record: "assignment", id: "A-1"),
            .ReportLocked(reportId: "R-1"),
            .ReportNotSubmitted(reportId: "R-1"),
            .InvalidOperationState(seq: 7, state: "pending", expected: "dead"),
            .IncompatibleVersion(path: "/data/cordon.db", found: 9, supported: 2),
            .Corrupt(path: "/data/cordon.db", detail: "file is not a database"),
            .Io(path: "/data/photo.jpg", detail: "permission denied"),
            .Sync(detail: "connection refused"),
            .Storage(detail: "disk full"),
        ].map(UserMessages.of)

        XCTAssertEqual(Set(messages).count, messages.count, messages.joined(separator: "\n"))
        XCTAssertEqual(messages[1], "The assignment A-1 is not on this phone.")
        XCTAssertTrue(messages[6].contains("Nothing has been deleted"))
        XCTAssertTrue(messages[9].contains("disk full"))
    }
}
