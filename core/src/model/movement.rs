//! Movements of the principal: a leg (from, to, planned departure, ETA, route, vehicles
//! and their call signs, the officer in charge) and what happens on it (departed,
//! arrived, delayed with a new ETA, route changed, aborted, principal handed over to
//! another team).
//!
//! A leg and its events are one record: the leg's id is the `record_id` of its
//! `movement.plan` and of every `movement.event`, so the outbox and the office keep them
//! in order (departed before arrived) by the rule they keep for every record. The order of
//! events is the state machine [`LegProgress::accept`], held by both ends:
//!
//! ```text
//! planned ──departed──▶ under way ──arrived──▶ arrived        (closed)
//!    │  ▲                  │  ▲
//!    └──┴ delayed (new ETA), route changed ┘
//!    any open leg ──aborted──▶ aborted / ──handed over──▶ handed over   (closed)
//! ```
//!
//! The overdue clock ([`LegStatus::compute`]) is the welfare clock's rule applied to a
//! leg: the current ETA (the latest delay's new ETA, else the planned one) plus the
//! assignment's grace (`CheckInPolicy::grace`) passed with the leg still open. The phone
//! computes it offline from its own clock, the office's dead-man timer from the server's.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::validate::{optional_text, required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};
use crate::error::{CordonError, InputRule, Result};
use crate::time::zone::Zone;
use crate::time::{validate_timestamp, Timestamp};

/// The most vehicles a leg names (a motorcade is a handful of cars, not hundreds).
pub const MAX_VEHICLES: usize = 20;

/// A vehicle of the movement, known by its call sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ConvoyVehicle {
    /// The vehicle's call sign on the radio net, e.g. `CHARLIE-1`.
    pub call_sign: String,
    /// What it is ("Principal's car, black Range Rover"), if the officer says.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub description: Option<String>,
}

/// A leg as the officer plans it on the phone (`Store::plan_movement_leg`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewMovementLeg {
    pub assignment_id: String,
    /// Where the leg starts ("Residence").
    pub origin: String,
    /// Where it ends ("Embassy, Grosvenor Square").
    pub destination: String,
    pub planned_departure: Timestamp,
    /// The planned time of arrival; after the planned departure.
    pub eta: Timestamp,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub route: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub vehicles: Vec<ConvoyVehicle>,
    /// The call sign of the officer in charge of the movement.
    pub officer_in_charge: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub note: Option<String>,
}

/// A leg of a movement: the payload of `movement.plan`, and the device's record of it.
/// `id` (a UUIDv7 made on the device) is the record of the leg and of all its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MovementLeg {
    pub id: String,
    pub assignment_id: String,
    pub origin: String,
    pub destination: String,
    pub planned_departure: Timestamp,
    pub eta: Timestamp,
    pub route: Option<String>,
    pub vehicles: Vec<ConvoyVehicle>,
    pub officer_in_charge: String,
    pub note: Option<String>,
    /// The device's clock when the leg was planned.
    pub planned_at: Timestamp,
}

impl NewMovementLeg {
    /// The leg this input makes, with its id and the device's time.
    pub fn into_leg(self, id: String, planned_at: Timestamp) -> MovementLeg {
        MovementLeg {
            id,
            assignment_id: self.assignment_id,
            origin: self.origin,
            destination: self.destination,
            planned_departure: self.planned_departure,
            eta: self.eta,
            route: self.route,
            vehicles: self.vehicles,
            officer_in_charge: self.officer_in_charge,
            note: self.note,
            planned_at,
        }
    }
}

impl MovementLeg {
    /// The rules both ends hold a leg to: the texts, the times (the ETA after the planned
    /// departure), at most [`MAX_VEHICLES`] vehicles each with a call sign.
    pub fn validate(&self) -> Result<()> {
        required_text("id", &self.id, MAX_SHORT_TEXT)?;
        required_text("assignment_id", &self.assignment_id, MAX_SHORT_TEXT)?;
        required_text("origin", &self.origin, MAX_SHORT_TEXT)?;
        required_text("destination", &self.destination, MAX_SHORT_TEXT)?;
        validate_timestamp("planned_departure", self.planned_departure)?;
        validate_timestamp("eta", self.eta)?;
        validate_timestamp("planned_at", self.planned_at)?;
        if self.eta <= self.planned_departure {
            return Err(CordonError::invalid(
                "eta",
                InputRule::OutOfOrder,
                "must be after planned_departure",
            ));
        }
        optional_text("route", self.route.as_deref(), MAX_NOTE_TEXT)?;
        if self.vehicles.len() > MAX_VEHICLES {
            return Err(CordonError::invalid(
                "vehicles",
                InputRule::TooLong,
                format!("{} vehicles; at most {MAX_VEHICLES}", self.vehicles.len()),
            ));
        }
        for (i, v) in self.vehicles.iter().enumerate() {
            required_text(
                &format!("vehicles[{i}].call_sign"),
                &v.call_sign,
                MAX_SHORT_TEXT,
            )?;
            optional_text(
                &format!("vehicles[{i}].description"),
                v.description.as_deref(),
                MAX_SHORT_TEXT,
            )?;
        }
        required_text("officer_in_charge", &self.officer_in_charge, MAX_SHORT_TEXT)?;
        optional_text("note", self.note.as_deref(), MAX_NOTE_TEXT)
    }
}

/// What happened on a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum MovementEventKind {
    Departed,
    Arrived,
    /// Running late: carries the new ETA.
    Delayed,
    /// A new route: carries it.
    RouteChanged,
    /// The movement was called off.
    Aborted,
    /// The principal was handed over to another team: carries which.
    HandedOver,
}

impl MovementEventKind {
    pub const ALL: [MovementEventKind; 6] = [
        MovementEventKind::Departed,
        MovementEventKind::Arrived,
        MovementEventKind::Delayed,
        MovementEventKind::RouteChanged,
        MovementEventKind::Aborted,
        MovementEventKind::HandedOver,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementEventKind::Departed => "departed",
            MovementEventKind::Arrived => "arrived",
            MovementEventKind::Delayed => "delayed",
            MovementEventKind::RouteChanged => "route_changed",
            MovementEventKind::Aborted => "aborted",
            MovementEventKind::HandedOver => "handed_over",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the leg is over after this event (no event may follow, no overdue clock).
    pub fn closes(self) -> bool {
        matches!(
            self,
            MovementEventKind::Arrived | MovementEventKind::Aborted | MovementEventKind::HandedOver
        )
    }
}

/// An event as the officer records it (`Store::record_movement_event`). `occurred_at`
/// defaults to the device's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewMovementEvent {
    pub leg_id: String,
    pub kind: MovementEventKind,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub occurred_at: Option<Timestamp>,
    /// Delayed: the new ETA (required, and only there).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub new_eta: Option<Timestamp>,
    /// Route changed: the new route (required, and only there).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub route: Option<String>,
    /// Handed over: the team (or call sign) that took the principal (required, and only
    /// there).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub handed_to: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub note: Option<String>,
}

/// An event on a leg: the payload of `movement.event` (whose `record_id` is the leg's id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MovementEvent {
    pub id: String,
    pub leg_id: String,
    pub kind: MovementEventKind,
    pub occurred_at: Timestamp,
    pub new_eta: Option<Timestamp>,
    pub route: Option<String>,
    pub handed_to: Option<String>,
    pub note: Option<String>,
    /// The device's clock when it was recorded.
    pub recorded_at: Timestamp,
}

impl NewMovementEvent {
    /// An event of `kind` on the leg `leg_id`, at the device's clock, with no detail: set
    /// `new_eta`, `route`, `handed_to`, `occurred_at` or `note` with `..` where needed.
    pub fn new(leg_id: impl Into<String>, kind: MovementEventKind) -> Self {
        NewMovementEvent {
            leg_id: leg_id.into(),
            kind,
            occurred_at: None,
            new_eta: None,
            route: None,
            handed_to: None,
            note: None,
        }
    }

    /// The event this input makes, with its id and the device's time.
    pub fn into_event(self, id: String, now: Timestamp) -> MovementEvent {
        MovementEvent {
            id,
            leg_id: self.leg_id,
            kind: self.kind,
            occurred_at: self.occurred_at.unwrap_or(now),
            new_eta: self.new_eta,
            route: self.route,
            handed_to: self.handed_to,
            note: self.note,
            recorded_at: now,
        }
    }
}

impl MovementEvent {
    /// The rules of one event on its own: the texts and times, and the detail its kind
    /// needs and only its kind takes (a delay's new ETA, later than the delay itself; a
    /// route change's route; a handover's team). What the leg allows next is
    /// [`LegProgress::accept`].
    pub fn validate(&self) -> Result<()> {
        required_text("id", &self.id, MAX_SHORT_TEXT)?;
        required_text("leg_id", &self.leg_id, MAX_SHORT_TEXT)?;
        validate_timestamp("occurred_at", self.occurred_at)?;
        validate_timestamp("recorded_at", self.recorded_at)?;
        optional_text("note", self.note.as_deref(), MAX_NOTE_TEXT)?;
        let kind = self.kind;
        let only = |field: &str, present: bool, wanted: MovementEventKind| {
            if kind == wanted && !present {
                Err(CordonError::invalid(
                    field,
                    InputRule::Required,
                    format!("a {} event needs it", wanted.as_str()),
                ))
            } else if kind != wanted && present {
                Err(CordonError::invalid(
                    field,
                    InputRule::NotAllowed,
                    format!("only a {} event takes it", wanted.as_str()),
                ))
            } else {
                Ok(())
            }
        };
        only(
            "new_eta",
            self.new_eta.is_some(),
            MovementEventKind::Delayed,
        )?;
        only(
            "route",
            self.route.is_some(),
            MovementEventKind::RouteChanged,
        )?;
        only(
            "handed_to",
            self.handed_to.is_some(),
            MovementEventKind::HandedOver,
        )?;
        optional_text("route", self.route.as_deref(), MAX_NOTE_TEXT)?;
        optional_text("handed_to", self.handed_to.as_deref(), MAX_SHORT_TEXT)?;
        if let Some(eta) = self.new_eta {
            validate_timestamp("new_eta", eta)?;
            if eta <= self.occurred_at {
                return Err(CordonError::invalid(
                    "new_eta",
                    InputRule::OutOfOrder,
                    "must be after the delay's occurred_at",
                ));
            }
        }
        Ok(())
    }
}

/// Where a leg stands after its events so far, folded in their order: what both ends
/// check the next event against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegProgress {
    pub departed_at: Option<Timestamp>,
    /// The event that closed the leg (arrived, aborted, handed over) and when.
    pub closed: Option<(MovementEventKind, Timestamp)>,
    /// The ETA now: the latest delay's new ETA, else the planned one.
    pub eta: Timestamp,
    pub delayed: bool,
}

impl LegProgress {
    /// A leg just planned.
    pub fn planned(leg: &MovementLeg) -> Self {
        LegProgress {
            departed_at: None,
            closed: None,
            eta: leg.eta,
            delayed: false,
        }
    }

    /// The leg after `events`, taken as they stand (each was accepted when written).
    pub fn of<'a>(leg: &MovementLeg, events: impl IntoIterator<Item = &'a MovementEvent>) -> Self {
        events
            .into_iter()
            .fold(Self::planned(leg), |p, e| p.after(e))
    }

    fn after(self, e: &MovementEvent) -> Self {
        match e.kind {
            MovementEventKind::Departed => LegProgress {
                departed_at: Some(e.occurred_at),
                ..self
            },
            MovementEventKind::Delayed => LegProgress {
                eta: e.new_eta.unwrap_or(self.eta),
                delayed: true,
                ..self
            },
            MovementEventKind::RouteChanged => self,
            k => LegProgress {
                closed: Some((k, e.occurred_at)),
                ..self
            },
        }
    }

    /// Checks that `e` may come next, and returns the leg after it. Refused with
    /// `InvalidInput` (rule `OutOfOrder`): anything after the leg closed; departed twice;
    /// arrived before departed; an event that occurred before the departure; a delay whose
    /// new ETA is not later than the current ETA (a delay that brings the arrival forward
    /// is no delay: the officer records the arrival when it happens).
    pub fn accept(self, e: &MovementEvent) -> Result<Self> {
        let out_of_order = |field: &str, reason: String| {
            Err(CordonError::invalid(field, InputRule::OutOfOrder, reason))
        };
        if let Some((closing, _)) = self.closed {
            return out_of_order(
                "kind",
                format!(
                    "the leg is closed ({}); no {} after it",
                    closing.as_str(),
                    e.kind.as_str()
                ),
            );
        }
        match (e.kind, self.departed_at) {
            (MovementEventKind::Departed, Some(_)) => {
                return out_of_order("kind", "the leg has already departed".into())
            }
            (MovementEventKind::Arrived, None) => {
                return out_of_order("kind", "arrived before departed".into())
            }
            (_, Some(departed)) if e.occurred_at < departed => {
                return out_of_order("occurred_at", "before the leg's departure".to_string())
            }
            _ => {}
        }
        if let Some(new_eta) = e.new_eta {
            if new_eta <= self.eta {
                return out_of_order(
                    "new_eta",
                    format!(
                        "must be later than the current ETA {}",
                        self.eta.to_rfc3339()
                    ),
                );
            }
        }
        Ok(self.after(e))
    }
}

/// Where a leg stands, as the phone shows it and the office's timer judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum LegStatus {
    /// Not yet departed, ETA (+ grace) not passed.
    Planned,
    /// Departed, not delayed, ETA (+ grace) not passed.
    UnderWay,
    /// A delay was recorded (new ETA), and it (+ grace) has not passed.
    Delayed,
    /// Open, and the current ETA plus the assignment's grace has passed.
    Overdue,
    Arrived,
    Aborted,
    HandedOver,
}

impl LegStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LegStatus::Planned => "planned",
            LegStatus::UnderWay => "under_way",
            LegStatus::Delayed => "delayed",
            LegStatus::Overdue => "overdue",
            LegStatus::Arrived => "arrived",
            LegStatus::Aborted => "aborted",
            LegStatus::HandedOver => "handed_over",
        }
    }

    /// The leg's status at `now`: closed by its closing event; else overdue once
    /// `overdue_at` (the current ETA plus `grace`) is reached, as a welfare check-in is
    /// overdue at its due time plus grace; else delayed, under way or planned.
    pub fn compute(progress: &LegProgress, grace: Duration, now: Timestamp) -> Self {
        match progress.closed {
            Some((MovementEventKind::Arrived, _)) => LegStatus::Arrived,
            Some((MovementEventKind::Aborted, _)) => LegStatus::Aborted,
            Some(_) => LegStatus::HandedOver,
            None if now >= progress.overdue_at(grace) => LegStatus::Overdue,
            None if progress.delayed => LegStatus::Delayed,
            None if progress.departed_at.is_some() => LegStatus::UnderWay,
            None => LegStatus::Planned,
        }
    }

    /// Whether the leg is over (arrived, aborted or handed over).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            LegStatus::Arrived | LegStatus::Aborted | LegStatus::HandedOver
        )
    }
}

impl LegProgress {
    /// When the open leg counts as overdue: the current ETA plus `grace`.
    pub fn overdue_at(&self, grace: Duration) -> Timestamp {
        self.eta.plus(grace)
    }
}

/// A leg with its events and where it stands at the time it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MovementLegState {
    pub leg: MovementLeg,
    /// Its events, in the order they were recorded.
    pub events: Vec<MovementEvent>,
    pub status: LegStatus,
    /// The ETA now (the latest delay's, else the planned one).
    pub eta: Timestamp,
    /// When the leg counts as overdue if still open: `eta` plus the assignment's grace.
    pub overdue_at: Timestamp,
}

impl MovementLegState {
    /// `leg` and `events` at `now`, with the assignment's `grace`.
    pub fn at(
        leg: MovementLeg,
        events: Vec<MovementEvent>,
        grace: Duration,
        now: Timestamp,
    ) -> Self {
        let progress = LegProgress::of(&leg, &events);
        MovementLegState {
            status: LegStatus::compute(&progress, grace, now),
            eta: progress.eta,
            overdue_at: progress.overdue_at(grace),
            leg,
            events,
        }
    }
}

/// One line of a day's movement log: a leg's planned departure, or an event on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MovementLogEntry {
    /// When: the planned departure for the leg's own line, else the event's occurred-at.
    pub at: Timestamp,
    pub leg_id: String,
    /// None: the leg's own line (planned); else the event's kind.
    pub event: Option<MovementEventKind>,
    /// The line as the log reads, in the day's zone ("19:42 departed Residence → Embassy").
    pub text: String,
}

/// The day's movement log of `legs`: every leg with a line in `[from, to)` or still on
/// the road during it (departed before the day ends and not closed), with its planned
/// departure and each of its events, in time order (then the leg's
/// line before its events, then the order recorded). A leg that set off before midnight
/// and is still on the road reads whole; its lines from another day carry their date.
/// Times read in `zone` (an IANA zone; UTC if it is not one).
pub fn movement_log(
    legs: &[MovementLegState],
    from: Timestamp,
    to: Timestamp,
    zone: &str,
) -> Vec<MovementLogEntry> {
    let tz = Zone::named_or_utc(zone);
    let clock = |t: Timestamp| tz.local(t).format("%H:%M").to_string();
    // A line's own time: the clock, and the date too when it is not the day's.
    let stamp = |t: Timestamp| {
        let format = if t >= from && t < to {
            "%H:%M"
        } else {
            "%d %b %H:%M"
        };
        tz.local(t).format(format).to_string()
    };
    let mut lines: Vec<(Timestamp, usize, usize, MovementLogEntry)> = Vec::new();
    for (l, state) in legs.iter().enumerate() {
        let leg = &state.leg;
        let times = std::iter::once(leg.planned_departure)
            .chain(state.events.iter().map(|e| e.occurred_at));
        let began = times.clone().min().unwrap_or(leg.planned_departure);
        let closed = matches!(
            state.status,
            LegStatus::Arrived | LegStatus::Aborted | LegStatus::HandedOver
        );
        // On the road: departed (any event recorded) and not closed.
        let on_the_road = !state.events.is_empty() && !closed;
        let under_way_in_day =
            began < to && (on_the_road || times.max().is_some_and(|last| last >= from));
        if !under_way_in_day {
            continue;
        }
        let path = format!("{} → {}", leg.origin, leg.destination);
        let mut push = |at: Timestamp, order: usize, event, text: String| {
            lines.push((
                at,
                l,
                order,
                MovementLogEntry {
                    at,
                    leg_id: leg.id.clone(),
                    event,
                    text,
                },
            ));
        };
        let vehicles = leg
            .vehicles
            .iter()
            .map(|v| v.call_sign.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        push(
            leg.planned_departure,
            0,
            None,
            format!(
                "{} planned {path}, ETA {}, {} in charge{}",
                stamp(leg.planned_departure),
                clock(leg.eta),
                leg.officer_in_charge,
                if vehicles.is_empty() {
                    String::new()
                } else {
                    format!(", vehicles {vehicles}")
                }
            ),
        );
        for (i, e) in state.events.iter().enumerate() {
            let detail = match e.kind {
                MovementEventKind::Delayed => e
                    .new_eta
                    .map(|t| format!(", new ETA {}", clock(t)))
                    .unwrap_or_default(),
                MovementEventKind::RouteChanged => {
                    format!(", route {}", e.route.as_deref().unwrap_or(""))
                }
                MovementEventKind::HandedOver => {
                    format!(", to {}", e.handed_to.as_deref().unwrap_or(""))
                }
                _ => String::new(),
            };
            let what = e.kind.as_str().replace('_', " ");
            push(
                e.occurred_at,
                i + 1,
                Some(e.kind),
                format!("{} {what} {path}{detail}", stamp(e.occurred_at)),
            );
        }
    }
    lines.sort_by_key(|(at, leg, order, _)| (*at, *leg, *order));
    lines.into_iter().map(|(_, _, _, e)| e).collect()
}

/// The calendar day (`YYYY-MM-DD`) that `t` falls on in `zone` (UTC if it is not a zone).
pub fn local_day(t: Timestamp, zone: &str) -> String {
    Zone::named_or_utc(zone)
        .local(t)
        .format("%Y-%m-%d")
        .to_string()
}

/// The instants that bound the calendar day `day` (`YYYY-MM-DD`) in `zone`: its first
/// instant and the next day's. `InvalidInput` naming `day` if it is not such a date.
pub fn day_bounds(day: &str, zone: &str) -> Result<(Timestamp, Timestamp)> {
    use chrono::{Days, NaiveDate};
    let bad = |why: &str| {
        CordonError::invalid(
            "day",
            InputRule::BadFormat,
            format!("{day:?} {why} (a date such as 2026-11-28)"),
        )
    };
    let date =
        NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad("is not a calendar date"))?;
    let tz = Zone::named_or_utc(zone);
    let start_of = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
        tz.earliest_from_local(midnight)
            // A zone that skips midnight (a DST change at 00:00): the day starts an hour on.
            .or_else(|| tz.earliest_from_local(midnight + chrono::Duration::hours(1)))
    };
    let next = date
        .checked_add_days(Days::new(1))
        .ok_or_else(|| bad("is out of range"))?;
    let start = start_of(date).ok_or_else(|| bad("has no start in the zone"))?;
    let end = start_of(next).ok_or_else(|| bad("has no end in the zone"))?;
    validate_timestamp("day", start)?;
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp::from_millis(1_795_000_000_000);

    fn min(m: u64) -> Timestamp {
        T.plus(Duration::from_secs(m * 60))
    }

    fn leg() -> MovementLeg {
        MovementLeg {
            id: "0193a1b2-0000-7000-8000-0000000000a1".into(),
            assignment_id: "A-1".into(),
            origin: "Residence".into(),
            destination: "Embassy".into(),
            planned_departure: min(0),
            eta: min(45),
            route: Some("Primary: Park Lane".into()),
            vehicles: vec![ConvoyVehicle {
                call_sign: "CHARLIE-1".into(),
                description: None,
            }],
            officer_in_charge: "ALPHA-1".into(),
            note: None,
            planned_at: T,
        }
    }

    fn event(kind: MovementEventKind, at: Timestamp) -> MovementEvent {
        MovementEvent {
            id: format!("e-{}-{}", kind.as_str(), at.as_millis()),
            leg_id: leg().id,
            kind,
            occurred_at: at,
            new_eta: None,
            route: None,
            handed_to: None,
            note: None,
            recorded_at: at,
        }
    }

    fn delayed(at: Timestamp, new_eta: Timestamp) -> MovementEvent {
        MovementEvent {
            new_eta: Some(new_eta),
            ..event(MovementEventKind::Delayed, at)
        }
    }

    fn field_rule(r: Result<impl std::fmt::Debug>) -> (String, InputRule) {
        match r {
            Err(CordonError::InvalidInput { field, rule, .. }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    const GRACE: Duration = Duration::from_secs(300);

    #[test]
    fn a_planned_leg_is_valid() {
        assert_eq!(leg().validate(), Ok(()));
    }

    #[test]
    fn an_eta_not_after_the_departure_is_refused_naming_the_eta() {
        let l = MovementLeg {
            eta: min(0),
            ..leg()
        };
        assert_eq!(
            field_rule(l.validate()),
            ("eta".into(), InputRule::OutOfOrder)
        );
    }

    #[test]
    fn each_text_rule_names_its_field() {
        let blank_origin = MovementLeg {
            origin: " ".into(),
            ..leg()
        };
        let blank_vehicle = MovementLeg {
            vehicles: vec![ConvoyVehicle {
                call_sign: "".into(),
                description: None,
            }],
            ..leg()
        };
        let many = MovementLeg {
            vehicles: vec![leg().vehicles[0].clone(); MAX_VEHICLES + 1],
            ..leg()
        };
        let no_officer = MovementLeg {
            officer_in_charge: "".into(),
            ..leg()
        };
        assert_eq!(
            field_rule(blank_origin.validate()),
            ("origin".into(), InputRule::Blank)
        );
        assert_eq!(
            field_rule(blank_vehicle.validate()),
            ("vehicles[0].callSign".into(), InputRule::Blank)
        );
        assert_eq!(
            field_rule(many.validate()),
            ("vehicles".into(), InputRule::TooLong)
        );
        assert_eq!(
            field_rule(no_officer.validate()),
            ("officerInCharge".into(), InputRule::Blank)
        );
    }

    #[test]
    fn an_event_carries_the_detail_of_its_kind_and_only_that() {
        let no_eta = event(MovementEventKind::Delayed, min(10));
        let eta_on_arrival = MovementEvent {
            new_eta: Some(min(60)),
            ..event(MovementEventKind::Arrived, min(40))
        };
        let no_route = event(MovementEventKind::RouteChanged, min(10));
        let no_team = event(MovementEventKind::HandedOver, min(10));
        assert_eq!(
            field_rule(no_eta.validate()),
            ("newEta".into(), InputRule::Required)
        );
        assert_eq!(
            field_rule(eta_on_arrival.validate()),
            ("newEta".into(), InputRule::NotAllowed)
        );
        assert_eq!(
            field_rule(no_route.validate()),
            ("route".into(), InputRule::Required)
        );
        assert_eq!(
            field_rule(no_team.validate()),
            ("handedTo".into(), InputRule::Required)
        );
        assert_eq!(delayed(min(10), min(60)).validate(), Ok(()));
    }

    #[test]
    fn a_new_eta_must_be_after_the_delay_itself() {
        assert_eq!(
            field_rule(delayed(min(50), min(50)).validate()),
            ("newEta".into(), InputRule::OutOfOrder)
        );
    }

    #[test]
    fn events_follow_the_leg_departed_before_arrived_and_nothing_after_it_closes() {
        let p = LegProgress::planned(&leg());
        assert_eq!(
            field_rule(p.accept(&event(MovementEventKind::Arrived, min(40)))),
            ("kind".into(), InputRule::OutOfOrder)
        );
        let p = p
            .accept(&event(MovementEventKind::Departed, min(2)))
            .unwrap();
        assert_eq!(
            field_rule(p.accept(&event(MovementEventKind::Departed, min(3)))),
            ("kind".into(), InputRule::OutOfOrder)
        );
        assert_eq!(
            field_rule(p.accept(&event(MovementEventKind::Arrived, min(1)))),
            ("occurredAt".into(), InputRule::OutOfOrder)
        );
        let p = p
            .accept(&event(MovementEventKind::Arrived, min(40)))
            .unwrap();
        assert_eq!(
            field_rule(p.accept(&delayed(min(41), min(90)))),
            ("kind".into(), InputRule::OutOfOrder)
        );
    }

    #[test]
    fn a_delay_must_push_the_eta_later() {
        let p = LegProgress::planned(&leg());
        assert_eq!(
            field_rule(p.accept(&delayed(min(10), min(45)))),
            ("newEta".into(), InputRule::OutOfOrder)
        );
        let p = p.accept(&delayed(min(10), min(60))).unwrap();
        assert_eq!(p.eta, min(60));
        assert_eq!(
            field_rule(p.accept(&delayed(min(20), min(55)))),
            ("newEta".into(), InputRule::OutOfOrder)
        );
    }

    #[test]
    fn a_leg_is_overdue_at_its_current_eta_plus_grace_and_not_once_closed() {
        let l = leg();
        let planned = LegProgress::planned(&l);
        assert_eq!(
            LegStatus::compute(&planned, GRACE, min(49)),
            LegStatus::Planned
        );
        assert_eq!(
            LegStatus::compute(&planned, GRACE, min(50)),
            LegStatus::Overdue
        );
        let departed = [event(MovementEventKind::Departed, min(1))];
        let under_way = LegProgress::of(&l, &departed);
        assert_eq!(
            LegStatus::compute(&under_way, GRACE, min(30)),
            LegStatus::UnderWay
        );
        let delay = [departed[0].clone(), delayed(min(30), min(70))];
        let late = LegProgress::of(&l, &delay);
        assert_eq!(late.overdue_at(GRACE), min(75));
        assert_eq!(
            LegStatus::compute(&late, GRACE, min(74)),
            LegStatus::Delayed
        );
        assert_eq!(
            LegStatus::compute(&late, GRACE, min(75)),
            LegStatus::Overdue
        );
        let arrived = [
            departed[0].clone(),
            event(MovementEventKind::Arrived, min(90)),
        ];
        assert_eq!(
            LegStatus::compute(&LegProgress::of(&l, &arrived), GRACE, min(200)),
            LegStatus::Arrived
        );
    }

    #[test]
    fn the_log_reads_the_day_in_time_order_in_the_zone() {
        let l = leg();
        let events = vec![
            event(MovementEventKind::Departed, min(2)),
            delayed(min(20), min(60)),
            event(MovementEventKind::Arrived, min(58)),
        ];
        let state = MovementLegState::at(l, events, GRACE, min(100));
        let log = movement_log(&[state], min(0), min(24 * 60), "Europe/London");
        let text: Vec<_> = log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            text,
            [
                "11:06 planned Residence → Embassy, ETA 11:51, ALPHA-1 in charge, vehicles CHARLIE-1",
                "11:08 departed Residence → Embassy",
                "11:26 delayed Residence → Embassy, new ETA 12:06",
                "12:04 arrived Residence → Embassy",
            ]
        );
        assert!(movement_log(&[], min(0), min(1), "UTC").is_empty());
    }

    /// A leg that set off before midnight and is still on the road belongs to the new
    /// day's log, whole, its lines of the day before dated; one closed the day before does
    /// not; one planned for a later day does not.
    #[test]
    fn a_leg_under_way_across_midnight_reads_whole_in_the_new_day() {
        // The sample leg plans its departure at minute 6 of day 0 (11:06 London).
        let open = MovementLegState::at(
            leg(),
            vec![event(MovementEventKind::Departed, min(8))],
            GRACE,
            min(24 * 60 + 30),
        );
        let (from, to) = (min(24 * 60), min(48 * 60));
        let text: Vec<_> = movement_log(std::slice::from_ref(&open), from, to, "UTC")
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].contains("planned Residence → Embassy"), "{text:?}");
        assert!(text[1].contains("departed"), "{text:?}");
        let date = open
            .leg
            .planned_departure
            .to_datetime()
            .format("%d %b")
            .to_string();
        assert!(text[0].starts_with(&date), "dated, not today: {text:?}");

        let closed = MovementLegState::at(
            leg(),
            vec![
                event(MovementEventKind::Departed, min(8)),
                event(MovementEventKind::Arrived, min(50)),
            ],
            GRACE,
            min(24 * 60 + 30),
        );
        assert!(movement_log(&[closed], from, to, "UTC").is_empty());
        let (from, to) = (Timestamp::from_millis(T.as_millis() - 86_400_000), T);
        assert!(
            movement_log(&[open], from, to, "UTC").is_empty(),
            "not before it was planned"
        );
    }

    #[test]
    fn a_day_is_bounded_by_local_midnights_and_a_bad_day_names_the_day() {
        let (start, end) = day_bounds("2026-07-01", "Europe/London").unwrap();
        assert_eq!(start.to_rfc3339(), "2026-06-30T23:00:00.000Z");
        assert_eq!(end.to_rfc3339(), "2026-07-01T23:00:00.000Z");
        assert_eq!(local_day(start, "Europe/London"), "2026-07-01");
        assert_eq!(local_day(start, "UTC"), "2026-06-30");
        assert_eq!(
            field_rule(day_bounds("1 July", "UTC")),
            ("day".into(), InputRule::BadFormat)
        );
    }

    #[test]
    fn the_payloads_read_as_the_protocol_spells_them() {
        let json = serde_json::to_value(delayed(min(20), min(60))).unwrap();
        assert_eq!(json["kind"], "delayed");
        assert_eq!(json["new_eta"], "2026-11-18T12:06:40.000Z");
        let json = serde_json::to_value(leg()).unwrap();
        assert_eq!(json["planned_departure"], "2026-11-18T11:06:40.000Z");
        assert_eq!(json["vehicles"][0]["call_sign"], "CHARLIE-1");
    }
}
