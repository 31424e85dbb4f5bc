import CordonAppCore
import SwiftUI

/// The main screen's notice for a panic alarm the control room has taken ("Control room has
/// your alarm" and the operator's note). The model never puts a duress alarm here.
struct ControlRoomBanner: View {
    let notice: AlarmNotice

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(verbatim: notice.headline).font(.headline)
            if let note = notice.note { Text(verbatim: note) }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding(12)
        .background(.tint.opacity(0.2))
    }
}

/// Messages from the control room (tap one to mark it read; the read receipt goes with the
/// next sync) and "My alarm", the only place a duress alarm's state is shown, on request.
/// Every text is shown verbatim, never as markup.
struct ControlRoomView: View {
    let model: ControlRoomModel
    let text: TimeText

    var body: some View {
        List {
            Section {
                if let opened = model.opened {
                    Text(verbatim: opened.headline).font(.headline)
                    if let note = opened.note { Text(verbatim: note) }
                    Button("Hide") { model.closeAlarm() }
                } else {
                    Button("My alarm") { Task { await model.openLatestAlarm() } }
                }
                if let error = model.error { Text(verbatim: error).foregroundStyle(.red) }
            }
            Section(model.unread == 0 ? "Messages" : "Messages (\(model.unread) unread)") {
                ForEach(model.messages) { m in
                    Button {
                        if !m.read { Task { await model.markRead(messageId: m.id) } }
                    } label: {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(verbatim: "\(m.from) · \(text.dayAndClock(m.sentAt))")
                                .font(.subheadline).fontWeight(m.read ? .regular : .bold)
                            Text(verbatim: m.body)
                            if !m.read { Text("Tap to mark read").font(.caption) }
                        }
                    }
                    .buttonStyle(.plain)
                }
            }
        }
    }
}
