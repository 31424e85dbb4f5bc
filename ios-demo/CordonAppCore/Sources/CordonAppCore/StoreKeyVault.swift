import Cordon
import Foundation

/// The two places a store key can be kept: `next` holds a new key while a rotation is under
/// way, so a rotation cut short at any point still leaves a key that opens the store.
public enum KeySlot: String, CaseIterable, Sendable {
    case current
    case next
}

/// Where the store's key is kept between runs: the Keychain on an iPhone
/// (`KeychainSecretStore`, this device only, after first unlock), memory in the tests.
public protocol SecretStore: AnyObject, Sendable {
    /// The secret in `slot`, or nil if there is none.
    func read(_ slot: KeySlot) throws -> Data?
    /// Durable when it returns, or throws.
    func write(_ slot: KeySlot, _ secret: Data) throws
    /// Durable when it returns, or throws; deleting an empty slot does nothing.
    func delete(_ slot: KeySlot) throws
}

/// Why the key to this phone's records is gone or does not open them.
public enum KeyLoss: Equatable, Sendable {
    /// What the Keychain holds is not a 32-byte key.
    case unreadable
    /// A database is here but the Keychain holds no key for it (restored to another phone:
    /// the key never leaves the device it was made on).
    case noKeyForDatabase
    /// The core says the key does not open the database.
    case wrongKey
}

/// Why the store could not be opened; nothing was deleted and no new key was made.
public enum StoreUnavailable: Error, Equatable, Sendable {
    /// The key to this phone's records is lost: the database is left as it was (evidence).
    case keyLost(KeyLoss)
    /// The Keychain did not answer (before the first unlock, say): nothing changed; try again.
    case keyStoreFailed(String)
    /// The core refused the store for another reason (corrupt, from a newer app, no space).
    case failed(CordonError)

    public static let keyLostMessage = "This phone's Cordon data can no longer be opened. Nothing has been deleted: "
        + "contact the control room before reinstalling the app."

    /// The sentence the app shows instead of its screens.
    public var message: String {
        switch self {
        case .keyLost:
            return Self.keyLostMessage
        case let .keyStoreFailed(detail):
            return "This phone's key store did not answer (\(detail)). Nothing has been deleted: restart the app."
        case let .failed(error):
            return UserMessages.of(error)
        }
    }
}

/// How `StoreKeyVault.open()` went.
public enum StoreOpening {
    case opened(CordonStore)
    case unavailable(StoreUnavailable)
}

/// The store's 32-byte key: made at random on the first run, kept in the `SecretStore`
/// (the Keychain: `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`, so never in a backup
/// or on another phone), read on each run and handed to `CordonStore.openEncrypted`, then
/// wiped from this side's copy (the core keeps its own while the store is open).
///
/// It never makes a new key over an existing database: a lost key is
/// `.keyLost`, with the file left in place. The one exception is a database from the app
/// version before encryption (plaintext): the core encrypts it in place with a new key,
/// records and queue kept; a database under another key is refused by the core
/// (`CordonError.WrongKey`) and left byte for byte as it was. The same rules as the
/// Android app's `StoreKeyVault`.
public final class StoreKeyVault: @unchecked Sendable {
    public static let keyBytes = 32
    private let databasePath: String
    private let secrets: SecretStore
    private let newKey: @Sendable () -> Data
    private let lock = NSLock()

    /// `newKey` makes 32 random bytes (the system's secure generator unless a test says otherwise).
    public init(databasePath: String, secrets: SecretStore,
                newKey: @escaping @Sendable () -> Data = StoreKeyVault.randomKey) {
        self.databasePath = databasePath
        self.secrets = secrets
        self.newKey = newKey
    }

    /// 32 bytes from the system's cryptographically secure generator.
    @Sendable public static func randomKey() -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<keyBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Opens the store at the database path with this phone's key (made on the first run).
    public func open() -> StoreOpening {
        lock.lock()
        defer { lock.unlock() }
        let databaseExists = FileManager.default.fileExists(atPath: databasePath)
        let current: Data?
        do {
            current = try secrets.read(.current)
        } catch {
            return .unavailable(.keyStoreFailed(describe(error)))
        }
        guard let current else { return openWithNewKey(databaseExists: databaseExists) }
        guard databaseExists else {
            // The key protects nothing here any more (a revoked store destroyed before the
            // key was forgotten, or a first run cut short): never reuse it.
            do {
                try forgetKeys()
            } catch {
                return .unavailable(.keyStoreFailed(describe(error)))
            }
            return openWithNewKey(databaseExists: false)
        }
        return openWithKeptKey(current)
    }

    /// A new key for `store` (opened by this vault): kept in `.next` first, then given to
    /// the core (`rekey`: the database, then the attachment files), then made current. The
    /// old key stays in `.current` until the core has every file under the new one: cut
    /// short anywhere, the next `open()` finds whichever key the database is under and, if
    /// the files' step was cut short, finishes it with the old key.
    public func rekey(_ store: CordonStore) throws {
        lock.lock()
        defer { lock.unlock() }
        var key = newKey()
        defer { key.resetBytes(in: 0..<key.count) }
        try secrets.write(.next, key)
        do {
            try store.rekey(key)
        } catch {
            // The database may have taken the new key with files left under the old one:
            // finish now if the old key does it, else both slots stay for `open()`.
            let old = try? secrets.read(.current)
            guard store.rekeyUnfinished(), finishRekey(store, old: old) else { throw error }
        }
        try secrets.write(.current, key)
        try secrets.delete(.next)
    }

    /// Gives the core the old key to finish a rekey; false if that failed.
    private func finishRekey(_ store: CordonStore, old: Data?) -> Bool {
        guard var old else { return false }
        defer { old.resetBytes(in: 0..<old.count) }
        return (try? store.finishRekey(old)) != nil
    }

    /// Forgets this phone's key for good (the office revoked the device and the core has
    /// destroyed the store). Returns false if the Keychain failed; the next `open()` tries
    /// again (a key without its database is forgotten there).
    @discardableResult
    public func forget() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return (try? forgetKeys()) != nil
    }

    private func forgetKeys() throws {
        try secrets.delete(.next)
        try secrets.delete(.current)
    }

    private enum Attempt {
        case wrongKey
        case done(StoreOpening)
    }

    private func openWithNewKey(databaseExists: Bool) -> StoreOpening {
        let key = newKey()
        do {
            // Kept before the core sees it: a store is never encrypted under a key that
            // could be lost with the process.
            try secrets.write(.current, key)
        } catch {
            return .unavailable(.keyStoreFailed(describe(error)))
        }
        switch openWith(key) {
        case .wrongKey:
            // Encrypted under a key this phone does not have: the new key protects nothing.
            try? secrets.delete(.current)
            return .unavailable(.keyLost(databaseExists ? .noKeyForDatabase : .wrongKey))
        case let .done(opening):
            return opening
        }
    }

    private func openWithKeptKey(_ current: Data) -> StoreOpening {
        let next: Data?
        do {
            next = try secrets.read(.next)
        } catch {
            return .unavailable(.keyStoreFailed(describe(error)))
        }
        if case let .done(opening) = openWith(current) {
            // A rotation that never reached the core: its key protects nothing.
            if next != nil, case .opened = opening { try? secrets.delete(.next) }
            return opening
        }
        guard let next else { return .unavailable(.keyLost(.wrongKey)) }
        // A rotation whose database step the core completed: the new key is current once
        // every attachment file is under it too (the old key, still in `.current`,
        // finishes a file step cut short; if that fails both keys stay for the next open).
        switch openWith(next) {
        case .wrongKey:
            return .unavailable(.keyLost(.wrongKey))
        case let .done(opening):
            if case let .opened(store) = opening,
               !store.rekeyUnfinished() || finishRekey(store, old: current) {
                try? secrets.write(.current, next)
                try? secrets.delete(.next)
            }
            return opening
        }
    }

    /// Opens the store with `key`, then wipes this copy of it.
    private func openWith(_ key: Data) -> Attempt {
        var key = key
        defer { key.resetBytes(in: 0..<key.count) }
        guard key.count == Self.keyBytes else { return .done(.unavailable(.keyLost(.unreadable))) }
        do {
            return .done(.opened(try CordonStore.openEncrypted(databasePath, key)))
        } catch CordonError.WrongKey {
            return .wrongKey
        } catch let error as CordonError {
            return .done(.unavailable(.failed(error)))
        } catch {
            return .done(.unavailable(.keyStoreFailed(describe(error))))
        }
    }

    private func describe(_ error: Error) -> String {
        String(describing: error)
    }
}
