package io.cordon

import io.cordon.core.HttpHeader
import io.cordon.core.HttpRequest
import io.cordon.core.HttpResponse
import io.cordon.core.Transport
import io.cordon.core.TransportException
import java.io.IOException
import java.net.URI
import java.net.http.HttpClient
import java.time.Duration
import java.net.http.HttpRequest as JavaRequest
import java.net.http.HttpResponse as JavaResponse

/**
 * Cordon's Transport over the JVM's own HTTP client, as an app plugs in its stack (on
 * Android it would be OkHttp). It carries requests as they are; the core speaks the
 * protocol. Called on the sync worker thread, so blocking is fine.
 */
class JavaHttpTransport(
    private val client: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build(),
) : Transport {
    override fun send(request: HttpRequest): HttpResponse {
        val builder = JavaRequest.newBuilder(URI.create(request.url)).timeout(Duration.ofSeconds(60))
        for (h in request.headers) builder.header(h.name, h.value)
        val body = if (request.body.isEmpty()) {
            JavaRequest.BodyPublishers.noBody()
        } else {
            JavaRequest.BodyPublishers.ofByteArray(request.body)
        }
        builder.method(request.method.name, body)
        val response = try {
            client.send(builder.build(), JavaResponse.BodyHandlers.ofByteArray())
        } catch (e: IOException) {
            // No response at all: the core treats it as transient and retries.
            throw TransportException.Network("${e.javaClass.simpleName}: ${e.message}")
        }
        return HttpResponse(
            status = response.statusCode().toUShort(),
            headers = response.headers().map().flatMap { (name, values) -> values.map { HttpHeader(name, it) } },
            body = response.body(),
        )
    }
}
