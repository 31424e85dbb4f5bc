import Cordon
import Foundation
import Observation

/// One leg as the movements screen lists it.
public struct LegRow: Equatable, Sendable {
    public let legId: String
    /// "Residence → Embassy".
    public let path: String
    public let status: LegStatus
    /// "Under way · ETA 20:15", "Delayed · ETA 20:40", "OVERDUE · ETA 20:15 passed", "Arrived 20:38".
    public let line: String
}

/// The movements screen of an assignment: plan a leg, depart, delay with a new ETA, arrive;
/// every action is one local write that syncs later. The core decides where each leg stands
/// (`movementLegs`), overdue included, from the phone's own clock. The same words as the
/// Android app's `MovementViewModel`.
@MainActor
@Observable
public final class MovementModel {
    public private(set) var legs: [LegRow] = []
    /// How many legs are overdue now (the phone's clock, offline).
    public private(set) var overdue = 0
    /// The day's movement log, one line per leg plan or event, in time order.
    public private(set) var log: [String] = []
    public var message: String?

    private let store: CordonStore
    private let assignmentId: String
    private let text: TimeText
    /// The day of the log, `2026-11-28` (the screen passes today in the officer's zone).
    private var day: String

    public init(store: CordonStore, assignmentId: String, text: TimeText, day: String) {
        self.store = store
        self.assignmentId = assignmentId
        self.text = text
        self.day = day
    }

    /// Re-reads the legs and the log (of `day`, if given).
    public func refresh(day: String? = nil) async {
        if let day { self.day = day }
        let (store, id, shown) = (store, assignmentId, self.day)
        do {
            let (states, entries) = try await offMain { (try store.movementLegs(id), try store.movementTimeline(id, shown)) }
            legs = states.map(row)
            overdue = states.filter { $0.status == .overdue }.count
            log = entries.map(\.text)
            message = nil
        } catch {
            message = UserMessages.of(error)
        }
    }

    /// Plans a leg; returns its id, or nil with the reason on the screen.
    public func plan(_ leg: NewMovementLeg) async -> String? {
        let store = store
        do {
            let planned = try await offMain { try store.planMovementLeg(leg) }
            await refresh()
            return planned.id
        } catch {
            message = UserMessages.of(error)
            return nil
        }
    }

    public func depart(_ legId: String) async { await record(legId, .departed) }

    public func delay(_ legId: String, newEta: Date) async { await record(legId, .delayed, newEta: newEta) }

    public func arrive(_ legId: String) async { await record(legId, .arrived) }

    private func record(_ legId: String, _ kind: MovementEventKind, newEta: Date? = nil) async {
        let store = store
        let event = NewMovementEvent(legId: legId, kind: kind, occurredAt: nil, newEta: newEta, route: nil, handedTo: nil, note: nil)
        do {
            _ = try await offMain { try store.recordMovementEvent(event) }
            await refresh()
        } catch {
            message = UserMessages.of(error)
        }
    }

    private func row(_ l: MovementLegState) -> LegRow {
        let closedAt = l.events.last.map { text.clock($0.occurredAt) } ?? ""
        let line: String
        switch l.status {
        case .planned: line = "Planned · departs \(text.clock(l.leg.plannedDeparture)) · ETA \(text.clock(l.eta))"
        case .underWay: line = "Under way · ETA \(text.clock(l.eta))"
        case .delayed: line = "Delayed · ETA \(text.clock(l.eta))"
        case .overdue: line = "OVERDUE · ETA \(text.clock(l.eta)) passed"
        case .arrived: line = "Arrived \(closedAt)"
        case .aborted: line = "Aborted \(closedAt)"
        case .handedOver: line = "Handed over \(closedAt)"
        }
        return LegRow(legId: l.leg.id, path: "\(l.leg.origin) → \(l.leg.destination)", status: l.status, line: line)
    }
}
