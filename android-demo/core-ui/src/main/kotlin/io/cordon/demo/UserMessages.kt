package io.cordon.demo

import io.cordon.core.CordonException

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
        is CordonException.InvalidInput -> FieldLabels.sentence(error.field, error.reason)
        is CordonException.NotFound ->
            "The ${error.record} ${error.id} is not on this phone."
        is CordonException.ReportLocked ->
            "This report has been submitted and is locked. Add an amendment instead."
        is CordonException.ReportNotSubmitted ->
            "This report is still a draft. Edit it, or submit it before amending."
        is CordonException.InvalidOperationState ->
            "That item is already ${error.state.replace('_', ' ')}; nothing was changed."
        is CordonException.IncompatibleVersion ->
            "The records on this phone were written by a newer version of the app. " +
                "Update the app; nothing has been deleted."
        is CordonException.Corrupt ->
            "The records on this phone cannot be read. Nothing has been deleted: " +
                "call your control room before reinstalling the app."
        is CordonException.Io ->
            "A file could not be read or saved: ${error.detail}."
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

/** Readable names for the core's field names, as they appear in its error messages. */
internal object FieldLabels {
    private val labels = linkedMapOf(
        "occurred_at" to "Time of the incident",
        "discovered_at" to "Time discovered",
        "narrative" to "Narrative",
        "police_reference" to "Police reference",
        "control_room_reference" to "Control room reference",
        "actions_taken" to "Actions taken",
        "injuries" to "Injuries",
        "persons" to "Persons involved",
        "location" to "Location",
        "time_zone" to "Time zone",
        "tag_id" to "Checkpoint tag",
        "note" to "Note",
        "author" to "Author",
        "reason" to "Reason for the amendment",
        "patch" to "The amendment",
        "mime_type" to "File type",
        "source" to "File",
        "code" to "Enrolment code",
        "assignment_id" to "Assignment",
    )

    /** `persons[1].description` -> "Person 2 description"; unknown names are de-snaked. */
    fun of(field: String): String {
        labels[field]?.let { return it }
        Regex("""persons\[(\d+)]\.description""").matchEntire(field)?.let {
            return "Description of person ${it.groupValues[1].toInt() + 1}"
        }
        val words = field.replace('_', ' ').replace('.', ' ')
        return words.replaceFirstChar { it.uppercase() }
    }

    /**
     * "Narrative must not be blank." when the core's reason continues the field's name,
     * else "Checkpoint tag: a checkpoint needs the tag id.". Other fields the
     * reason names ("cannot be before occurred_at") are named readably too.
     */
    fun sentence(field: String, reason: String): String {
        val readable = labels.entries.filter { '_' in it.key }.fold(reason) { text, (name, label) ->
            text.replace(Regex("""\b$name\b"""), label.lowercase())
        }
        val continues = readable.substringBefore(' ') in setOf("must", "cannot", "is", "has", "contains", "changes")
        return "${of(field)}${if (continues) " " else ": "}$readable."
    }
}
