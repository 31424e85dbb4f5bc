import Cordon
import Foundation
import Observation

/// Everything one officer's app needs, opened once (the iOS `App`): the store, the sync
/// engine over the app's `Transport`, the `SyncController`, and the screens' models. The
/// SwiftUI shell creates one and wires platform events to it. The same shape as the
/// Android app's `CordonSession`.
@MainActor
public final class CordonSession {
    public let store: CordonStore
    public let sync: SyncController
    public let text: TimeText
    public let zone: TimeZone
    public let now: @Sendable () -> Date
    public let assignments: AssignmentsModel
    public let syncStatus: SyncStatusModel
    public let enrolment: EnrolmentModel

    public init(databasePath: String, serverURL: String, transport: Transport,
                now: @escaping @Sendable () -> Date = { Date() }, zone: TimeZone = .current) throws {
        store = try CordonStore.open(databasePath)
        let engine = try CordonSync(store, transport, defaultSyncConfig(serverURL))
        sync = SyncController(sync: engine)
        text = TimeText(zone: zone)
        self.zone = zone
        self.now = now
        assignments = AssignmentsModel(store: store, text: text)
        syncStatus = SyncStatusModel(store: store, controller: sync, text: text)
        enrolment = EnrolmentModel(controller: sync)
    }

    /// The duress control; an alarm it records starts a sync pass at once.
    public func duressControl(assignmentId: @escaping () -> String? = { nil }) -> DuressControl {
        DuressControl(store: store, now: now, zone: zone,
                      onRaised: { [sync] _ in sync.requestSync() }, assignmentId: assignmentId)
    }

    public func checkIns(assignmentId: String) -> CheckInModel {
        CheckInModel(store: store, assignmentId: assignmentId, now: now, text: text, zone: zone)
    }

    public func incident(assignmentId: String? = nil) -> IncidentFormModel {
        IncidentFormModel(store: store, now: now(), text: text, zone: zone, assignmentId: assignmentId)
    }
}

/// The enrolment screen: the one-time code from the office, redeemed by the core.
@MainActor
@Observable
public final class EnrolmentModel {
    public var code = "" {
        didSet { message = nil }
    }
    public private(set) var officerId: String?
    public private(set) var busy = false
    public private(set) var message: String?
    private let controller: SyncController

    public init(controller: SyncController) {
        self.controller = controller
    }

    @discardableResult
    public func enrol() async -> Bool {
        busy = true
        defer { busy = false }
        do {
            let enrolled = try await controller.enrol(code: code)
            officerId = enrolled.officerId
            code = ""
            message = "Enrolled as \(enrolled.officerId)"
            return true
        } catch {
            message = UserMessages.of(error)
            return false
        }
    }
}
