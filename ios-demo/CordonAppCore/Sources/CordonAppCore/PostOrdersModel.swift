import Cordon
import Foundation
import Observation

/// The post orders line of an assignment's screen: asks the officer to acknowledge the
/// version the phone holds, and again when the office issues a new one. The core decides
/// (`postOrdersAcknowledgement`); acknowledging works offline and syncs later. The same
/// words as the Android app's `PostOrdersViewModel`.
@MainActor
@Observable
public final class PostOrdersModel {
    /// The version of the post orders the phone holds (nil before the first read).
    public private(set) var version: Int32?
    /// "Post orders v3: acknowledge" while the version the phone holds is unacknowledged.
    public private(set) var prompt: String?
    /// "Post orders v3 acknowledged Fri 27 Nov 18:00" once it is.
    public private(set) var acknowledged: String?
    public var message: String?

    private let store: CordonStore
    private let assignmentId: String
    private let text: TimeText

    public init(store: CordonStore, assignmentId: String, text: TimeText) {
        self.store = store
        self.assignmentId = assignmentId
        self.text = text
    }

    /// Re-reads where the post orders stand (after a sync pass that received assignments).
    public func refresh() async {
        let (store, id) = (store, assignmentId)
        do {
            show(try await offMain { try store.postOrdersAcknowledgement(id) })
            message = nil
        } catch {
            message = UserMessages.of(error)
        }
    }

    /// The officer acknowledges the version the screen shows. If the office issued a newer
    /// one meanwhile, the core refuses, and the screen says so and shows the newer version.
    public func acknowledge() async {
        guard let version else { return await refresh() }
        let (store, id) = (store, assignmentId)
        do {
            show(try await offMain { try store.acknowledgePostOrders(id, version) })
            message = nil
        } catch {
            let said = UserMessages.of(error)
            await refresh()
            message = said
        }
    }

    private func show(_ status: PostOrdersStatus) {
        version = status.version
        prompt = status.acknowledgedAt == nil ? "Post orders v\(status.version): acknowledge" : nil
        acknowledged = status.acknowledgedAt.map { "Post orders v\(status.version) acknowledged \(text.dayAndClock($0))" }
    }
}
