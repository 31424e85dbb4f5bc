import Cordon
import Foundation

/// What the officer reads when a call fails: one short sentence that says what to do.
///
/// The core decides what is wrong (every rule lives there) and says so in a typed
/// `CordonError` naming the field; this only puts it into words for a screen. The
/// `switch` is exhaustive, so a new kind of error in the core does not compile here until
/// it has a message. The same words as the Android app's `UserMessages`.
public enum UserMessages {
    public static func of(_ error: Error) -> String {
        guard let error = error as? CordonError else {
            return "Something went wrong: \(error.localizedDescription)."
        }
        switch error {
        case let .InvalidInput(field, reason):
            return FieldLabels.sentence(field: field, reason: reason)
        case let .NotFound(record, id):
            return "The \(record) \(id) is not on this phone."
        case .ReportLocked:
            return "This report has been submitted and is locked. Add an amendment instead."
        case .ReportNotSubmitted:
            return "This report is still a draft. Edit it, or submit it before amending."
        case let .InvalidOperationState(_, state, _):
            return "That item is already \(state.replacingOccurrences(of: "_", with: " ")); nothing was changed."
        case .IncompatibleVersion:
            return "The records on this phone were written by a newer version of the app. "
                + "Update the app; nothing has been deleted."
        case .Corrupt:
            return "The records on this phone cannot be read. Nothing has been deleted: "
                + "call your control room before reinstalling the app."
        case let .Io(_, detail):
            return "A file could not be read or saved: \(detail)."
        case let .Sync(detail):
            // Enrolment's failures: the office refusing the code as well as no network.
            return "Could not complete this with the office: \(detail)."
        case let .Storage(detail):
            return "The phone could not save this: \(detail). Free some space and try again."
        }
    }

    /// The form field an `InvalidInput` belongs to: the first part of the core's dotted
    /// field name (`persons[0].description` belongs to `persons`); nil for other errors.
    public static func formField(_ error: Error) -> String? {
        guard case let .InvalidInput(field, _)? = error as? CordonError else { return nil }
        return String(field.prefix { $0 != "." && $0 != "[" })
    }
}

/// Readable names for the core's field names, as they appear in its error messages.
enum FieldLabels {
    private static let labels: KeyValuePairs<String, String> = [
        "occurred_at": "Time of the incident",
        "discovered_at": "Time discovered",
        "narrative": "Narrative",
        "police_reference": "Police reference",
        "control_room_reference": "Control room reference",
        "actions_taken": "Actions taken",
        "injuries": "Injuries",
        "persons": "Persons involved",
        "location": "Location",
        "time_zone": "Time zone",
        "tag_id": "Checkpoint tag",
        "note": "Note",
        "author": "Author",
        "reason": "Reason for the amendment",
        "patch": "The amendment",
        "mime_type": "File type",
        "source": "File",
        "code": "Enrolment code",
        "assignment_id": "Assignment",
    ]

    /// `persons[1].description` -> "Description of person 2"; unknown names are de-snaked.
    static func of(_ field: String) -> String {
        if let label = labels.first(where: { $0.key == field })?.value { return label }
        if field.hasPrefix("persons["), field.hasSuffix("].description"),
           let index = Int(field.dropFirst("persons[".count).dropLast("].description".count)) {
            return "Description of person \(index + 1)"
        }
        let words = field.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: ".", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// "Narrative must not be blank." when the core's reason continues the field's name,
    /// else "Checkpoint tag: a checkpoint needs the tag id.". Other fields the reason names
    /// ("cannot be before occurred_at") are named readably too.
    static func sentence(field: String, reason: String) -> String {
        var readable = reason
        for (name, label) in labels where name.contains("_") {
            readable = readable.replacingOccurrences(
                of: "\\b\(name)\\b", with: label.lowercased(), options: .regularExpression)
        }
        let firstWord = readable.prefix { $0 != " " }
        let continues = ["must", "cannot", "is", "has", "contains", "changes"].contains(String(firstWord))
        return "\(of(field))\(continues ? " " : ": ")\(readable)."
    }
}
