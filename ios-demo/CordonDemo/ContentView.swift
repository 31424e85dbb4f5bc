import Cordon
import CordonAppCore
import SwiftUI

/// The assignment the officer is working on, read by the duress control when it fires.
@MainActor
@Observable
final class Selection {
    var assignmentId: String?
}

/// Four tabs with the duress control under every one; enrolment first if needed.
struct ContentView: View {
    let session: CordonSession
    @State private var selection = Selection()
    @State private var tab = 0
    @State private var duress: DuressControl?

    var body: some View {
        if session.sync.status?.enrolled != true {
            EnrolView(model: session.enrolment)
        } else {
            VStack(spacing: 0) {
                TabView(selection: $tab) {
                    AssignmentsView(model: session.assignments, sync: session.sync) { id in
                        selection.assignmentId = id
                        tab = 1
                    }
                    .tabItem { Label("Assignments", systemImage: "list.bullet") }.tag(0)
                    CheckInView(session: session, assignmentId: selection.assignmentId)
                        .tabItem { Label("Check-in", systemImage: "checkmark.circle") }.tag(1)
                    IncidentView(session: session, assignmentId: selection.assignmentId)
                        .tabItem { Label("Incident", systemImage: "exclamationmark.triangle") }.tag(2)
                    SyncView(model: session.syncStatus, sync: session.sync)
                        .tabItem { Label("Sync", systemImage: "arrow.triangle.2.circlepath") }.tag(3)
                }
                if let duress { DuressButton(control: duress) }
            }
            .onAppear {
                if duress == nil { duress = session.duressControl { [selection] in selection.assignmentId } }
            }
        }
    }
}

struct EnrolView: View {
    @Bindable var model: EnrolmentModel

    var body: some View {
        Form {
            Text("Enter the one-time code from your control room")
            TextField("Enrolment code", text: $model.code)
                .textInputAutocapitalization(.characters)
                .autocorrectionDisabled()
            Button("Enrol") { Task { await model.enrol() } }
                .disabled(model.busy || model.code.trimmingCharacters(in: .whitespaces).isEmpty)
            if let message = model.message { Text(message) }
        }
    }
}
