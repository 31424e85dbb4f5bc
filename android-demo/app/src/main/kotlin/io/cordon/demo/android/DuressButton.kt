package io.cordon.demo.android

import androidx.compose.foundation.background
import androidx.compose.foundation.gestures.detectTapGestures
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.demo.DuressControl
import io.cordon.demo.DuressState

/**
 * Hold to arm, then a countdown with a cancel button, then sent. The timing and the
 * sending are [DuressControl]'s; this only turns touches into press and release.
 */
@Composable
fun DuressButton(control: DuressControl) {
    val state by control.state.collectAsStateWithLifecycle()
    when (val s = state) {
        is DuressState.CountingDown -> Row(
            Modifier.fillMaxWidth().background(Color(0xFFB00020)).padding(12.dp),
            verticalAlignment = Alignment.CenterVertically,
        ) {
            Text("Duress alarm in ${s.secondsLeft} s", Modifier.weight(1f), color = Color.White)
            Button(onClick = control::cancel) { Text("Cancel") }
        }
        else -> Box(
            Modifier
                .fillMaxWidth()
                .height(64.dp)
                .background(Color(0xFF5C0011))
                .pointerInput(control) {
                    detectTapGestures(onPress = {
                        control.press()
                        tryAwaitRelease()
                        control.release()
                    })
                },
            contentAlignment = Alignment.Center,
        ) {
            val label = when (s) {
                is DuressState.Holding -> "Keep holding…"
                DuressState.Sending -> "Sending…"
                // Covert: it reads as an ordinary check-in to anyone looking at the screen.
                is DuressState.Sent -> "Checked in"
                is DuressState.Failed -> s.message
                is DuressState.Idle -> s.note ?: "Hold for duress"
                is DuressState.CountingDown -> ""
            }
            Text(label, color = Color.White)
            if (s is DuressState.Holding) {
                LinearProgressIndicator(progress = { s.progress }, Modifier.fillMaxWidth().align(Alignment.BottomCenter))
            }
        }
    }
}
