import Cordon
import Foundation
import XCTest

/// Values an officer's shift is made of, shared by the tests.
let zone = "Europe/London"
let halcyonId = "A-HALCYON-03"

/// Now, in whole milliseconds (what the core keeps).
func nowMillis() -> Date {
    Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
}

/// A fresh directory under the (per-run) temporary directory.
func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cordon-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

func openStore(_ dir: URL, _ name: String = "cordon.db") throws -> CordonStore {
    try CordonStore.open(path: dir.appendingPathComponent(name).path)
}

/// A static post with a 30-minute welfare interval and 5 minutes' grace.
func assignment(
    id: String = halcyonId, serverVersion: Int64 = 1, intervalSecs: UInt32 = 1800, graceSecs: UInt32 = 300,
    status: AssignmentStatus = .active
) -> Assignment {
    let start = Date(timeIntervalSince1970: 1_795_888_800) // 2026-11-28T18:00:00Z
    return Assignment(
        id: id, reference: "OP-HALCYON-03", title: "Residence night cover", kind: .staticPost,
        principalCodename: "KESTREL",
        sites: [Site(name: "Main gate", address: "1 Example Road, London",
                     centre: Location(latitude: 51.5007, longitude: -0.1246, accuracyM: 10, fixTime: nil),
                     geofenceRadiusM: 150, timeZone: zone)],
        startsAt: start, endsAt: start.addingTimeInterval(12 * 3600), role: .residentialSecurityTeam,
        team: [TeamMember(callSign: "ALPHA-1", role: .teamLeader)],
        postOrders: PostOrders(version: 3, text: "Patrol the perimeter hourly.", issuedAt: start.addingTimeInterval(-86400)),
        checkInPolicy: CheckInPolicy(intervalSecs: intervalSecs, graceSecs: graceSecs),
        threatLevel: .substantial, status: status, serverVersion: serverVersion)
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

func incident(
    narrative: String = "Grey van parked opposite the residence for 40 minutes; driver photographing the gate.",
    assignmentId: String? = nil
) -> IncidentContent {
    let occurred = nowMillis().addingTimeInterval(-50 * 60)
    return IncidentContent(
        assignmentId: assignmentId, category: .hostileSurveillance, severity: .medium, occurredAt: occurred,
        discoveredAt: occurred.addingTimeInterval(300), timeZone: zone, location: nil, narrative: narrative,
        persons: [PersonInvolved(role: .subject, description: "Male, 30s, dark jacket, long lens")],
        policeReference: nil, controlRoomReference: "CR-0412", actionsTaken: nil, injuries: nil)
}

/// A patch that changes nothing; set the fields an amendment changes.
func noChange() -> IncidentPatch {
    IncidentPatch(category: nil, severity: nil, occurredAt: nil, discoveredAt: nil, location: nil, narrative: nil,
                  persons: nil, policeReference: nil, controlRoomReference: nil, actionsTaken: nil, injuries: nil)
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
