//! Check-ins: the officer's record of where they were and whether they were safe.

use crate::store::Conn;
use cordon_core::protocol::WireOperation;
use cordon_core::{CheckIn, NewCheckIn};

use super::{reject, same_record, Refusal};

use crate::http::Caller;

/// `check_in.record`: a check-in, judged by the core's rules against the device's clock.
pub(super) fn apply(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    c: CheckIn,
) -> Result<(), Refusal> {
    same_record("id", &c.id, op)?;
    // The core's own rules, judged against the device's clock when it recorded it.
    NewCheckIn {
        kind: c.kind,
        assignment_id: c.assignment_id.clone(),
        occurred_at: Some(c.occurred_at),
        time_zone: c.time_zone.clone(),
        location: c.location.clone(),
        tag_id: c.tag_id.clone(),
        note: c.note.clone(),
    }
    .validate(c.recorded_at)?;
    // An alarm is never refused over its assignment: the officer may have named one the
    // phone had not yet downloaded, and the control room must see the alarm regardless.
    if let (Some(assignment_id), false) = (&c.assignment_id, c.kind.is_alarm()) {
        let assigned = tx
            .prepare_cached(
                "SELECT 1 FROM assignment_officer
                 WHERE organisation_id = ?1 AND assignment_id = ?2 AND officer_id = ?3",
            )?
            .exists([&caller.organisation_id, assignment_id, &caller.officer_id])?;
        if !assigned {
            return reject(format!(
                "assignment {assignment_id} is not assigned to this officer"
            ));
        }
    }
    tx.prepare_cached(
        "INSERT INTO check_in (organisation_id, id, kind, occurred_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        caller.organisation_id,
        c.id,
        c.kind.as_str(),
        c.occurred_at,
        // The payload as the device sent it: it parsed as exactly this check-in.
        op.payload.get()
    ])?;
    Ok(())
}
