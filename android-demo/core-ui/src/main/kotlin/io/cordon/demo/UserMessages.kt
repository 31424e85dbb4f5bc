package io.cordon.demo

import io.cordon.core.CordonException
import io.cordon.core.InputRule

/**
 * What the officer reads when a call fails: one short sentence that says what to do.
 *
 * The core decides what is wrong (every rule lives there) and says so in a typed
 * [CordonException] that names the field; this only puts it into words for a screen.
 * The `when` is exhaustive over the sealed class, so a new kind of error in the core
 * does not compile here until it has a message.
 */
object UserMessages {
    fun of(error: Throwable): String = when (error) {
        is CordonException -> of(error)
        else -> "Something went wrong: ${error.message ?: error.javaClass.simpleName}."
    }

    fun of(error: CordonException): String = when (error) {
        is CordonException.InvalidInput -> FieldLabels.sentence(error.field, error.rule)
        is CordonException.NotFound ->
            "The ${error.record} ${error.id} is not on this phone."
        is CordonException.ReportLocked ->
            "This report has been submitted and is locked. Add an amendment instead."
        is CordonException.ReportNotSubmitted ->
            "This report is still a draft. Edit it, or submit it before amending."
        is CordonException.PostOrdersNotCurrent ->
            "The office has issued post orders v${error.current}. Read them, then acknowledge v${error.current}."
        is CordonException.HandoverNotForYou ->
            "This handover note is not addressed to you: only the incoming officer acknowledges it."
        is CordonException.InvalidOperationState ->
            "That item is already ${error.state.replace('_', ' ')}; nothing was changed."
        is CordonException.IncompatibleVersion ->
            "The records on this phone were written by a newer version of the app. " +
                "Update the app; nothing has been deleted."
        is CordonException.Corrupt ->
            "The records on this phone cannot be read. Nothing has been deleted: " +
                "call your control room before reinstalling the app."
        is CordonException.InvalidKey ->
            "This phone's key for its records is not usable. Nothing has been deleted: call your control room."
        is CordonException.WrongKey ->
            "The records on this phone are locked with another key. Nothing has been deleted: " +
                "call your control room before reinstalling the app."
        is CordonException.Io ->
            "A file could not be read or saved: ${error.detail}."
        is CordonException.Revoked ->
            "The office has shut this phone out (reported lost or stolen) and its records were erased. Call your control room."
        is CordonException.Sync ->
            // Enrolment's failures: the office refusing the code as well as no network.
            "Could not complete this with the office: ${error.detail}."
        is CordonException.Storage ->
            "The phone could not save this: ${error.detail}. Free some space and try again."
    }

    /**
     * The form field an [CordonException.InvalidInput] belongs to: the first part of the
     * core's dotted field name (`persons[0].description` belongs to `persons`), or null
     * for any other error (shown as a screen message instead).
     */
    fun formField(error: Throwable): String? =
        (error as? CordonException.InvalidInput)?.field?.substringBefore('.')?.substringBefore('[')
}

/**
 * Readable names for the fields the core names in its errors (as Kotlin spells them:
 * `discoveredAt`, `persons[0].description`) and in an amendment's changed fields (as the
 * protocol spells them: `police_reference`); sentences from the rule an input broke, so
 * the app never reads the core's English.
 */
internal object FieldLabels {
    private val labels = linkedMapOf(
        "occurredAt" to "Time of the incident",
        "discoveredAt" to "Time discovered",
        "narrative" to "Narrative",
        "policeReference" to "Police reference",
        "controlRoomReference" to "Control room reference",
        "actionsTaken" to "Actions taken",
        "injuries" to "Injuries",
        "persons" to "Persons involved",
        "location" to "Location",
        "timeZone" to "Time zone",
        "tagId" to "Checkpoint tag",
        "note" to "Note",
        "author" to "Author",
        "reason" to "Reason for the amendment",
        "patch" to "The amendment",
        "mimeType" to "File type",
        "source" to "File",
        "code" to "Enrolment code",
        "assignmentId" to "Assignment",
    )

    /** What an [InputRule.OUT_OF_ORDER] field must not come before. */
    private val after = mapOf("discoveredAt" to "occurredAt", "endsAt" to "startsAt")

    /** `persons[1].description` -> "Description of person 2"; unknown names become words. */
    fun of(field: String): String {
        val name = camel(field)
        labels[name]?.let { return it }
        Regex("""persons\[(\d+)]\.description""").matchEntire(name)?.let {
            return "Description of person ${it.groupValues[1].toInt() + 1}"
        }
        val words = name.replace(Regex("""\[(\d+)]""")) { " ${it.groupValues[1].toInt() + 1}" }
            .replace(Regex("([a-z])([A-Z])"), "$1 $2").replace('.', ' ').lowercase()
        return words.replaceFirstChar { it.uppercase() }
    }

    /** One sentence for a broken rule: "Narrative must not be blank." */
    fun sentence(field: String, rule: InputRule): String {
        val label = of(field)
        return when (rule) {
            InputRule.REQUIRED -> "$label is required."
            InputRule.BLANK -> "$label must not be blank."
            InputRule.TOO_LONG -> "$label is too long."
            InputRule.CONTROL_CHARACTER -> "$label contains a character that cannot be kept."
            InputRule.MALFORMED_TEXT -> "$label contains text that could not be read; type it again."
            InputRule.OUT_OF_RANGE -> "$label is out of range."
            InputRule.NOT_A_TIME -> "$label is not a valid time."
            InputRule.IN_THE_FUTURE -> "$label cannot be in the future."
            InputRule.OUT_OF_ORDER ->
                after[camel(field)]?.let { "$label cannot be before ${of(it).lowercase()}." } ?: "$label is out of order."
            InputRule.UNKNOWN_TIME_ZONE -> "$label is not a known time zone."
            InputRule.BAD_FORMAT -> "$label is not in a form the app can use."
            InputRule.NOT_ALLOWED -> "$label is not allowed here."
            InputRule.UNKNOWN_RECORD -> "$label is not on this phone."
            InputRule.NO_CHANGE -> "$label changes nothing in the report."
        }
    }

    /** `police_reference` -> `policeReference`: the protocol's names as Kotlin spells them. */
    private fun camel(name: String): String = name.replace(Regex("_([a-z0-9])")) { it.groupValues[1].uppercase() }
}
