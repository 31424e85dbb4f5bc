package io.cordon.demo

import io.cordon.ReferenceServer
import io.cordon.assignmentFile
import java.nio.file.Path

/** The office's side of the reference server, as the tests of the app's screens need it. */
class Office(private val server: ReferenceServer, private val dir: Path) {
    val url: String get() = server.url

    fun enrolmentCode(officer: String): String = server.enrolmentCode(officer = officer)

    /**
     * Puts [officer] on assignment [id] (reference OP-[id]): the sample assignment
     * (fixtures/assignment.json, a static post with a 30-minute welfare interval) under
     * that id and [title].
     */
    fun assign(officer: String, id: String, title: String? = null) {
        server.assign(officer, assignmentFile(dir, id = id, reference = "OP-$id", title = title))
    }

    /** Every check-in the office holds, as `cordon admin list check-ins --json` prints them. */
    fun checkInsJson(): String = server.admin("list", "check-ins", "--json")
}
