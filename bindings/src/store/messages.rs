//! Messages from the control room, and the officer's read receipts.

use cordon_core::{CordonError, ReceivedMessage};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// The control room's messages to the officer, newest first, each with when the
    /// officer read it (`readAt` is `null`/`nil` while unread). Show the body as text.
    pub fn messages(&self) -> Result<Vec<ReceivedMessage>, CordonError> {
        self.core().messages()
    }

    /// How many messages are unread.
    pub fn unread_message_count(&self) -> Result<i64, CordonError> {
        self.core().unread_message_count()
    }

    /// The officer read the message: stored at once, and a read receipt is queued for the
    /// office (delivered once by the next sync). Reading it again keeps the first read
    /// time and queues nothing. An unknown id is `CordonException.NotFound` /
    /// `CordonError.NotFound`.
    pub fn mark_message_read(&self, message_id: &str) -> Result<ReceivedMessage, CordonError> {
        self.core().mark_message_read(message_id)
    }
}
