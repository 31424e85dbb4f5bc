//! Movements of the principal as the office reads them: each leg with its events (the
//! device's times and the server's), where it stands at the server's clock, and the day's
//! movement log of an assignment, which reads as the phone's does.

use cordon_core::{
    day_bounds, local_day, movement_log, MovementLegState, MovementLogEntry, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::movements::{self, HeldLeg};
use crate::state::Server;

/// A leg as the office received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedMovementLeg {
    pub organisation_id: String,
    pub officer_id: String,
    pub device_id: String,
    /// The server's clock when the leg arrived.
    pub received_at: Timestamp,
    /// The leg, its events, and its status at the server's clock (the phone's rule, with
    /// the assignment's grace).
    pub state: MovementLegState,
    /// The server's clock when each event arrived, in the order of `state.events`.
    pub events_received_at: Vec<Timestamp>,
}

/// Every leg of every organisation (of one assignment, or all), by organisation and
/// planned departure.
pub fn movement_legs(
    server: &Server,
    assignment_id: Option<&str>,
) -> Result<Vec<ReceivedMovementLeg>> {
    read(server, None, assignment_id)
}

/// The legs of `organisation_id` (of one assignment, or all), by planned departure.
pub fn movement_legs_of(
    server: &Server,
    organisation_id: &str,
    assignment_id: Option<&str>,
) -> Result<Vec<ReceivedMovementLeg>> {
    read(server, Some(organisation_id), assignment_id)
}

/// The movement log of `organisation_id`'s assignment for the calendar day `day`
/// (`YYYY-MM-DD`) in the zone of the assignment's first site: each leg's planned departure
/// and each event of the day, in time order, the same lines the phone shows. An unknown
/// assignment is `NotFound`; a day that is not such a date is `InvalidInput` naming `day`.
pub fn movement_log_of(
    server: &Server,
    organisation_id: &str,
    assignment_id: &str,
    day: &str,
) -> Result<Vec<MovementLogEntry>> {
    let legs = movement_legs_of(server, organisation_id, Some(assignment_id))?;
    let assignment = server.read(|c| movements::assignment(c, organisation_id, assignment_id))?;
    let zone = assignment
        .sites
        .first()
        .map_or("UTC", |s| s.time_zone.as_str());
    let (from, to) = day_bounds(day, zone)?;
    let states: Vec<MovementLegState> = legs.into_iter().map(|l| l.state).collect();
    Ok(movement_log(&states, from, to, zone))
}

fn read(
    server: &Server,
    organisation_id: Option<&str>,
    assignment_id: Option<&str>,
) -> Result<Vec<ReceivedMovementLeg>> {
    let now = server.now();
    server.read(|c| {
        movements::legs(c, organisation_id, assignment_id)?
            .into_iter()
            .map(|held| {
                let grace =
                    movements::assignment(c, &held.organisation_id, &held.leg.assignment_id)?
                        .check_in_policy
                        .grace();
                Ok(received(held, grace, now))
            })
            .collect()
    })
}

fn received(held: HeldLeg, grace: std::time::Duration, now: Timestamp) -> ReceivedMovementLeg {
    ReceivedMovementLeg {
        state: held.state(grace, now),
        events_received_at: held.events.iter().map(|(_, at)| *at).collect(),
        organisation_id: held.organisation_id,
        officer_id: held.officer_id,
        device_id: held.device_id,
        received_at: held.received_at,
    }
}

/// One assignment's movements for a day, as the control room reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentMovements {
    pub assignment_id: String,
    pub reference: String,
    pub title: String,
    /// The calendar day shown (`YYYY-MM-DD`, in the assignment's first site's zone).
    pub day: String,
    /// The assignment's legs with their status now (every day's: an open leg matters
    /// whatever day it was planned for).
    pub legs: Vec<ReceivedMovementLeg>,
    /// The day's movement log, in time order.
    pub log: Vec<MovementLogEntry>,
}

/// Every assignment of `organisation_id` that has legs, by reference: its legs and the
/// movement log of `day` (`YYYY-MM-DD`), or of today in the assignment's zone by the
/// server's clock when `day` is none. A day that is not such a date is `InvalidInput`
/// naming `day`.
pub fn movements_by_assignment_of(
    server: &Server,
    organisation_id: &str,
    day: Option<&str>,
) -> Result<Vec<AssignmentMovements>> {
    let now = server.now();
    let legs = movement_legs_of(server, organisation_id, None)?;
    let mut ids: Vec<String> = legs
        .iter()
        .map(|l| l.state.leg.assignment_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        let assignment = server.read(|c| movements::assignment(c, organisation_id, &id))?;
        let zone = assignment
            .sites
            .first()
            .map_or("UTC", |s| s.time_zone.as_str());
        let day = match day {
            Some(d) => d.to_owned(),
            None => local_day(now, zone),
        };
        let (from, to) = day_bounds(&day, zone)?;
        let mine: Vec<ReceivedMovementLeg> = legs
            .iter()
            .filter(|l| l.state.leg.assignment_id == id)
            .cloned()
            .collect();
        let states: Vec<MovementLegState> = mine.iter().map(|l| l.state.clone()).collect();
        out.push(AssignmentMovements {
            log: movement_log(&states, from, to, zone),
            assignment_id: assignment.id,
            reference: assignment.reference,
            title: assignment.title,
            day,
            legs: mine,
        });
    }
    out.sort_by(|a, b| a.reference.cmp(&b.reference));
    Ok(out)
}
