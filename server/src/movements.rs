//! The office's copy of movement legs and their events, read by the apply step, the
//! dead-man timer, the admin reads and the console: one place that turns the rows back
//! into the core's types and folds them with the core's own rules ([`LegProgress`],
//! [`MovementLegState`]), so the office judges a leg exactly as the phone does.

use std::time::Duration;

use crate::store::{Conn, OptionalExtension};
use cordon_core::{
    Assignment, LegProgress, MovementEvent, MovementEventKind, MovementLeg, MovementLegState,
    Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A leg as the office holds it: the leg, its events in the order received, who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeldLeg {
    pub organisation_id: String,
    pub officer_id: String,
    pub device_id: String,
    pub received_at: Timestamp,
    pub leg: MovementLeg,
    /// Each event with the server's clock when it arrived.
    pub events: Vec<(MovementEvent, Timestamp)>,
}

impl HeldLeg {
    pub fn progress(&self) -> LegProgress {
        LegProgress::of(&self.leg, self.events.iter().map(|(e, _)| e))
    }

    /// Where the leg stands at `now`, with its assignment's grace.
    pub fn state(&self, grace: Duration, now: Timestamp) -> MovementLegState {
        MovementLegState::at(
            self.leg.clone(),
            self.events.iter().map(|(e, _)| e.clone()).collect(),
            grace,
            now,
        )
    }
}

/// What an overdue-leg alarm shows of its leg, as it stands now (a late arrival or a
/// delay received after the alarm shows here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmLeg {
    pub leg_id: String,
    pub origin: String,
    pub destination: String,
    pub officer_in_charge: String,
    /// The ETA now: the latest delay's, else the planned one.
    pub eta: Timestamp,
    /// The latest event received (its kind and the device's time).
    pub last_event: Option<MovementEventKind>,
    pub last_event_at: Option<Timestamp>,
    /// The event that closed the leg, if one did (arrived, aborted, handed over).
    pub closed_by: Option<MovementEventKind>,
}

pub(crate) fn body<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| Error::Storage(format!("a movement row: {e}")))
}

/// The leg `leg_id` of `organisation_id`, with its events; none if the office has none.
pub(crate) fn held(c: &Conn, organisation_id: &str, leg_id: &str) -> Result<Option<HeldLeg>> {
    let row: Option<(String, String, Timestamp, String)> = c
        .prepare_cached(
            "SELECT r.officer_id, r.device_id, r.received_at, l.body
             FROM movement_leg l JOIN record r ON r.organisation_id = l.organisation_id
                                             AND r.id = l.id
             WHERE l.organisation_id = ?1 AND l.id = ?2",
        )?
        .query_row([organisation_id, leg_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((officer_id, device_id, received_at, leg)) = row else {
        return Ok(None);
    };
    let events = c
        .prepare_cached(
            "SELECT body, received_at FROM movement_event
             WHERE organisation_id = ?1 AND leg_id = ?2 ORDER BY seq",
        )?
        .query_map([organisation_id, leg_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Timestamp>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|(b, at)| Ok((body(&b)?, at)))
        .collect::<Result<_>>()?;
    Ok(Some(HeldLeg {
        organisation_id: organisation_id.to_owned(),
        officer_id,
        device_id,
        received_at,
        leg: body(&leg)?,
        events,
    }))
}

/// The legs (of one organisation, or all; of one assignment, or all), by organisation,
/// planned departure and id.
pub(crate) fn legs(
    c: &Conn,
    organisation_id: Option<&str>,
    assignment_id: Option<&str>,
) -> Result<Vec<HeldLeg>> {
    let ids: Vec<(String, String)> = c
        .prepare_cached(
            "SELECT organisation_id, id FROM movement_leg
             WHERE (CAST(?1 AS TEXT) IS NULL OR organisation_id = ?1)
               AND (CAST(?2 AS TEXT) IS NULL OR assignment_id = ?2)
             ORDER BY organisation_id, planned_departure, id",
        )?
        .query_map([organisation_id, assignment_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter()
        .filter_map(|(org, id)| held(c, org, id).transpose())
        .collect()
}

/// The legs no closing event (arrived, aborted, handed over) has ended, of every
/// organisation: what the dead-man timer judges.
pub(crate) fn open_legs(c: &Conn) -> Result<Vec<HeldLeg>> {
    let ids: Vec<(String, String)> = c
        .prepare_cached(
            "SELECT organisation_id, id FROM movement_leg l
             WHERE NOT EXISTS (SELECT 1 FROM movement_event e
                               WHERE e.organisation_id = l.organisation_id AND e.leg_id = l.id
                                 AND e.kind IN ('arrived', 'aborted', 'handed_over'))
             ORDER BY organisation_id, planned_departure, id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter()
        .filter_map(|(org, id)| held(c, org, id).transpose())
        .collect()
}

/// The assignment as the office issued it (its grace, its sites' zones).
pub(crate) fn assignment(c: &Conn, organisation_id: &str, id: &str) -> Result<Assignment> {
    let b: Option<String> = c
        .prepare_cached("SELECT body FROM assignment WHERE organisation_id = ?1 AND id = ?2")?
        .query_row([organisation_id, id], |r| r.get(0))
        .optional()?;
    body(&b.ok_or_else(|| Error::not_found("assignment", id))?)
}

/// What an alarm shows of leg `leg_id`; none if the office has no such leg.
pub(crate) fn alarm_leg(c: &Conn, organisation_id: &str, leg_id: &str) -> Result<Option<AlarmLeg>> {
    Ok(held(c, organisation_id, leg_id)?.map(|h| {
        let progress = h.progress();
        let last = h.events.last().map(|(e, _)| e);
        AlarmLeg {
            leg_id: h.leg.id.clone(),
            origin: h.leg.origin.clone(),
            destination: h.leg.destination.clone(),
            officer_in_charge: h.leg.officer_in_charge.clone(),
            eta: progress.eta,
            last_event: last.map(|e| e.kind),
            last_event_at: last.map(|e| e.occurred_at),
            closed_by: progress.closed.map(|(k, _)| k),
        }
    }))
}
