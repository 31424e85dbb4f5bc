//! Attachments: files copied into the store and hashed, uploaded in the bulk lane.

use cordon_core::{Attachment, AttachmentKind, CordonError};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Copies the file at `source_path` into the store (hashing it on the way) and
    /// attaches it to a draft report; its bytes are queued for upload in the bulk lane.
    /// The app may delete its own copy once this returns.
    pub fn attach_file(
        &self,
        report_id: &str,
        source_path: String,
        kind: AttachmentKind,
        mime_type: &str,
    ) -> Result<Attachment, CordonError> {
        self.store
            .attach_file(report_id, source_path.as_ref(), kind, mime_type)
    }

    /// Where the store keeps an attachment's bytes (to show or play it). An id that is
    /// not an attachment of this store is `NotFound`; the path is always inside the store.
    pub fn attachment_path(&self, attachment_id: &str) -> Result<String, CordonError> {
        let path = self.store.attachment_file(attachment_id)?;
        Ok(path.to_string_lossy().into_owned())
    }
}
