//! What an applied operation does to the office's records, one file per record family:
//! [`check_ins`], [`reports`], [`attachments`], [`messages`] (read receipts) and
//! [`post_orders`] (acknowledgements) and [`sightings`]. Each takes the core's own payload type
//! [`post_orders`] (acknowledgements), [`handovers`] (notes and their acknowledgement). Each takes the core's own payload type
//! (decoded once, by [`Payload::decode`]), checks it with the core's validation plus what
//! only the office can check, and writes its rows. `crate::push` around it owns what is
//! common to every family: receipts, the envelope, ownership and per-record order.
//!
//! A new family adds its file here, an arm in [`payload`] (the compiler asks for it: the
//! match is exhaustive over the core's `Payload`), and its kind in [`creates`] if it
//! creates records.

mod attachments;
mod check_ins;
mod handovers;
mod messages;
mod movements;
mod post_orders;
mod reports;
mod sightings;

use crate::store::Conn;
use cordon_core::model::validate::required_text;
use cordon_core::protocol::{Payload, WireOperation};
use cordon_core::{CordonError, OperationKind, Timestamp};

use crate::error::Error;
use crate::http::Caller;
use crate::records::RecordRow;

/// Why an operation was not applied: a verdict for the device, or a failure of the
/// server that aborts the whole push.
pub(crate) enum Refusal {
    Rejected(String),
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Failed(e)
    }
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        // A constraint is about the data sent (an id already taken), not the server's
        // health: the operation is refused and the rest of the push goes on.
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Refusal::Rejected("conflicts with a record the server already holds".into())
            }
            _ => Refusal::Failed(e.into()),
        }
    }
}

impl From<CordonError> for Refusal {
    fn from(e: CordonError) -> Self {
        Refusal::Rejected(e.in_wire_spelling().to_string())
    }
}

pub(crate) fn reject<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::Rejected(reason.into()))
}

/// The record family an operation kind creates, if it is a creation.
pub(crate) fn creates(kind: OperationKind) -> Option<&'static str> {
    match kind {
        OperationKind::CheckInRecord => Some("check_in"),
        OperationKind::ReportCreate => Some("report"),
        OperationKind::AttachmentCreate => Some("attachment"),
        OperationKind::MovementPlan => Some("movement_leg"),
        _ => None,
    }
}

/// Applies one operation's payload, once the envelope, ownership and order were checked;
/// `record` is the record's row as it was before this operation (none for a creation).
pub(crate) fn payload(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    record: Option<&RecordRow>,
    now: Timestamp,
) -> Result<(), Refusal> {
    // The core's own payload types: one definition for both ends.
    match Payload::decode(op.kind, op.payload.get()).map_err(Refusal::Rejected)? {
        Payload::CheckInRecord(c) => {
            check_ins::apply(tx, caller, op, c.clone())?;
            // The control room's side: an alarm raised, a welfare clock moved.
            Ok(crate::alarms::check_in_received(
                tx,
                &caller.organisation_id,
                &caller.officer_id,
                &caller.device_id,
                &c,
                now,
            )?)
        }
        Payload::ReportCreate(p) => reports::create(tx, caller, op, p),
        Payload::ReportUpdate(p) => reports::update(tx, caller, op, record, p),
        Payload::ReportSubmit(p) => {
            let assignment = p.content.assignment_id.clone();
            reports::submit(tx, caller, op, record, p)?;
            // Routed to its reviewer in the same transaction as the submission.
            let org = &caller.organisation_id;
            crate::admin::route_report(tx, org, &op.record_id, assignment.as_deref(), now)?;
            Ok(())
        }
        Payload::ReportAmend(a) => reports::amend(tx, caller, op, record, a, now),
        Payload::AttachmentCreate(a) => attachments::create(tx, caller, op, a),
        Payload::AttachmentUpload(_) => {
            reject("attachment bytes are uploaded with PUT /v1/attachments/{sha256}, not pushed")
        }
        Payload::MessageRead(r) => messages::read(tx, caller, op, &r, now),
        Payload::PostOrdersAcknowledge(a) => post_orders::acknowledge(tx, caller, op, &a, now),
        Payload::SightingRecord(s) => sightings::record(tx, caller, op, &s, now),
        Payload::MovementPlan(l) => movements::plan(tx, caller, op, &l),
        Payload::MovementEvent(e) => movements::event(tx, caller, op, record, &e, now),
        Payload::HandoverCreate(h) => handovers::create(tx, caller, op, &h, now),
        Payload::HandoverAcknowledge(a) => handovers::acknowledge(tx, caller, op, &a, now),
    }
}

/// Whether an operation of `kind` is applied outside the `record` table: about a record
/// the office wrote (a message the device received, an assignment's post orders) or
/// another officer's (a handover note acknowledged), or a record written once that keeps
/// its owner in its own row (a handover note). It has no ownership row or per-record
/// order at the office, and its effect is idempotent (see [`messages`], [`post_orders`],
/// [`handovers`]).
pub(crate) fn about_office_record(kind: OperationKind) -> bool {
    matches!(
        kind,
        OperationKind::MessageRead
            | OperationKind::PostOrdersAcknowledge
            | OperationKind::HandoverCreate
            | OperationKind::HandoverAcknowledge
    )
}

/// Whether an operation of `kind` creates a record that keeps its own ownership row (the
/// device that sent it) instead of a row of `record`: a record with one operation, never
/// changed, so push checks no per-record order for it (see [`sightings`]).
pub(crate) fn keeps_own_ownership(kind: OperationKind) -> bool {
    kind == OperationKind::SightingRecord
}

pub(super) fn same_record(field: &str, value: &str, op: &WireOperation) -> Result<(), Refusal> {
    if value == op.record_id {
        Ok(())
    } else {
        reject(format!("{field} {value} is not the operation's record_id"))
    }
}

pub(super) fn text(field: &str, value: &str, max: usize) -> Result<(), Refusal> {
    required_text(field, value, max).map_err(|e| Refusal::Rejected(e.to_string()))
}
