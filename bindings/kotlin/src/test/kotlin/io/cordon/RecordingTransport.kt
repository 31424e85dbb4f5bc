package io.cordon

import io.cordon.core.HttpHeader
import io.cordon.core.HttpRequest
import io.cordon.core.HttpResponse
import io.cordon.core.RequestKind
import io.cordon.core.Transport
import java.time.Instant
import java.util.concurrent.CopyOnWriteArrayList

/**
 * A Transport that hands each request to [answer] (a real transport, or a script standing
 * in for the server) and records every request in order, so tests can tell what went
 * first.
 */
class RecordingTransport(private val answer: (HttpRequest) -> HttpResponse) : Transport {
    val requests: MutableList<HttpRequest> = CopyOnWriteArrayList()

    override fun send(request: HttpRequest): HttpResponse {
        requests += request
        return answer(request)
    }

    fun kinds(): List<RequestKind> = requests.map { it.kind }

    fun bodies(kind: RequestKind): List<String> =
        requests.filter { it.kind == kind }.map { it.body.decodeToString() }
}

/** A JSON response as the reference server would give it. */
fun jsonResponse(status: Int, body: String, vararg headers: Pair<String, String>) = HttpResponse(
    status = status,
    headers = listOf(HttpHeader("Content-Type", "application/json")) + headers.map { HttpHeader(it.first, it.second) },
    body = body.toByteArray(),
)

/** The protocol's error body (docs/PROTOCOL.md). */
fun errorResponse(status: Int, code: String, message: String, vararg headers: Pair<String, String>) = jsonResponse(
    status,
    """{"server_time":"${Instant.now()}","error":{"code":"$code","message":"$message","retryable":false}}""",
    *headers,
)

/** An empty pull page. */
fun emptyPull() = jsonResponse(200, """{"server_time":"${Instant.now()}","changes":[],"next_cursor":null,"has_more":false}""")
