package io.cordon.demo.android

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.darkColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.cordon.demo.CordonSession
import io.cordon.demo.SessionOpening

/** One activity, five tabs, the duress control on every tab. Enrolment first if needed. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val opening = (application as CordonApp).opening
        setContent {
            MaterialTheme(colorScheme = darkColorScheme()) {
                when (opening) {
                    is SessionOpening.Ready -> CordonScreens(opening.session)
                    // The store's key is lost or the store refused: only the reason, nothing to tap.
                    is SessionOpening.Unavailable -> Notice(opening.message)
                }
            }
        }
    }
}

internal enum class Tab(val title: String) {
    ASSIGNMENTS("Assignments"), CHECK_IN("Check-in"), INCIDENT("Incident"), CONTROL_ROOM("Control room"), SYNC("Sync"),
}

@Composable
private fun CordonScreens(session: CordonSession) {
    val status by session.sync.status.collectAsStateWithLifecycle()
    val revocation by session.revocation.collectAsStateWithLifecycle()
    revocation?.let {
        // The office revoked the phone: the store is destroyed and the key forgotten.
        Notice(it.message)
        return
    }
    if (!status.enrolled) {
        EnrolScreen(session.enrolment)
        return
    }
    var tab by rememberSaveable { mutableStateOf(Tab.ASSIGNMENTS) }
    // The selection and every screen's state holder live in the session (the Application),
    // so a rotation finds the same forms and the same duress countdown, still cancellable.
    val assignmentId by session.selectedAssignment.collectAsStateWithLifecycle()
    val controlRoom by session.controlRoom.state.collectAsStateWithLifecycle()
    LaunchedEffect(status) { session.controlRoom.refresh() } // a pass may have brought news
    Scaffold(
        bottomBar = {
            NavigationBar {
                Tab.entries.forEach { t ->
                    NavigationBarItem(
                        selected = tab == t,
                        onClick = { tab = t },
                        icon = { Icon(t.icon, contentDescription = null) },
                        label = { Text(t.title) },
                    )
                }
            }
        },
    ) { padding ->
        Column(Modifier.fillMaxSize().padding(padding)) {
            // A panic alarm the control room has taken; never a duress alarm (covert).
            controlRoom.mainScreen?.let { ControlRoomBanner(it) }
            Box(Modifier.weight(1f)) {
                when (tab) {
                    Tab.ASSIGNMENTS -> AssignmentsScreen(session.assignments, session.sync) { id ->
                        session.selectAssignment(id)
                        tab = Tab.CHECK_IN
                    }
                    Tab.CHECK_IN -> CheckInScreen(session, assignmentId)
                    Tab.INCIDENT -> IncidentScreen(session, assignmentId)
                    Tab.CONTROL_ROOM -> ControlRoomScreen(session.controlRoom, session.text)
                    Tab.SYNC -> SyncScreen(session.syncStatus, session.sync)
                }
            }
            DuressButton(session.duress)
        }
    }
}

/** A whole-screen sentence instead of the app: the store cannot be opened, or the phone was revoked. */
@Composable
private fun Notice(message: String) {
    Box(Modifier.fillMaxSize().padding(24.dp), contentAlignment = Alignment.Center) {
        Text(message, style = MaterialTheme.typography.titleMedium)
    }
}
