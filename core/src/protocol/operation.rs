//! What an outbox operation asks the server to do, and the lane it travels in.

use serde::{Deserialize, Serialize};

/// Largest payload of one operation, in bytes: it must always fit in a push.
pub const MAX_OPERATION_BYTES: usize = 1024 * 1024;

/// The version of the JSON payloads this build writes.
pub const PAYLOAD_VERSION: u32 = 1;

/// Delivery lanes, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// Duress and panic, and sightings that matched the BOLO list.
    Urgent,
    /// Check-ins, reports, amendments, attachment metadata, read receipts, post orders
    /// acknowledgements, sightings, movement legs and their events (ahead of any bulk, so
    /// an arrival or a delay that stops an overdue-leg clock never waits for attachment
    /// bytes), handover notes and their acknowledgements.
    Normal,
    /// Attachment bytes.
    Bulk,
}

impl Lane {
    /// The lane's number as the outbox stores it (0 is the most urgent).
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(rank: i64) -> Option<Self> {
        [Lane::Urgent, Lane::Normal, Lane::Bulk]
            .into_iter()
            .find(|p| p.rank() == rank)
    }
}

/// What an operation asks the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum OperationKind {
    #[serde(rename = "check_in.record")]
    CheckInRecord,
    #[serde(rename = "report.create")]
    ReportCreate,
    #[serde(rename = "report.update")]
    ReportUpdate,
    #[serde(rename = "report.submit")]
    ReportSubmit,
    #[serde(rename = "report.amend")]
    ReportAmend,
    #[serde(rename = "attachment.create")]
    AttachmentCreate,
    /// Upload of the attachment's bytes (streamed in chunks by the sync engine).
    #[serde(rename = "attachment.upload")]
    AttachmentUpload,
    /// The officer read a message from the control room (a read receipt).
    #[serde(rename = "message.read")]
    MessageRead,
    /// The officer acknowledged a version of an assignment's post orders.
    #[serde(rename = "post_orders.acknowledge")]
    PostOrdersAcknowledge,
    /// A sighting of a subject or vehicle (urgent when it matched the BOLO list).
    #[serde(rename = "sighting.record")]
    SightingRecord,
    /// The officer planned a leg of a movement of the principal.
    #[serde(rename = "movement.plan")]
    MovementPlan,
    /// Something happened on a leg (departed, arrived, delayed, ...); its record is the leg.
    #[serde(rename = "movement.event")]
    MovementEvent,
    /// The outgoing officer wrote a handover note for the incoming officer.
    #[serde(rename = "handover.create")]
    HandoverCreate,
    /// The incoming officer acknowledged a handover note addressed to them.
    #[serde(rename = "handover.acknowledge")]
    HandoverAcknowledge,
}

pub(crate) const OPERATION_KINDS: [OperationKind; 14] = [
    OperationKind::CheckInRecord,
    OperationKind::ReportCreate,
    OperationKind::ReportUpdate,
    OperationKind::ReportSubmit,
    OperationKind::ReportAmend,
    OperationKind::AttachmentCreate,
    OperationKind::AttachmentUpload,
    OperationKind::MessageRead,
    OperationKind::PostOrdersAcknowledge,
    OperationKind::SightingRecord,
    OperationKind::MovementPlan,
    OperationKind::MovementEvent,
    OperationKind::HandoverCreate,
    OperationKind::HandoverAcknowledge,
];

impl OperationKind {
    /// The wire name, e.g. `report.submit`.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::CheckInRecord => "check_in.record",
            OperationKind::ReportCreate => "report.create",
            OperationKind::ReportUpdate => "report.update",
            OperationKind::ReportSubmit => "report.submit",
            OperationKind::ReportAmend => "report.amend",
            OperationKind::AttachmentCreate => "attachment.create",
            OperationKind::AttachmentUpload => "attachment.upload",
            OperationKind::MessageRead => "message.read",
            OperationKind::PostOrdersAcknowledge => "post_orders.acknowledge",
            OperationKind::SightingRecord => "sighting.record",
            OperationKind::MovementPlan => "movement.plan",
            OperationKind::MovementEvent => "movement.event",
            OperationKind::HandoverCreate => "handover.create",
            OperationKind::HandoverAcknowledge => "handover.acknowledge",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        OPERATION_KINDS.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether an operation of this kind is always its record's only one (a check-in or a
    /// sighting is written once, never changed): nothing of its record can precede it.
    pub fn is_sole_operation_of_record(self) -> bool {
        matches!(
            self,
            OperationKind::CheckInRecord | OperationKind::SightingRecord
        )
    }
}
