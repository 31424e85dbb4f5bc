import Cordon
import Foundation
import Observation

/// What a background task (BGTaskScheduler, WorkManager) did, and when to run the next.
public struct BackgroundPass: Sendable {
    public let reports: [PassSummary]
    /// When the engine next wants a pass; nil: not until connectivity or a token changes.
    public let nextSyncAt: Date?

    /// The network or server failed mid-pass: report the task as failed (the outbox keeps
    /// everything). Not enrolled or refused credentials are not fixed by retrying.
    public var shouldRetry: Bool {
        if case .interrupted? = reports.last?.outcome { return true }
        return false
    }

    /// How long to wait before the next task, from `now`; nil: schedule none.
    public func delay(from now: Date) -> TimeInterval? {
        nextSyncAt.map { max(0, $0.timeIntervalSince(now)) }
    }
}

/// The one place the app talks to `CordonSync`: connectivity, sync now, the background
/// task, enrolment, and the status, kept current by the core's `SyncListener`.
///
/// The platform shell only forwards events: NWPathMonitor calls `setOnline`; the
/// BGTaskScheduler task calls `backgroundPass` and schedules the next from its delay.
@MainActor
@Observable
public final class SyncController {
    public private(set) var status: SyncStatus?
    public private(set) var lastReport: PassSummary?
    /// A connectivity change the core could not record (a storage error), in words; nil
    /// once one is recorded.
    public private(set) var problem: String?
    private let sync: CordonSync
    @ObservationIgnored private var listener: Listener?
    /// The last connectivity the core recorded; nil before the first report.
    @ObservationIgnored private var online: Bool?

    /// A pass found the device revoked and the core destroyed the store (the session forgets
    /// the key, then tells the officer): the unsent count and whether the office heard.
    @ObservationIgnored private let onRevoked: @MainActor (_ unsent: Int64, _ officeTold: Bool) -> Void

    public init(sync: CordonSync, onRevoked: @escaping @MainActor (_ unsent: Int64, _ officeTold: Bool) -> Void = { _, _ in }) {
        self.sync = sync
        self.onRevoked = onRevoked
        status = try? sync.status()
        let listener = Listener(self)
        self.listener = listener
        sync.setListener(listener)
    }

    /// The platform reports connectivity. Only a change counts: NWPathMonitor calls back
    /// on every path update (Wi-Fi to cellular, a new interface), and a pass on each would
    /// defeat the core's backoff. Coming online makes everything waiting due at once and
    /// starts a pass. A storage error is kept in `problem`, and the next report tries again.
    public func setOnline(_ online: Bool) {
        guard online != self.online else { return }
        do {
            try sync.setOnline(online)
        } catch {
            problem = UserMessages.of(error)
            return
        }
        self.online = online
        problem = nil
        if online { requestSync() }
    }

    /// Stops every pass of this engine at its next safe point; each returns at once with
    /// `.cancelled` (a BGTask's expiration handler).
    public func cancelPasses() {
        sync.cancel()
    }

    /// One pass now (the sync screen's button).
    @discardableResult
    public func syncNow() async throws -> PassSummary {
        let report = try await sync.syncOnce()
        lastReport = report
        // A revoked store has nothing left to read a status from.
        if !noticeRevocation([report]) { _ = try? await refreshStatus() }
        return report
    }

    /// Starts a pass without waiting for it (after a duress alarm, or a retried dead
    /// letter). If one is running, the core runs another round in it.
    @discardableResult
    public func requestSync() -> Task<Void, Never> {
        Task { _ = try? await syncNow() }
    }

    /// Reads the status afresh (store writes such as a requeue do not notify the listener).
    @discardableResult
    public func refreshStatus() async throws -> SyncStatus {
        let sync = sync
        let fresh = try await offMain { try sync.status() }
        status = fresh
        return fresh
    }

    /// What a background task runs: passes until drained (at most `maxPasses`), and no
    /// longer than `budget` if one is given: then the passes are cancelled (the core stops
    /// at its next safe point and keeps the rest queued) and this returns.
    public func backgroundPass(maxPasses: Int32 = 10, budget: Duration? = nil) async throws -> BackgroundPass {
        let sync = sync
        let deadline = budget.map { budget in
            Task {
                guard (try? await Task.sleep(for: budget)) != nil else { return } // the pass ended first
                sync.cancel()
            }
        }
        defer { deadline?.cancel() }
        let reports = try await sync.syncUntilDrained(maxPasses)
        if let last = reports.last { lastReport = last }
        if noticeRevocation(reports) { return BackgroundPass(reports: reports, nextSyncAt: nil) }
        return BackgroundPass(reports: reports, nextSyncAt: try await offMain { try sync.nextSyncAt() })
    }

    /// Redeems the office's one-time code; throws the core's error for the screen to word.
    public func enrol(code: String) async throws -> EnrolResponse {
        let enrolled = try await sync.enrol(code)
        _ = try? await refreshStatus()
        return enrolled
    }

    /// Calls `onRevoked` if one of `reports` found the device revoked; true if one did.
    private func noticeRevocation(_ reports: [PassSummary]) -> Bool {
        for report in reports {
            if case let .revoked(unsent, officeTold, _) = report.outcome {
                onRevoked(unsent, officeTold)
                return true
            }
        }
        return false
    }

    /// Called by the core on whichever thread changed the status: hop to the main actor.
    private final class Listener: SyncListener, @unchecked Sendable {
        weak var controller: SyncController?
        init(_ controller: SyncController) { self.controller = controller }

        func onStatus(status: SyncStatus) {
            Task { @MainActor [weak controller] in controller?.status = status }
        }
    }
}
