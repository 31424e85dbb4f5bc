package io.cordon.demo.android

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.demo.AlarmNotice
import io.cordon.demo.ControlRoomViewModel
import io.cordon.demo.TimeText
import kotlinx.coroutines.launch

/**
 * The main screen's notice for a panic alarm the control room has taken ("Control room has
 * your alarm" and the operator's note). The view model never puts a duress alarm here.
 */
@Composable
fun ControlRoomBanner(notice: AlarmNotice) {
    Surface(color = MaterialTheme.colorScheme.primaryContainer, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp)) {
            Text(notice.headline, style = MaterialTheme.typography.titleMedium)
            notice.note?.let { Text(it) }
        }
    }
}

/**
 * Messages from the control room (tap one to mark it read; the read receipt goes with the
 * next sync) and "My alarm", the only place a duress alarm's state is shown, on request.
 * Every text is the officer's or operator's words shown as text.
 */
@Composable
fun ControlRoomScreen(vm: ControlRoomViewModel, text: TimeText) {
    val state by vm.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    LazyColumn(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                if (state.opened == null) {
                    OutlinedButton(onClick = { scope.launch { vm.openLatestAlarm() } }) { Text("My alarm") }
                } else {
                    OutlinedButton(onClick = { vm.closeAlarm() }) { Text("Hide") }
                }
            }
            state.opened?.let { opened ->
                Column(Modifier.padding(top = 8.dp)) {
                    Text(opened.headline, style = MaterialTheme.typography.titleMedium)
                    opened.note?.let { Text(it) }
                }
            }
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            Text(
                if (state.unread == 0) "Messages" else "Messages (${state.unread} unread)",
                style = MaterialTheme.typography.headlineSmall,
                modifier = Modifier.padding(top = 12.dp),
            )
        }
        items(state.messages, key = { it.id }) { m ->
            Card(Modifier.fillMaxWidth().clickable(enabled = !m.read) { scope.launch { vm.markRead(m.id) } }) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text(
                        "${m.from} · ${text.dayAndClock(m.sentAt)}",
                        style = MaterialTheme.typography.titleSmall,
                        fontWeight = if (m.read) FontWeight.Normal else FontWeight.Bold,
                    )
                    Text(m.body)
                    if (!m.read) Text("Tap to mark read", style = MaterialTheme.typography.bodySmall)
                }
            }
        }
    }
}
