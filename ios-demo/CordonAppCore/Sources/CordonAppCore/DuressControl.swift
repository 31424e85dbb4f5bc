import Cordon
import Foundation
import Observation

/// Where the duress control is.
public enum DuressState: Equatable, Sendable {
    /// Nothing happening; `note` says what just ended ("Cancelled: nothing sent").
    case idle(note: String?)
    /// The button is held down; the alarm arms at `armsAt` if it is still held.
    case holding(armsAt: Date, progress: Double)
    /// Armed: the alarm goes at `sendsAt` unless cancelled.
    case countingDown(sendsAt: Date, secondsLeft: Int)
    /// Being written to the store (milliseconds).
    case sending
    /// Recorded (durably, in the urgent lane) and handed to sync.
    case sent(CheckIn)
    /// The store refused it (only a storage failure can); press again to retry.
    case failed(message: String)

    var isRunning: Bool {
        switch self {
        case .holding, .countingDown: return true
        default: return false
        }
    }
}

/// The duress control: hold the button for `holdToArm` to arm it, then a `cancelWindow`
/// countdown in which one tap cancels, then the alarm is recorded at once.
///
/// Everything about the alarm itself is the core's: a duress check-in needs no assignment,
/// is never refused for bad input, goes to the urgent lane and is synced to disk before
/// the call returns. This class only decides *when* the officer meant it, then hands the
/// recorded alarm to `onRaised` (the app starts a sync pass there, so the alarm leaves on
/// the next round trip, ahead of anything queued). Timing runs on the injected `now`.
@MainActor
@Observable
public final class DuressControl {
    public private(set) var state: DuressState = .idle(note: nil)
    public let holdToArm: TimeInterval
    public let cancelWindow: TimeInterval

    private let store: CordonStore
    private let now: @Sendable () -> Date
    private let zone: TimeZone
    private let assignmentId: () -> String?
    private let onRaised: (CheckIn) -> Void
    private let tickEvery: Duration
    @ObservationIgnored private var ticker: Task<Void, Never>?

    public init(
        store: CordonStore, now: @escaping @Sendable () -> Date, zone: TimeZone,
        onRaised: @escaping (CheckIn) -> Void, assignmentId: @escaping () -> String? = { nil },
        holdToArm: TimeInterval = 2, cancelWindow: TimeInterval = 5, tickEvery: Duration = .milliseconds(100)
    ) {
        self.store = store
        self.now = now
        self.zone = zone
        self.onRaised = onRaised
        self.assignmentId = assignmentId
        self.holdToArm = holdToArm
        self.cancelWindow = cancelWindow
        self.tickEvery = tickEvery
    }

    /// The officer put a finger on the button.
    public func press() {
        switch state {
        case .idle, .sent, .failed:
            state = .holding(armsAt: now().addingTimeInterval(holdToArm), progress: 0)
            startTicker()
        default:
            break
        }
    }

    /// The finger came off: before arming that is a slip, and nothing happens.
    public func release() {
        advance()
        if case .holding = state { state = .idle(note: "Held too briefly: nothing sent") }
    }

    /// Cancel while holding or counting down. Too late once sending has begun.
    public func cancel() {
        if state.isRunning { state = .idle(note: "Cancelled: nothing sent") }
    }

    /// Moves the control on by the clock: arms a long enough hold, sends when the countdown ends.
    public func tick() async {
        advance()
        if case let .countingDown(sendsAt, _) = state, now() >= sendsAt {
            state = .sending
            await send()
        }
    }

    /// Holding -> armed, and the countdown's seconds, by the clock. Never sends.
    private func advance() {
        let t = now()
        switch state {
        case let .holding(armsAt, _) where t >= armsAt:
            let sendsAt = t.addingTimeInterval(cancelWindow)
            state = .countingDown(sendsAt: sendsAt, secondsLeft: Self.secondsLeft(t, sendsAt))
        case let .holding(armsAt, _):
            let held = holdToArm - armsAt.timeIntervalSince(t)
            state = .holding(armsAt: armsAt, progress: min(max(held / holdToArm, 0), 1))
        case let .countingDown(sendsAt, _):
            state = .countingDown(sendsAt: sendsAt, secondsLeft: Self.secondsLeft(t, sendsAt))
        default:
            break
        }
    }

    private func send() async {
        let alarm = NewCheckIn(kind: .duress, assignmentId: assignmentId(), occurredAt: nil, // the core stamps it
                               timeZone: zone.identifier, location: nil, tagId: nil, note: nil)
        let store = store
        // A detached task: once begun, the write finishes even if this task is cancelled.
        do {
            let recorded = try await offMain { try store.recordCheckIn(alarm) }
            state = .sent(recorded)
            onRaised(recorded)
        } catch {
            state = .failed(message: UserMessages.of(error))
        }
    }

    private func startTicker() {
        ticker?.cancel() // a finished or finishing one: never two tickers at once
        ticker = Task { [weak self, tickEvery] in
            while let self, self.state.isRunning, !Task.isCancelled {
                await self.tick()
                try? await Task.sleep(for: tickEvery)
            }
        }
    }

    private static func secondsLeft(_ now: Date, _ sendsAt: Date) -> Int {
        max(0, Int(sendsAt.timeIntervalSince(now).rounded(.up)))
    }
}
