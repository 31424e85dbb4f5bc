//! Handover notes (`handover.create`) and their acknowledgement by the incoming officer
//! (`handover.acknowledge`).
//!
//! A note is written once by one device and never changed, so it keeps its own owner
//! (officer and device) in its row rather than an ownership row in `record`; an
//! acknowledgement comes from another officer's device, about a note that is not its own.
//! Both are therefore applied outside `record` (see `apply::about_office_record`) and are
//! idempotent here: a note sent again by its device is applied and changes nothing; the
//! first acknowledgement is kept.

use crate::store::Conn;
use cordon_core::protocol::WireOperation;
use cordon_core::{Handover, HandoverAcknowledgement, Timestamp};

use super::{reject, same_record, Refusal};
use crate::admin::handover_in;
use crate::feed;
use crate::http::Caller;

fn on_assignment(
    tx: &Conn,
    caller: &Caller,
    assignment_id: &str,
    officer_id: &str,
) -> Result<bool, Refusal> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM assignment_officer
             WHERE organisation_id = ?1 AND assignment_id = ?2 AND officer_id = ?3",
        )?
        .exists([&caller.organisation_id, assignment_id, officer_id])?)
}

/// `handover.create`: from the device's own officer, on an assignment that officer is on,
/// to another officer on it. The note goes down the incoming officer's feed.
pub(super) fn create(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    h: &Handover,
    now: Timestamp,
) -> Result<(), Refusal> {
    h.validate()?;
    same_record("id", &h.id, op)?;
    if h.from_officer_id != caller.officer_id {
        return reject("from_officer_id is not this device's officer");
    }
    if h.acknowledged_at.is_some() {
        return reject("a new handover note is not acknowledged yet");
    }
    let assignment = &h.note.assignment_id;
    if !on_assignment(tx, caller, assignment, &caller.officer_id)? {
        return reject("unknown assignment");
    }
    if !on_assignment(tx, caller, assignment, &h.note.to_officer_id)? {
        return reject(format!(
            "officer {} is not on assignment {assignment}",
            h.note.to_officer_id
        ));
    }
    if let Some(held) = handover_in(tx, &caller.organisation_id, &h.id)? {
        return if held.device_id == caller.device_id && held.handover.note == h.note {
            Ok(())
        } else {
            reject("record already exists")
        };
    }
    let n = &h.note;
    tx.prepare_cached(
        "INSERT INTO handover (organisation_id, id, assignment_id, from_officer_id, device_id,
             to_officer_id, principal_state, open_issues, equipment_and_keys, watch_for,
             written_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(rusqlite::params![
        caller.organisation_id,
        h.id,
        n.assignment_id,
        h.from_officer_id,
        caller.device_id,
        n.to_officer_id,
        n.principal_state,
        n.open_issues,
        n.equipment_and_keys,
        n.watch_for,
        h.written_at,
        now
    ])?;
    feed::append_handover(tx, &caller.organisation_id, &n.to_officer_id, h)?;
    tracing::info!(handover_id = %h.id, "handover note received");
    Ok(())
}

/// `handover.acknowledge`: a note of the organisation addressed to the device's officer.
/// The first acknowledgement is kept and the acknowledged note goes down the outgoing
/// officer's feed; a repeat is applied and changes nothing.
pub(super) fn acknowledge(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    ack: &HandoverAcknowledgement,
    now: Timestamp,
) -> Result<(), Refusal> {
    ack.validate()?;
    same_record("handover_id", &ack.handover_id, op)?;
    let Some(held) = handover_in(tx, &caller.organisation_id, &ack.handover_id)? else {
        return reject("unknown handover");
    };
    if held.handover.note.to_officer_id != caller.officer_id {
        return reject("the handover is not addressed to this device's officer");
    }
    let added = tx
        .prepare_cached(
            "INSERT INTO handover_ack (organisation_id, handover_id, device_id,
                                                 acknowledged_at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )?
        .execute(rusqlite::params![
            caller.organisation_id,
            ack.handover_id,
            caller.device_id,
            ack.acknowledged_at,
            now
        ])?;
    if added == 1 {
        let acknowledged = Handover {
            acknowledged_at: Some(ack.acknowledged_at),
            ..held.handover
        };
        feed::append_handover(
            tx,
            &caller.organisation_id,
            &acknowledged.from_officer_id,
            &acknowledged,
        )?;
        tracing::info!(handover_id = %ack.handover_id, "handover acknowledged");
    }
    Ok(())
}
