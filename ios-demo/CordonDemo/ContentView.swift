import Cordon
import CordonAppCore
import SwiftUI

/// Five tabs with the duress control under every one; enrolment first if needed. The
/// selected assignment, every screen's model and the duress control live in the session,
/// so a view made afresh finds the same forms and the same countdown.
struct ContentView: View {
    let session: CordonSession
    @State private var tab = 0

    var body: some View {
        if let revocation = session.revocation {
            // The office revoked the phone: the store is destroyed and the key forgotten.
            NoticeView(message: revocation.message)
        } else if session.sync.status?.enrolled != true {
            EnrolView(model: session.enrolment)
        } else {
            VStack(spacing: 0) {
                // A panic alarm the control room has taken; never a duress alarm (covert).
                if let notice = session.controlRoom.mainScreen { ControlRoomBanner(notice: notice) }
                TabView(selection: $tab) {
                    AssignmentsView(model: session.assignments, sync: session.sync) { id in
                        session.selectedAssignment = id
                        tab = 1
                    }
                    .tabItem { Label("Assignments", systemImage: "list.bullet") }.tag(0)
                    CheckInView(session: session, assignmentId: session.selectedAssignment)
                        .tabItem { Label("Check-in", systemImage: "checkmark.circle") }.tag(1)
                    IncidentView(session: session, assignmentId: session.selectedAssignment)
                        .tabItem { Label("Incident", systemImage: "exclamationmark.triangle") }.tag(2)
                    ControlRoomView(model: session.controlRoom, text: session.text)
                        .tabItem { Label("Control room", systemImage: "envelope") }.tag(3)
                    SyncView(model: session.syncStatus, sync: session.sync)
                        .tabItem { Label("Sync", systemImage: "arrow.triangle.2.circlepath") }.tag(4)
                }
                .task(id: session.sync.status) { await session.controlRoom.refresh() } // a pass may have brought news
                DuressButton(control: session.duress)
            }
        }
    }
}

/// A whole-screen sentence instead of the app: the store cannot be opened, or the phone was revoked.
struct NoticeView: View {
    let message: String

    var body: some View {
        Text(message).font(.headline).multilineTextAlignment(.center).padding(24)
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
