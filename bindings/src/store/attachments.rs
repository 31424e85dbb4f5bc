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
    /// A store opened with a key keeps its files encrypted, so there this is
    /// `AttachmentSealed`: use `exportAttachment` instead.
    pub fn attachment_path(&self, attachment_id: &str) -> Result<String, CordonError> {
        let path = self.store.attachment_file(attachment_id)?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// Writes an attachment's (or a sighting photo's) readable bytes to
    /// `destination_path`, a file the app chooses (its cache directory, say) outside the
    /// store, decrypting them if the store is encrypted, and checks them against the
    /// SHA-256 recorded at capture: the file appears whole and verified or not at all
    /// (`CorruptAttachment` if the stored bytes were damaged). An existing file there is
    /// replaced; the app deletes it once shown. `NotFound` for an id that is not one of
    /// this store's attachments.
    pub fn export_attachment(
        &self,
        attachment_id: &str,
        destination_path: String,
    ) -> Result<(), CordonError> {
        self.store
            .export_attachment(attachment_id, destination_path.as_ref())
    }
}
