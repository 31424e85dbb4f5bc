import Cordon
import Foundation
import XCTest

/// One store shared by many threads, as an app's UI, background tasks and sync share it.
final class ConcurrencyTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    func testCheckInsWrittenFromEightThreadsAtOnceAreAllKeptWithDistinctSequenceNumbers() throws {
        let store = try openStore(dir)
        _ = try store.upsertAssignment(assignment())
        let threads = 8, each = 25
        let failures = NSLock()
        var errors: [Error] = []

        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<each {
                do {
                    if i % 5 == 0 { _ = try store.outboxStatus() } // readers interleave on purpose
                    _ = try store.recordCheckIn(checkIn(.welfare, note: "thread \(t) write \(i)"))
                } catch {
                    failures.lock()
                    errors.append(error)
                    failures.unlock()
                }
            }
        }

        XCTAssertTrue(errors.isEmpty, "\(errors)")
        let queued = try store.queuedOperations()
        XCTAssertEqual(queued.count, threads * each)
        XCTAssertEqual(Set(queued.map(\.seq)).count, threads * each)
        XCTAssertEqual(try store.checkIns(halcyonId).count, threads * each)
    }

    func testASyncPassRunsOffTheCallersThreadAndASecondOneMeanwhileReportsAlreadyRunning() async throws {
        let store = try openStore(dir)
        _ = try store.recordCheckIn(duress())
        let inPush = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let transport = RecordingTransport { request in
            guard request.kind == .push else { return emptyPull() }
            inPush.signal()
            _ = release.wait(timeout: .now() + 30)
            return HttpResponse(status: 503, headers: [], body: Data())
        }
        let sync = try CordonSync(store, transport, defaultSyncConfig("https://sync.example.test"))
        try sync.setToken("token-1")

        let first = Task { try await sync.syncOnce() }
        XCTAssertEqual(inPush.wait(timeout: .now() + 30), .success, "the first pass never reached the transport")

        // The first pass is parked inside the transport; the store still answers.
        XCTAssertEqual(try store.outboxStatus().inFlight.urgent, 1)
        let second = try await sync.syncOnce()
        XCTAssertEqual(second.outcome, .alreadyRunning)

        release.signal()
        guard case .interrupted = try await first.value.outcome else { return XCTFail("expected interrupted") }
        XCTAssertEqual(try store.outboxStatus().pending.urgent, 1)
    }
}
