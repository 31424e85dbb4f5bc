// Hand-written part of the Cordon module (scripts/bindings.sh copies it beside the
// generated Swift): the transport apps plug in, `CordonSync(store, URLSessionTransport(), config)`.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking // URLSession on Linux
#endif

/// Cordon's `Transport` over URLSession, so the app's proxies, certificate pinning (a
/// session delegate) and ATS settings apply to sync. The core speaks the protocol; this
/// only carries bytes:
/// - every status code is a response, 4xx and 5xx included (the core classifies them);
/// - no response at all (offline, refused, timed out) is `TransportError.Network`, which
///   the core retries with backoff.
///
/// Timeouts: each request carries the core's deadline (`request.timeoutMs`: the engine's
/// `requestTimeoutMs`, or what is left of the pass), used as the request's timeout
/// interval, and the data task is cancelled if it has not finished by then (URLSession's
/// interval only bounds the wait between two packets).
///
/// `send` is called on the core's sync worker thread, never the main thread, so it waits
/// for the data task to finish.
public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let session: URLSession
    private let ownsSession: Bool

    /// `session`: the app's own, or (nil) an ephemeral one of the transport's (no cookies
    /// or cache: the core's requests carry a bearer token and must never be served from a
    /// cache), closed with its connections when the transport goes.
    public init(session: URLSession? = nil) {
        self.session = session ?? URLSession(configuration: .ephemeral)
        ownsSession = session == nil
    }

    deinit {
        if ownsSession { session.finishTasksAndInvalidate() }
    }

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TransportError.Network(detail: "not a URL: \(request.url)")
        }
        let timeout = TimeInterval(max(request.timeoutMs, 1)) / 1000
        var urlRequest = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        urlRequest.httpMethod = switch request.method {
        case .get: "GET"
        case .post: "POST"
        case .put: "PUT"
        }
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty {
            urlRequest.httpBody = request.body
        }

        let finished = DispatchSemaphore(value: 0)
        let result = Box()
        let task = session.dataTask(with: urlRequest) { data, response, error in
            result.set(data, response as? HTTPURLResponse, error)
            finished.signal()
        }
        task.resume()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            finished.wait()
        }

        let (data, response, error) = result.get()
        guard let response else {
            throw TransportError.Network(detail: error.map { "\($0.localizedDescription)" } ?? "no response")
        }
        let headers = response.allHeaderFields.compactMap { name, value -> HttpHeader? in
            (name as? String).map { HttpHeader(name: $0, value: "\(value)") }
        }
        return HttpResponse(status: Int32(clamping: response.statusCode), headers: headers, body: data ?? Data())
    }

    /// The data task's completion, handed from URLSession's queue to the waiting thread.
    private final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Data?, HTTPURLResponse?, Error?) = (nil, nil, nil)
        func set(_ data: Data?, _ response: HTTPURLResponse?, _ error: Error?) {
            lock.lock()
            value = (data, response, error)
            lock.unlock()
        }
        func get() -> (Data?, HTTPURLResponse?, Error?) {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
    }
}
