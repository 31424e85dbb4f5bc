package io.cordon

import io.cordon.core.Assignment
import io.cordon.core.AssignmentKind
import io.cordon.core.AssignmentStatus
import io.cordon.core.CheckInKind
import io.cordon.core.CheckInPolicy
import io.cordon.core.IncidentCategory
import io.cordon.core.IncidentContent
import io.cordon.core.IncidentPatch
import io.cordon.core.Location
import io.cordon.core.NewCheckIn
import io.cordon.core.OfficerRole
import io.cordon.core.PersonInvolved
import io.cordon.core.PersonRole
import io.cordon.core.PostOrders
import io.cordon.core.Severity
import io.cordon.core.Site
import io.cordon.core.TeamMember
import io.cordon.core.ThreatLevel
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import java.time.Duration
import java.time.Instant
import java.time.temporal.ChronoUnit
import kotlin.random.Random

/** Values an officer's shift is made of, shared by the tests. */
const val ZONE = "Europe/London"
const val ASSIGNMENT_ID = "A-HALCYON-03"

/** Now, at the millisecond precision the core keeps. */
fun nowMillis(): Instant = Instant.now().truncatedTo(ChronoUnit.MILLIS)

fun openStore(dir: Path, name: String = "cordon.db"): CordonStore =
    CordonStore.open(dir.resolve(name).toString())

/** A static post with a 30-minute welfare interval and 5 minutes' grace. */
fun assignment(
    id: String = ASSIGNMENT_ID,
    serverVersion: Long = 1,
    intervalSecs: UInt = 1800u,
    graceSecs: UInt = 300u,
    status: AssignmentStatus = AssignmentStatus.ACTIVE,
): Assignment {
    val start = Instant.parse("2026-11-28T18:00:00Z")
    return Assignment(
        id = id,
        reference = "OP-HALCYON-03",
        title = "Residence night cover",
        kind = AssignmentKind.STATIC_POST,
        principalCodename = "KESTREL",
        sites = listOf(
            Site(
                name = "Main gate",
                address = "1 Example Road, London",
                centre = Location(latitude = 51.5007, longitude = -0.1246, accuracyM = 10.0, fixTime = null),
                geofenceRadiusM = 150.0,
                timeZone = ZONE,
            ),
        ),
        startsAt = start,
        endsAt = start.plus(Duration.ofHours(12)),
        role = OfficerRole.RESIDENTIAL_SECURITY_TEAM,
        team = listOf(
            TeamMember(callSign = "ALPHA-1", role = OfficerRole.TEAM_LEADER),
            TeamMember(callSign = "ALPHA-2", role = OfficerRole.RESIDENTIAL_SECURITY_TEAM),
        ),
        postOrders = PostOrders(
            version = 3u,
            text = "Patrol the perimeter hourly. Challenge anyone loitering at the east gate.",
            issuedAt = start.minus(Duration.ofDays(1)),
        ),
        checkInPolicy = CheckInPolicy(intervalSecs = intervalSecs, graceSecs = graceSecs),
        threatLevel = ThreatLevel.SUBSTANTIAL,
        status = status,
        serverVersion = serverVersion,
    )
}

fun checkIn(
    kind: CheckInKind,
    assignmentId: String? = ASSIGNMENT_ID,
    occurredAt: Instant? = null,
    tagId: String? = null,
    note: String? = null,
    timeZone: String = ZONE,
    location: Location? = null,
) = NewCheckIn(
    kind = kind,
    assignmentId = assignmentId,
    occurredAt = occurredAt,
    timeZone = timeZone,
    location = location,
    tagId = tagId,
    note = note,
)

/** A covert alarm: needs no assignment. */
fun duress(note: String? = null) = checkIn(CheckInKind.DURESS, assignmentId = null, note = note)

fun incident(
    narrative: String = "Grey van parked opposite the residence for 40 minutes; driver photographing the gate.",
    assignmentId: String? = null,
): IncidentContent {
    val occurred = nowMillis().minus(Duration.ofMinutes(50))
    return IncidentContent(
        assignmentId = assignmentId,
        category = IncidentCategory.HOSTILE_SURVEILLANCE,
        severity = Severity.MEDIUM,
        occurredAt = occurred,
        discoveredAt = occurred.plus(Duration.ofMinutes(5)),
        timeZone = ZONE,
        location = null,
        narrative = narrative,
        persons = listOf(PersonInvolved(role = PersonRole.SUBJECT, description = "Male, 30s, dark jacket, long lens")),
        policeReference = null,
        controlRoomReference = "CR-0412",
        actionsTaken = null,
        injuries = null,
    )
}

/** A patch that changes nothing; copy it with the fields an amendment changes. */
fun noChange() = IncidentPatch(
    category = null,
    severity = null,
    occurredAt = null,
    discoveredAt = null,
    location = null,
    narrative = null,
    persons = null,
    policeReference = null,
    controlRoomReference = null,
    actionsTaken = null,
    injuries = null,
)

/**
 * A file of `size` random bytes, as a camera would leave one. Random, so that no two
 * photos share a SHA-256 (the server keeps attachment bytes by hash).
 */
fun photo(dir: Path, size: Int = 48 * 1024, name: String = "IMG_0412.jpg"): Path =
    Files.write(dir.resolve(name), Random.nextBytes(size))

fun sha256Hex(bytes: ByteArray): String =
    MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
