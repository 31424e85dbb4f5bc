import CordonAppCore
import SwiftUI

/// What waits to be sent, dead letters with the server's reason, retry and discard.
struct SyncView: View {
    let model: SyncStatusModel
    let sync: SyncController

    var body: some View {
        List {
            Section {
                Text(model.summary).font(.title2)
                Text(model.connection)
                if let last = model.lastDelivered { Text(last) }
                if let error = model.lastError { Text("Last problem: \(error)").foregroundStyle(.red) }
                Button(model.syncing ? "Syncing…" : "Sync now") { Task { await model.syncNow() } }
                    .disabled(model.syncing)
                if let message = model.message { Text(message).foregroundStyle(.red) }
            }
            if !model.deadLetters.isEmpty {
                Section("Refused by the office") {
                    ForEach(model.deadLetters) { dead in
                        VStack(alignment: .leading, spacing: 4) {
                            Text("\(dead.what) · \(dead.queuedAt)").font(.headline)
                            Text(dead.reason)
                            HStack {
                                Button("Retry") { Task { await model.retry(seq: dead.seq) } }
                                Button("Discard", role: .destructive) { Task { await model.discard(seq: dead.seq) } }
                            }
                            .buttonStyle(.bordered)
                        }
                    }
                }
            }
        }
        .task(id: sync.status) { await model.refresh() } // the core's listener moved the status on
    }
}
