import Cordon
import Foundation
import Observation

/// One handover note as the screen lists it. Every text is shown as text.
public struct HandoverLine: Equatable, Sendable {
    public let id: String
    /// "From OFC-7, Fri 27 Nov 23:10" (to me) or "To OFC-8, Fri 27 Nov 23:10" (mine).
    public let heading: String
    public let principalState: String
    public let openIssues: String?
    public let equipmentAndKeys: String?
    public let watchFor: String?
    /// "Acknowledged Fri 27 Nov 23:40", or "Not acknowledged yet".
    public let status: String
}

/// The handover screen, and the duty line above it: the outgoing officer writes a note
/// (offline; the office sends it to the incoming officer's phone), the incoming officer
/// acknowledges the notes addressed to them (offline too), and both see where each note
/// stands after a sync. The core decides everything; refresh after each sync pass. The
/// same words as the Android app's `HandoverViewModel`.
@MainActor
@Observable
public final class HandoverModel {
    /// Notes to me that I have not acknowledged: each needs "Acknowledge".
    public private(set) var toAcknowledge: [HandoverLine] = []
    /// Every note, mine and to me, newest first.
    public private(set) var all: [HandoverLine] = []
    /// "Called in by op.jones at 22:05: come in now" while a call-in is in force.
    public private(set) var duty: String?
    /// A call-in the officer has not seen yet (its shift id): show it until `sawCallIn`.
    public private(set) var unseenCallIn: String?
    public var message: String?
    /// The form field the message is about (lowerCamelCase), to mark it.
    public private(set) var field: String?

    private let store: CordonStore
    private let text: TimeText

    public init(store: CordonStore, text: TimeText) {
        self.store = store
        self.text = text
    }

    /// Re-reads the notes and the officer's duty (after a sync pass).
    public func refresh() async {
        let store = store
        do {
            let (notes, duty, unseen, me) = try await offMain {
                (try store.handovers(), try store.myDuty(), try store.unseenCallIns(), try store.deviceIdentity().officerId)
            }
            all = notes.map { line($0, me) }
            toAcknowledge = notes.filter { $0.note.toOfficerId == me && $0.acknowledgedAt == nil }.map { line($0, me) }
            self.duty = dutyLine(duty)
            unseenCallIn = unseen.first?.shiftId
            message = nil
            field = nil
        } catch {
            message = UserMessages.of(error)
        }
    }

    /// The outgoing officer writes a note to `to`; a bad field is named in the message.
    @discardableResult
    public func write(
        assignmentId: String, to: String, principalState: String,
        openIssues: String? = nil, equipmentAndKeys: String? = nil, watchFor: String? = nil
    ) async -> Bool {
        let given = { (s: String?) in s.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        let note = NewHandover(
            assignmentId: assignmentId, toOfficerId: to, principalState: principalState,
            openIssues: given(openIssues), equipmentAndKeys: given(equipmentAndKeys), watchFor: given(watchFor))
        let store = store
        do {
            _ = try await offMain { try store.writeHandover(note) }
            await refresh()
            return true
        } catch {
            message = UserMessages.of(error)
            field = UserMessages.formField(error)
            return false
        }
    }

    /// The incoming officer acknowledges note `id`.
    public func acknowledge(_ id: String) async {
        let store = store
        do {
            _ = try await offMain { try store.acknowledgeHandover(id) }
            await refresh()
        } catch {
            message = UserMessages.of(error)
        }
    }

    /// The officer saw the call-in on the screen.
    public func sawCallIn() async {
        guard let shift = unseenCallIn else { return }
        let store = store
        do {
            _ = try await offMain { try store.markCallInSeen(shift) }
            await refresh()
        } catch {
            message = UserMessages.of(error)
        }
    }

    private func dutyLine(_ duty: Duty) -> String {
        switch (duty.state, duty.shift) {
        case let (.calledIn, shift?):
            let at = shift.calledInAt.map { text.clock($0) } ?? ""
            return "Called in by \(shift.calledInBy ?? "the office") at \(at): come in now"
        case let (.onDuty, shift?): return "On duty until \(text.clock(shift.endsAt))"
        case let (.onCall, shift?): return "On call until \(text.clock(shift.endsAt))"
        default: return "Off duty"
        }
    }

    private func line(_ h: Handover, _ me: String?) -> HandoverLine {
        HandoverLine(
            id: h.id,
            heading: h.fromOfficerId == me
                ? "To \(h.note.toOfficerId), \(text.dayAndClock(h.writtenAt))"
                : "From \(h.fromOfficerId), \(text.dayAndClock(h.writtenAt))",
            principalState: h.note.principalState,
            openIssues: h.note.openIssues,
            equipmentAndKeys: h.note.equipmentAndKeys,
            watchFor: h.note.watchFor,
            status: h.acknowledgedAt.map { "Acknowledged \(text.dayAndClock($0))" } ?? "Not acknowledged yet")
    }
}
