package io.cordon

import io.cordon.core.SyncConfig
import io.cordon.core.Transport
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.UUID
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/**
 * The reference server (`cordon serve`) on a loopback port the OS picks, for one test
 * class, and the office's side of it (`cordon admin`). Stopped by its PID on [close].
 * The binary comes from -Dcordon.server.bin (scripts/bindings.sh sets it), by default
 * `cordon` beside libcordon.
 */
class ReferenceServer private constructor(
    private val bin: String,
    private val dir: Path,
    private val process: Process,
    val url: String,
) : AutoCloseable {
    val db: Path = dir.resolve("server.db")

    companion object {
        fun start(dir: Path): ReferenceServer {
            val bin = binary()
            val db = dir.resolve("server.db")
            val process = ProcessBuilder(bin, "serve", "--db", db.toString(), "--listen", "127.0.0.1:0")
                .redirectError(dir.resolve("server.log").toFile())
                .start()
            val stdout = process.inputStream.bufferedReader()
            val first = runCatching { CompletableFuture.supplyAsync { stdout.readLine() }.get(30, TimeUnit.SECONDS) }
            val url = first.getOrNull()?.let { Regex("""listening on (http://\S+)""").find(it)?.groupValues?.get(1) }
            if (url == null) {
                process.destroyForcibly().waitFor()
                val log = runCatching { Files.readString(dir.resolve("server.log")) }.getOrDefault("")
                error("$bin serve did not say where it listens (got ${first.getOrNull()}): $log")
            }
            // Keep reading stdout so that the server never blocks on a full pipe.
            thread(isDaemon = true, name = "cordon-serve-stdout") { stdout.forEachLine { } }
            return ReferenceServer(bin, dir, process, url)
        }

        private fun binary(): String {
            val bin = System.getProperty("cordon.server.bin")
                ?: File(System.getProperty("jna.library.path") ?: "../../target/debug", "cordon").path
            check(File(bin).canExecute()) {
                "no reference server at $bin: build it with `cargo build -p cordon` (scripts/bindings.sh build)"
            }
            return bin
        }
    }

    /** Runs `cordon admin --db DB ARGS...` and returns its stdout; fails on a non-zero exit. */
    fun admin(vararg args: String): String {
        val err = Files.createTempFile(dir, "admin", ".err").toFile()
        val p = ProcessBuilder(listOf(bin, "admin", "--db", db.toString()) + args).redirectError(err).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(30, TimeUnit.SECONDS)) { "cordon admin ${args.joinToString(" ")} did not finish" }
        check(p.exitValue() == 0) { "cordon admin ${args.joinToString(" ")} failed: ${err.readText()}" }
        return out
    }

    /** A one-time enrolment code the office hands an officer. */
    fun enrolmentCode(organisation: String = ORGANISATION_ID, officer: String = OFFICER_ID): String =
        admin("enrol", "--organisation", organisation, "--officer", officer).trim().lines().last()

    /** Puts `officer` on the assignment in `file` (by default the sample, fixtures/assignment.json). */
    fun assign(officer: String, file: Path = assignmentFile(dir)) {
        admin("assignment", "--file", file.toString(), "--organisation", ORGANISATION_ID, "--officer", officer)
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}

/**
 * A test class against one reference server, started before its first test and stopped
 * after its last, with the devices (stores and sync engines) each test opens closed after
 * that test, newest first. Shared by the binding's tests and the demo app's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AgainstReferenceServer {
    private lateinit var serverDir: Path
    protected lateinit var server: ReferenceServer
        private set
    private val opened = mutableListOf<AutoCloseable>()

    @TempDir
    lateinit var dir: Path

    /** What the office needs before the first test (an operator, for example). */
    protected open fun prepareOffice(server: ReferenceServer) {}

    @BeforeAll
    fun startServer() {
        serverDir = Files.createTempDirectory("cordon-server")
        server = ReferenceServer.start(serverDir)
        prepareOffice(server)
    }

    @AfterAll
    fun stopServer() {
        server.close()
        serverDir.toFile().deleteRecursively()
    }

    @AfterEach
    fun closeDevices() {
        opened.asReversed().forEach { it.close() }
        opened.clear()
    }

    /** Closes [resource] after the test. */
    protected fun <T : AutoCloseable> keep(resource: T): T = resource.also { opened += it }

    /** A new device (a store of its own) syncing with the server through [transport] (null: the built-in HTTP). */
    protected fun newDevice(
        transport: Transport? = HttpUrlConnectionTransport(),
        config: SyncConfig = defaultSyncConfig(server.url),
    ): Pair<CordonStore, CordonSync> {
        val store = keep(openStore(dir, "device-${UUID.randomUUID()}.db"))
        val sync = keep(if (transport == null) CordonSync.withBuiltInHttp(store, config) else CordonSync(store, transport, config))
        return store to sync
    }

    /** A new device enrolled as [officer] with the server (through the shipped HTTP transport). */
    protected fun enrolled(officer: String = "OFC-${UUID.randomUUID().toString().take(8)}"): Pair<CordonStore, CordonSync> {
        val (store, sync) = newDevice()
        runBlocking { sync.enrol(server.enrolmentCode(officer = officer)) }
        return store to sync
    }
}
