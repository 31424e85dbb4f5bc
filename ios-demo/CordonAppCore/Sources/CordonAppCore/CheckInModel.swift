import Cordon
import Foundation
import Observation

/// How loudly the welfare line speaks.
public enum Tone: Sendable { case calm, attention, alarm }

/// The welfare clock as one line of text and a warning.
public struct WelfareLine: Equatable, Sendable {
    public let status: WelfareStatus
    public let headline: String
    /// "Next check-in in 24 min 10 s (19:30)"; nil when off duty.
    public let countdown: String?
    /// Set when overdue: the screen shows a red banner with this text.
    public let overdueWarning: String?
    public let tone: Tone

    /// Words for the core's `status` at `now`. Which state applies is the core's decision
    /// (from the assignment's policy); this only measures the time left.
    public init(_ status: WelfareStatus, now: Date, text: TimeText) {
        self.status = status
        switch status {
        case .offDuty:
            (headline, countdown, overdueWarning, tone) = ("Off duty", nil, nil, .calm)
        case let .onTime(dueAt, _):
            headline = "On time"
            countdown = "Next check-in in \(TimeText.remaining(dueAt.timeIntervalSince(now))) (\(text.clock(dueAt)))"
            (overdueWarning, tone) = (nil, .calm)
        case let .due(_, overdueAt):
            headline = "Check-in due"
            countdown = "Check in now: overdue in \(TimeText.remaining(overdueAt.timeIntervalSince(now))) (\(text.clock(overdueAt)))"
            (overdueWarning, tone) = (nil, .attention)
        case let .overdue(dueAt, overdueAt):
            headline = "Overdue"
            countdown = "Check-in was due at \(text.clock(dueAt))"
            overdueWarning = "Overdue by \(TimeText.elapsed(now.timeIntervalSince(overdueAt))): check in now"
            tone = .alarm
        }
    }
}

/// The check-in screen of one assignment: the welfare countdown, and the buttons that
/// record clock-on, welfare, checkpoint and clock-off check-ins. `now` is the device's
/// clock (inject a fixed one in tests); check-ins are stamped with it.
@MainActor
@Observable
public final class CheckInModel {
    public let assignmentId: String
    public private(set) var welfare: WelfareLine?
    public private(set) var lastCheckIn: String?
    /// Clock on is offered while off duty; welfare, checkpoint and clock off while on.
    public private(set) var onDuty = false
    public var message: String?

    private let store: CordonStore
    private let now: @Sendable () -> Date
    private let text: TimeText
    private let zone: TimeZone

    public init(store: CordonStore, assignmentId: String, now: @escaping @Sendable () -> Date, text: TimeText, zone: TimeZone) {
        self.store = store
        self.assignmentId = assignmentId
        self.now = now
        self.text = text
        self.zone = zone
    }

    /// Re-reads the welfare clock from the core and measures it against `now`.
    public func refresh() async {
        let (store, id) = (store, assignmentId)
        do {
            let (status, last) = try await offMain { (try store.welfareStatus(id), try store.checkIns(id).last) }
            welfare = WelfareLine(status, now: now(), text: text)
            lastCheckIn = last.map(describe)
            onDuty = status != .offDuty
        } catch {
            message = UserMessages.of(error)
        }
    }

    /// Keeps the countdown current until the calling task is cancelled (SwiftUI `.task`).
    public func tick(every period: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            await refresh()
            try? await Task.sleep(for: period)
        }
    }

    public func clockOn() async { await record(.clockOn) }
    public func welfareCheckIn() async { await record(.welfare) }
    public func checkpoint(tagId: String) async { await record(.checkpoint, tagId: tagId) }
    public func clockOff() async { await record(.clockOff) }

    private func record(_ kind: CheckInKind, tagId: String? = nil) async {
        let checkIn = NewCheckIn(kind: kind, assignmentId: assignmentId, occurredAt: now(), timeZone: zone.identifier,
                                 location: nil, tagId: tagId, note: nil)
        let store = store
        do {
            _ = try await offMain { try store.recordCheckIn(checkIn) }
            message = nil
        } catch {
            message = UserMessages.of(error)
        }
        await refresh()
    }

    private func describe(_ checkIn: CheckIn) -> String {
        // A duress alarm is covert: on screen it reads as the welfare check-in it pretends
        // to be (the core restarts the welfare clock for it for the same reason).
        let kind = checkIn.kind == .duress ? .welfare : checkIn.kind
        return "Last: \(label(kind).lowercased()) at \(text.clock(checkIn.occurredAt))"
            + (checkIn.tagId.map { " (\($0))" } ?? "")
    }
}
