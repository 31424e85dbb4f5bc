package io.cordon.demo

import io.cordon.CordonStore
import io.cordon.core.PostOrdersStatus
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

data class PostOrdersState(
    /** The version of the post orders the phone holds (null before the first read). */
    val version: Int? = null,
    /** "Post orders v3: acknowledge" while the version the phone holds is unacknowledged. */
    val prompt: String? = null,
    /** "Post orders v3 acknowledged Fri 27 Nov 18:00" once it is. */
    val acknowledged: String? = null,
    val message: String? = null,
)

/**
 * The post orders line of an assignment's screen: asks the officer to acknowledge the
 * version the phone holds, and again when the office issues a new one. The core decides
 * (`postOrdersAcknowledgement`); acknowledging works offline and syncs later.
 */
class PostOrdersViewModel(
    private val store: CordonStore,
    private val assignmentId: String,
    private val text: TimeText,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _state = MutableStateFlow(PostOrdersState())
    val state: StateFlow<PostOrdersState> = _state.asStateFlow()

    /** Re-reads where the post orders stand (after a sync pass that received assignments). */
    suspend fun refresh() {
        attempt { withContext(io) { store.postOrdersAcknowledgement(assignmentId) } }
            .onSuccess(::show)
            .onFailure { e -> _state.update { it.copy(message = UserMessages.of(e)) } }
    }

    /**
     * The officer acknowledges the version the screen shows. If the office issued a newer
     * one meanwhile, the core refuses, and the screen says so and shows the newer version.
     */
    suspend fun acknowledge() {
        val version = _state.value.version ?: return refresh()
        attempt { withContext(io) { store.acknowledgePostOrders(assignmentId, version) } }
            .onSuccess(::show)
            .onFailure { e ->
                val message = UserMessages.of(e)
                refresh()
                _state.update { it.copy(message = message) }
            }
    }

    private fun show(status: PostOrdersStatus) = _state.update {
        val at = status.acknowledgedAt
        PostOrdersState(
            version = status.version,
            prompt = if (at == null) "Post orders v${status.version}: acknowledge" else null,
            acknowledged = at?.let { "Post orders v${status.version} acknowledged ${text.dayAndClock(it)}" },
            message = null,
        )
    }
}
