//! The overdue-leg alarm: a leg of a movement of the principal still open when its ETA
//! (the latest delay's, else the planned one) plus its assignment's grace has passed, by
//! the server's clock. The same rule as the phone's ([`LegStatus::compute`]) and the same
//! machinery as the overdue officer: the dead-man timer ([`super::deadman::check`]) finds
//! them, [`super::raise`] raises one per leg (idempotent: `alarm_by_movement_leg`), with
//! the officer's last known position from `last_position`; operators acknowledge and
//! resolve it like any alarm.
//!
//! An arrival, a delay, an abort or a handover received after the alarm was raised does
//! not resolve it: it is appended as an `explained` event carrying what happened (the
//! event's kind, the device's time, a delay's new ETA), so the operator sees it on the
//! alarm and resolves it with an outcome, as with a late welfare check-in. A delay that
//! arrives before the deadline moves the deadline, so no alarm is raised at all.

use crate::store::{Conn, OptionalExtension};
use cordon_core::{AlarmKind, LegStatus, Location, MovementEvent, MovementEventKind, Timestamp};

use super::life::{Life, Step};
use super::{append, raise, EventKind, NewAlarm, NewEvent, SYSTEM_ACTOR};
use crate::error::Result;

/// A leg found overdue, not yet alarmed.
pub(super) struct OverdueLeg {
    organisation_id: String,
    officer_id: String,
    device_id: String,
    assignment_id: String,
    leg_id: String,
    overdue_at: Timestamp,
}

/// The open legs overdue at `now` with no alarm yet.
pub(super) fn overdue(c: &Conn, now: Timestamp) -> Result<Vec<OverdueLeg>> {
    let mut found = Vec::new();
    for held in crate::movements::open_legs(c)? {
        let grace =
            crate::movements::assignment(c, &held.organisation_id, &held.leg.assignment_id)?
                .check_in_policy
                .grace();
        let progress = held.progress();
        if LegStatus::compute(&progress, grace, now) != LegStatus::Overdue {
            continue;
        }
        let known = c
            .prepare_cached(
                "SELECT 1 FROM alarm WHERE organisation_id = ?1 AND movement_leg_id = ?2",
            )?
            .exists([&held.organisation_id, &held.leg.id])?;
        if !known {
            found.push(OverdueLeg {
                overdue_at: progress.overdue_at(grace),
                organisation_id: held.organisation_id,
                officer_id: held.officer_id,
                device_id: held.device_id,
                assignment_id: held.leg.assignment_id,
                leg_id: held.leg.id,
            });
        }
    }
    Ok(found)
}

/// Raises the overdue-leg alarm of `o` (none if one exists): returns its id if new.
pub(super) fn raise_overdue(tx: &Conn, o: &OverdueLeg, now: Timestamp) -> Result<Option<String>> {
    let location = last_position(tx, &o.organisation_id, &o.officer_id)?;
    raise(
        tx,
        &NewAlarm {
            organisation_id: &o.organisation_id,
            kind: AlarmKind::OverdueLeg,
            officer_id: &o.officer_id,
            device_id: Some(&o.device_id),
            assignment_id: Some(&o.assignment_id),
            check_in_id: None,
            movement_leg_id: Some(&o.leg_id),
            occurred_at: o.overdue_at,
            location: location.as_ref(),
            note: None,
        },
        SYSTEM_ACTOR,
        now,
    )
}

/// The officer's last known position (the latest check-in that carried one).
fn last_position(c: &Conn, organisation_id: &str, officer_id: &str) -> Result<Option<Location>> {
    Ok(c.prepare_cached(
        "SELECT latitude, longitude, accuracy_m, fix_time FROM last_position
         WHERE organisation_id = ?1 AND officer_id = ?2",
    )?
    .query_row([organisation_id, officer_id], |r| {
        Ok(Location {
            latitude: r.get(0)?,
            longitude: r.get(1)?,
            accuracy_m: r.get(2)?,
            fix_time: r.get(3)?,
        })
    })
    .optional()?)
}

/// What an event received on a leg means for the control room: an arrival, delay, abort
/// or handover is appended to the leg's unresolved overdue alarm as `explained`, with
/// what happened in the note. Called by apply, in the push's transaction.
pub(crate) fn event_received(
    tx: &Conn,
    organisation_id: &str,
    device_id: &str,
    e: &MovementEvent,
    now: Timestamp,
) -> Result<()> {
    let note = match e.kind {
        MovementEventKind::Departed | MovementEventKind::RouteChanged => return Ok(()),
        MovementEventKind::Delayed => format!(
            "delayed at {}, new ETA {}",
            e.occurred_at.to_rfc3339(),
            e.new_eta.map(Timestamp::to_rfc3339).unwrap_or_default()
        ),
        MovementEventKind::HandedOver => format!(
            "handed over to {} at {}",
            e.handed_to.as_deref().unwrap_or(""),
            e.occurred_at.to_rfc3339()
        ),
        k => format!("{} at {}", k.as_str(), e.occurred_at.to_rfc3339()),
    };
    let alarm: Option<String> = tx
        .prepare_cached("SELECT id FROM alarm WHERE organisation_id = ?1 AND movement_leg_id = ?2")?
        .query_row([organisation_id, &e.leg_id], |r| r.get(0))
        .optional()?;
    let Some(alarm_id) = alarm else {
        return Ok(());
    };
    let life = Life::of(super::events(tx, &alarm_id)?.iter().map(|e| e.kind));
    if life.step(Step::Explain).is_err() {
        // Resolved already: the operator closed it; the leg's log still has the event.
        return Ok(());
    }
    let actor = format!("device:{device_id}");
    let event = NewEvent {
        note: Some(&note),
        ..NewEvent::plain(EventKind::Explained, &actor)
    };
    append(tx, &alarm_id, organisation_id, &event, now)
}
