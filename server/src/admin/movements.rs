//! Movements of the principal as the office reads them: each leg with its events (the
//! device's times and the server's), where it stands at the server's clock, and the day's
//! movement log of an assignment, which reads as the phone's does.

use cordon_core::{day_bounds, movement_log, MovementLegState, MovementLogEntry, Timestamp};
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
