package io.cordon.demo.android

import android.content.Context
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.core.AttachmentKind
import io.cordon.core.IncidentCategory
import io.cordon.core.Severity
import io.cordon.demo.CordonSession
import io.cordon.demo.IncidentForm
import io.cordon.demo.IncidentFormViewModel
import io.cordon.demo.label
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.File

/** Draft, attach a photo, submit, then amend: the form of one incident report. */
@Composable
fun IncidentScreen(session: CordonSession, assignmentId: String?) {
    // Kept by the session per assignment: a tab switch or a rotation finds the same form,
    // unsaved edits included, and the next save updates the same report.
    var vm by remember(assignmentId) { mutableStateOf(session.incident(assignmentId)) }
    val state by vm.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    val context = LocalContext.current
    val pickPhoto = rememberLauncherForActivityResult(ActivityResultContracts.GetContent()) { uri ->
        if (uri != null) scope.launch { attachPhoto(context, vm, uri) }
    }
    // Draft fields are edited in place; after submission the same fields are what an
    // amendment changes.
    val form = state.form

    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Text(
            when {
                state.amendable -> "Submitted: changes are amendments"
                state.reportId != null -> "Draft"
                else -> "New incident report"
            },
            style = MaterialTheme.typography.titleLarge,
        )
        Choices("Category", IncidentCategory.entries, form.category) { c -> vm.edit { it.copy(category = c) } }
        Choices("Severity", Severity.entries, form.severity) { s -> vm.edit { it.copy(severity = s) } }
        Field("Narrative", form.narrative, state.fieldErrors["narrative"], lines = 5) { v -> vm.edit { it.copy(narrative = v) } }
        Field("Police reference", form.policeReference, state.fieldErrors["policeReference"]) { v -> vm.edit { it.copy(policeReference = v) } }
        Field("Control room reference", form.controlRoomReference, state.fieldErrors["controlRoomReference"]) { v ->
            vm.edit { it.copy(controlRoomReference = v) }
        }
        Field("Actions taken", form.actionsTaken, state.fieldErrors["actionsTaken"], lines = 3) { v -> vm.edit { it.copy(actionsTaken = v) } }
        Field("Injuries", form.injuries, state.fieldErrors["injuries"]) { v -> vm.edit { it.copy(injuries = v) } }
        listOf("occurredAt", "discoveredAt", "persons", "mimeType", "patch").forEach { key ->
            state.fieldErrors[key]?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        }
        state.attachments.forEach { Text("📎 $it") }

        if (state.editable) {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = { scope.launch { vm.saveDraft() } }) { Text("Save draft") }
                OutlinedButton(onClick = { pickPhoto.launch("image/*") }) { Text("Attach photo") }
                Button(onClick = { scope.launch { vm.submit() } }) { Text("Submit") }
            }
        } else {
            Field("Reason for the amendment", state.amendmentReason, state.fieldErrors["reason"], onChange = vm::editAmendmentReason)
            Button(onClick = { scope.launch { vm.amend() } }) { Text("Amend") }
            state.amendments.forEach { Text(it) }
            OutlinedButton(onClick = { vm = session.newIncident(assignmentId) }) { Text("New report") }
        }
        state.integrity?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
        state.reviews.forEach { Text("Office: $it") }
        state.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    }
}

/** Copies the picked image out of its content provider, hands the file to the core (which keeps its own copy), and deletes ours. */
private suspend fun attachPhoto(context: Context, vm: IncidentFormViewModel, uri: Uri) {
    val mime = context.contentResolver.getType(uri) ?: "image/jpeg"
    val copy = withContext(Dispatchers.IO) {
        File.createTempFile("photo-", ".jpg", context.cacheDir).also { file ->
            context.contentResolver.openInputStream(uri)?.use { input -> file.outputStream().use { input.copyTo(it) } }
        }
    }
    try {
        vm.attach(copy.path, AttachmentKind.PHOTO, mime)
    } finally {
        withContext(Dispatchers.IO) { copy.delete() }
    }
}

@Composable
private fun Field(label: String, value: String, error: String?, lines: Int = 1, onChange: (String) -> Unit) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        isError = error != null,
        supportingText = if (error != null) { { Text(error) } } else null,
        minLines = lines,
        modifier = Modifier.fillMaxWidth(),
    )
}

@Composable
private fun <E : Enum<E>> Choices(title: String, values: List<E>, selected: E, onSelect: (E) -> Unit) {
    Text(title, style = MaterialTheme.typography.labelLarge)
    Row(Modifier.horizontalScroll(rememberScrollState()), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
        values.forEach { v ->
            FilterChip(selected = v == selected, onClick = { onSelect(v) }, label = { Text(v.label()) })
        }
    }
}
