import CordonAppCore
import SwiftUI

/// The welfare countdown and the check-in buttons of the chosen assignment.
struct CheckInView: View {
    let session: CordonSession
    let assignmentId: String?

    var body: some View {
        if let assignmentId {
            CheckInPanel(model: session.checkIns(assignmentId: assignmentId),
                         orders: session.postOrders(assignmentId: assignmentId), sync: session.sync)
                .id(assignmentId)
        } else {
            Text("Choose an assignment first.")
        }
    }
}

private struct CheckInPanel: View {
    @State var model: CheckInModel
    let orders: PostOrdersModel
    let sync: SyncController
    @State private var tag = ""

    var body: some View {
        Form {
            if let welfare = model.welfare {
                Section {
                    Text(welfare.headline).font(.largeTitle)
                    if let countdown = welfare.countdown { Text(countdown).monospacedDigit() }
                    if let warning = welfare.overdueWarning {
                        Text(warning).bold().foregroundStyle(.white).padding(8).background(.red)
                    }
                }
            }
            if let last = model.lastCheckIn { Text(last) }
            if let prompt = orders.prompt {
                Button(prompt) { Task { await orders.acknowledge() } }
            }
            if let acknowledged = orders.acknowledged { Text(verbatim: acknowledged) }
            if let message = orders.message { Text(verbatim: message).foregroundStyle(.red) }
            if model.onDuty {
                Button("Welfare check-in") { Task { await model.welfareCheckIn() } }
                TextField("Checkpoint tag (NFC/QR)", text: $tag)
                Button("Checkpoint") { Task { await model.checkpoint(tagId: tag) } }
                Button("Clock off") { Task { await model.clockOff() } }
            } else {
                Button("Clock on") { Task { await model.clockOn() } }
            }
            if let message = model.message { Text(message).foregroundStyle(.red) }
        }
        .task { await model.tick() } // every second while shown; cancelled when it goes
        .task(id: sync.status) { await orders.refresh() } // a pass may have brought a new version
    }
}
