import Cordon
import Foundation
import XCTest

/// The binding against the real reference server (`cordon serve`) on loopback, through a
/// Transport written in Swift over URLSession (FoundationNetworking on Linux), and through
/// the built-in one.
final class ReferenceServerSyncTests: ServerTestCase {
    /// A fresh device (its own store) enrolled as `officer` through `transport` (nil: the
    /// built-in HTTP transport).
    private func enrolledDevice(
        officer: String = "OFC-\(UUID().uuidString.prefix(8))", transport: Transport? = URLSessionTransport(),
        config: SyncConfig? = nil
    ) async throws -> (CordonStore, CordonSync) {
        let store = try openStore(dir, "device-\(UUID().uuidString).db")
        let config = config ?? defaultSyncConfig(server.url)
        let sync = try transport.map { try CordonSync(store, $0, config) }
            ?? CordonSync.withBuiltInHttp(store, config)
        let enrolled = try await sync.enrol(server.enrolmentCode(officer: officer))
        XCTAssertEqual(enrolled.officerId, officer)
        return (store, sync)
    }

    /// The office puts `officer` on the sample assignment (`cordon admin assignment --file`).
    private func assignShift(_ officer: String) throws { try server.assign(officer: officer) }

    func testAnEnrolledOfficersShiftReachesTheOfficeAndTheAssignmentAndReviewComeBack() async throws {
        let (store, sync) = try await enrolledDevice(officer: "OFC-SHIFT")
        try assignShift("OFC-SHIFT")

        let first = try await sync.syncOnce()
        XCTAssertEqual(first.outcome, .completed)
        XCTAssertEqual(first.assignmentsReceived, 1)
        XCTAssertEqual(try store.assignment(halcyonId).title, "Residence night cover")

        _ = try store.recordCheckIn(checkIn(.clockOn, assignmentId: halcyonId))
        let alarm = try store.recordCheckIn(duress(note: "Behind the garage"))
        let report = try store.createReport(incident(assignmentId: halcyonId))
        let photo = try store.attachFile(report.id, photo(in: dir).path, .photo, "image/jpeg")
        _ = try store.submitReport(report.id)

        let second = try await sync.syncOnce()

        XCTAssertEqual(second.outcome, .completed)
        XCTAssertEqual(second.applied, 5) // clock-on, duress, report create + submit, attachment
        XCTAssertEqual(second.attachmentsCompleted, 1)
        XCTAssertEqual(second.bytesUploaded, photo.sizeBytes)
        let status = try sync.status()
        XCTAssertEqual(status.outbox.pending, LaneCounts(urgent: 0, normal: 0, bulk: 0))
        XCTAssertNotNil(status.lastSuccessAt)
        let office = try server.admin("list", "check-ins", "--json")
        XCTAssertEqual(office.components(separatedBy: alarm.id).count - 1, 1, "the office holds the alarm exactly once")

        try server.admin("review", "--report", report.id, "--outcome", "returned", "--reviewer", "CR-DUTY", "--note", "Add the plate")
        let third = try await sync.syncOnce()
        XCTAssertEqual(third.reviewsReceived, 1)
        XCTAssertEqual(try store.reportReviews(report.id).map(\.outcome), [.returned])
    }

    func testDuressRecordedAfterAnAttachmentWasQueuedReachesTheServerBeforeTheAttachmentsBytes() async throws {
        let urlSession = URLSessionTransport()
        let recording = RecordingTransport { try urlSession.send(request: $0) }
        let (store, sync) = try await enrolledDevice(transport: recording)
        let report = try store.createReport(incident())
        _ = try store.attachFile(report.id, photo(in: dir).path, .photo, "image/jpeg")
        _ = try store.submitReport(report.id)
        _ = try store.recordCheckIn(duress())
        recording.forget() // the enrolment

        let pass = try await sync.syncOnce()
        XCTAssertEqual(pass.outcome, .completed)

        let kinds = recording.kinds
        XCTAssertEqual(kinds.first, .push)
        let firstPush = try XCTUnwrap(recording.bodies(.push).first)
        XCTAssertTrue(firstPush.contains(#""kind":"duress""#), firstPush)
        XCTAssertEqual(firstPush.components(separatedBy: #""seq":"#).count - 1, 1, "the alarm travels alone")
        let firstChunk = try XCTUnwrap(kinds.firstIndex(of: .attachmentChunk))
        XCTAssertLessThan(try XCTUnwrap(kinds.firstIndex(of: .push)), firstChunk)
    }

    func testAnAlarmRaisedDuringAnUploadGoesOutBeforeTheNextChunk() async throws {
        final class Device: @unchecked Sendable { var store: CordonStore?; var raised = false }
        let device = Device()
        let urlSession = URLSessionTransport()
        let recording = RecordingTransport { request in
            let response = try urlSession.send(request: request)
            if request.kind == .attachmentChunk, !device.raised, let store = device.store {
                device.raised = true // on the sync worker thread, between two chunks
                _ = try store.recordCheckIn(checkIn(.panic, assignmentId: nil, note: "Vehicle ramming the gate"))
            }
            return response
        }
        var config = defaultSyncConfig(server.url)
        config.chunkBytes = 16 * 1024
        let (store, sync) = try await enrolledDevice(transport: recording, config: config)
        device.store = store
        let report = try store.createReport(incident())
        _ = try store.attachFile(report.id, photo(in: dir, size: 64 * 1024).path, .photo,
                                 "image/jpeg")

        let pass = try await sync.syncOnce()

        XCTAssertEqual(pass.attachmentsCompleted, 1)
        let kinds = recording.kinds
        let firstChunk = try XCTUnwrap(kinds.firstIndex(of: .attachmentChunk))
        XCTAssertEqual(kinds[firstChunk + 1], .push, "\(kinds)")
        XCTAssertTrue(String(decoding: recording.requests[firstChunk + 1].body, as: UTF8.self).contains(#""kind":"panic""#))
        XCTAssertEqual(kinds[firstChunk + 2], .attachmentChunk, "\(kinds)")
        XCTAssertEqual(kinds.filter { $0 == .attachmentChunk }.count, 4)
    }

    func testACheckInOnAnAssignmentTheOfficeNeverGaveThisOfficerBecomesADeadLetterWithTheServersReason() async throws {
        let (store, sync) = try await enrolledDevice()
        _ = try store.upsertAssignment(assignment(id: "A-NOT-MINE"))
        _ = try store.recordCheckIn(checkIn(.clockOn, assignmentId: "A-NOT-MINE"))

        let report = try await sync.syncOnce()

        XCTAssertEqual(report.rejected, 1)
        let dead = try XCTUnwrap(try store.deadLetters().first)
        XCTAssertTrue(dead.lastError?.contains("A-NOT-MINE") == true, "\(String(describing: dead.lastError))")
    }

    func testTheBuiltInHttpTransportSyncsWithTheSameServer() async throws {
        let (store, sync) = try await enrolledDevice(transport: nil)
        _ = try store.recordCheckIn(duress())

        let reports = try await sync.syncUntilDrained(5)

        XCTAssertEqual(reports.last?.outcome, .completed)
        XCTAssertEqual(reports.map(\.applied).reduce(0, +), 1)
    }
}
