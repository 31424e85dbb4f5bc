import Cordon
import Foundation
import Observation

/// The incident form as the officer fills it in: plain text fields, empty meaning "not
/// given". Keys of `IncidentFormModel.fieldErrors` are the core's field names.
public struct IncidentForm: Equatable, Sendable {
    public var assignmentId: String?
    public var category: IncidentCategory = .suspiciousActivity
    public var severity: Severity = .medium
    public var occurredAt: Date
    public var discoveredAt: Date
    public var narrative = ""
    public var persons: [PersonInvolved] = []
    public var policeReference = ""
    public var controlRoomReference = ""
    public var actionsTaken = ""
    public var injuries = ""

    public init(now: Date, assignmentId: String? = nil) {
        self.assignmentId = assignmentId
        occurredAt = now
        discoveredAt = now
    }

    init(_ content: IncidentContent) {
        self.init(now: content.occurredAt, assignmentId: content.assignmentId)
        category = content.category
        severity = content.severity
        discoveredAt = content.discoveredAt
        narrative = content.narrative
        persons = content.persons
        policeReference = content.policeReference ?? ""
        controlRoomReference = content.controlRoomReference ?? ""
        actionsTaken = content.actionsTaken ?? ""
        injuries = content.injuries ?? ""
    }

    /// The content the core checks and stores (an empty optional field is absent).
    public func content(timeZone: String) -> IncidentContent {
        IncidentContent(
            assignmentId: assignmentId, category: category, severity: severity, occurredAt: occurredAt,
            discoveredAt: discoveredAt, timeZone: timeZone, location: nil, narrative: narrative, persons: persons,
            policeReference: policeReference.orNil, controlRoomReference: controlRoomReference.orNil,
            actionsTaken: actionsTaken.orNil, injuries: injuries.orNil)
    }

    /// The form as an amendment of the report as it read (`before`): the fields the officer
    /// edited, nil for the rest. The core decides what that changes (and refuses a patch
    /// that changes nothing). Untouched fields must stay out: a `Date` from the core does
    /// not always go back to it at the same millisecond, which would read as a change.
    public func patch(since before: IncidentForm) -> IncidentPatch {
        let edited = fieldsDifferent(from: before)
        func ifEdited<T>(_ field: String, _ value: T) -> T? { edited.contains(field) ? value : nil }
        return IncidentPatch(
            category: ifEdited("category", category), severity: ifEdited("severity", severity),
            occurredAt: ifEdited("occurredAt", occurredAt), discoveredAt: ifEdited("discoveredAt", discoveredAt),
            location: nil, narrative: ifEdited("narrative", narrative), persons: ifEdited("persons", persons),
            policeReference: ifEdited("policeReference", policeReference.orNil) ?? nil,
            controlRoomReference: ifEdited("controlRoomReference", controlRoomReference.orNil) ?? nil,
            actionsTaken: ifEdited("actionsTaken", actionsTaken.orNil) ?? nil,
            injuries: ifEdited("injuries", injuries.orNil) ?? nil)
    }

    /// The core's names of the fields that differ between this form and `other`.
    func fieldsDifferent(from other: IncidentForm) -> Set<String> {
        var changed = Set<String>()
        if category != other.category { changed.insert("category") }
        if severity != other.severity { changed.insert("severity") }
        if occurredAt != other.occurredAt { changed.insert("occurredAt") }
        if discoveredAt != other.discoveredAt { changed.insert("discoveredAt") }
        if narrative != other.narrative { changed.insert("narrative") }
        if persons != other.persons { changed.insert("persons") }
        if policeReference != other.policeReference { changed.insert("policeReference") }
        if controlRoomReference != other.controlRoomReference { changed.insert("controlRoomReference") }
        if actionsTaken != other.actionsTaken { changed.insert("actionsTaken") }
        if injuries != other.injuries { changed.insert("injuries") }
        return changed
    }
}

private extension String {
    var orNil: String? { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : self }
}

public enum ReportStage: Sendable { case new, draft, submitted }

/// One incident report from first draft to amendments: edit the form, save the draft,
/// attach a photo, submit (which locks it), then amend with a reason. Every check is the
/// core's; an error naming a field shows beside that field, any other as a message.
@MainActor
@Observable
public final class IncidentFormModel {
    /// Edit it directly (SwiftUI bindings); nothing is stored until `saveDraft`. Editing a
    /// field clears its error.
    public var form: IncidentForm {
        didSet { fieldErrors = fieldErrors.filter { !form.fieldsDifferent(from: oldValue).contains($0.key) } }
    }
    public var amendmentReason = "" {
        didSet { fieldErrors["reason"] = nil }
    }
    public private(set) var reportId: String?
    public private(set) var stage: ReportStage = .new
    /// The form as the report last read from the store: what an amendment is measured against.
    @ObservationIgnored private var stored: IncidentForm?
    /// "IMG_0412.jpg · photo · 48 KB"
    public private(set) var attachments: [String] = []
    /// "#1 OFC-7, Sat 28 Nov 19:42: plate confirmed (severity, police reference)"
    public private(set) var amendments: [String] = []
    /// The office's review outcomes, oldest first.
    public private(set) var reviews: [String] = []
    /// "Hash chain intact (1 amendment)" or where it broke; nil for a draft.
    public private(set) var integrity: String?
    public private(set) var fieldErrors: [String: String] = [:]
    public var message: String?

    public var editable: Bool { stage != .submitted }
    public var amendable: Bool { stage == .submitted }

    private let store: CordonStore
    private let text: TimeText
    private let zone: TimeZone

    public init(store: CordonStore, now: Date, text: TimeText, zone: TimeZone, assignmentId: String? = nil) {
        self.store = store
        self.text = text
        self.zone = zone
        form = IncidentForm(now: now, assignmentId: assignmentId)
    }

    /// Opens a stored report.
    @discardableResult
    public func open(reportId: String) async -> Bool {
        let store = store
        return await act { try await offMain { try store.report(reportId) } }
    }

    /// Stores the form as a draft (creating the report the first time).
    @discardableResult
    public func saveDraft() async -> Bool {
        await act { try await self.save() }
    }

    /// Copies the file at `path` into the report (saving the draft first if it is new).
    @discardableResult
    public func attach(path: String, kind: AttachmentKind, mimeType: String) async -> Bool {
        let store = store
        return await act {
            let draft = try await self.save()
            return try await offMain {
                _ = try store.attachFile(draft.id, path, kind, mimeType)
                return try store.report(draft.id)
            }
        }
    }

    /// Saves the form, then submits it: the core checks it is complete, seals and locks it.
    @discardableResult
    public func submit() async -> Bool {
        let store = store
        return await act {
            let draft = try await self.save()
            return try await offMain { try store.submitReport(draft.id) }
        }
    }

    /// Appends the form's changes to a submitted report as an amendment with `amendmentReason`.
    @discardableResult
    public func amend() async -> Bool {
        guard let reportId else {
            message = UserMessages.of(CordonError.ReportNotSubmitted(reportId: "(new)"))
            return false
        }
        let (store, reason, patch) = (store, amendmentReason, form.patch(since: stored ?? form))
        return await act {
            try await offMain {
                let identity = try store.deviceIdentity()
                let author = identity.officerId ?? "device \(identity.deviceId)"
                _ = try store.amendReport(reportId,
                                          NewAmendment(author: author, reason: reason, patch: patch))
                return try store.report(reportId)
            }
        }
    }

    /// Creates or updates the draft from the form, and remembers it at once, so that a
    /// step failing after it (submission) never leaves a second draft behind.
    private func save() async throws -> IncidentReport {
        let (store, id, content) = (store, reportId, form.content(timeZone: zone.identifier))
        let draft = try await offMain {
            if let id { return try store.updateReport(id, content) }
            return try store.createReport(content)
        }
        reportId = draft.id
        stage = draft.state == .submitted ? .submitted : .draft
        return draft
    }

    /// Runs `call`, shows the report it returns, or puts its error beside a field or in the message.
    private func act(_ call: () async throws -> IncidentReport) async -> Bool {
        let store = store
        do {
            let report = try await call()
            let (reviews, integrity) = try await offMain {
                (try store.reportReviews(report.id),
                 report.state == .submitted ? try store.verifyReport(report.id) : nil)
            }
            show(report, reviews: reviews, integrity: integrity)
            return true
        } catch {
            if let field = UserMessages.formField(error) {
                fieldErrors[field] = UserMessages.of(error)
                message = nil
            } else {
                message = UserMessages.of(error)
            }
            return false
        }
    }

    private func show(_ report: IncidentReport, reviews: [ReportReview], integrity: ReportIntegrity?) {
        let amendedNow = report.amendments.count > amendments.count
        reportId = report.id
        stage = report.state == .submitted ? .submitted : .draft
        form = IncidentForm(report.content)
        stored = form
        attachments = report.attachments.map { "\($0.fileName) · \(label($0.kind).lowercased()) · \(Self.size($0.sizeBytes))" }
        amendments = report.amendments.map { a in
            "#\(a.sequence) \(a.author), \(text.dayAndClock(a.createdAt)): \(a.reason) "
                + "(\(a.changedFields.map { FieldLabels.of($0).lowercased() }.joined(separator: ", ")))"
        }
        self.reviews = reviews.map { "\(label($0.outcome)) by \($0.reviewer)" + ($0.note.map { ": \($0)" } ?? "") }
        switch integrity {
        case nil, .draft?: self.integrity = nil
        case let .intact(_, count)?: self.integrity = "Hash chain intact (\(count) amendment\(count == 1 ? "" : "s"))"
        case let .broken(link, reason)?: self.integrity = "Hash chain BROKEN at link \(link): \(reason)"
        }
        if amendedNow { amendmentReason = "" }
        fieldErrors = [:]
        message = nil
    }

    private static func size(_ bytes: Int64) -> String {
        if bytes >= 1024 * 1024 { return String(format: "%.1f MB", Double(bytes) / (1024 * 1024)) }
        if bytes >= 1024 { return "\(bytes / 1024) KB" }
        return "\(bytes) B"
    }
}
