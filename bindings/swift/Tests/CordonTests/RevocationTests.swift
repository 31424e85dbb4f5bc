import Cordon
import Foundation
import XCTest

/// A lost phone through the real generated bindings and the real reference server: the
/// office revokes the device (`cordon admin device revoke`); the next sync tells the office
/// what was not sent, destroys the store's files and says so; every later call throws the
/// typed `CordonError.Revoked`, never a crash.
final class RevocationTests: XCTestCase {
    private var server: ReferenceServer!
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
        server = try ReferenceServer()
    }

    override func tearDownWithError() throws {
        server.stop()
        try FileManager.default.removeItem(at: dir)
    }

    func testARevokedPhoneReportsWhatItHadNotSentDestroysItsStoreAndAnswersRevoked() async throws {
        let store = try openStore(dir, "device-lost.db")
        let sync = try CordonSync(store, URLSessionTransport(), defaultSyncConfig(server.url))
        _ = try await sync.enrol(server.enrolmentCode(officer: "OFC-LOST"))
        _ = try store.recordCheckIn(checkIn(.panic, assignmentId: nil))
        let first = try await sync.syncOnce()
        XCTAssertEqual(first.outcome, .completed)
        let unsent = try store.recordCheckIn(checkIn(.panic, assignmentId: nil))
        let deviceId = try store.deviceIdentity().deviceId

        try server.admin("device", "revoke", "--organisation", organisationId, "--device", deviceId,
                         "--reason", "lost on the tube", "--by", "duty.manager")
        let outcome = try await sync.syncOnce().outcome

        guard case let .revoked(count, officeTold, filesRemoved) = outcome else {
            return XCTFail("\(outcome)")
        }
        XCTAssertEqual(count, 1)
        XCTAssertTrue(officeTold)
        XCTAssertGreaterThanOrEqual(filesRemoved, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("device-lost.db").path))
        XCTAssertThrowsError(try store.checkIns(nil)) { error in
            XCTAssertEqual(error as? CordonError, .Revoked)
        }
        let office = try server.admin("device", "list", "--organisation", organisationId, "--json")
        XCTAssertTrue(office.contains(unsent.id) && office.contains("lost on the tube"), office)
    }
}
