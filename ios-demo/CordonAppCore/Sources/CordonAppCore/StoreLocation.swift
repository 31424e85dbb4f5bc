import Foundation

/// The data protection class the store's directory is given (files made in it inherit it).
public enum StoreFileProtection: String, Equatable, Sendable {
    /// Readable once the phone was unlocked after a restart, and while it is locked again:
    /// a background sync pass needs the store then (`complete` would shut it out, and iOS
    /// ends an app holding a locked SQLite file open). The store's own key guards it at rest.
    case completeUntilFirstUserAuthentication
}

/// The file system calls `StoreLocation` needs: `FoundationStoreFileSystem` on an iPhone, a
/// fake in the tests (Foundation's resource values do nothing in the Linux chroot).
public protocol StoreFileSystem {
    func fileExists(_ url: URL) -> Bool
    /// Creates `url` and any missing parents; nothing if it exists.
    func createDirectory(_ url: URL) throws
    /// Leaves `url` (and, for a directory, everything in it) out of iCloud and Finder/iTunes backups.
    func excludeFromBackup(_ url: URL) throws
    func setProtection(_ protection: StoreFileProtection, of url: URL) throws
    /// Renames `from` to `to` (same volume).
    func move(_ from: URL, to: URL) throws
}

/// Where the store lives on the phone: `<Application Support>/CordonStore/cordon.db`, its
/// attachments in `cordon.db.attachments` beside it, all in one directory that is left out
/// of backups and carries the protection class. Every file the core makes there (the
/// database, its `-wal` and `-shm`, each attachment, the copies being written, the
/// encrypted copy a migration renames over the database) inherits both, which marking the
/// files one by one could not promise: a file renamed into place loses its own marks.
///
/// Why out of backups: the store is evidence under a key that never leaves this phone (the
/// Keychain's `ThisDeviceOnly`), so a backup of it opens nowhere else; evidence leaves the
/// phone through the office, not through iCloud.
public struct StoreLocation: Equatable, Sendable {
    /// The database file to open.
    public let databaseURL: URL
    /// What could not be done, in words for the log (the store opens anyway: an alarm is
    /// never refused because a backup flag could not be set).
    public let problems: [String]

    public static let directoryName = "CordonStore"
    public static let databaseName = "cordon.db"

    /// The database and the files the core keeps beside it, by suffix of the database's name.
    static let companions = ["-wal", "-shm", ".attachments"]

    /// Makes the store's directory under `base`, marks it, moves a store of the earlier
    /// layout (`base/cordon.db` and its companions) into it, and marks what it holds. Run
    /// on every launch, before the store opens.
    public static func prepare(in base: URL, files: StoreFileSystem) -> StoreLocation {
        var problems: [String] = []
        let dir = base.appendingPathComponent(directoryName, isDirectory: true)
        let database = dir.appendingPathComponent(databaseName)
        do {
            try files.createDirectory(dir)
        } catch {
            problems.append("creating \(dir.path): \(error)")
        }
        let moved = moveEarlierLayout(from: base, to: dir, files: files, problems: &problems)
        let location = moved ? database : base.appendingPathComponent(databaseName)
        // The directory when it is the store's own; each file too (on the earlier layout,
        // which a failed move leaves, the directory holds more than the store).
        if moved { mark(dir, files: files, problems: &problems) }
        for url in [location] + companions.map({ URL(fileURLWithPath: location.path + $0) })
        where files.fileExists(url) {
            mark(url, files: files, problems: &problems)
        }
        return StoreLocation(databaseURL: location, problems: problems)
    }

    /// Moves `base/cordon.db` and its companions into `dir` if they are there and the store
    /// is not in `dir` yet: the companions first, the database last, so that a launch cut
    /// short leaves the database where it was and the next launch moves the rest. A move
    /// that fails puts back what this one moved (the database must never be opened away
    /// from its log). Returns whether the store is in `dir` now (or none was anywhere).
    private static func moveEarlierLayout(from base: URL, to dir: URL, files: StoreFileSystem,
                                          problems: inout [String]) -> Bool {
        let old = base.appendingPathComponent(databaseName)
        let new = dir.appendingPathComponent(databaseName)
        guard files.fileExists(old), !files.fileExists(new) else { return true }
        var moved: [(URL, URL)] = []
        for name in companions.map({ databaseName + $0 }) + [databaseName] {
            let from = base.appendingPathComponent(name)
            let to = dir.appendingPathComponent(name)
            guard files.fileExists(from), !files.fileExists(to) else { continue }
            do {
                try files.move(from, to: to)
                moved.append((from, to))
            } catch {
                problems.append("moving \(from.path): \(error)")
                for (back, here) in moved.reversed() {
                    do {
                        try files.move(here, to: back)
                    } catch {
                        problems.append("moving \(here.path) back: \(error)")
                    }
                }
                return false
            }
        }
        return true
    }

    private static func mark(_ url: URL, files: StoreFileSystem, problems: inout [String]) {
        do {
            try files.excludeFromBackup(url)
        } catch {
            problems.append("excluding \(url.path) from backups: \(error)")
        }
        do {
            try files.setProtection(.completeUntilFirstUserAuthentication, of: url)
        } catch {
            problems.append("protecting \(url.path): \(error)")
        }
    }
}

/// `StoreFileSystem` through Foundation: the resource value and the protection attribute
/// on Apple platforms (elsewhere there is no backup or data protection to set).
public struct FoundationStoreFileSystem: StoreFileSystem {
    public init() {}

    public func fileExists(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path)
    }

    public func createDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func excludeFromBackup(_ url: URL) throws {
        #if canImport(Darwin)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        var url = url
        try url.setResourceValues(values)
        #endif
    }

    public func setProtection(_ protection: StoreFileProtection, of url: URL) throws {
        #if os(iOS)
        switch protection {
        case .completeUntilFirstUserAuthentication:
            try FileManager.default.setAttributes(
                [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication], ofItemAtPath: url.path)
        }
        #endif
    }

    public func move(_ from: URL, to: URL) throws {
        try FileManager.default.moveItem(at: from, to: to)
    }
}
