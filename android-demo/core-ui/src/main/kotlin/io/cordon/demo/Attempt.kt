package io.cordon.demo

import kotlin.coroutines.cancellation.CancellationException

/**
 * [runCatching] for suspend calls whose failure the screen shows: every error becomes a
 * [Result] except cancellation, which must reach the caller's coroutine.
 */
internal suspend inline fun <T> attempt(crossinline block: suspend () -> T): Result<T> =
    try {
        Result.success(block())
    } catch (e: CancellationException) {
        throw e
    } catch (e: Exception) {
        Result.failure(e)
    }
