import Cordon
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A Transport that hands each request to `answer` (a real transport, or a script standing
/// in for the server) and records every request in order.
final class RecordingTransport: Transport, @unchecked Sendable {
    private let answer: (HttpRequest) throws -> HttpResponse
    private let lock = NSLock()
    private var recorded: [HttpRequest] = []

    init(_ answer: @escaping (HttpRequest) throws -> HttpResponse) {
        self.answer = answer
    }

    var requests: [HttpRequest] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func forget() {
        lock.lock()
        recorded.removeAll()
        lock.unlock()
    }

    var kinds: [RequestKind] { requests.map(\.kind) }

    func bodies(_ kind: RequestKind) -> [String] {
        requests.filter { $0.kind == kind }.map { String(decoding: $0.body, as: UTF8.self) }
    }

    func send(request: HttpRequest) throws -> HttpResponse {
        lock.lock()
        recorded.append(request)
        lock.unlock()
        return try answer(request)
    }
}

/// A JSON response as the reference server would give it.
func jsonResponse(_ status: Int32, _ body: String) -> HttpResponse {
    HttpResponse(status: status, headers: [HttpHeader(name: "Content-Type", value: "application/json")],
                 body: Data(body.utf8))
}

func serverTime() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date())
}

/// The protocol's error body (docs/PROTOCOL.md).
func errorResponse(_ status: Int32, code: String, message: String) -> HttpResponse {
    jsonResponse(status, #"{"server_time":"\#(serverTime())","error":{"code":"\#(code)","message":"\#(message)","retryable":false}}"#)
}

func emptyPull() -> HttpResponse {
    jsonResponse(200, #"{"server_time":"\#(serverTime())","changes":[],"next_cursor":null,"has_more":false}"#)
}
