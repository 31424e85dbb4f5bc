import Cordon
import Foundation
import Observation

/// What the officer types on the sighting screen (blank fields are left out).
public struct SightingForm: Sendable {
    public var place = ""
    public var registration = ""
    public var colour = ""
    public var make = ""
    public var model = ""
    public var subject = ""
    public var direction = ""

    public init(place: String = "", registration: String = "", colour: String = "", make: String = "",
                model: String = "", subject: String = "", direction: String = "") {
        (self.place, self.registration, self.colour, self.make) = (place, registration, colour, make)
        (self.model, self.subject, self.direction) = (model, subject, direction)
    }
}

/// The sighting screen: logs what the officer saw (works offline) and shows at once, from
/// the core's answer, whether it matched the BOLO list the phone pulled. The match itself
/// is the core's (`recordSighting` sets `boloMatch` in the write's own transaction). The
/// same words as the Android app's `SightingViewModel`.
@MainActor
@Observable
public final class SightingModel {
    /// The BOLO list as last pulled: "AB12CDE · high · Photographed the residence".
    public private(set) var bolo: [String] = []
    /// "BOLO MATCH: AB12CDE (high): Photographed the residence" the moment a match is written.
    public private(set) var alert: String?
    /// "Sighting logged 21:14" once written (offline included).
    public private(set) var saved: String?
    public var message: String?

    private let store: CordonStore
    private let zone: String
    private let text: TimeText
    private let assignmentId: String?

    public init(store: CordonStore, zone: String, text: TimeText, assignmentId: String? = nil) {
        self.store = store
        self.zone = zone
        self.text = text
        self.assignmentId = assignmentId
    }

    /// Re-reads the BOLO list (after a sync pass).
    public func refresh() async {
        let store = store
        do {
            bolo = try await offMain { try store.boloEntries() }.map(Self.line)
            message = nil
        } catch {
            message = UserMessages.of(error)
        }
    }

    /// Logs the sighting; a bad field is the core's typed error, shown as a message.
    public func record(_ form: SightingForm) async {
        func given(_ s: String) -> String? {
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        let hasVehicle = [form.registration, form.colour, form.make, form.model].contains { given($0) != nil }
        let new = NewSighting(
            assignmentId: assignmentId, timeZone: zone, place: form.place,
            direction: given(form.direction), subject: given(form.subject),
            vehicle: hasVehicle
                ? Vehicle(make: given(form.make), model: given(form.model), colour: given(form.colour),
                          registration: given(form.registration))
                : nil)
        let store = store
        do {
            let s = try await offMain { try store.recordSighting(new) }
            alert = s.boloMatch.map(Self.alertText)
            saved = "Sighting logged \(text.clock(s.recordedAt))"
            message = nil
        } catch {
            alert = nil
            saved = nil
            message = UserMessages.of(error)
        }
    }

    private static func line(_ e: BoloEntry) -> String {
        [e.registration ?? e.description, "\(e.priority)", e.reason].compactMap { $0 }.joined(separator: " · ")
    }

    private static func alertText(_ m: BoloMatch) -> String {
        "BOLO MATCH: \(m.registration) (\(m.priority)): \(m.reason)"
    }
}
