import Cordon
import Foundation
import Observation

/// What the app says about one of the officer's alarms.
public struct AlarmNotice: Equatable, Sendable {
    public let checkInId: String
    public let kind: AlarmKind
    public let state: AlarmState
    /// "Control room has your alarm" once acknowledged.
    public let headline: String
    /// The operator's note ("Police on the way"), shown as text.
    public let note: String?
}

/// One message from the control room, as the list shows it.
public struct MessageRow: Equatable, Identifiable, Sendable {
    public let id: String
    public let from: String
    /// Plain text: put it in a Text, never render it as markup.
    public let body: String
    public let sentAt: Date
    public let read: Bool
}

/// The words, in one place.
public enum ControlRoomText {
    public static let hasYourAlarm = "Control room has your alarm"
    public static let waiting = "Alarm sent: waiting for the control room"
    public static let closed = "Control room closed your alarm"

    public static func notice(_ status: AlarmStatus) -> AlarmNotice {
        let headline: String
        switch status.state {
        case .raised: headline = waiting
        case .acknowledged: headline = hasYourAlarm
        case .resolved: headline = closed
        }
        return AlarmNotice(checkInId: status.checkInId, kind: status.kind, state: status.state,
                           headline: headline, note: status.note)
    }

    /// The main screen's notice: the newest panic alarm the control room has acknowledged
    /// (with the operator's note). A duress alarm is covert: it never appears here.
    public static func mainScreen(_ statuses: [AlarmStatus]) -> AlarmNotice? {
        statuses.first { $0.kind == .panic && $0.state != .raised }.map(notice)
    }
}

/// The control room on the phone: where the officer's alarms stand (the core's
/// alarmStatuses()) and the control room's messages, with mark-as-read (one local write;
/// the core queues the read receipt for the next sync). Call `refresh()` after every pass.
@MainActor
@Observable
public final class ControlRoomModel {
    /// What the main screen shows: only a panic alarm, never a duress one (covert).
    public private(set) var mainScreen: AlarmNotice?
    /// The alarm the officer opened on purpose (duress included).
    public private(set) var opened: AlarmNotice?
    public private(set) var messages: [MessageRow] = []
    public private(set) var unread = 0
    public var error: String?

    private let store: CordonStore

    public init(store: CordonStore) {
        self.store = store
    }

    public func refresh() async {
        let store = store
        do {
            let (statuses, received) = try await offMain {
                (try store.alarmStatuses(), try store.messages())
            }
            mainScreen = ControlRoomText.mainScreen(statuses)
            if let open = opened {
                opened = statuses.first { $0.checkInId == open.checkInId }.map(ControlRoomText.notice) ?? open
            }
            messages = received.map(Self.row)
            unread = received.filter { $0.readAt == nil }.count // the list holds every message
            error = nil
        } catch {
            self.error = UserMessages.of(error)
        }
    }

    /// The officer opened their alarm (the only way a duress alarm's state is shown).
    public func openAlarm(checkInId: String) async {
        let store = store
        await open { try store.alarmStatus(checkInId) }
    }

    /// The officer asked where their alarm stands ("My alarm"): the one the office reported
    /// on last, duress included, or a plain "no alarm" (`opened` nil).
    public func openLatestAlarm() async {
        let store = store
        await open { try store.alarmStatuses().first }
    }

    private func open(_ read: @escaping @Sendable () throws -> AlarmStatus?) async {
        do {
            opened = try await offMain(read).map(ControlRoomText.notice)
        } catch {
            self.error = UserMessages.of(error)
        }
    }

    public func closeAlarm() { opened = nil }

    /// The officer read a message.
    public func markRead(messageId: String) async {
        let store = store
        do {
            _ = try await offMain { try store.markMessageRead(messageId) }
            await refresh()
        } catch {
            self.error = UserMessages.of(error)
        }
    }

    private static func row(_ m: ReceivedMessage) -> MessageRow {
        MessageRow(id: m.message.messageId, from: m.message.sender, body: m.message.body,
                   sentAt: m.message.sentAt, read: m.readAt != nil)
    }
}
