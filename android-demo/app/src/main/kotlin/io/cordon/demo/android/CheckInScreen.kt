package io.cordon.demo.android

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.demo.CordonSession
import io.cordon.demo.Tone
import kotlinx.coroutines.launch

/** The welfare countdown and the check-in buttons of the chosen assignment. */
@Composable
fun CheckInScreen(session: CordonSession, assignmentId: String?) {
    if (assignmentId == null) {
        Text("Choose an assignment first.", Modifier.padding(16.dp))
        return
    }
    val vm = session.checkIns(assignmentId) // kept by the session: the same across tab switches and rotation
    val state by vm.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    LaunchedEffect(vm) { vm.tick() } // refreshes every second while the screen shows
    var tag by remember { mutableStateOf("") }
    val orders = session.postOrders(assignmentId)
    val ordersState by orders.state.collectAsStateWithLifecycle()
    val syncStatus by session.sync.status.collectAsStateWithLifecycle()
    LaunchedEffect(orders, syncStatus) { orders.refresh() } // a pass may have brought a new version

    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        state.welfare?.let { w ->
            Text(w.headline, style = MaterialTheme.typography.headlineMedium)
            w.countdown?.let { Text(it) }
            w.overdueWarning?.let {
                Text(it, Modifier.fillMaxWidth().background(Color(0xFFB00020)).padding(12.dp), color = Color.White)
            }
            if (w.tone == Tone.ATTENTION) Text("Grace period running", color = Color(0xFFFFA000))
        }
        state.lastCheckIn?.let { Text(it) }
        ordersState.prompt?.let { prompt ->
            OutlinedButton(onClick = { scope.launch { orders.acknowledge() } }, Modifier.fillMaxWidth()) { Text(prompt) }
        }
        ordersState.acknowledged?.let { Text(it) }
        ordersState.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        if (state.onDuty) {
            Button(onClick = { scope.launch { vm.welfare() } }, Modifier.fillMaxWidth()) { Text("Welfare check-in") }
            OutlinedTextField(value = tag, onValueChange = { tag = it }, label = { Text("Checkpoint tag (NFC/QR)") })
            OutlinedButton(onClick = { scope.launch { vm.checkpoint(tag) } }) { Text("Checkpoint") }
            OutlinedButton(onClick = { scope.launch { vm.clockOff() } }) { Text("Clock off") }
        } else {
            Button(onClick = { scope.launch { vm.clockOn() } }, Modifier.fillMaxWidth()) { Text("Clock on") }
        }
        state.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    }
}
