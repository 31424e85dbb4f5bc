import Cordon
@testable import CordonAppCore
import Foundation
import XCTest

/// The Keychain's stand-in: secrets by slot, in memory; `failWrites` makes writes throw.
final class InMemorySecretStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var secrets: [KeySlot: Data] = [:]
    private var failing: Set<KeySlot> = []

    struct WriteFailed: Error {}

    func read(_ slot: KeySlot) throws -> Data? {
        lock.lock()
        defer { lock.unlock() }
        return secrets[slot]
    }

    func write(_ slot: KeySlot, _ secret: Data) throws {
        lock.lock()
        defer { lock.unlock() }
        if failing.contains(slot) { throw WriteFailed() }
        secrets[slot] = secret
    }

    func delete(_ slot: KeySlot) throws {
        lock.lock()
        defer { lock.unlock() }
        secrets[slot] = nil
    }

    /// Writes to `slots` throw from now on, as a Keychain refusing them would.
    func failWrites(_ slots: Set<KeySlot>) {
        lock.lock()
        failing = slots
        lock.unlock()
    }

    var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return secrets.isEmpty
    }
}

/// Keys made by a vault, recorded (a test can check which key the core was given).
final class RecordedKeys: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [Data] = []

    var all: [Data] {
        lock.lock()
        defer { lock.unlock() }
        return made
    }

    var maker: @Sendable () -> Data {
        { [self] in
            let key = StoreKeyVault.randomKey()
            lock.lock()
            made.append(key)
            lock.unlock()
            return key
        }
    }
}

/// A session opened as the app opens it, through a vault over an in-memory secret store.
@MainActor
func openTestSession(databasePath: String, serverURL: String, transport: Transport, now: @escaping @Sendable () -> Date,
                     zone: TimeZone, keys: StoreKeyVault? = nil,
                     file: StaticString = #filePath, line: UInt = #line) throws -> CordonSession {
    let keys = keys ?? StoreKeyVault(databasePath: databasePath, secrets: InMemorySecretStore())
    switch CordonSession.open(keys: keys, serverURL: serverURL, transport: transport, now: now, zone: zone) {
    case let .ready(session):
        return session
    case let .unavailable(why):
        XCTFail("the session did not open: \(why)", file: file, line: line)
        throw why
    }
}
