import Cordon
import CordonAppCore
import PhotosUI
import UniformTypeIdentifiers
import SwiftUI

/// Draft, attach a photo, submit, then amend: the form of one incident report.
/// The form is the session's, kept per assignment: coming back to the tab finds the same
/// form with its unsaved edits, and the next save updates the same report.
struct IncidentView: View {
    let session: CordonSession
    let assignmentId: String?

    var body: some View {
        IncidentFormView(session: session, model: session.incident(assignmentId: assignmentId)).id(assignmentId)
    }
}

/// Main-actor isolated as a whole (not only `body`): `fieldError` and `attach` read the model.
@MainActor
private struct IncidentFormView: View {
    let session: CordonSession
    @State var model: IncidentFormModel
    @State private var photo: PhotosPickerItem?

    var body: some View {
        @Bindable var model = model
        Form {
            Section(model.amendable ? "Submitted: changes are amendments" : (model.reportId == nil ? "New report" : "Draft")) {
                Picker("Category", selection: $model.form.category) {
                    ForEach(IncidentCategory.allCases, id: \.self) { Text(label($0)).tag($0) }
                }
                Picker("Severity", selection: $model.form.severity) {
                    ForEach(Severity.allCases, id: \.self) { Text(label($0)).tag($0) }
                }
                DatePicker("Occurred", selection: $model.form.occurredAt)
                fieldError("occurredAt")
                DatePicker("Discovered", selection: $model.form.discoveredAt)
                fieldError("discoveredAt")
                TextField("Narrative", text: $model.form.narrative, axis: .vertical).lineLimit(4...)
                fieldError("narrative")
                TextField("Police reference", text: $model.form.policeReference)
                fieldError("policeReference")
                TextField("Control room reference", text: $model.form.controlRoomReference)
                fieldError("controlRoomReference")
                TextField("Actions taken", text: $model.form.actionsTaken, axis: .vertical)
                fieldError("actionsTaken")
                TextField("Injuries", text: $model.form.injuries)
                fieldError("injuries")
                fieldError("persons")
            }

            Section("Attachments") {
                ForEach(model.attachments, id: \.self) { Text($0) }
                if model.editable {
                    PhotosPicker("Attach photo", selection: $photo, matching: .images)
                }
                fieldError("mimeType")
            }

            if model.editable {
                Section {
                    Button("Save draft") { Task { await model.saveDraft() } }
                    Button("Submit") { Task { await model.submit() } }
                }
            } else {
                Section("Amend") {
                    TextField("Reason for the amendment", text: $model.amendmentReason)
                    fieldError("reason")
                    fieldError("patch")
                    Button("Amend") { Task { await model.amend() } }
                    ForEach(model.amendments, id: \.self) { Text($0).font(.caption) }
                }
                Section {
                    Button("New report") { model = session.newIncident(assignmentId: model.form.assignmentId) }
                }
            }
            if let integrity = model.integrity { Text(integrity).font(.caption) }
            ForEach(model.reviews, id: \.self) { Text("Office: \($0)") }
            if let message = model.message { Text(message).foregroundStyle(.red) }
        }
        .onChange(of: photo) { _, item in
            guard let item else { return }
            Task { await attach(item) }
        }
    }

    @ViewBuilder
    private func fieldError(_ field: String) -> some View {
        if let message = model.fieldErrors[field] { Text(message).font(.caption).foregroundStyle(.red) }
    }

    /// Writes the picked image to a temporary file, hands it to the core (which copies
    /// and hashes it into its own storage), and deletes the temporary copy.
    private func attach(_ item: PhotosPickerItem) async {
        defer { photo = nil }
        guard let data = try? await item.loadTransferable(type: Data.self) else {
            model.message = "The photo could not be read."
            return
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("photo-\(UUID().uuidString).jpg")
        do {
            try data.write(to: file)
        } catch {
            model.message = UserMessages.of(error)
            return
        }
        let mime = item.supportedContentTypes.first?.preferredMIMEType ?? "image/jpeg"
        await model.attach(path: file.path, kind: .photo, mimeType: mime)
        try? FileManager.default.removeItem(at: file)
    }
}
