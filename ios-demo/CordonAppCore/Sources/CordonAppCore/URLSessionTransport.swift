import Cordon
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
/// `send` is called on the core's sync worker thread, never the main thread, so it waits
/// for the data task to finish.
public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let session: URLSession
    private let timeout: TimeInterval

    /// `session`: the app's own, or an ephemeral one (no cookies or cache: the core's
    /// requests carry a bearer token and must never be served from a cache).
    public init(session: URLSession = URLSession(configuration: .ephemeral), timeout: TimeInterval = 60) {
        self.session = session
        self.timeout = timeout
    }

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TransportError.Network(message: "not a URL: \(request.url)")
        }
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
        finished.wait()

        let (data, response, error) = result.get()
        guard let response else {
            throw TransportError.Network(message: error.map { "\($0.localizedDescription)" } ?? "no response")
        }
        let headers = response.allHeaderFields.compactMap { name, value -> HttpHeader? in
            (name as? String).map { HttpHeader(name: $0, value: "\(value)") }
        }
        return HttpResponse(status: UInt16(clamping: response.statusCode), headers: headers, body: data ?? Data())
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
