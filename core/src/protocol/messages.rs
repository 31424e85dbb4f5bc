//! The messages of the sync protocol (`docs/PROTOCOL.md`), version 1: each request and
//! response body, and the error body every refusal carries.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::OperationKind;
use crate::model::{
    AlarmStatus, Assignment, BoloEntry, ControlRoomMessage, Handover, ReportReview, Rota,
};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub code: String,
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EnrolResponse {
    pub server_time: Timestamp,
    pub token: String,
    pub device_id: String,
    pub officer_id: String,
    pub organisation_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    pub server_time: Timestamp,
    pub status: String,
}

/// One outbox operation as sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireOperation {
    pub id: String,
    pub seq: i64,
    pub kind: OperationKind,
    /// The record the operation belongs to. Devices before the vocabulary was settled
    /// sent it as `entity_id`, which is still read.
    #[serde(alias = "entity_id")]
    pub record_id: String,
    pub depends_on: Option<String>,
    pub payload_version: u32,
    pub created_at: Timestamp,
    pub payload: Box<RawValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub device_id: String,
    pub operations: Vec<WireOperation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    Applied,
    Duplicate,
    Rejected,
}

/// The server's answer for one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationResult {
    pub id: String,
    pub seq: i64,
    pub status: ResultStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub server_time: Timestamp,
    pub results: Vec<OperationResult>,
}

/// One entry of the pull feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Assignment {
        cursor: String,
        assignment: Assignment,
    },
    ReportReview {
        cursor: String,
        review: ReportReview,
    },
    /// Where an alarm the officer raised stands at the office (raised, acknowledged,
    /// resolved); a newer entry for the same alarm supersedes the older.
    AlarmStatus { cursor: String, alarm: AlarmStatus },
    /// A message from the control room to the officer.
    Message {
        cursor: String,
        message: ControlRoomMessage,
    },
    /// An entry of the organisation's BOLO list (new, changed or withdrawn); a newer
    /// version of the same entry supersedes the older.
    Bolo { cursor: String, entry: BoloEntry },
    /// An assignment's whole duty rota (who is on duty, on call, called in), sent to every
    /// officer on the assignment; a newer one supersedes the older.
    Rota { cursor: String, rota: Rota },
    /// A handover note: to the incoming officer when the office has it, and to the
    /// outgoing officer again once it is acknowledged (`acknowledged_at` set).
    Handover { cursor: String, handover: Handover },
    /// A kind of change this build does not know (from a newer server): skipped.
    #[serde(other)]
    Unknown,
}

impl Change {
    /// The entry's position in the feed (none for a kind this build does not know).
    pub fn cursor(&self) -> Option<&str> {
        match self {
            Change::Assignment { cursor, .. }
            | Change::ReportReview { cursor, .. }
            | Change::AlarmStatus { cursor, .. }
            | Change::Message { cursor, .. }
            | Change::Bolo { cursor, .. }
            | Change::Rota { cursor, .. }
            | Change::Handover { cursor, .. } => Some(cursor),
            Change::Unknown => None,
        }
    }

    /// The kind's name on the wire and the record it carries, as JSON: what the office
    /// stores for a feed entry.
    pub fn stored(&self) -> Result<Option<(&'static str, String)>, serde_json::Error> {
        Ok(match self {
            Change::Assignment { assignment, .. } => {
                Some(("assignment", serde_json::to_string(assignment)?))
            }
            Change::ReportReview { review, .. } => {
                Some(("report_review", serde_json::to_string(review)?))
            }
            Change::AlarmStatus { alarm, .. } => {
                Some(("alarm_status", serde_json::to_string(alarm)?))
            }
            Change::Message { message, .. } => Some(("message", serde_json::to_string(message)?)),
            Change::Bolo { entry, .. } => Some(("bolo", serde_json::to_string(entry)?)),
            Change::Rota { rota, .. } => Some(("rota", serde_json::to_string(rota)?)),
            Change::Handover { handover, .. } => {
                Some(("handover", serde_json::to_string(handover)?))
            }
            Change::Unknown => None,
        })
    }

    /// The entry the office stored as `kind` and `body` (see [`Change::stored`]), at
    /// `cursor`. A kind this build does not know is [`Change::Unknown`].
    pub fn from_stored(
        kind: &str,
        cursor: String,
        body: &str,
    ) -> Result<Change, serde_json::Error> {
        Ok(match kind {
            "assignment" => Change::Assignment {
                cursor,
                assignment: serde_json::from_str(body)?,
            },
            "report_review" => Change::ReportReview {
                cursor,
                review: serde_json::from_str(body)?,
            },
            "alarm_status" => Change::AlarmStatus {
                cursor,
                alarm: serde_json::from_str(body)?,
            },
            "message" => Change::Message {
                cursor,
                message: serde_json::from_str(body)?,
            },
            "bolo" => Change::Bolo {
                cursor,
                entry: serde_json::from_str(body)?,
            },
            "rota" => Change::Rota {
                cursor,
                rota: serde_json::from_str(body)?,
            },
            "handover" => Change::Handover {
                cursor,
                handover: serde_json::from_str(body)?,
            },
            _ => Change::Unknown,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub server_time: Timestamp,
    pub changes: Vec<Change>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
    /// The cursor asked with was not one the feed issued (the office restored its
    /// database from a backup, or the cursor is from an older server): this page starts
    /// the feed over, and what it carries is the office's truth even where the device
    /// holds a higher version.
    #[serde(default)]
    pub restarted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentStatus {
    pub server_time: Timestamp,
    pub sha256: String,
    pub size_bytes: u64,
    pub received_bytes: u64,
    pub complete: bool,
}

/// At most this many unsent operations are named in a [`RevocationReport`] (the total is
/// always given).
pub const MAX_UNSENT_LISTED: usize = 1000;

/// `POST /v1/revoked`: a revoked device tells the office what it had not sent, then
/// destroys its data. Names and times only, never a record's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationReport {
    pub device_id: String,
    /// Every operation still queued (pending, in flight or dead).
    pub unsent_total: i64,
    /// The first [`MAX_UNSENT_LISTED`] of them, oldest first.
    pub unsent: Vec<UnsentOperation>,
}

/// One operation a revoked device had not delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UnsentOperation {
    pub kind: String,
    pub record_id: String,
    /// When the officer's action queued it (the device's clock).
    pub created_at: Timestamp,
}

/// The body of every non-2xx response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub server_time: Timestamp,
    pub error: ErrorDetail,
    /// Set on `409 offset_mismatch`: where the upload should resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}
