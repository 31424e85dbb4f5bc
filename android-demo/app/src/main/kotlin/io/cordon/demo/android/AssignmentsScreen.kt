package io.cordon.demo.android

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.demo.AssignmentDetails
import io.cordon.demo.AssignmentsViewModel
import io.cordon.demo.SyncController
import kotlinx.coroutines.launch

/** The office's assignments; tap one for its details and post orders. */
@Composable
fun AssignmentsScreen(vm: AssignmentsViewModel, sync: SyncController, onCheckIn: (String) -> Unit) {
    val state by vm.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    val received by sync.lastReport.collectAsStateWithLifecycle()
    LaunchedEffect(received) { vm.refresh() } // assignments arrive by sync

    val selected = state.selected
    if (selected != null) {
        AssignmentDetailsView(selected, onBack = vm::closeDetails, onCheckIn = { onCheckIn(selected.row.id) })
        return
    }
    LazyColumn(Modifier.fillMaxSize()) {
        item { state.message?.let { Text(it, Modifier.padding(16.dp), color = MaterialTheme.colorScheme.error) } }
        if (state.assignments.isEmpty()) {
            item { Text("No assignments yet: they arrive from the office when the phone syncs.", Modifier.padding(16.dp)) }
        }
        items(state.assignments, key = { it.id }) { row ->
            ListItem(
                headlineContent = { Text(row.title) },
                supportingContent = { Text("${row.subtitle}\n${row.window}\n${row.threat}") },
                modifier = Modifier.clickable { scope.launch { vm.select(row.id) } },
            )
            HorizontalDivider()
        }
    }
}

@Composable
private fun AssignmentDetailsView(details: AssignmentDetails, onBack: () -> Unit, onCheckIn: () -> Unit) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        TextButton(onClick = onBack) { Text("‹ Assignments") }
        Text(details.row.title, style = MaterialTheme.typography.headlineSmall)
        Text(details.row.subtitle)
        Text(details.row.window)
        Text(details.row.threat)
        details.principal?.let { Text(it) }
        Text(details.role)
        Text(details.checkInPolicy)
        Text("Sites", style = MaterialTheme.typography.titleMedium)
        details.sites.forEach { Text(it) }
        Text("Team", style = MaterialTheme.typography.titleMedium)
        details.team.forEach { Text(it) }
        Text(details.postOrdersHeading, style = MaterialTheme.typography.titleMedium)
        Text(details.postOrders)
        Button(onClick = onCheckIn) { Text("Check in on this assignment") }
    }
}
