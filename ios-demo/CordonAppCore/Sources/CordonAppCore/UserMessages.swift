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
        case let .InvalidInput(field, rule, _):
            return FieldLabels.sentence(field: field, rule: rule)
        case let .NotFound(record, id):
            return "The \(record) \(id) is not on this phone."
        case .ReportLocked:
            return "This report has been submitted and is locked. Add an amendment instead."
        case .ReportNotSubmitted:
            return "This report is still a draft. Edit it, or submit it before amending."
        case let .PostOrdersNotCurrent(_, _, current):
            return "The office has issued post orders v\(current). Read them, then acknowledge v\(current)."
        case .HandoverNotForYou:
            return "This handover note is not addressed to you: only the incoming officer acknowledges it."
        case let .InvalidOperationState(_, state, _):
            return "That item is already \(state.replacingOccurrences(of: "_", with: " ")); nothing was changed."
        case .IncompatibleVersion:
            return "The records on this phone were written by a newer version of the app. "
                + "Update the app; nothing has been deleted."
        case .Corrupt:
            return "The records on this phone cannot be read. Nothing has been deleted: "
                + "call your control room before reinstalling the app."
        case .InvalidKey:
            return "This phone's key for its records is not usable. Nothing has been deleted: call your control room."
        case .WrongKey:
            return "The records on this phone are locked with another key. Nothing has been deleted: "
                + "call your control room before reinstalling the app."
        case let .Io(_, detail):
            return "A file could not be read or saved: \(detail)."
        case .Revoked:
            return "The office has shut this phone out (reported lost or stolen) and its records were erased. Call your control room."
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
        guard case let .InvalidInput(field, _, _)? = error as? CordonError else { return nil }
        return String(field.prefix { $0 != "." && $0 != "[" })
    }
}

/// Readable names for the fields the core names in its errors (as Swift spells them:
/// `discoveredAt`, `persons[0].description`) and in an amendment's changed fields (as the
/// protocol spells them: `police_reference`); sentences from the rule an input broke, so
/// the app never reads the core's English. The same words as the Android app's.
enum FieldLabels {
    private static let labels: [String: String] = [
        "occurredAt": "Time of the incident",
        "discoveredAt": "Time discovered",
        "narrative": "Narrative",
        "policeReference": "Police reference",
        "controlRoomReference": "Control room reference",
        "actionsTaken": "Actions taken",
        "injuries": "Injuries",
        "persons": "Persons involved",
        "location": "Location",
        "timeZone": "Time zone",
        "tagId": "Checkpoint tag",
        "note": "Note",
        "author": "Author",
        "reason": "Reason for the amendment",
        "patch": "The amendment",
        "mimeType": "File type",
        "source": "File",
        "code": "Enrolment code",
        "assignmentId": "Assignment",
    ]

    /// What an `.outOfOrder` field must not come before.
    private static let after = ["discoveredAt": "occurredAt", "endsAt": "startsAt"]

    /// `persons[1].description` -> "Description of person 2"; unknown names become words.
    static func of(_ field: String) -> String {
        let name = camel(field)
        if let label = labels[name] { return label }
        if name.hasPrefix("persons["), name.hasSuffix("].description"),
           let index = Int(name.dropFirst("persons[".count).dropLast("].description".count)) {
            return "Description of person \(index + 1)"
        }
        var words = ""
        var digits: String?
        for c in name {
            switch c {
            case "[": digits = ""
            case "]": words += " \((Int(digits ?? "") ?? 0) + 1)"; digits = nil
            case _ where digits != nil: digits?.append(c)
            case ".": words += " "
            case _ where c.isUppercase: words += " " + c.lowercased()
            default: words.append(c)
            }
        }
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// One sentence for a broken rule: "Narrative must not be blank."
    static func sentence(field: String, rule: InputRule) -> String {
        let label = of(field)
        switch rule {
        case .required: return "\(label) is required."
        case .blank: return "\(label) must not be blank."
        case .tooLong: return "\(label) is too long."
        case .controlCharacter: return "\(label) contains a character that cannot be kept."
        case .malformedText: return "\(label) contains text that could not be read; type it again."
        case .outOfRange: return "\(label) is out of range."
        case .notATime: return "\(label) is not a valid time."
        case .inTheFuture: return "\(label) cannot be in the future."
        case .outOfOrder:
            if let other = after[camel(field)] { return "\(label) cannot be before \(of(other).lowercased())." }
            return "\(label) is out of order."
        case .unknownTimeZone: return "\(label) is not a known time zone."
        case .badFormat: return "\(label) is not in a form the app can use."
        case .notAllowed: return "\(label) is not allowed here."
        case .unknownRecord: return "\(label) is not on this phone."
        case .noChange: return "\(label) changes nothing in the report."
        }
    }

    /// `police_reference` -> `policeReference`: the protocol's names as Swift spells them.
    private static func camel(_ name: String) -> String {
        var out = ""
        var upper = false
        for c in name {
            if c == "_" { upper = true; continue }
            out += upper ? c.uppercased() : String(c)
            upper = false
        }
        return out
    }
}
