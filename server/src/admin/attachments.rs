//! Attachments as declared, with how much of their bytes arrived.

use cordon_core::Attachment;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::state::Server;

use super::{provenance, Provenance};

/// An attachment's metadata and how much of its bytes arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedAttachment {
    #[serde(flatten)]
    pub attachment: Attachment,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub received_bytes: u64,
    /// All bytes arrived and hash to `sha256`.
    pub complete: bool,
}

/// Every attachment declared, oldest first, with upload progress.
pub fn attachments(server: &Server) -> Result<Vec<ReceivedAttachment>> {
    server.read(|c| {
        let rows: Vec<(String, String, i64, bool)> = c
            .prepare(
                "SELECT attachment.id, attachment.body, blob.received_bytes,
                        blob.completed_at IS NOT NULL
                 FROM attachment
                 JOIN blob ON blob.id = attachment.blob_id
                 JOIN record ON record.id = attachment.id
                 ORDER BY record.received_at, attachment.id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, body, received, complete)| {
                Ok(ReceivedAttachment {
                    attachment: serde_json::from_str(&body)?,
                    provenance: provenance(c, &id)?,
                    received_bytes: received.max(0) as u64,
                    complete,
                })
            })
            .collect()
    })
}
