package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.CordonSync
import io.cordon.core.CheckIn
import io.cordon.core.Transport
import io.cordon.defaultSyncConfig
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import java.time.Clock
import java.time.ZoneId

/**
 * Everything one officer's app needs, opened once (an Android `Application`, the iOS
 * `App`): the store, the sync engine over the app's [Transport], the [SyncController],
 * and the screens' state holders. The platform shells create one and wire events to it.
 */
class CordonSession(
    databasePath: String,
    serverUrl: String,
    transport: Transport,
    /** Lives as long as the app: the duress countdown and requested syncs run in it. */
    private val scope: CoroutineScope,
    val clock: Clock = Clock.systemUTC(),
    val zone: ZoneId = ZoneId.systemDefault(),
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : AutoCloseable {
    val store: CordonStore = CordonStore.open(databasePath)
    private val engine: CordonSync = CordonSync(store, transport, defaultSyncConfig(serverUrl))
    val sync: SyncController = SyncController(engine, scope, io)
    val text = TimeText(zone)

    val assignments = AssignmentsViewModel(store, text, io)
    val syncStatus = SyncStatusViewModel(store, sync, text, io)
    val enrolment = EnrolmentViewModel(sync)

    /** The duress control; an alarm it records starts a sync pass at once. */
    fun duressControl(assignmentId: () -> String? = { null }) = DuressControl(
        store = store,
        scope = scope,
        clock = clock,
        zoneId = zone.id,
        onRaised = { _: CheckIn -> sync.requestSync() },
        assignmentId = assignmentId,
        io = io,
    )

    fun checkIns(assignmentId: String) = CheckInViewModel(store, assignmentId, clock, text, zone.id, io)

    fun incident(assignmentId: String? = null) = IncidentFormViewModel(store, clock, text, zone.id, assignmentId, io)

    override fun close() {
        sync.close()
        engine.close()
        store.close()
    }
}

data class EnrolmentState(
    val code: String = "",
    val officerId: String? = null,
    val busy: Boolean = false,
    val message: String? = null,
)

/** The enrolment screen: the one-time code from the office, redeemed by the core. */
class EnrolmentViewModel(private val controller: SyncController) {
    private val _state = MutableStateFlow(EnrolmentState())
    val state: StateFlow<EnrolmentState> = _state.asStateFlow()

    fun editCode(code: String) = _state.update { it.copy(code = code, message = null) }

    suspend fun enrol(): Boolean {
        _state.update { it.copy(busy = true, message = null) }
        val result = attempt { controller.enrol(_state.value.code) }
        _state.update { s ->
            result.fold(
                onSuccess = { s.copy(busy = false, officerId = it.officerId, code = "", message = "Enrolled as ${it.officerId}") },
                onFailure = { s.copy(busy = false, message = UserMessages.of(it)) },
            )
        }
        return result.isSuccess
    }
}
