import Cordon
import Foundation
import Observation

/// Everything one officer's app needs, opened once (the iOS `App`): the store (opened
/// through the `StoreKeyVault`, encrypted under this phone's key), the sync engine over the
/// app's `Transport`, the `SyncController`, and the screens' models. The SwiftUI shell opens
/// one with `open` and wires platform events to it. The same shape as the Android app's
/// `CordonSession`.
///
/// The models live here, not in the views: the check-in and incident models are kept per
/// assignment and the duress control is one for the session, so a tab switch or a view
/// made afresh finds the same form, edits and countdown.
@MainActor
@Observable
public final class CordonSession {
    public let store: CordonStore
    public let sync: SyncController
    public let text: TimeText
    public let zone: TimeZone
    public let now: @Sendable () -> Date
    public let assignments: AssignmentsModel
    public let syncStatus: SyncStatusModel
    public let enrolment: EnrolmentModel
    /// The control room on the phone: alarm states and messages; refresh after each pass.
    public let controlRoom: ControlRoomModel
    /// Set once a pass found the device revoked: the core destroyed the store and the key is
    /// forgotten. The app shows `Revocation.message` instead of its screens.
    public private(set) var revocation: Revocation?
    /// The assignment the officer works on: the check-in and incident tabs show it, and a
    /// duress alarm carries it.
    public var selectedAssignment: String?
    @ObservationIgnored private let keys: StoreKeyVault
    @ObservationIgnored private var duressControl: DuressControl?
    @ObservationIgnored private var checkInModels: [String: CheckInModel] = [:]
    @ObservationIgnored private var postOrdersModels: [String: PostOrdersModel] = [:]
    @ObservationIgnored private var incidentModels: [String?: IncidentFormModel] = [:]

    /// Opens the store through `keys` and the session over it; if the store cannot be
    /// opened, says why (the app shows `StoreUnavailable.message` instead).
    public static func open(keys: StoreKeyVault, serverURL: String, transport: Transport,
                            now: @escaping @Sendable () -> Date = { Date() }, zone: TimeZone = .current) -> SessionOpening {
        switch keys.open() {
        case let .unavailable(why):
            return .unavailable(why)
        case let .opened(store):
            do {
                return .ready(try CordonSession(store: store, keys: keys, serverURL: serverURL, transport: transport,
                                                now: now, zone: zone))
            } catch let error as CordonError {
                return .unavailable(.failed(error))
            } catch {
                return .unavailable(.keyStoreFailed(String(describing: error)))
            }
        }
    }

    private init(store: CordonStore, keys: StoreKeyVault, serverURL: String, transport: Transport,
                 now: @escaping @Sendable () -> Date, zone: TimeZone) throws {
        self.store = store
        self.keys = keys
        let engine = try CordonSync(store, transport, defaultSyncConfig(serverURL))
        weak var revoked: CordonSession?
        sync = SyncController(sync: engine, onRevoked: { unsent, officeTold in
            revoked?.revoked(unsent: unsent, officeTold: officeTold)
        })
        text = TimeText(zone: zone)
        self.zone = zone
        self.now = now
        assignments = AssignmentsModel(store: store, text: text)
        syncStatus = SyncStatusModel(store: store, controller: sync, text: text)
        enrolment = EnrolmentModel(controller: sync)
        controlRoom = ControlRoomModel(store: store)
        revoked = self
    }

    /// A new key for the store (the vault keeps it); throws the core's error.
    public func rotateKey() async throws {
        let keys = keys, store = store
        try await offMain { try keys.rekey(store) }
    }

    private func revoked(unsent: Int64, officeTold: Bool) {
        revocation = Revocation(unsent: unsent, officeTold: officeTold, keyForgotten: keys.forget())
    }

    /// The duress control, one for the session; an alarm it records carries the selected
    /// assignment and starts a sync pass at once.
    public var duress: DuressControl {
        if let duressControl { return duressControl }
        let control = DuressControl(store: store, now: now, zone: zone,
                                    onRaised: { [sync] _ in sync.requestSync() },
                                    assignmentId: { [weak self] in self?.selectedAssignment })
        duressControl = control
        return control
    }

    /// The check-in model of `assignmentId`, the same one each time.
    public func checkIns(assignmentId: String) -> CheckInModel {
        if let kept = checkInModels[assignmentId] { return kept }
        let model = CheckInModel(store: store, assignmentId: assignmentId, now: now, text: text, zone: zone)
        checkInModels[assignmentId] = model
        return model
    }

    /// The post orders line of `assignmentId`, the same one each time.
    public func postOrders(assignmentId: String) -> PostOrdersModel {
        if let kept = postOrdersModels[assignmentId] { return kept }
        let model = PostOrdersModel(store: store, assignmentId: assignmentId, text: text)
        postOrdersModels[assignmentId] = model
        return model
    }

    /// The incident form of `assignmentId` (nil: none), the same one each time: unsaved edits stay.
    public func incident(assignmentId: String? = nil) -> IncidentFormModel {
        incidentModels[assignmentId] ?? newIncident(assignmentId: assignmentId)
    }

    /// A blank incident form for `assignmentId`, kept from now on (the officer's "New report").
    @discardableResult
    public func newIncident(assignmentId: String? = nil) -> IncidentFormModel {
        let model = IncidentFormModel(store: store, now: now(), text: text, zone: zone, assignmentId: assignmentId)
        incidentModels[assignmentId] = model
        return model
    }
}

/// How `CordonSession.open` went.
public enum SessionOpening {
    case ready(CordonSession)
    /// The store could not be opened; `message` says so to the officer. Nothing was deleted.
    case unavailable(StoreUnavailable)
}

/// The office revoked this device: the core destroyed the store, and the app forgot its key.
public struct Revocation: Equatable, Sendable {
    /// Operations the phone still held unsent (gone with the store; the office has their names).
    public let unsent: Int64
    /// Whether the office heard, before the wipe, what was not sent.
    public let officeTold: Bool
    /// False if the Keychain failed to forget the key; the next start forgets it.
    public let keyForgotten: Bool

    public var message: String {
        "The office revoked this phone and its Cordon data was wiped"
            + (unsent > 0 ? " (\(unsent) not sent)" : "") + ". Contact the control room."
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
