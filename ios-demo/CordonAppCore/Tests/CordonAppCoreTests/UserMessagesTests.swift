import Cordon
@testable import CordonAppCore
import XCTest

final class UserMessagesTests: XCTestCase {
    func testAnInvalidFieldIsNamedReadablyFromItsRuleNeverFromTheCoresEnglish() {
        XCTAssertEqual(
            UserMessages.of(CordonError.InvalidInput(field: "discoveredAt", rule: .outOfOrder, reason: "any English at all")),
            "Time discovered cannot be before time of the incident.")
    }

    func testEveryRuleHasItsOwnSentence() {
        let rules = InputRule.allCases
        let sentences = rules.map { UserMessages.of(CordonError.InvalidInput(field: "note", rule: $0, reason: "")) }
        XCTAssertEqual(Set(sentences).count, rules.count, sentences.joined(separator: "\n"))
        XCTAssertTrue(sentences.allSatisfy { $0.hasPrefix("Note ") && $0.hasSuffix(".") }, sentences.joined(separator: "\n"))
    }

    func testANestedFieldNamesItsPersonAndBelongsToThePersonsField() {
        let error = CordonError.InvalidInput(field: "persons[1].description", rule: .blank, reason: "must not be blank")
        XCTAssertEqual(UserMessages.of(error), "Description of person 2 must not be blank.")
        XCTAssertEqual(UserMessages.formField(error), "persons")
    }

    func testAFieldTheAppHasNoLabelForStillReadsAsWords() {
        XCTAssertEqual(
            UserMessages.of(CordonError.InvalidInput(field: "sites[0].geofenceRadiusM", rule: .outOfRange, reason: "")),
            "Sites 1 geofence radius m is out of range.")
    }

    func testErrorsThatAreNotAboutOneFieldHaveNoFormField() {
        XCTAssertNil(UserMessages.formField(CordonError.ReportLocked(reportId: "R-1")))
        XCTAssertNil(UserMessages.formField(URLError(.notConnectedToInternet)))
    }

    func testEveryKindOfCoreErrorHasItsOwnMessage() {
        let messages = [
            CordonError.InvalidInput(field: "narrative", rule: .blank, reason: "must not be blank"),
            .NotFound(record: "assignment", id: "A-1"),
            .ReportLocked(reportId: "R-1"),
            .ReportNotSubmitted(reportId: "R-1"),
            .InvalidOperationState(seq: 7, state: "pending", expected: "dead"),
            .IncompatibleVersion(path: "/data/cordon.db", found: 9, supported: 2),
            .Corrupt(path: "/data/cordon.db", detail: "file is not a database"),
            .Io(path: "/data/photo.jpg", detail: "permission denied"),
            .Sync(detail: "connection refused"),
            .Storage(detail: "disk full"),
            .PostOrdersNotCurrent(assignmentId: "A-1", version: 2, current: 3),
            .Revoked,
            .HandoverNotForYou(handoverId: "H-1"),
            .InvalidKey(reason: "a store key is 32 bytes long; 16 bytes were given"),
            .WrongKey(path: "/data/cordon.db"),
        ].map(UserMessages.of)

        XCTAssertEqual(Set(messages).count, messages.count, messages.joined(separator: "\n"))
        XCTAssertEqual(messages[1], "The assignment A-1 is not on this phone.")
        XCTAssertTrue(messages[6].contains("Nothing has been deleted"))
        XCTAssertTrue(messages[9].contains("disk full"))
        XCTAssertEqual(messages[10], "The office has issued post orders v3. Read them, then acknowledge v3.")
        XCTAssertTrue(messages[11].contains("control room") && messages[11].contains("erased"))
        XCTAssertTrue(messages[12].contains("only the incoming officer"))
        XCTAssertTrue(messages[13].contains("Nothing has been deleted") && messages[14].contains("Nothing has been deleted"))
    }
}
