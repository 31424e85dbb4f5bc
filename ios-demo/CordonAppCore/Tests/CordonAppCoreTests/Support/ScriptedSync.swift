import Cordon
import Foundation

/// A `CordonSync` that records what the app asks of the engine and can fail or hold a
/// call, over a real engine for everything else: the calls a platform callback or a
/// background task makes, seen from the engine's side.
final class ScriptedSync: CordonSync, @unchecked Sendable {
    private let real: CordonSync
    private let lock = NSLock()
    private var reports: [Bool] = []
    private var failures: [Error] = []
    private var passes = 0
    private var cancels = 0
    private var waitsForCancel = false
    private var cancelled = false

    init(_ real: CordonSync) {
        self.real = real
        super.init(noHandle: NoHandle())
    }

    required init(unsafeFromHandle handle: UInt64) { fatalError("a ScriptedSync wraps a real engine") }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Every connectivity report that reached the engine, in order.
    var onlineReports: [Bool] { locked { reports } }
    var passesStarted: Int { locked { passes } }
    var cancelCalls: Int { locked { cancels } }

    /// The next setOnline call throws `error` before reaching the engine.
    func failNextSetOnline(with error: Error) { locked { failures.append(error) } }

    /// From now on, draining runs only once `cancel()` was called (a pass that takes minutes).
    func drainWaitsForCancel() { locked { waitsForCancel = true } }

    override func setOnline(_ online: Bool) throws {
        let failure: Error? = locked {
            reports.append(online)
            return failures.isEmpty ? nil : failures.removeFirst()
        }
        if let failure { throw failure }
        try real.setOnline(online)
    }

    override func syncOnceCancellable(_ cancellation: SyncCancellation) async throws -> PassSummary {
        locked { passes += 1 }
        return try await real.syncOnceCancellable(cancellation)
    }

    override func syncUntilDrainedCancellable(_ maxPasses: Int32, _ cancellation: SyncCancellation) async throws -> [PassSummary] {
        let wait: Bool = locked { passes += 1; return waitsForCancel }
        while wait && !locked({ cancelled }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        return try await real.syncUntilDrainedCancellable(maxPasses, cancellation)
    }

    override func cancel() {
        locked { cancels += 1; cancelled = true }
        real.cancel()
    }

    override func status() throws -> SyncStatus { try real.status() }
    override func nextSyncAt() throws -> Date? { try real.nextSyncAt() }
    override func setListener(_ listener: SyncListener?) { real.setListener(listener) }
}

/// A transport for engines that must never reach the network.
final class NoNetwork: Transport, @unchecked Sendable {
    struct Unreachable: Error {}
    func send(request: HttpRequest) throws -> HttpResponse { throw Unreachable() }
}
