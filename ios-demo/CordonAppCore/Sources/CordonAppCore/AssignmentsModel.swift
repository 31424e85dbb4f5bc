import Cordon
import Foundation
import Observation

public struct AssignmentRow: Equatable, Identifiable, Sendable {
    public let id: String
    public let title: String
    /// "OP-HALCYON-03 · Static post · Active"
    public let subtitle: String
    public let window: String
    public let threat: String
}

public struct AssignmentDetails: Equatable, Sendable {
    public let row: AssignmentRow
    public let principal: String?
    public let role: String
    public let sites: [String]
    public let team: [String]
    /// "Post orders v3, issued Fri 27 Nov 18:00"
    public let postOrdersHeading: String
    public let postOrders: String
    /// "Check in every 30 min (5 min grace)"
    public let checkInPolicy: String
}

/// The assignments the office sent (read-only on the device: they arrive by sync) and the
/// details of one, post orders included.
@MainActor
@Observable
public final class AssignmentsModel {
    public private(set) var assignments: [AssignmentRow] = []
    public private(set) var selected: AssignmentDetails?
    public var message: String?

    private let store: CordonStore
    private let text: TimeText

    public init(store: CordonStore, text: TimeText) {
        self.store = store
        self.text = text
    }

    /// Re-reads the list (after a sync pass that received assignments), keeping the selection fresh.
    public func refresh() async {
        let store = store
        do {
            let all = try await offMain { try store.assignments() }
            assignments = all.map(row)
            selected = selected.flatMap { s in all.first { $0.id == s.row.id } }.map(details)
            message = nil
        } catch {
            message = UserMessages.of(error)
        }
    }

    public func select(id: String) async {
        let store = store
        do {
            selected = details(try await offMain { try store.assignment(id) })
            message = nil
        } catch {
            message = UserMessages.of(error)
        }
    }

    private func row(_ a: Assignment) -> AssignmentRow {
        AssignmentRow(
            id: a.id, title: a.title,
            subtitle: [a.reference, label(a.kind), label(a.status)].joined(separator: " · "),
            window: text.window(a.startsAt, a.endsAt),
            threat: "Threat level: \(label(a.threatLevel).lowercased())")
    }

    private func details(_ a: Assignment) -> AssignmentDetails {
        AssignmentDetails(
            row: row(a),
            principal: a.principalCodename.map { "Principal: \($0)" },
            role: "Your role: \(label(a.role).lowercased())",
            sites: a.sites.map { "\($0.name), \($0.address) (\($0.timeZone))" },
            team: a.team.map { "\($0.callSign) · \(label($0.role).lowercased())" },
            postOrdersHeading: "Post orders v\(a.postOrders.version), issued \(text.dayAndClock(a.postOrders.issuedAt))",
            postOrders: a.postOrders.text,
            checkInPolicy: "Check in every \(TimeText.interval(seconds: a.checkInPolicy.intervalSecs)) "
                + "(\(TimeText.interval(seconds: a.checkInPolicy.graceSecs)) grace)")
    }
}
