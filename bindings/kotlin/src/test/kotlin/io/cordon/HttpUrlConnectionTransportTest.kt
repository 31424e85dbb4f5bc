package io.cordon

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import io.cordon.core.HttpHeader
import io.cordon.core.HttpMethod
import io.cordon.core.HttpRequest
import io.cordon.core.HttpResponse
import io.cordon.core.RequestKind
import io.cordon.core.TransportException
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/**
 * The shipped HttpURLConnection transport against a scripted local HTTP server: it carries
 * every response as a response and only a missing one as a network error. (The full
 * protocol through it is exercised against the reference server in OfficerShiftTest.)
 */
class HttpUrlConnectionTransportTest {
    private val servers = mutableListOf<HttpServer>()
    private val seen = CopyOnWriteArrayList<String>()

    @AfterEach
    fun stop() = servers.forEach { it.stop(0) }

    /** A loopback server answering every request with [answer]; returns its base URL. */
    private fun serve(answer: (HttpExchange) -> Unit): String {
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/") { exchange ->
            exchange.use {
                val body = it.requestBody.readBytes().decodeToString()
                seen += "${it.requestMethod} ${it.requestURI} ${it.requestHeaders.getFirst("Authorization")} $body"
                answer(it)
            }
        }
        server.start()
        servers += server
        return "http://127.0.0.1:${server.address.port}"
    }

    private fun HttpExchange.reply(status: Int, body: String, vararg headers: Pair<String, String>) {
        headers.forEach { (n, v) -> responseHeaders.add(n, v) }
        val bytes = body.toByteArray()
        sendResponseHeaders(status, if (bytes.isEmpty()) -1 else bytes.size.toLong())
        if (bytes.isNotEmpty()) responseBody.write(bytes)
    }

    /** Header names are case-insensitive (this server spells them "Retry-after"). */
    private fun HttpResponse.header(name: String) = headers.single { it.name.equals(name, ignoreCase = true) }.value

    private fun post(url: String, body: String = """{"operations":[]}""") = HttpRequest(
        kind = RequestKind.PUSH,
        method = HttpMethod.POST,
        url = "$url/v1/push",
        headers = listOf(HttpHeader("Authorization", "Bearer t0k3n"), HttpHeader("Content-Type", "application/json")),
        body = body.toByteArray(),
        timeoutMs = 5_000,
    )

    @Test
    fun `the request goes out with its method, headers and body and the answer comes back whole`() {
        val url = serve { it.reply(200, """{"ok":true}""", "Content-Type" to "application/json") }

        val response = HttpUrlConnectionTransport().send(post(url))

        assertEquals(listOf("""POST /v1/push Bearer t0k3n {"operations":[]}"""), seen)
        assertEquals(200, response.status)
        assertContentEquals("""{"ok":true}""".toByteArray(), response.body)
        assertEquals("application/json", response.header("Content-Type"))
    }

    @Test
    fun `an error status is a response with its body and Retry-After, for the core to classify`() {
        val url = serve { it.reply(429, """{"error":{"code":"slow_down"}}""", "Retry-After" to "7") }

        val response = HttpUrlConnectionTransport().send(post(url))

        assertEquals(429, response.status)
        assertEquals("""{"error":{"code":"slow_down"}}""", response.body.decodeToString())
        assertEquals("7", response.header("Retry-After"))
    }

    @Test
    fun `a 401 with a Basic challenge to a request with a body is still a 401 for the core, not a network failure`() {
        val url = serve { it.reply(401, """{"error":{"code":"unauthorized"}}""", "WWW-Authenticate" to "Basic realm=\"cordon\"") }

        val response = HttpUrlConnectionTransport().send(post(url))

        assertEquals(401, response.status)
    }

    @Test
    fun `a GET without a body is sent as a GET`() {
        val url = serve { it.reply(200, "{}") }
        val get = post(url).copy(kind = RequestKind.PULL, method = HttpMethod.GET, url = "$url/v1/pull?cursor=5", body = ByteArray(0))

        assertEquals(200, HttpUrlConnectionTransport().send(get).status)
        assertEquals(listOf("GET /v1/pull?cursor=5 Bearer t0k3n "), seen)
    }

    @Test
    fun `no server listening is a network error, which the core retries`() {
        val closedPort = ServerSocket(0).use { it.localPort }
        val e = assertFailsWith<TransportException.Network> {
            HttpUrlConnectionTransport().send(post("http://127.0.0.1:$closedPort"))
        }
        assertTrue("ConnectException" in e.detail, e.detail)
    }

    @Test
    fun `a server that never answers times out at the request's deadline as a network error`() {
        val url = serve { Thread.sleep(3_000) }
        val started = System.nanoTime()

        val e = assertFailsWith<TransportException.Network> {
            HttpUrlConnectionTransport().send(post(url).copy(timeoutMs = 300))
        }

        val waitedMs = (System.nanoTime() - started) / 1_000_000
        assertTrue("SocketTimeoutException" in e.detail, e.detail)
        assertTrue(waitedMs in 300..2_000, "waited $waitedMs ms")
    }
}
