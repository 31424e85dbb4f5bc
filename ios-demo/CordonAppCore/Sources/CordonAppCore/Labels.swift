import Cordon

/// A core enum value as words: `.hostileSurveillance` reads "Hostile surveillance".
/// (For enums without associated values.)
public func label<Value>(_ value: Value) -> String {
    var words = ""
    for character in String(describing: value) {
        if character.isUppercase {
            words += " " + character.lowercased()
        } else {
            words.append(character)
        }
    }
    return words.prefix(1).uppercased() + words.dropFirst()
}

/// What a queued operation is, for the sync screen.
public func label(_ kind: OperationKind) -> String {
    switch kind {
    case .checkInRecord: return "Check-in"
    case .reportCreate: return "New incident report"
    case .reportUpdate: return "Incident report draft"
    case .reportSubmit: return "Incident report submission"
    case .reportAmend: return "Incident report amendment"
    case .attachmentCreate: return "Attachment details"
    case .attachmentUpload: return "Attachment file"
    case .messageRead: return "Message read receipt"
    case .postOrdersAcknowledge: return "Post orders acknowledgement"
    case .sightingRecord: return "Sighting"
    case .movementPlan: return "Movement leg"
    case .movementEvent: return "Movement update"
    case .handoverCreate: return "Handover note"
    case .handoverAcknowledge: return "Handover acknowledgement"
    }
}
