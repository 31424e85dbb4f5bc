import CordonAppCore
import SwiftUI

/// The office's assignments; tap one for its details and post orders.
struct AssignmentsView: View {
    let model: AssignmentsModel
    let sync: SyncController
    let onCheckIn: (String) -> Void

    var body: some View {
        NavigationStack {
            List {
                if let message = model.message { Text(message).foregroundStyle(.red) }
                if model.assignments.isEmpty {
                    Text("No assignments yet: they arrive from the office when the phone syncs.")
                }
                ForEach(model.assignments) { row in
                    NavigationLink(value: row.id) {
                        VStack(alignment: .leading) {
                            Text(row.title).font(.headline)
                            Text(row.subtitle)
                            Text(row.window).font(.caption)
                            Text(row.threat).font(.caption)
                        }
                    }
                }
            }
            .navigationTitle("Assignments")
            .navigationDestination(for: String.self) { id in
                AssignmentDetailsView(model: model, id: id, onCheckIn: onCheckIn)
            }
            .task(id: sync.lastReport) { await model.refresh() } // they arrive by sync
        }
    }
}

private struct AssignmentDetailsView: View {
    let model: AssignmentsModel
    let id: String
    let onCheckIn: (String) -> Void

    var body: some View {
        List {
            if let d = model.selected, d.row.id == id {
                Section {
                    Text(d.row.subtitle)
                    Text(d.row.window)
                    Text(d.row.threat)
                    if let principal = d.principal { Text(principal) }
                    Text(d.role)
                    Text(d.checkInPolicy)
                }
                Section("Sites") { ForEach(d.sites, id: \.self) { Text($0) } }
                Section("Team") { ForEach(d.team, id: \.self) { Text($0) } }
                Section(d.postOrdersHeading) { Text(d.postOrders) }
                Button("Check in on this assignment") { onCheckIn(id) }
            }
        }
        .navigationTitle(model.selected?.row.title ?? "")
        .task(id: id) { await model.select(id: id) }
    }
}
