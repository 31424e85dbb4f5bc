//! Movements of the principal on the device: a leg planned, and the events on it, each
//! one local write and its operation (`movement.plan`, `movement.event`, normal lane) in
//! one transaction. Every operation of a leg names the leg as its record, so the outbox
//! sends them in the order they were written. Reads fold the events into where the leg
//! stands at the store's clock ([`MovementLegState`]): the overdue clock works offline.

use rusqlite::{Connection, OptionalExtension};

use super::assignments::{assignment_in, require_known_assignment};
use super::outbox::enqueue;
use super::{from_json, new_id, Durability, Store};
use crate::error::{CordonError, Result};
use crate::model::validate::{required_text, MAX_SHORT_TEXT};
use crate::model::{
    day_bounds, movement_log, LegProgress, LegStatus, MovementEvent, MovementLeg, MovementLegState,
    MovementLogEntry, NewMovementEvent, NewMovementLeg,
};
use crate::protocol::Payload;
use crate::time::Timestamp;

fn leg_in(c: &Connection, leg_id: &str) -> Result<MovementLeg> {
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM movement_leg WHERE id = ?1")?
        .query_row([leg_id], |r| r.get(0))
        .optional()?;
    from_json(&body.ok_or_else(|| CordonError::not_found("movement leg", leg_id))?)
}

fn events_in(c: &Connection, leg_id: &str) -> Result<Vec<MovementEvent>> {
    let bodies = c
        .prepare_cached("SELECT body FROM movement_event WHERE leg_id = ?1 ORDER BY seq")?
        .query_map([leg_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies.iter().map(|b| from_json(b)).collect()
}

/// The leg with its events at `now`, with its assignment's grace.
fn state_in(c: &Connection, leg: MovementLeg, now: Timestamp) -> Result<MovementLegState> {
    let grace = assignment_in(c, &leg.assignment_id)?
        .check_in_policy
        .grace();
    let events = events_in(c, &leg.id)?;
    Ok(MovementLegState::at(leg, events, grace, now))
}

/// Every leg (of one assignment, or all), by planned departure, at `now`.
fn legs_in(
    c: &Connection,
    assignment_id: Option<&str>,
    now: Timestamp,
) -> Result<Vec<MovementLegState>> {
    let bodies = c
        .prepare_cached(
            "SELECT body FROM movement_leg WHERE ?1 IS NULL OR assignment_id = ?1
             ORDER BY planned_departure, id",
        )?
        .query_map([assignment_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies
        .iter()
        .map(|b| state_in(c, from_json(b)?, now))
        .collect()
}

impl Store {
    /// Plans a leg of a movement on an assignment on the device: the leg is recorded and
    /// queued for the office (`movement.plan`, normal lane) in one transaction. Refused
    /// with `InvalidInput` naming the field (an ETA not after the departure, a blank
    /// origin, an assignment not on the device) and nothing written.
    pub fn plan_movement_leg(&self, new: NewMovementLeg) -> Result<MovementLeg> {
        let now = self.now();
        let leg = new.into_leg(new_id(), now);
        leg.validate()?;
        self.write(Durability::Normal, |tx| {
            require_known_assignment(tx, Some(&leg.assignment_id))?;
            tx.prepare_cached(
                "INSERT INTO movement_leg (id, assignment_id, planned_departure, body)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(rusqlite::params![
                leg.id,
                leg.assignment_id,
                leg.planned_departure,
                serde_json::to_string(&leg)?
            ])?;
            enqueue(tx, &Payload::MovementPlan(leg.clone()), None, now)?;
            Ok(())
        })?;
        Ok(leg)
    }

    /// Records what happened on a leg (departed, arrived, delayed with a new ETA, route
    /// changed, aborted, handed over) and queues it for the office (`movement.event`,
    /// normal lane, after the leg's earlier operations) in one transaction; returns the
    /// leg as it stands now. Refused with `InvalidInput` and nothing written: a detail
    /// the kind needs or does not take (`newEta`, `route`, `handedTo`), an event out of
    /// order (rule `OutOfOrder`: arrived before departed, anything after the leg closed,
    /// a new ETA not later than the current one). An unknown leg is `NotFound`.
    pub fn record_movement_event(&self, new: NewMovementEvent) -> Result<MovementLegState> {
        required_text("leg_id", &new.leg_id, MAX_SHORT_TEXT)?;
        let now = self.now();
        let event = new.into_event(new_id(), now);
        event.validate()?;
        self.write(Durability::Normal, |tx| {
            let leg = leg_in(tx, &event.leg_id)?;
            let events = events_in(tx, &leg.id)?;
            LegProgress::of(&leg, &events).accept(&event)?;
            tx.prepare_cached("INSERT INTO movement_event (id, leg_id, body) VALUES (?1, ?2, ?3)")?
                .execute(rusqlite::params![
                    event.id,
                    event.leg_id,
                    serde_json::to_string(&event)?
                ])?;
            enqueue(tx, &Payload::MovementEvent(event.clone()), None, now)?;
            state_in(tx, leg, now)
        })
    }

    /// One leg with its events, at the store's clock. `NotFound` if it is not on the
    /// device.
    pub fn movement_leg(&self, leg_id: &str) -> Result<MovementLegState> {
        let now = self.now();
        self.read(|c| state_in(c, leg_in(c, leg_id)?, now))
    }

    /// The legs of an assignment, by planned departure, each with its events and its
    /// status at the store's clock.
    pub fn movement_legs(&self, assignment_id: &str) -> Result<Vec<MovementLegState>> {
        let now = self.now();
        self.read(|c| legs_in(c, Some(assignment_id), now))
    }

    /// The open legs whose current ETA plus their assignment's grace has passed at the
    /// store's clock: what the app tells the officer, offline, is overdue.
    pub fn overdue_legs(&self) -> Result<Vec<MovementLegState>> {
        let now = self.now();
        let legs = self.read(|c| legs_in(c, None, now))?;
        Ok(legs
            .into_iter()
            .filter(|l| l.status == LegStatus::Overdue)
            .collect())
    }

    /// The assignment's movement log for the calendar day `day` (`YYYY-MM-DD`) in the zone
    /// of its first site: each leg's planned departure and each event of that day, in
    /// time order. `InvalidInput` naming `day` for anything but such a date; `NotFound`
    /// for an assignment not on the device.
    pub fn movement_timeline(
        &self,
        assignment_id: &str,
        day: &str,
    ) -> Result<Vec<MovementLogEntry>> {
        let now = self.now();
        self.read(|c| {
            let assignment = assignment_in(c, assignment_id)?;
            let zone = assignment
                .sites
                .first()
                .map_or("UTC", |s| s.time_zone.as_str());
            let (from, to) = day_bounds(day, zone)?;
            Ok(movement_log(
                &legs_in(c, Some(assignment_id), now)?,
                from,
                to,
                zone,
            ))
        })
    }
}
