import Cordon
import Foundation
import XCTest

/// Encryption at rest through the real generated bindings: a store opened with the app's
/// 32-byte key (as the Keychain would hand it over) holds no plaintext, a wrong key is
/// `CordonError.WrongKey` with the file untouched, a key of another length is
/// `CordonError.InvalidKey`, and `rekey` moves the store to a new key.
final class EncryptionTests: XCTestCase {
    private var dir: URL!
    private let codename = "CODENAME-MERLIN-4"

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    private func key(_ byte: UInt8) -> Data { Data(repeating: byte, count: 32) }
    private var path: String { dir.appendingPathComponent("cordon.db").path }
    private func fileBytes() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
    private func holdsCodename() throws -> Bool { try fileBytes().range(of: Data(codename.utf8)) != nil }

    func testAnEncryptedStoreHoldsNoPlaintextAndOpensAgainWithItsKey() throws {
        do {
            let store = try CordonStore.openEncrypted(path, key(1))
            _ = try store.recordCheckIn(duress(note: codename))
        }
        XCTAssertFalse(try holdsCodename())
        let store = try CordonStore.openEncrypted(path, key(1))
        XCTAssertEqual(try store.checkIns(nil).map(\.note), [codename])
    }

    func testAWrongKeyOrNoKeyIsWrongKeyAndTheFileIsLeftAsItWas() throws {
        do {
            let store = try CordonStore.openEncrypted(path, key(1))
            _ = try store.recordCheckIn(duress(note: codename))
        }
        let before = try fileBytes()
        XCTAssertEqual(errorThrown { try CordonStore.openEncrypted(path, key(2)) } as? CordonError, .WrongKey(path: path))
        XCTAssertEqual(errorThrown { try CordonStore.open(path) } as? CordonError, .WrongKey(path: path))
        XCTAssertEqual(try fileBytes(), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    func testAKeyThatIsNot32BytesIsInvalidKeyAndOpensNothing() throws {
        for size in [0, 16, 31, 33] {
            let error = errorThrown { try CordonStore.openEncrypted(path, Data(count: size)) }
            guard case let .InvalidKey(reason)? = error as? CordonError else { return XCTFail("\(String(describing: error))") }
            XCTAssertTrue(reason.contains("\(size) bytes were given"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        let store = try CordonStore.openEncrypted(path, key(1))
        guard case .InvalidKey? = errorThrown({ try store.rekey(Data(count: 16)) }) as? CordonError else {
            return XCTFail("rekey with 16 bytes")
        }
    }

    func testRekeyMovesTheStoreToTheNewKeyWithItsQueueIntact() throws {
        do {
            let store = try CordonStore.openEncrypted(path, key(1))
            for _ in 0..<3 { _ = try store.recordCheckIn(duress(note: codename)) }
            let queued = try store.queuedOperations()
            try store.rekey(key(2))
            XCTAssertEqual(try store.queuedOperations(), queued)
        }
        XCTAssertEqual(errorThrown { try CordonStore.openEncrypted(path, key(1)) } as? CordonError, .WrongKey(path: path))
        XCTAssertEqual(try CordonStore.openEncrypted(path, key(2)).queuedOperations().count, 3)
    }

    func testAPlaintextStoreOpenedWithAKeyIsEncryptedWithItsQueue() throws {
        do {
            let store = try openStore(dir)
            _ = try store.recordCheckIn(duress(note: codename))
        }
        XCTAssertEqual(try CordonStore.openEncrypted(path, key(1)).queuedOperations().count, 1)
        XCTAssertFalse(try holdsCodename())
    }

    func testARekeyCutShortAfterTheDatabaseKeepsItsFilesForFinishRekeyWithTheOldKey() throws {
        let photo = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let source = dir.appendingPathComponent("photo.jpg")
        try photo.write(to: source)
        let attachments = dir.appendingPathComponent("cordon.db.attachments")
        let id: String
        do {
            let store = try CordonStore.openEncrypted(path, key(1))
            let report = try store.createReport(incident())
            id = try store.attachFile(report.id, source.path, .photo, "image/jpeg").id
            // The file step fails after the database is under the new key: its copy
            // cannot be written (a directory is in the way).
            let blocker = attachments.appendingPathComponent("\(id).partial")
            try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
            guard case .Io? = errorThrown({ try store.rekey(key(2)) }) as? CordonError else {
                return XCTFail("rekey with its file step blocked")
            }
            XCTAssertTrue(store.rekeyUnfinished())
            try FileManager.default.removeItem(at: blocker)
        }
        XCTAssertEqual(errorThrown { try CordonStore.openEncrypted(path, key(1)) } as? CordonError, .WrongKey(path: path))
        let store = try CordonStore.openEncrypted(path, key(2))
        XCTAssertTrue(store.rekeyUnfinished(), "the open says the old key is needed")
        let shown = dir.appendingPathComponent("shown.jpg")
        guard case .WrongKey? = errorThrown({ try store.exportAttachment(id, shown.path) }) as? CordonError else {
            return XCTFail("export before finishRekey")
        }
        guard case .WrongKey? = errorThrown({ try store.finishRekey(key(3)) }) as? CordonError else {
            return XCTFail("finishRekey with another key")
        }
        guard case .InvalidKey? = errorThrown({ try store.finishRekey(Data(count: 8)) }) as? CordonError else {
            return XCTFail("finishRekey with 8 bytes")
        }
        XCTAssertEqual(try store.finishRekey(key(1)), 1)
        XCTAssertFalse(store.rekeyUnfinished())
        try store.exportAttachment(id, shown.path)
        XCTAssertEqual(try Data(contentsOf: shown), photo)
        XCTAssertFalse(try CordonStore.openEncrypted(path, key(2)).rekeyUnfinished())
    }
}
