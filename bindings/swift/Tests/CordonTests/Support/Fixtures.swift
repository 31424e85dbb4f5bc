import Cordon
import Foundation
import XCTest

/// The shared samples of fixtures/ at the repository's root (fixtures/README.md), read from
/// CORDON_FIXTURES_DIR (the scripts set it), else from the nearest `fixtures` folder above
/// this source file. Tests derive variations from these, never write a sample out again.
enum Samples {
    static func file(_ name: String) -> URL { dir.appendingPathComponent(name) }

    static func json(_ name: String) -> JSON {
        do {
            return try JSONDecoder().decode(JSON.self, from: Data(contentsOf: file(name)))
        } catch {
            fatalError("fixtures/\(name): \(error)")
        }
    }

    private static var dir: URL {
        if let dir = ProcessInfo.processInfo.environment["CORDON_FIXTURES_DIR"] {
            return URL(fileURLWithPath: dir)
        }
        var here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while here.path != "/" {
            let candidate = here.appendingPathComponent("fixtures")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("assignment.json").path) {
                return candidate
            }
            here.deleteLastPathComponent()
        }
        fatalError("no fixtures/ folder above \(#filePath): set CORDON_FIXTURES_DIR")
    }
}

/// A JSON value as the fixtures hold it, with the accessors the loaders below need.
enum JSON: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    subscript(key: String) -> JSON {
        if case .object(let o) = self, let v = o[key] { return v }
        return .null
    }

    var text: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    var list: [JSON] { if case .array(let a) = self { return a } else { return [] } }
    var isNull: Bool { if case .null = self { return true } else { return false } }
    var date: Date? { text.flatMap(parseInstant) }

    /// A protocol name (`static_post`) as the generated enum's case (`.staticPost`).
    func named<E: CaseIterable>(_: E.Type = E.self) -> E {
        let name = text ?? ""
        guard let e = E.allCases.first(where: { snakeCase("\($0)") == name }) else {
            fatalError("\(name) is no \(E.self)")
        }
        return e
    }

    var location: Location? {
        isNull ? nil : Location(latitude: self["latitude"].number!, longitude: self["longitude"].number!,
                                accuracyM: self["accuracy_m"].number, fixTime: self["fix_time"].date)
    }
}

private func snakeCase(_ camel: String) -> String {
    camel.reduce(into: "") { out, ch in
        if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
    }
}

private func parseInstant(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: text)
}

/// Values an officer's shift is made of, shared by the tests.
let zone = Samples.json("check_in.json")["time_zone"].text!
let halcyonId = Samples.json("assignment.json")["id"].text!
let organisationId = Samples.json("office.json")["organisation_id"].text!
let officerId = Samples.json("office.json")["officer_id"].text!
/// The tag the sample checkpoint scans.
let checkpointTag = Samples.json("check_in.json")["tag_id"].text!

/// Now, in whole milliseconds, as the Date the core gives back for that millisecond (the
/// Double at or just below it: plain division may land just above).
func nowMillis() -> Date {
    let ms = (Date().timeIntervalSince1970 * 1000).rounded(.down)
    var seconds = ms / 1000
    if (-ms).addingProduct(seconds, 1000) > 0 { seconds = seconds.nextDown }
    return Date(timeIntervalSince1970: seconds)
}

/// A fresh directory under the (per-run) temporary directory.
func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cordon-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

func openStore(_ dir: URL, _ name: String = "cordon.db") throws -> CordonStore {
    try CordonStore.open(dir.appendingPathComponent(name).path)
}

/// The sample assignment (fixtures/assignment.json), as the generated record.
func sampleAssignment() -> Assignment {
    let a = Samples.json("assignment.json")
    let orders = a["post_orders"], policy = a["check_in_policy"]
    return Assignment(
        id: a["id"].text!, reference: a["reference"].text!, title: a["title"].text!, kind: a["kind"].named(),
        principalCodename: a["principal_codename"].text,
        sites: a["sites"].list.map {
            Site(name: $0["name"].text!, address: $0["address"].text!, centre: $0["centre"].location,
                 geofenceRadiusM: $0["geofence_radius_m"].number, timeZone: $0["time_zone"].text!)
        },
        startsAt: a["starts_at"].date!, endsAt: a["ends_at"].date!, role: a["role"].named(),
        team: a["team"].list.map { TeamMember(callSign: $0["call_sign"].text!, role: $0["role"].named()) },
        postOrders: PostOrders(version: Int32(orders["version"].number!), text: orders["text"].text!,
                               issuedAt: orders["issued_at"].date!),
        checkInPolicy: CheckInPolicy(intervalSecs: Int32(policy["interval_secs"].number!),
                                     graceSecs: Int32(policy["grace_secs"].number!)),
        threatLevel: a["threat_level"].named(), status: a["status"].named(),
        serverVersion: Int64(a["server_version"].number!))
}

/// The sample assignment with the fields a test varies.
func assignment(
    id: String = halcyonId, serverVersion: Int64 = 1, intervalSecs: Int32? = nil, graceSecs: Int32? = nil,
    status: AssignmentStatus = .active
) -> Assignment {
    var a = sampleAssignment()
    a.id = id
    a.serverVersion = serverVersion
    a.checkInPolicy = CheckInPolicy(intervalSecs: intervalSecs ?? a.checkInPolicy.intervalSecs,
                                    graceSecs: graceSecs ?? a.checkInPolicy.graceSecs)
    a.status = status
    return a
}

/// The sample assignment as a file for `cordon admin assignment --file`, with the fields a
/// test varies; with none, the fixture file itself.
func assignmentFile(in dir: URL, id: String? = nil, reference: String? = nil, title: String? = nil) throws -> URL {
    let changes = [("id", id), ("reference", reference), ("title", title)].compactMap { k, v in v.map { (k, $0) } }
    if changes.isEmpty { return Samples.file("assignment.json") }
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: Samples.file("assignment.json"))) as! [String: Any]
    for (key, value) in changes { json[key] = value }
    let file = dir.appendingPathComponent("assignment-\(UUID().uuidString).json")
    try JSONSerialization.data(withJSONObject: json).write(to: file)
    return file
}

func checkIn(
    _ kind: CheckInKind, assignmentId: String? = halcyonId, occurredAt: Date? = nil, tagId: String? = nil,
    note: String? = nil, timeZone: String = zone
) -> NewCheckIn {
    NewCheckIn(kind: kind, assignmentId: assignmentId, occurredAt: occurredAt, timeZone: timeZone, location: nil,
               tagId: tagId, note: note)
}

/// A covert alarm: needs no assignment.
func duress(note: String? = nil) -> NewCheckIn { checkIn(.duress, assignmentId: nil, note: note) }

/// The sample incident's narrative (fixtures/incident.json).
let sampleNarrative = Samples.json("incident.json")["narrative"].text!

/// The sample incident (fixtures/incident.json), discovered 45 minutes ago: its fixed times
/// move to now, keeping the gap between occurrence and discovery.
func incident(narrative: String = sampleNarrative, assignmentId: String? = nil) -> IncidentContent {
    let c = Samples.json("incident.json")
    let discovered = nowMillis().addingTimeInterval(-45 * 60)
    let gap = c["discovered_at"].date!.timeIntervalSince(c["occurred_at"].date!)
    return IncidentContent(
        assignmentId: assignmentId, category: c["category"].named(), severity: c["severity"].named(),
        occurredAt: discovered.addingTimeInterval(-gap), discoveredAt: discovered, timeZone: c["time_zone"].text!,
        location: c["location"].location, narrative: narrative,
        persons: c["persons"].list.map { PersonInvolved(role: $0["role"].named(), description: $0["description"].text!) },
        policeReference: c["police_reference"].text, controlRoomReference: c["control_room_reference"].text,
        actionsTaken: c["actions_taken"].text, injuries: c["injuries"].text)
}

/// A file of `size` random bytes, as a camera would leave one (random: no two photos share
/// a SHA-256, and the server keeps attachment bytes by hash).
func photo(in dir: URL, size: Int = 48 * 1024, name: String = "IMG_0412.jpg") throws -> URL {
    var rng = SystemRandomNumberGenerator()
    let bytes = (0..<size).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// SHA-256 of a file as `sha256sum` computes it (Foundation on Linux has no digest API).
func sha256sum(_ url: URL) throws -> String {
    let output = try run("/usr/bin/sha256sum", [url.path])
    return String(output.prefix(64))
}

/// Runs a program to completion and returns its stdout; throws on a non-zero exit.
@discardableResult
func run(_ program: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(program) \(arguments.joined(separator: " ")) failed: "
                          + (String(data: stderr, encoding: .utf8) ?? ""))
    }
    return String(data: stdout, encoding: .utf8) ?? ""
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The error `body` threw, for assertions on its kind and fields.
func errorThrown<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> Error? {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// A test case with a store of its own in a temporary directory (`dir`), removed after
/// each test.
class StoreTestCase: XCTestCase {
    var dir: URL!
    var store: CordonStore!

    override func setUpWithError() throws {
        try super.setUpWithError()
        dir = try temporaryDirectory()
        store = try openStore(dir)
    }

    override func tearDownWithError() throws {
        store = nil
        try FileManager.default.removeItem(at: dir)
        try super.tearDownWithError()
    }
}

/// The sample movement leg (fixtures/movement.json) on `assignmentId`, departing at
/// `departure`: its ETA keeps the sample's distance from the departure (45 minutes).
func movementLeg(departure: Date, assignmentId: String = halcyonId) -> NewMovementLeg {
    let m = Samples.json("movement.json")
    let length = m["eta"].date!.timeIntervalSince(m["planned_departure"].date!)
    return NewMovementLeg(
        assignmentId: assignmentId, origin: m["origin"].text!, destination: m["destination"].text!,
        plannedDeparture: departure, eta: departure.addingTimeInterval(length), route: m["route"].text,
        vehicles: m["vehicles"].list.map { ConvoyVehicle(callSign: $0["call_sign"].text!, description: $0["description"].text) },
        officerInCharge: m["officer_in_charge"].text!, note: m["note"].text)
}
