import Cordon
import Foundation
import Observation

/// One operation the server refused for good.
public struct DeadLetterRow: Equatable, Identifiable, Sendable {
    public var id: Int64 { seq }
    public let seq: Int64
    public let what: String
    public let record: String
    /// The server's reason, word for word.
    public let reason: String
    public let queuedAt: String
}

/// The sync screen: what waits in each lane, dead letters with the server's reason, and
/// what the officer can do about them: retry (requeue, then sync at once) or discard
/// (archived by the core, never silently lost).
@MainActor
@Observable
public final class SyncStatusModel {
    public private(set) var urgentUndelivered: Int64 = 0
    public private(set) var normalUndelivered: Int64 = 0
    public private(set) var bulkUndelivered: Int64 = 0
    /// "Everything delivered" or "3 waiting: 1 alarm, 2 records".
    public private(set) var summary = ""
    public private(set) var connection = ""
    public private(set) var lastDelivered: String?
    public private(set) var lastError: String?
    public private(set) var deadLetters: [DeadLetterRow] = []
    public private(set) var syncing = false
    public var message: String?

    private let store: CordonStore
    private let controller: SyncController
    private let text: TimeText

    public init(store: CordonStore, controller: SyncController, text: TimeText) {
        self.store = store
        self.controller = controller
        self.text = text
    }

    /// Re-reads the status and the dead letters.
    public func refresh() async {
        let store = store
        do {
            let status = try await controller.refreshStatus()
            let dead = try await offMain { try store.deadLetters() }
            show(status, dead)
        } catch {
            message = UserMessages.of(error)
        }
    }

    public func syncNow() async {
        syncing = true
        message = nil
        do {
            let report = try await controller.syncNow()
            switch report.outcome {
            case .completed, .alreadyRunning: message = nil
            case let .interrupted(error): message = "Sync stopped: \(error). It will retry by itself."
            case .authPaused: message = "The office refused this phone's credentials. Enrol again."
            case .notEnrolled: message = "This phone is not enrolled yet."
            case .outOfTime: message = "Sync paused to save time; the rest goes on the next run."
            case .cancelled: message = nil
            case let .revoked(unsent, _, _):
                message = "The office has shut this phone out and its records were erased "
                    + "(\(unsent) not sent). Call your control room."
            }
        } catch {
            message = UserMessages.of(error)
        }
        syncing = false
        await refresh()
    }

    /// Sends a dead letter again (after the cause was fixed at the office), at once.
    public func retry(seq: Int64) async {
        let store = store
        do {
            try await offMain { try store.requeueDead(seq) }
        } catch {
            message = UserMessages.of(error)
            await refresh()
            return
        }
        await syncNow()
    }

    /// Gives up on a dead letter; the core archives it.
    public func discard(seq: Int64) async {
        let store = store
        do {
            try await offMain { try store.discardDead(seq) }
        } catch {
            message = UserMessages.of(error)
        }
        await refresh()
    }

    private func show(_ status: SyncStatus, _ dead: [Cordon.OutboxOperation]) {
        let (pending, inFlight) = (status.outbox.pending, status.outbox.inFlight)
        urgentUndelivered = pending.urgent + inFlight.urgent
        normalUndelivered = pending.normal + inFlight.normal
        bulkUndelivered = pending.bulk + inFlight.bulk
        let parts = [(urgentUndelivered, "alarm"), (normalUndelivered, "record"), (bulkUndelivered, "file")]
            .filter { $0.0 > 0 }
            .map { $0.0 == 1 ? "1 \($0.1)" : "\($0.0) \($0.1)s" }
        let total = urgentUndelivered + normalUndelivered + bulkUndelivered
        summary = parts.isEmpty ? "Everything delivered" : "\(total) waiting: \(parts.joined(separator: ", "))"
        if !status.enrolled {
            connection = "Not enrolled"
        } else if status.authPaused {
            connection = "Paused: the office refused this phone's credentials"
        } else if !status.online {
            connection = "Offline: records are kept on the phone"
        } else {
            connection = "Online" + (status.nextSyncAt.map { ", next sync \(text.clock($0))" } ?? "")
        }
        lastDelivered = status.lastSuccessAt.map { "Last delivered \(text.dayAndClock($0))" }
        lastError = status.lastError
        deadLetters = dead.map { op in
            DeadLetterRow(seq: op.seq, what: label(op.kind), record: op.recordId,
                          reason: op.lastError ?? "refused by the server", queuedAt: text.dayAndClock(op.createdAt))
        }
    }
}
