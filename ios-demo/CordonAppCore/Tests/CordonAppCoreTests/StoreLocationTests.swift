@testable import CordonAppCore
import Foundation
import XCTest

/// A file system in memory that records what was marked and moved, and fails on request.
private final class FakeFiles: StoreFileSystem {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    var existing: Set<String> = []
    var excluded: Set<String> = []
    var protection: [String: StoreFileProtection] = [:]
    var moves: [(String, String)] = []
    var failMoveOf: String?
    var failMarks = false

    func fileExists(_ url: URL) -> Bool { existing.contains(url.path) }

    func createDirectory(_ url: URL) throws { existing.insert(url.path) }

    func excludeFromBackup(_ url: URL) throws {
        if failMarks { throw Failure(description: "no resource values here") }
        excluded.insert(url.path)
    }

    func setProtection(_ protection: StoreFileProtection, of url: URL) throws {
        if failMarks { throw Failure(description: "no data protection here") }
        self.protection[url.path] = protection
    }

    func move(_ from: URL, to: URL) throws {
        if from.path == failMoveOf { throw Failure(description: "disk said no") }
        guard existing.remove(from.path) != nil else { throw Failure(description: "no \(from.path)") }
        existing.insert(to.path)
        moves.append((from.lastPathComponent, to.deletingLastPathComponent().lastPathComponent))
    }
}

final class StoreLocationTests: XCTestCase {
    private let base = URL(fileURLWithPath: "/var/mobile/Application Support", isDirectory: true)
    private var dir: String { base.path + "/CordonStore" }
    private var old: String { base.path + "/cordon.db" }

    func testAFirstRunKeepsTheStoreInADirectoryLeftOutOfBackupsAndProtected() {
        let files = FakeFiles()

        let location = StoreLocation.prepare(in: base, files: files)

        XCTAssertEqual(location.databaseURL.path, dir + "/cordon.db")
        XCTAssertTrue(files.existing.contains(dir))
        XCTAssertEqual(files.excluded, [dir])
        XCTAssertEqual(files.protection, [dir: .completeUntilFirstUserAuthentication])
        XCTAssertEqual(location.problems, [])
    }

    func testEveryFileOfTheStoreIsMarkedAgainOnEachLaunch() {
        let files = FakeFiles()
        files.existing = [dir, dir + "/cordon.db", dir + "/cordon.db-wal", dir + "/cordon.db.attachments"]

        _ = StoreLocation.prepare(in: base, files: files)

        XCTAssertEqual(files.excluded, [dir, dir + "/cordon.db", dir + "/cordon.db-wal", dir + "/cordon.db.attachments"])
        XCTAssertEqual(files.protection[dir + "/cordon.db-wal"], .completeUntilFirstUserAuthentication)
        XCTAssertNil(files.protection[dir + "/cordon.db-shm"], "only what is there")
    }

    func testAStoreOfTheEarlierLayoutMovesInWithItsLogAndAttachmentsTheDatabaseLast() {
        let files = FakeFiles()
        files.existing = [old, old + "-wal", old + "-shm", old + ".attachments", base.path + "/other.plist"]

        let location = StoreLocation.prepare(in: base, files: files)

        XCTAssertEqual(location.databaseURL.path, dir + "/cordon.db")
        XCTAssertEqual(files.moves.map(\.0), ["cordon.db-wal", "cordon.db-shm", "cordon.db.attachments", "cordon.db"])
        XCTAssertTrue(files.moves.allSatisfy { $0.1 == "CordonStore" })
        XCTAssertTrue(files.existing.contains(base.path + "/other.plist"), "nothing else is moved")
        XCTAssertTrue(files.excluded.isSuperset(of: [dir, dir + "/cordon.db", dir + "/cordon.db.attachments"]))
        XCTAssertFalse(files.excluded.contains(base.path), "not the whole of Application Support")
    }

    func testAMoveThatFailsPutsBackWhatItMovedAndTheStoreOpensWhereItWas() {
        let files = FakeFiles()
        files.existing = [old, old + "-wal", old + ".attachments"]
        files.failMoveOf = old + ".attachments"

        let location = StoreLocation.prepare(in: base, files: files)

        XCTAssertEqual(location.databaseURL.path, old, "the database is never opened away from its log")
        XCTAssertTrue(files.existing.isSuperset(of: [old, old + "-wal", old + ".attachments"]))
        XCTAssertFalse(files.existing.contains(dir + "/cordon.db-wal"))
        XCTAssertEqual(location.problems.count, 1)
        XCTAssertTrue(location.problems[0].contains("disk said no"), location.problems[0])
        // Still marked where it is, file by file (not the whole of Application Support).
        XCTAssertEqual(files.excluded, [old, old + "-wal", old + ".attachments"])
    }

    func testALaunchCutShortMidMoveIsFinishedByTheNext() {
        let files = FakeFiles()
        // The log and the attachments moved, then the app was killed before the database.
        files.existing = [old, dir, dir + "/cordon.db-wal", dir + "/cordon.db.attachments"]

        let location = StoreLocation.prepare(in: base, files: files)

        XCTAssertEqual(location.databaseURL.path, dir + "/cordon.db")
        XCTAssertEqual(files.moves.map(\.0), ["cordon.db"])
        XCTAssertFalse(files.existing.contains(old))
    }

    func testMarksThatCannotBeSetAreReportedAndTheStoreStillOpens() {
        let files = FakeFiles()
        files.failMarks = true

        let location = StoreLocation.prepare(in: base, files: files)

        XCTAssertEqual(location.databaseURL.path, dir + "/cordon.db")
        XCTAssertEqual(location.problems.count, 2)
        XCTAssertTrue(location.problems[0].contains("excluding"), location.problems[0])
        XCTAssertTrue(location.problems[1].contains("protecting"), location.problems[1])
    }
}
