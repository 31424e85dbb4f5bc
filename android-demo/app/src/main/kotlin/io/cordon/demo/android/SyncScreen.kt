package io.cordon.demo.android

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.demo.SyncController
import io.cordon.demo.SyncStatusViewModel
import kotlinx.coroutines.launch

/** What waits to be sent, dead letters with the server's reason, retry and discard. */
@Composable
fun SyncScreen(vm: SyncStatusViewModel, sync: SyncController) {
    val state by vm.state.collectAsStateWithLifecycle()
    val status by sync.status.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    LaunchedEffect(status) { vm.refresh() } // the core's listener moved the status on

    LazyColumn(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(state.summary, style = MaterialTheme.typography.headlineSmall)
                Text(state.connection)
                state.lastDelivered?.let { Text(it) }
                state.lastError?.let { Text("Last problem: $it", color = MaterialTheme.colorScheme.error) }
                Button(onClick = { scope.launch { vm.syncNow() } }, enabled = !state.syncing) {
                    Text(if (state.syncing) "Syncing…" else "Sync now")
                }
                state.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                if (state.deadLetters.isNotEmpty()) Text("Refused by the office", style = MaterialTheme.typography.titleMedium)
            }
        }
        items(state.deadLetters, key = { it.seq }) { dead ->
            Card {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text("${dead.what} · ${dead.queuedAt}", style = MaterialTheme.typography.titleSmall)
                    Text(dead.reason)
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        Button(onClick = { scope.launch { vm.retry(dead.seq) } }) { Text("Retry") }
                        OutlinedButton(onClick = { scope.launch { vm.discard(dead.seq) } }) { Text("Discard") }
                    }
                }
            }
        }
    }
}
