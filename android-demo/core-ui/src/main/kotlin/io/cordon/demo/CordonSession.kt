package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.CordonSync
import io.cordon.core.CheckIn
import io.cordon.core.PassOutcome
import io.cordon.core.Transport
import io.cordon.defaultSyncConfig
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import java.time.Clock
import java.time.ZoneId

/**
 * Everything one officer's app needs, opened once (an Android `Application`, the iOS
 * `App`): the store (opened through the [StoreKeyVault], encrypted under this phone's
 * key), the sync engine over the app's [Transport], the [SyncController], and the
 * screens' state holders. The platform shells open one with [open] and wire events to it.
 *
 * The state holders live here, not in the screens: the check-in and incident holders are
 * kept per assignment and the duress control is one for the session, so a tab switch or
 * a rotation finds the same form, edits and countdown (and the countdown's Cancel works
 * from whichever screen shows it).
 */
class CordonSession private constructor(
    val store: CordonStore,
    private val keys: StoreKeyVault,
    serverUrl: String,
    transport: Transport,
    /** Lives as long as the app: the duress countdown and requested syncs run in it. */
    private val scope: CoroutineScope,
    val clock: Clock,
    val zone: ZoneId,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    private val engine: CordonSync = CordonSync(store, transport, defaultSyncConfig(serverUrl))
    private val _revocation = MutableStateFlow<Revocation?>(null)

    /**
     * Set once a pass found the device revoked: the core destroyed the store and the key
     * is forgotten. The app shows [Revocation.message] instead of its screens.
     */
    val revocation: StateFlow<Revocation?> = _revocation.asStateFlow()
    val sync: SyncController = SyncController(engine, scope, io, onRevoked = ::revoked)
    val text = TimeText(zone)

    val assignments = AssignmentsViewModel(store, text, io)
    val syncStatus = SyncStatusViewModel(store, sync, text, io)
    val enrolment = EnrolmentViewModel(sync)

    /** The control room on the phone: alarm states and messages; refresh after each pass. */
    val controlRoom = ControlRoomViewModel(store, io)

    private val _selectedAssignment = MutableStateFlow<String?>(null)

    /** The assignment the officer works on: the check-in and incident tabs show it. */
    val selectedAssignment: StateFlow<String?> = _selectedAssignment.asStateFlow()

    fun selectAssignment(assignmentId: String?) {
        _selectedAssignment.value = assignmentId
    }

    /**
     * The duress control, one for the session; an alarm it records carries the selected
     * assignment and starts a sync pass at once.
     */
    val duress: DuressControl by lazy {
        DuressControl(
            store = store,
            scope = scope,
            clock = clock,
            zoneId = zone.id,
            onRaised = { _: CheckIn -> sync.requestSync() },
            assignmentId = { _selectedAssignment.value },
            io = io,
        )
    }

    private val checkInModels = KeptModels { id: String -> CheckInViewModel(store, id, clock, text, zone.id, io) }
    private val postOrdersModels = KeptModels { id: String -> PostOrdersViewModel(store, id, text, io) }
    private val incidentModels = KeptModels { id: String? -> IncidentFormViewModel(store, clock, text, zone.id, id, io) }

    /** The check-in screen of [assignmentId], the same one each time. */
    fun checkIns(assignmentId: String): CheckInViewModel = checkInModels.get(assignmentId)

    /** The post orders line of [assignmentId], the same one each time. */
    fun postOrders(assignmentId: String): PostOrdersViewModel = postOrdersModels.get(assignmentId)

    /** The incident form of [assignmentId] (null: none), the same one each time: unsaved edits stay. */
    fun incident(assignmentId: String? = null): IncidentFormViewModel = incidentModels.get(assignmentId)

    /** A blank incident form for [assignmentId], kept from now on (the officer's "New report"). */
    fun newIncident(assignmentId: String? = null): IncidentFormViewModel = incidentModels.replace(assignmentId)

    /** A new key for the store (the vault keeps it wrapped); throws the core's error. */
    suspend fun rotateKey() = withContext(io) { keys.rekey(store) }

    private fun revoked(outcome: PassOutcome.Revoked) {
        val forgotten = keys.forget()
        _revocation.value = Revocation(outcome.unsent, outcome.officeTold, keyForgotten = forgotten)
    }

    companion object {
        /**
         * Opens the store through [keys] and the session over it; if the store cannot be
         * opened, says why (the app shows [SessionOpening.Unavailable.message] instead).
         */
        fun open(
            keys: StoreKeyVault,
            serverUrl: String,
            transport: Transport,
            scope: CoroutineScope,
            clock: Clock = Clock.systemUTC(),
            zone: ZoneId = ZoneId.systemDefault(),
            io: CoroutineDispatcher = Dispatchers.IO,
        ): SessionOpening = when (val opening = keys.open()) {
            is StoreOpening.Opened -> {
                val session = try {
                    CordonSession(opening.store, keys, serverUrl, transport, scope, clock, zone, io)
                } catch (e: Exception) {
                    opening.store.close()
                    throw e
                }
                SessionOpening.Ready(session)
            }
            is StoreOpening.Unavailable -> SessionOpening.Unavailable(opening)
        }
    }

    override fun close() {
        sync.close()
        engine.close()
        store.close()
    }
}

/** How [CordonSession.open] went. */
sealed interface SessionOpening {
    class Ready(val session: CordonSession) : SessionOpening

    /** The store could not be opened; [message] says so to the officer. Nothing was deleted. */
    data class Unavailable(val why: StoreOpening.Unavailable) : SessionOpening {
        val message: String get() = why.message
    }
}

/** The office revoked this device: the core destroyed the store, and the app forgot its key. */
data class Revocation(
    /** Operations the phone still held unsent (gone with the store; the office has their names). */
    val unsent: Long,
    /** Whether the office heard, before the wipe, what was not sent. */
    val officeTold: Boolean,
    /** False if the key store failed to forget the key; the next start forgets it. */
    val keyForgotten: Boolean,
) {
    val message: String
        get() = "The office revoked this phone and its Cordon data was wiped" +
            (if (unsent > 0) " ($unsent not sent)" else "") + ". Contact the control room."
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
