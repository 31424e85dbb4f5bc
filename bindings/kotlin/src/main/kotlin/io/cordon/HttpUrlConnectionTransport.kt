package io.cordon

import io.cordon.core.HttpHeader
import io.cordon.core.HttpRequest
import io.cordon.core.HttpResponse
import io.cordon.core.Transport
import io.cordon.core.TransportException
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URI

/**
 * Cordon's [Transport] over [HttpURLConnection], the HTTP stack every JVM and Android
 * device has (on Android it is OkHttp inside, with the platform's proxy, TLS and network
 * security config). Shipped with the bindings: `CordonSync(store, HttpUrlConnectionTransport(), config)`.
 * The core speaks the protocol; this only carries bytes:
 * - every status code is a response, 4xx and 5xx included (the core classifies them);
 * - no response at all (refused, reset, timed out, DNS) is [TransportException.Network],
 *   which the core retries with backoff.
 *
 * Timeouts: each request carries the core's deadline ([HttpRequest.timeoutMs], the
 * engine's `requestTimeoutMs` or what is left of the pass); the connect timeout is that,
 * at most [maxConnectTimeoutMs], and the read timeout is that deadline.
 *
 * Called on the core's sync worker thread, so blocking is expected. [open] is the seam
 * for an app that configures its connections (TLS pinning, a proxy).
 */
class HttpUrlConnectionTransport(
    private val maxConnectTimeoutMs: Int = 15_000,
    private val open: (URI) -> HttpURLConnection = { it.toURL().openConnection() as HttpURLConnection },
) : Transport {
    override fun send(request: HttpRequest): HttpResponse {
        val connection = try {
            open(URI(request.url))
        } catch (e: Exception) {
            throw TransportException.Network("cannot open ${request.url}: ${e.message}")
        }
        try {
            val deadline = request.timeoutMs.coerceIn(1L, Int.MAX_VALUE.toLong()).toInt()
            connection.requestMethod = request.method.name
            connection.connectTimeout = minOf(deadline, maxConnectTimeoutMs)
            connection.readTimeout = deadline
            connection.useCaches = false
            // A redirect is the server's answer, not the transport's to follow (a POST
            // must never silently turn into a GET elsewhere).
            connection.instanceFollowRedirects = false
            for (header in request.headers) connection.addRequestProperty(header.name, header.value)
            if (request.body.isNotEmpty()) {
                connection.doOutput = true
                // Streams the chunk as is, with Content-Length, instead of buffering it twice.
                connection.setFixedLengthStreamingMode(request.body.size)
                connection.outputStream.use { it.write(request.body) }
            }
            // A 401 with a challenge to a streamed body makes the JDK give up reading the
            // response (HttpRetryException, swallowed here): the status still comes back
            // (the core pauses sync on it), with no body.
            val status = connection.responseCode
            val stream = if (status >= 400) connection.errorStream else connection.inputStream
            // Read to the end and closed: that hands the connection back to the keep-alive
            // pool (disconnect() would close it), so it is called on failures only.
            val body = stream?.use { it.readBytes() } ?: ByteArray(0)
            val headers = connection.headerFields.flatMap { (name, values) ->
                // The status line comes back under a null name.
                if (name == null) emptyList() else values.map { HttpHeader(name, it) }
            }
            return HttpResponse(status = status, headers = headers, body = body)
        } catch (e: IOException) {
            connection.disconnect()
            throw TransportException.Network("${e.javaClass.simpleName}: ${e.message}")
        }
    }
}
