package io.cordon.demo

import io.cordon.core.OperationKind

/** The core's enum values as words: `HOSTILE_SURVEILLANCE` reads "Hostile surveillance". */
fun Enum<*>.label(): String = name.lowercase().replace('_', ' ').replaceFirstChar { it.uppercase() }

/** What a queued operation is, for the sync screen. */
fun OperationKind.label(): String = when (this) {
    OperationKind.CHECK_IN_RECORD -> "Check-in"
    OperationKind.REPORT_CREATE -> "New incident report"
    OperationKind.REPORT_UPDATE -> "Incident report draft"
    OperationKind.REPORT_SUBMIT -> "Incident report submission"
    OperationKind.REPORT_AMEND -> "Incident report amendment"
    OperationKind.ATTACHMENT_CREATE -> "Attachment details"
    OperationKind.ATTACHMENT_UPLOAD -> "Attachment file"
    OperationKind.MESSAGE_READ -> "Message read receipt"
    OperationKind.POST_ORDERS_ACKNOWLEDGE -> "Post orders acknowledgement"
    OperationKind.SIGHTING_RECORD -> "Sighting"
    OperationKind.MOVEMENT_PLAN -> "Movement leg"
    OperationKind.MOVEMENT_EVENT -> "Movement update"
    OperationKind.HANDOVER_CREATE -> "Handover note"
    OperationKind.HANDOVER_ACKNOWLEDGE -> "Handover acknowledgement"
}
