//! Movements of the principal (`movement.plan`, `movement.event`): a leg an officer
//! planned on an assignment they are on, and what happened on it, in the order the leg's
//! rules allow (the core's [`LegProgress::accept`], the same check the phone made).

use cordon_core::protocol::WireOperation;
use cordon_core::{LegProgress, MovementEvent, MovementLeg, Timestamp};

use super::{reject, same_record, Refusal};
use crate::http::Caller;
use crate::records::RecordRow;

/// `movement.plan`: the leg is valid, its id is the operation's record, and its assignment
/// is one the officer is on in the device's organisation.
pub(super) fn plan(
    tx: &crate::store::Conn,
    caller: &Caller,
    op: &WireOperation,
    leg: &MovementLeg,
) -> Result<(), Refusal> {
    leg.validate()?;
    same_record("id", &leg.id, op)?;
    let on_it = tx
        .prepare_cached(
            "SELECT 1 FROM assignment_officer
             WHERE organisation_id = ?1 AND assignment_id = ?2 AND officer_id = ?3",
        )?
        .exists([
            &caller.organisation_id,
            &leg.assignment_id,
            &caller.officer_id,
        ])?;
    if !on_it {
        return reject("unknown assignment");
    }
    tx.prepare_cached(
        "INSERT INTO movement_leg (organisation_id, id, assignment_id, planned_departure, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        caller.organisation_id,
        leg.id,
        leg.assignment_id,
        leg.planned_departure,
        serde_json::to_string(leg).map_err(crate::error::Error::from)?
    ])?;
    Ok(())
}

/// `movement.event`: the event is valid, names the operation's record (the leg), and may
/// come next on the leg as the office holds it (departed before arrived, nothing after the
/// leg closed, a delay pushes the ETA later). Then the control room hears of it: an
/// arrival, delay, abort or handover explains the leg's open overdue alarm.
pub(super) fn event(
    tx: &crate::store::Conn,
    caller: &Caller,
    op: &WireOperation,
    record: Option<&RecordRow>,
    e: &MovementEvent,
    now: Timestamp,
) -> Result<(), Refusal> {
    e.validate()?;
    same_record("leg_id", &e.leg_id, op)?;
    if record.is_some_and(|r| r.family != "movement_leg") {
        return reject("unknown record");
    }
    let Some(held) = crate::movements::held(tx, &caller.organisation_id, &e.leg_id)? else {
        return reject("unknown record");
    };
    let progress: LegProgress = held.progress();
    progress.accept(e)?;
    tx.prepare_cached(
        "INSERT INTO movement_event (organisation_id, id, leg_id, kind, body, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        caller.organisation_id,
        e.id,
        e.leg_id,
        e.kind.as_str(),
        serde_json::to_string(e).map_err(crate::error::Error::from)?,
        now
    ])?;
    Ok(crate::alarms::legs::event_received(
        tx,
        &caller.organisation_id,
        &caller.device_id,
        e,
        now,
    )?)
}
