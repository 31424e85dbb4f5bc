package io.cordon.demo.android

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.demo.EnrolmentViewModel
import kotlinx.coroutines.launch

@Composable
fun EnrolScreen(vm: EnrolmentViewModel) {
    val state by vm.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("Enter the one-time code from your control room")
        OutlinedTextField(value = state.code, onValueChange = vm::editCode, label = { Text("Enrolment code") }, singleLine = true)
        Button(onClick = { scope.launch { vm.enrol() } }, enabled = !state.busy && state.code.isNotBlank()) { Text("Enrol") }
        state.message?.let { Text(it) }
    }
}
