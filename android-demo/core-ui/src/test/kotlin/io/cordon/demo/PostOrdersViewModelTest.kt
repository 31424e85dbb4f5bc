package io.cordon.demo

import io.cordon.ASSIGNMENT_ID
import io.cordon.CordonStore
import io.cordon.assignment
import io.cordon.core.Assignment
import io.cordon.openStore
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The post orders line over a real store: the core decides whether the version is acknowledged. */
class PostOrdersViewModelTest {
    @TempDir
    lateinit var dir: Path
    private lateinit var store: CordonStore
    private val text = TimeText(LONDON)

    /** The sample assignment as the office issued it for the `serverVersion`th time, with post orders `orders`. */
    private fun issued(serverVersion: Long, orders: Int): Assignment =
        assignment(serverVersion = serverVersion).let { it.copy(postOrders = it.postOrders.copy(version = orders)) }

    @BeforeEach
    fun open() {
        store = openStore(dir)
        store.upsertAssignment(issued(serverVersion = 1, orders = 2))
    }

    @AfterEach
    fun close() = store.close()

    private fun screen() = PostOrdersViewModel(store, ASSIGNMENT_ID, text)

    @Test
    fun `the screen asks for an acknowledgement of the version the phone holds`() = runBlocking {
        val vm = screen()

        vm.refresh()

        assertEquals("Post orders v2: acknowledge", vm.state.value.prompt)
        assertNull(vm.state.value.acknowledged)
    }

    @Test
    fun `acknowledging clears the prompt and queues one operation for the office`() = runBlocking {
        val vm = screen()
        vm.refresh()

        vm.acknowledge()

        assertNull(vm.state.value.prompt)
        val at = assertNotNull(store.postOrdersAcknowledgement(ASSIGNMENT_ID).acknowledgedAt)
        assertEquals("Post orders v2 acknowledged ${text.dayAndClock(at)}", vm.state.value.acknowledged)
        assertEquals(1L, store.outboxStatus().pending.normal)
    }

    @Test
    fun `a new version from the office asks again`() = runBlocking {
        val vm = screen()
        vm.refresh()
        vm.acknowledge()

        store.upsertAssignment(issued(serverVersion = 2, orders = 3))
        vm.refresh()

        assertEquals("Post orders v3: acknowledge", vm.state.value.prompt)
        assertNull(vm.state.value.acknowledged)
    }

    @Test
    fun `acknowledging a version the office has replaced says so and shows the new version`() = runBlocking {
        val vm = screen()
        vm.refresh()
        store.upsertAssignment(issued(serverVersion = 2, orders = 3))

        vm.acknowledge()

        assertEquals("Post orders v3: acknowledge", vm.state.value.prompt)
        val message = assertNotNull(vm.state.value.message)
        assertTrue("post orders v3" in message, message)
        assertNull(store.postOrdersAcknowledgement(ASSIGNMENT_ID).acknowledgedAt)
        assertEquals(0L, store.outboxStatus().pending.normal)
    }
}
