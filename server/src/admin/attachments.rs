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

/// Every attachment declared, of every organisation, oldest first, with upload progress.
pub fn attachments(server: &Server) -> Result<Vec<ReceivedAttachment>> {
    attachments_in(server, None)
}

/// The attachments `organisation_id` declared, oldest first, with upload progress.
pub fn attachments_of(server: &Server, organisation_id: &str) -> Result<Vec<ReceivedAttachment>> {
    attachments_in(server, Some(organisation_id))
}

type AttachmentRow = (String, String, String, i64, bool);

fn attachments_in(
    server: &Server,
    organisation_id: Option<&str>,
) -> Result<Vec<ReceivedAttachment>> {
    server.read(|c| {
        let rows: Vec<AttachmentRow> = c
            .prepare(
                "SELECT attachment.organisation_id, attachment.id, attachment.body,
                        blob.received_bytes, blob.completed_at IS NOT NULL
                 FROM attachment
                 JOIN blob ON blob.id = attachment.blob_id
                 JOIN record ON record.organisation_id = attachment.organisation_id
                             AND record.id = attachment.id
                 WHERE CAST(?1 AS TEXT) IS NULL OR attachment.organisation_id = ?1
                 ORDER BY record.received_at, attachment.organisation_id, attachment.id",
            )?
            .query_map([organisation_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(organisation, id, body, received, complete)| {
                Ok(ReceivedAttachment {
                    attachment: serde_json::from_str(&body)?,
                    provenance: provenance(c, &organisation, &id)?,
                    received_bytes: received.max(0) as u64,
                    complete,
                })
            })
            .collect()
    })
}
