//! The payload of every operation kind, defined once for both ends.
//!
//! A payload travels as the JSON of one of these types; the operation's `kind` (in the
//! envelope, not in the payload) says which. The store encodes a [`Payload`] when it
//! queues a record's operation; the server decodes it with [`Payload::decode`]. Which
//! lane an operation travels in is decided here too ([`Payload::lane`]), so "urgent
//! records first" has one definition.
//!
//! Adding an operation kind: a variant here, its kind in [`super::OperationKind`], and
//! its arm in each `match` below (the compiler lists them).

use serde::{Deserialize, Serialize};

use super::{Lane, OperationKind};
use crate::model::{
    Amendment, Attachment, CheckIn, Handover, HandoverAcknowledgement, IncidentContent,
    MessageReceipt, MovementEvent, MovementLeg, PostOrdersAcknowledgement, Sighting,
};
use crate::time::Timestamp;

/// The payload of `report.create` and `report.update`: a draft, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDraft {
    pub report_id: String,
    pub content: IncidentContent,
    pub updated_at: Timestamp,
}

/// The payload of `report.submit`: everything the office needs to recompute the seal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportSubmission {
    pub report_id: String,
    pub content: IncidentContent,
    pub submitted_at: Timestamp,
    pub content_hash: String,
    pub attachments: Vec<Attachment>,
}

/// The payload of `attachment.upload`: what the sync engine needs to stream the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentUpload {
    pub attachment_id: String,
    pub sha256: String,
    pub size_bytes: u64,
}

/// One operation's payload, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    CheckInRecord(CheckIn),
    ReportCreate(ReportDraft),
    ReportUpdate(ReportDraft),
    ReportSubmit(ReportSubmission),
    ReportAmend(Amendment),
    AttachmentCreate(Attachment),
    AttachmentUpload(AttachmentUpload),
    MessageRead(MessageReceipt),
    PostOrdersAcknowledge(PostOrdersAcknowledgement),
    SightingRecord(Sighting),
    MovementPlan(MovementLeg),
    MovementEvent(MovementEvent),
    HandoverCreate(Handover),
    HandoverAcknowledge(HandoverAcknowledgement),
}

impl Payload {
    pub fn kind(&self) -> OperationKind {
        match self {
            Payload::CheckInRecord(_) => OperationKind::CheckInRecord,
            Payload::ReportCreate(_) => OperationKind::ReportCreate,
            Payload::ReportUpdate(_) => OperationKind::ReportUpdate,
            Payload::ReportSubmit(_) => OperationKind::ReportSubmit,
            Payload::ReportAmend(_) => OperationKind::ReportAmend,
            Payload::AttachmentCreate(_) => OperationKind::AttachmentCreate,
            Payload::AttachmentUpload(_) => OperationKind::AttachmentUpload,
            Payload::MessageRead(_) => OperationKind::MessageRead,
            Payload::PostOrdersAcknowledge(_) => OperationKind::PostOrdersAcknowledge,
            Payload::SightingRecord(_) => OperationKind::SightingRecord,
            Payload::MovementPlan(_) => OperationKind::MovementPlan,
            Payload::MovementEvent(_) => OperationKind::MovementEvent,
            Payload::HandoverCreate(_) => OperationKind::HandoverCreate,
            Payload::HandoverAcknowledge(_) => OperationKind::HandoverAcknowledge,
        }
    }

    /// The record the operation belongs to (its `record_id` on the wire).
    pub fn record_id(&self) -> &str {
        match self {
            Payload::CheckInRecord(c) => &c.id,
            Payload::ReportCreate(d) | Payload::ReportUpdate(d) => &d.report_id,
            Payload::ReportSubmit(s) => &s.report_id,
            Payload::ReportAmend(a) => &a.report_id,
            Payload::AttachmentCreate(a) => &a.id,
            Payload::AttachmentUpload(u) => &u.attachment_id,
            Payload::MessageRead(r) => &r.message_id,
            Payload::PostOrdersAcknowledge(a) => &a.id,
            Payload::SightingRecord(s) => &s.id,
            Payload::MovementPlan(l) => &l.id,
            // Every event of a leg is an operation on the leg: one record, kept in order.
            Payload::MovementEvent(e) => &e.leg_id,
            Payload::HandoverCreate(h) => &h.id,
            Payload::HandoverAcknowledge(a) => &a.handover_id,
        }
    }

    /// The lane: alarms and sightings that matched the BOLO list are urgent, attachment
    /// bytes are bulk, the rest is normal.
    pub fn lane(&self) -> Lane {
        match self {
            Payload::CheckInRecord(c) if c.kind.is_alarm() => Lane::Urgent,
            Payload::SightingRecord(s) if s.bolo_match.is_some() => Lane::Urgent,
            Payload::AttachmentUpload(_) => Lane::Bulk,
            _ => Lane::Normal,
        }
    }

    /// The JSON that travels (and that the outbox stores).
    pub fn encode(&self) -> serde_json::Result<String> {
        match self {
            Payload::CheckInRecord(v) => serde_json::to_string(v),
            Payload::ReportCreate(v) | Payload::ReportUpdate(v) => serde_json::to_string(v),
            Payload::ReportSubmit(v) => serde_json::to_string(v),
            Payload::ReportAmend(v) => serde_json::to_string(v),
            Payload::AttachmentCreate(v) => serde_json::to_string(v),
            Payload::AttachmentUpload(v) => serde_json::to_string(v),
            Payload::MessageRead(v) => serde_json::to_string(v),
            Payload::PostOrdersAcknowledge(v) => serde_json::to_string(v),
            Payload::SightingRecord(v) => serde_json::to_string(v),
            Payload::MovementPlan(v) => serde_json::to_string(v),
            Payload::MovementEvent(v) => serde_json::to_string(v),
            Payload::HandoverCreate(v) => serde_json::to_string(v),
            Payload::HandoverAcknowledge(v) => serde_json::to_string(v),
        }
    }

    /// Reads the payload of an operation of `kind`. The error says what was wrong, in
    /// words fit for a rejection.
    pub fn decode(kind: OperationKind, json: &str) -> Result<Payload, String> {
        fn read<T: serde::de::DeserializeOwned>(
            kind: OperationKind,
            json: &str,
        ) -> Result<T, String> {
            serde_json::from_str(json)
                .map_err(|e| format!("invalid {} payload: {e}", kind.as_str()))
        }
        Ok(match kind {
            OperationKind::CheckInRecord => Payload::CheckInRecord(read(kind, json)?),
            OperationKind::ReportCreate => Payload::ReportCreate(read(kind, json)?),
            OperationKind::ReportUpdate => Payload::ReportUpdate(read(kind, json)?),
            OperationKind::ReportSubmit => Payload::ReportSubmit(read(kind, json)?),
            OperationKind::ReportAmend => Payload::ReportAmend(read(kind, json)?),
            OperationKind::AttachmentCreate => Payload::AttachmentCreate(read(kind, json)?),
            OperationKind::AttachmentUpload => Payload::AttachmentUpload(read(kind, json)?),
            OperationKind::MessageRead => Payload::MessageRead(read(kind, json)?),
            OperationKind::PostOrdersAcknowledge => {
                Payload::PostOrdersAcknowledge(read(kind, json)?)
            }
            OperationKind::SightingRecord => Payload::SightingRecord(read(kind, json)?),
            OperationKind::MovementPlan => Payload::MovementPlan(read(kind, json)?),
            OperationKind::MovementEvent => Payload::MovementEvent(read(kind, json)?),
            OperationKind::HandoverCreate => Payload::HandoverCreate(read(kind, json)?),
            OperationKind::HandoverAcknowledge => Payload::HandoverAcknowledge(read(kind, json)?),
        })
    }
}
