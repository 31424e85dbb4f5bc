import Cordon
import Foundation
import XCTest

/// Every number of the binding is a signed `Int32` or `Int64`, as Kotlin's are: a negative
/// one from the app is a typed error on its field, never a trap.
final class SignedIntegersTests: StoreTestCase {
    private func invalidInput(_ error: Error?) -> (String, InputRule)? {
        guard case let .InvalidInput(field, rule, _)? = error as? CordonError else { return nil }
        return (field, rule)
    }

    func testNegativeNumbersInAnAssignmentFromTheAppAreTypedErrorsOnTheirFields() throws {
        var negativeOrders = assignment()
        negativeOrders.postOrders.version = -1
        let cases: [(Assignment, String)] = [
            (assignment(graceSecs: -1), "checkInPolicy.graceSecs"),
            (assignment(graceSecs: Int32.min), "checkInPolicy.graceSecs"),
            (assignment(intervalSecs: -1800), "checkInPolicy.intervalSecs"),
            (negativeOrders, "postOrders.version"),
            (assignment(serverVersion: Int64.min), "serverVersion"),
        ]
        for (value, field) in cases {
            let error = errorThrown { try store.upsertAssignment(value) }
            let refused = try XCTUnwrap(invalidInput(error), "\(String(describing: error))")
            XCTAssertEqual(refused.0, field)
            XCTAssertEqual(refused.1, .outOfRange)
        }
        XCTAssertEqual(try store.assignments(), [])
    }

    func testNegativeBatchLimitsAreRefusedWhenTheEngineIsMade() throws {
        let base = defaultSyncConfig("https://sync.example.test")
        let limits: [(BatchLimits, String)] = [
            (BatchLimits(maxOperations: -1, maxBytes: base.batch.maxBytes), "batch.maxOperations"),
            (BatchLimits(maxOperations: Int32.min, maxBytes: base.batch.maxBytes), "batch.maxOperations"),
            (BatchLimits(maxOperations: base.batch.maxOperations, maxBytes: -1), "batch.maxBytes"),
            (BatchLimits(maxOperations: base.batch.maxOperations, maxBytes: Int64.min), "batch.maxBytes"),
        ]
        for (batch, field) in limits {
            var config = base
            config.batch = batch
            let error = errorThrown { try CordonSync(store, RecordingTransport { _ in emptyPull() }, config) }
            let refused = try XCTUnwrap(invalidInput(error), "\(String(describing: error))")
            XCTAssertEqual(refused.0, field)
            XCTAssertEqual(refused.1, .outOfRange)
        }
    }
}
