import Cordon
import Foundation
import XCTest

/// `exportAttachment`: how an app shows an attachment once the store may keep it
/// encrypted. The bytes land at a path the app chooses, verified against the SHA-256
/// recorded at capture; damaged bytes are a typed error and leave no file behind.
final class AttachmentExportTests: StoreTestCase {
    func testAnAttachmentExportsToTheAppsPathWithTheBytesAndHashItWasCapturedWith() throws {
        let report = try store.createReport(incident())
        let source = try photo(in: dir, size: 200 * 1024)
        let bytes = try Data(contentsOf: source)
        let attachment = try store.attachFile(report.id, source.path, .photo, "image/jpeg")
        try FileManager.default.removeItem(at: source)

        let shown = dir.appendingPathComponent("shown.jpg")
        try Data("stale".utf8).write(to: shown) // replaced
        try store.exportAttachment(attachment.id, shown.path)

        XCTAssertEqual(try Data(contentsOf: shown), bytes)
        XCTAssertEqual(try sha256sum(shown), attachment.sha256)
    }

    func testDamagedBytesAnUnknownIdAndABadDestinationAreTypedErrorsThatWriteNothing() throws {
        let report = try store.createReport(incident())
        let attachment = try store.attachFile(report.id, try photo(in: dir).path, .photo, "image/jpeg")
        let shown = dir.appendingPathComponent("shown.jpg")

        XCTAssertThrowsError(try store.exportAttachment("../../etc/passwd", shown.path)) { error in
            guard case .NotFound? = error as? CordonError else { return XCTFail("\(error)") }
        }
        let stored = URL(fileURLWithPath: try store.attachmentPath(attachment.id))
        let inside = stored.deletingLastPathComponent().appendingPathComponent("copy.jpg")
        XCTAssertThrowsError(try store.exportAttachment(attachment.id, inside.path)) { error in
            guard case let .InvalidInput(field, rule, _)? = error as? CordonError else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "destinationPath")
            XCTAssertEqual(rule, .badFormat)
        }
        let missing = dir.appendingPathComponent("missing").appendingPathComponent("x.jpg")
        XCTAssertThrowsError(try store.exportAttachment(attachment.id, missing.path)) { error in
            guard case .Io? = error as? CordonError else { return XCTFail("\(error)") }
        }

        try Data("doctored".utf8).write(to: stored)
        XCTAssertThrowsError(try store.exportAttachment(attachment.id, shown.path)) { error in
            guard case let .CorruptAttachment(attachmentId, _)? = error as? CordonError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(attachmentId, attachment.id)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: shown.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: inside.path))
    }
}
