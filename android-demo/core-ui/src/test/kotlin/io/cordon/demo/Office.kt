package io.cordon.demo

import io.cordon.ReferenceServer
import io.cordon.ZONE
import java.nio.file.Files
import java.nio.file.Path

/** The office's side of the reference server, as the tests of the app's screens need it. */
class Office(private val server: ReferenceServer, private val dir: Path) {
    val url: String get() = server.url

    fun enrolmentCode(officer: String): String = server.enrolmentCode(officer = officer)

    /** Puts [officer] on assignment [id] (a static post, 30-minute welfare interval). */
    fun assign(officer: String, id: String, title: String = "Residence night cover") {
        val file = Files.writeString(
            dir.resolve("$id-$officer.json"),
            """
            {"id": "$id", "reference": "OP-$id", "title": "$title",
             "kind": "static_post", "principal_codename": "KESTREL",
             "sites": [{"name": "Main gate", "address": "1 Example Road, London", "centre": null,
                        "geofence_radius_m": null, "time_zone": "$ZONE"}],
             "starts_at": "2026-11-28T18:00:00.000Z", "ends_at": "2026-11-29T06:00:00.000Z",
             "role": "residential_security_team", "team": [{"call_sign": "ALPHA-1", "role": "team_leader"}],
             "post_orders": {"version": 2, "text": "Patrol hourly. Challenge anyone loitering at the east gate.",
                             "issued_at": "2026-11-27T18:00:00.000Z"},
             "check_in_policy": {"interval_secs": 1800, "grace_secs": 300},
             "threat_level": "substantial", "status": "active"}
            """.trimIndent(),
        )
        server.admin("assignment", "--file", file.toString(), "--organisation", "acme", "--officer", officer)
    }

    /** Every check-in the office holds, as `cordon admin list check-ins --json` prints them. */
    fun checkInsJson(): String = server.admin("list", "check-ins", "--json")
}
