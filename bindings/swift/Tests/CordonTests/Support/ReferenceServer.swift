import Foundation
import XCTest

/// The reference server (`cordon serve`) on a loopback port the OS picks, and the office's
/// side of it (`cordon admin`). Stopped by its PID in `stop()`. The binary comes from
/// CORDON_SERVER_BIN (scripts/bindings.sh sets it), by default `cordon` beside libcordon.
final class ReferenceServer {
    let url: String
    let dir: URL
    let db: URL
    private let bin: String
    private let process: Process

    init() throws {
        let env = ProcessInfo.processInfo.environment
        bin = env["CORDON_SERVER_BIN"] ?? ((env["CORDON_LIB_DIR"] ?? "../../target/debug") + "/cordon")
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            throw TestFailure("no reference server at \(bin): build it with `cargo build -p cordon`")
        }
        dir = try temporaryDirectory()
        db = dir.appendingPathComponent("server.db")
        // stdout to a file, read for the address: no pipe for the server to block on.
        let stdout = dir.appendingPathComponent("server.out")
        let log = dir.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["serve", "--db", db.path, "--listen", "127.0.0.1:0"]
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()

        let deadline = Date().addingTimeInterval(30)
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            let text = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on (http://\S+)"#, options: .regularExpression) {
                found = String(text[range].dropFirst("listening on ".count))
            } else {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        guard let found else {
            process.terminate()
            process.waitUntilExit()
            throw TestFailure("\(bin) serve did not say where it listens: "
                              + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
        }
        url = found
    }

    /// Runs `cordon admin --db DB ARGS...` and returns its stdout.
    @discardableResult
    func admin(_ arguments: String...) throws -> String {
        try run(bin, ["admin", "--db", db.path] + arguments)
    }

    /// A one-time enrolment code the office hands an officer.
    func enrolmentCode(organisation: String = organisationId, officer: String = officerId) throws -> String {
        let out = try admin("enrol", "--organisation", organisation, "--officer", officer)
        return out.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    /// Puts `officer` on the assignment in `file` (by default the sample, fixtures/assignment.json).
    func assign(officer: String, file: URL? = nil) throws {
        let file = try file ?? assignmentFile(in: dir)
        try admin("assignment", "--file", file.path, "--organisation", organisationId, "--officer", officer)
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate() // SIGTERM to its PID
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
    }
}

/// A test class against its own reference server and a temporary folder, both made before
/// each test and removed after it.
class ServerTestCase: XCTestCase {
    var server: ReferenceServer!
    var dir: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        dir = try temporaryDirectory()
        server = try ReferenceServer()
    }

    override func tearDownWithError() throws {
        server.stop()
        try FileManager.default.removeItem(at: dir)
        try super.tearDownWithError()
    }
}
