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
import io.cordon.core.NewMovementLeg
import io.cordon.core.OfficerRole
import io.cordon.core.PersonInvolved
import io.cordon.core.PersonRole
import io.cordon.core.PostOrders
import io.cordon.core.Severity
import io.cordon.core.Site
import io.cordon.core.TeamMember
import io.cordon.core.ThreatLevel
import io.cordon.core.ConvoyVehicle
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.double
import kotlinx.serialization.json.doubleOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import java.time.Duration
import java.time.Instant
import java.time.temporal.ChronoUnit
import kotlin.random.Random

/**
 * The shared samples of fixtures/ at the repository's root (fixtures/README.md), read
 * from -Dcordon.fixtures.dir (the pom and Gradle set it), else from the nearest
 * `fixtures` folder above the working directory. Tests derive variations from these,
 * never write a sample out again.
 */
object Samples {
    val dir: Path = System.getProperty("cordon.fixtures.dir")?.let { Path.of(it) }
        ?: generateSequence(Path.of("").toAbsolutePath()) { it.parent }
            .map { it.resolve("fixtures") }
            .firstOrNull { Files.isRegularFile(it.resolve("assignment.json")) }
        ?: error("no fixtures/ folder above ${Path.of("").toAbsolutePath()}: set -Dcordon.fixtures.dir")

    fun file(name: String): Path = dir.resolve(name)

    fun json(name: String): JsonObject = Json.parseToJsonElement(Files.readString(file(name))).jsonObject

    val assignment: JsonObject by lazy { json("assignment.json") }
    val office: JsonObject by lazy { json("office.json") }
    val checkIn: JsonObject by lazy { json("check_in.json") }
    val incident: JsonObject by lazy { json("incident.json") }
    val movement: JsonObject by lazy { json("movement.json") }
}

private fun JsonObject.text(key: String): String = getValue(key).jsonPrimitive.content
private fun JsonObject.textOrNull(key: String): String? = (get(key) as? JsonPrimitive)?.contentOrNull
private fun JsonObject.obj(key: String): JsonObject = getValue(key).jsonObject
private fun JsonObject.objOrNull(key: String): JsonObject? = get(key) as? JsonObject
private fun JsonObject.list(key: String): List<JsonObject> = getValue(key).jsonArray.map(JsonElement::jsonObject)
private fun JsonObject.instant(key: String): Instant = Instant.parse(text(key))
private fun JsonObject.instantOrNull(key: String): Instant? = textOrNull(key)?.let(Instant::parse)
private fun JsonObject.number(key: String): Long = getValue(key).jsonPrimitive.long
private fun JsonObject.decimal(key: String): Double = getValue(key).jsonPrimitive.double
private fun JsonObject.decimalOrNull(key: String): Double? = (get(key) as? JsonPrimitive)?.doubleOrNull

/** A protocol name (`static_post`) as the generated enum's constant (`STATIC_POST`). */
private inline fun <reified E : Enum<E>> JsonObject.named(key: String): E = enumValueOf(text(key).uppercase())

private fun JsonObject.location() = Location(
    latitude = decimal("latitude"),
    longitude = decimal("longitude"),
    accuracyM = decimalOrNull("accuracy_m"),
    fixTime = instantOrNull("fix_time"),
)

/** Values an officer's shift is made of, shared by the tests. */
val ZONE: String = Samples.checkIn.text("time_zone")
val ASSIGNMENT_ID: String = Samples.assignment.text("id")
val ORGANISATION_ID: String = Samples.office.text("organisation_id")
val OFFICER_ID: String = Samples.office.text("officer_id")

/** The tag the sample checkpoint scans. */
val CHECKPOINT_TAG: String = Samples.checkIn.text("tag_id")

/** Now, at the millisecond precision the core keeps. */
fun nowMillis(): Instant = Instant.now().truncatedTo(ChronoUnit.MILLIS)

fun openStore(dir: Path, name: String = "cordon.db"): CordonStore =
    CordonStore.open(dir.resolve(name).toString())

/** The sample assignment (fixtures/assignment.json), as the generated record. */
val SAMPLE_ASSIGNMENT: Assignment = Samples.assignment.let { a ->
    val orders = a.obj("post_orders")
    val policy = a.obj("check_in_policy")
    Assignment(
        id = a.text("id"),
        reference = a.text("reference"),
        title = a.text("title"),
        kind = a.named<AssignmentKind>("kind"),
        principalCodename = a.textOrNull("principal_codename"),
        sites = a.list("sites").map { s ->
            Site(
                name = s.text("name"),
                address = s.text("address"),
                centre = s.objOrNull("centre")?.location(),
                geofenceRadiusM = s.decimalOrNull("geofence_radius_m"),
                timeZone = s.text("time_zone"),
            )
        },
        startsAt = a.instant("starts_at"),
        endsAt = a.instant("ends_at"),
        role = a.named<OfficerRole>("role"),
        team = a.list("team").map { TeamMember(callSign = it.text("call_sign"), role = it.named<OfficerRole>("role")) },
        postOrders = PostOrders(
            version = orders.number("version").toInt(),
            text = orders.text("text"),
            issuedAt = orders.instant("issued_at"),
        ),
        checkInPolicy = CheckInPolicy(
            intervalSecs = policy.number("interval_secs").toInt(),
            graceSecs = policy.number("grace_secs").toInt(),
        ),
        threatLevel = a.named<ThreatLevel>("threat_level"),
        status = a.named<AssignmentStatus>("status"),
        serverVersion = a.number("server_version"),
    )
}

/** The sample assignment with the fields a test varies. */
fun assignment(
    id: String = ASSIGNMENT_ID,
    serverVersion: Long = 1,
    intervalSecs: Int = SAMPLE_ASSIGNMENT.checkInPolicy.intervalSecs,
    graceSecs: Int = SAMPLE_ASSIGNMENT.checkInPolicy.graceSecs,
    status: AssignmentStatus = AssignmentStatus.ACTIVE,
): Assignment = SAMPLE_ASSIGNMENT.copy(
    id = id,
    serverVersion = serverVersion,
    checkInPolicy = CheckInPolicy(intervalSecs = intervalSecs, graceSecs = graceSecs),
    status = status,
)

/**
 * The sample assignment as a file for `cordon admin assignment --file`, with the fields
 * a test varies; with none, the fixture file itself.
 */
fun assignmentFile(dir: Path, id: String? = null, reference: String? = null, title: String? = null): Path {
    if (id == null && reference == null && title == null) return Samples.file("assignment.json")
    val changed = listOfNotNull(
        id?.let { "id" to JsonPrimitive(it) },
        reference?.let { "reference" to JsonPrimitive(it) },
        title?.let { "title" to JsonPrimitive(it) },
    )
    val json = JsonObject(Samples.assignment + changed)
    return Files.writeString(Files.createTempFile(dir, "assignment-", ".json"), json.toString())
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

/** The sample incident's narrative (fixtures/incident.json). */
val NARRATIVE: String = Samples.incident.text("narrative")

/**
 * The sample incident (fixtures/incident.json), discovered 45 minutes ago: its fixed
 * times move to now, keeping the gap between occurrence and discovery.
 */
fun incident(narrative: String = NARRATIVE, assignmentId: String? = null): IncidentContent {
    val c = Samples.incident
    val discovered = nowMillis().minus(Duration.ofMinutes(45))
    val gap = Duration.between(c.instant("occurred_at"), c.instant("discovered_at"))
    return IncidentContent(
        assignmentId = assignmentId,
        category = c.named<IncidentCategory>("category"),
        severity = c.named<Severity>("severity"),
        occurredAt = discovered.minus(gap),
        discoveredAt = discovered,
        timeZone = c.text("time_zone"),
        location = c.objOrNull("location")?.location(),
        narrative = narrative,
        persons = c.list("persons").map { PersonInvolved(role = it.named<PersonRole>("role"), description = it.text("description")) },
        policeReference = c.textOrNull("police_reference"),
        controlRoomReference = c.textOrNull("control_room_reference"),
        actionsTaken = c.textOrNull("actions_taken"),
        injuries = c.textOrNull("injuries"),
    )
}

/**
 * A file of `size` random bytes, as a camera would leave one. Random, so that no two
 * photos share a SHA-256 (the server keeps attachment bytes by hash).
 */
fun photo(dir: Path, size: Int = 48 * 1024, name: String = "IMG_0412.jpg"): Path =
    Files.write(dir.resolve(name), Random.nextBytes(size))

fun sha256Hex(bytes: ByteArray): String =
    MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

/**
 * The sample movement leg (fixtures/movement.json) on `assignmentId`, departing at
 * `departure`: its ETA keeps the sample's distance from the departure (45 minutes).
 */
fun movementLeg(departure: Instant, assignmentId: String = ASSIGNMENT_ID): NewMovementLeg {
    val m = Samples.movement
    val length = Duration.between(m.instant("planned_departure"), m.instant("eta"))
    return NewMovementLeg(
        assignmentId = assignmentId,
        origin = m.text("origin"),
        destination = m.text("destination"),
        plannedDeparture = departure,
        eta = departure.plus(length),
        route = m.textOrNull("route"),
        vehicles = m.list("vehicles").map { ConvoyVehicle(callSign = it.text("call_sign"), description = it.textOrNull("description")) },
        officerInCharge = m.text("officer_in_charge"),
        note = m.textOrNull("note"),
    )
}
