import Cordon
@testable import CordonAppCore
import Foundation
import XCTest

/// The app's key handling over the real binding and real store files: the key is made once,
/// kept in the secret store (the Keychain on a phone), opens the same store on every run,
/// and is never replaced over a database it cannot open.
final class StoreKeyVaultTests: XCTestCase {
    private var dir: URL!
    private var secrets: InMemorySecretStore!
    private let marker = "vault-marker-7d1f"

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
        secrets = InMemorySecretStore()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    private var db: String { dir.appendingPathComponent("phone.db").path }

    private func vault(_ keys: RecordedKeys? = nil) -> StoreKeyVault {
        StoreKeyVault(databasePath: db, secrets: secrets, newKey: keys?.maker ?? StoreKeyVault.randomKey)
    }

    private func opened(_ opening: StoreOpening, file: StaticString = #filePath, line: UInt = #line) throws -> CordonStore {
        guard case let .opened(store) = opening else {
            XCTFail("not opened: \(opening)", file: file, line: line)
            throw CordonError.Revoked
        }
        return store
    }

    private func keyLost(_ opening: StoreOpening) -> KeyLoss? {
        guard case let .unavailable(.keyLost(why)) = opening else { return nil }
        return why
    }

    /// A check-in whose note marks the records, so the file can be searched for it in clear.
    private func recordMarked(_ store: CordonStore) throws {
        _ = try store.recordCheckIn(checkIn(.panic, assignmentId: nil, note: marker))
    }

    private func fileHolds(_ text: String) throws -> Bool {
        try Data(contentsOf: URL(fileURLWithPath: db)).range(of: Data(text.utf8)) != nil
    }

    private func fileBytes() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: db)) }

    func testTheFirstRunMakesAKeyKeepsItAndOpensAnEncryptedStore() throws {
        let keys = RecordedKeys()
        try recordMarked(try opened(vault(keys).open()))

        let key = try XCTUnwrap(keys.all.first)
        XCTAssertEqual(keys.all.count, 1)
        XCTAssertEqual(key.count, 32)
        XCTAssertEqual(try secrets.read(.current), key)
        XCTAssertFalse(try fileHolds(marker), "no record text in clear")
        // The core was given exactly this key: it opens the store; the plain open does not.
        XCTAssertEqual(try CordonStore.openEncrypted(db, key).checkIns(nil).first?.note, marker)
        XCTAssertThrowsError(try CordonStore.open(db))
    }

    func testALaterRunFindsTheSameKeyAndTheRecords() throws {
        let keys = RecordedKeys()
        try recordMarked(try opened(vault(keys).open()))

        let again = try opened(vault(keys).open())

        XCTAssertEqual(try again.checkIns(nil).map(\.note), [marker])
        XCTAssertEqual(keys.all.count, 1, "no second key")
    }

    func testAnEncryptedDatabaseWithoutItsKeyIsNeverGivenANewKey() throws {
        try recordMarked(try opened(vault().open()))
        try secrets.delete(.current) // restored to a new phone: the database came, the key did not
        let before = try fileBytes()

        for _ in 0..<2 { // every start says the same
            XCTAssertEqual(keyLost(vault().open()), .noKeyForDatabase)
        }

        XCTAssertEqual(try fileBytes(), before)
        XCTAssertTrue(secrets.isEmpty, "the key tried is not kept: it protects nothing")
        XCTAssertEqual(StoreUnavailable.keyLost(.noKeyForDatabase).message,
                       "This phone's Cordon data can no longer be opened. Nothing has been deleted: "
                           + "contact the control room before reinstalling the app.")
    }

    func testAKeychainItemThatIsNotAKeyIsUnreadableAndChangesNothing() throws {
        try recordMarked(try opened(vault().open()))
        try secrets.write(.current, Data(repeating: 7, count: 31))
        let before = try fileBytes()

        XCTAssertEqual(keyLost(vault().open()), .unreadable)

        XCTAssertEqual(try fileBytes(), before)
        XCTAssertEqual(try secrets.read(.current), Data(repeating: 7, count: 31))
    }

    func testAnotherKeyInTheKeychainIsTheWrongKeyAndChangesNothing() throws {
        try recordMarked(try opened(vault().open()))
        try secrets.write(.current, StoreKeyVault.randomKey())
        let before = try fileBytes()

        XCTAssertEqual(keyLost(vault().open()), .wrongKey)

        XCTAssertEqual(try fileBytes(), before)
    }

    func testAPlaintextStoreFromThePreviousAppVersionIsEncryptedInPlaceWithItsQueue() throws {
        let queued: [OutboxOperation] = try {
            let plain = try CordonStore.open(db)
            try recordMarked(plain)
            return try plain.queuedOperations()
        }()
        XCTAssertEqual(queued.count, 1)
        XCTAssertTrue(try fileHolds("SQLite format 3"), "a plaintext database")

        do {
            let store = try opened(vault().open())
            XCTAssertEqual(try store.queuedOperations().map(\.recordId), queued.map(\.recordId))
            XCTAssertEqual(try store.checkIns(nil).map(\.note), [marker])
        }

        // Encrypted now (on Linux with its header too: the plaintext header is for iOS).
        XCTAssertFalse(try fileHolds("SQLite format 3"))
        XCTAssertFalse(try fileHolds(marker))
        XCTAssertEqual(try opened(vault().open()).queuedOperations().count, 1)
    }

    func testAKeyThatCannotBeKeptIsNeverUsed() throws {
        secrets.failWrites([.current])

        guard case .unavailable(.keyStoreFailed) = vault().open() else { return XCTFail("opened without a kept key") }

        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "no database under a key that was not kept")
    }

    func testAKeyWithoutItsDatabaseIsReplaced() throws {
        let keys = RecordedKeys()
        do { _ = try opened(vault(keys).open()) }
        try FileManager.default.removeItem(atPath: db)

        try recordMarked(try opened(vault(keys).open()))

        XCTAssertEqual(keys.all.count, 2)
        XCTAssertEqual(try secrets.read(.current), keys.all[1])
    }

    func testForgettingDeletesTheKey() throws {
        do { _ = try opened(vault().open()) }

        XCTAssertTrue(vault().forget())

        XCTAssertTrue(secrets.isEmpty)
    }

    func testRekeyGivesTheStoreANewKeyThatOpensItNextTimeAndTheOldOneNoLonger() throws {
        let keys = RecordedKeys()
        let vault = vault(keys)
        do {
            let store = try opened(vault.open())
            try recordMarked(store)
            try vault.rekey(store)
            try recordMarked(store) // the open store goes on working
        }

        XCTAssertEqual(keys.all.count, 2)
        XCTAssertNotEqual(keys.all[0], keys.all[1])
        XCTAssertEqual(try secrets.read(.current), keys.all[1])
        XCTAssertNil(try secrets.read(.next))
        XCTAssertThrowsError(try CordonStore.openEncrypted(db, keys.all[0])) { error in
            guard case .WrongKey? = error as? CordonError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try opened(self.vault().open()).checkIns(nil).count, 2)
    }

    func testARotationCutShortAfterTheCoreTookTheNewKeyStillOpens() throws {
        let keys = RecordedKeys()
        let vault = vault(keys)
        do {
            let store = try opened(vault.open())
            try recordMarked(store)
            secrets.failWrites([.current]) // the app dies before it records the new key as current
            XCTAssertThrowsError(try vault.rekey(store))
        }
        secrets.failWrites([])

        XCTAssertEqual(try opened(self.vault().open()).checkIns(nil).map(\.note), [marker])

        XCTAssertEqual(try secrets.read(.current), keys.all[1])
        XCTAssertNil(try secrets.read(.next))
    }

    func testARotationCutShortBetweenTheDatabaseAndTheFilesKeepsTheOldKeyUntilTheFilesAreFinished() throws {
        let photo = Data((0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let source = dir.appendingPathComponent("photo.jpg")
        try photo.write(to: source)
        let keys = RecordedKeys()
        let id: String
        do {
            let vault = vault(keys)
            let store = try opened(vault.open())
            id = try store.attachFile(try store.createReport(incident()).id, source.path, .photo, "image/jpeg").id
            // The core's file step fails (a directory where the file's new copy goes), as
            // an app killed between the two steps would leave it.
            let blocker = dir.appendingPathComponent("phone.db.attachments").appendingPathComponent("\(id).partial")
            try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
            XCTAssertThrowsError(try vault.rekey(store)) { error in
                guard case .Io? = error as? CordonError else { return XCTFail("\(error)") }
            }
            XCTAssertTrue(store.rekeyUnfinished())
            try FileManager.default.removeItem(at: blocker)
        }
        XCTAssertEqual(try secrets.read(.current), keys.all[0], "the old key is kept")
        XCTAssertEqual(try secrets.read(.next), keys.all[1])

        do {
            let store = try opened(vault().open())
            XCTAssertFalse(store.rekeyUnfinished(), "the open finished it with the old key")
            let shown = dir.appendingPathComponent("shown.jpg")
            try store.exportAttachment(id, shown.path)
            XCTAssertEqual(try Data(contentsOf: shown), photo)
        }
        XCTAssertEqual(try secrets.read(.current), keys.all[1])
        XCTAssertNil(try secrets.read(.next))
    }

    @MainActor
    func testTheSessionSaysWhyItCannotOpenInsteadOfOpeningOverALostKey() async throws {
        do { _ = try opened(vault().open()) }
        try secrets.delete(.current)

        guard case let .unavailable(why) = CordonSession.open(keys: vault(), serverURL: "http://127.0.0.1:9",
                                                             transport: NoNetwork()) else {
            return XCTFail("the session opened")
        }
        XCTAssertEqual(why, .keyLost(.noKeyForDatabase))
        XCTAssertEqual(why.message, StoreUnavailable.keyLostMessage)
    }
}

/// A lost phone, from the app's side, against the real reference server: the office revokes
/// the device, the next pass has the core destroy the store, and the app forgets its key
/// and tells the officer; the next start is a new, empty phone with a new key.
final class RevokedPhoneTests: ServerTestCase {
    @MainActor
    func testAfterARevocationTheAppForgetsItsKeySaysThePhoneWasWipedAndStartsAfresh() async throws {
        let db = dir.appendingPathComponent("phone.db").path
        let secrets = InMemorySecretStore()
        let keys = StoreKeyVault(databasePath: db, secrets: secrets)
        let session = try openTestSession(databasePath: db, serverURL: server.url, transport: URLSessionTransport(),
                                          now: TestClock().reader, zone: london, keys: keys)
        session.enrolment.code = try server.enrolmentCode(officer: "OFC-LOST-APP")
        succeeds(await session.enrolment.enrol(), session.enrolment.message ?? "")
        _ = try session.store.recordCheckIn(checkIn(.panic, assignmentId: nil)) // not sent yet
        let deviceId = try session.store.deviceIdentity().deviceId
        XCTAssertNil(session.revocation)

        try server.admin("device", "revoke", "--organisation", organisationId, "--device", deviceId,
                         "--reason", "left in a taxi", "--by", "duty.manager")
        let report = try await session.sync.syncNow()

        guard case .revoked = report.outcome else { return XCTFail("\(report.outcome)") }
        XCTAssertEqual(session.revocation, Revocation(unsent: 1, officeTold: true, keyForgotten: true))
        XCTAssertEqual(session.revocation?.message,
                       "The office revoked this phone and its Cordon data was wiped (1 not sent). Contact the control room.")
        XCTAssertTrue(secrets.isEmpty, "the key is deleted")
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "the core destroyed the database")

        // The next start: no database, no key: a new phone to enrol, under a new key.
        guard case let .opened(fresh) = keys.open() else { return XCTFail("the next start did not open") }
        XCTAssertNil(try fresh.deviceIdentity().officerId)
        XCTAssertNotNil(try secrets.read(.current))
    }
}
