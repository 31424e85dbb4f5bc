import Cordon
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Cordon's Transport over URLSession, as an iOS app plugs in its own stack (so proxies,
/// pinning and background sessions keep working). It carries requests as they are; the
/// core speaks the protocol. Called on the sync worker thread, so it may block.
final class URLSessionTransport: Transport, @unchecked Sendable {
    private let session: URLSession

    init(session: URLSession = URLSession(configuration: .ephemeral)) {
        self.session = session
    }

    func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TransportError.Network(message: "not a URL: \(request.url)")
        }
        var urlRequest = URLRequest(url: url, timeoutInterval: 60)
        switch request.method {
        case .get: urlRequest.httpMethod = "GET"
        case .post: urlRequest.httpMethod = "POST"
        case .put: urlRequest.httpMethod = "PUT"
        }
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty {
            urlRequest.httpBody = request.body
        }
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        session.dataTask(with: urlRequest) { data, response, error in
            outcome.data = data
            outcome.response = response as? HTTPURLResponse
            outcome.error = error
            done.signal()
        }.resume()
        done.wait()
        guard let response = outcome.response else {
            // No response at all: the core treats it as transient and retries.
            throw TransportError.Network(message: outcome.error.map { "\($0)" } ?? "no response")
        }
        let headers = response.allHeaderFields.compactMap { name, value -> HttpHeader? in
            guard let name = name as? String else { return nil }
            return HttpHeader(name: name, value: "\(value)")
        }
        return HttpResponse(status: UInt16(clamping: response.statusCode), headers: headers, body: outcome.data ?? Data())
    }

    private final class Outcome: @unchecked Sendable {
        var data: Data?
        var response: HTTPURLResponse?
        var error: Error?
    }
}

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
func jsonResponse(_ status: UInt16, _ body: String) -> HttpResponse {
    HttpResponse(status: status, headers: [HttpHeader(name: "Content-Type", value: "application/json")],
                 body: Data(body.utf8))
}

func serverTime() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date())
}

/// The protocol's error body (docs/PROTOCOL.md).
func errorResponse(_ status: UInt16, code: String, message: String) -> HttpResponse {
    jsonResponse(status, #"{"server_time":"\#(serverTime())","error":{"code":"\#(code)","message":"\#(message)","retryable":false}}"#)
}

func emptyPull() -> HttpResponse {
    jsonResponse(200, #"{"server_time":"\#(serverTime())","changes":[],"next_cursor":null,"has_more":false}"#)
}
