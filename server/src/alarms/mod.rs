//! The control room's alarms: raised by duress and panic check-ins and by the dead-man
//! timer, acted on by operators, every step an append-only event.
//!
//! - **Raising**: [`check_in_received`] runs inside the push that applies a check-in (one
//!   transaction with it): a duress or panic check-in raises an alarm, one per check-in,
//!   never refused; every check-in on an assignment moves that officer's welfare clock
//!   (`last_check_in`), and one that restarts the clock *explains* the officer's open
//!   overdue alarms on that assignment without closing them.
//! - **The dead-man timer** ([`deadman`]): from each assignment's check-in policy and the
//!   last check-in the server holds, the core's own [`WelfareStatus::compute`] says who is
//!   overdue; an overdue officer gets one alarm per missed deadline. The same pass
//!   escalates alarms left unacknowledged past their organisation's limit.
//! - **Operators** acknowledge and resolve ([`acknowledge`], [`resolve`]); the state
//!   machine in [`life`] refuses an illegal step with a typed [`AlarmRefusal`].
//!
//! Nothing is edited in place: an alarm's row is written once, its events are appended,
//! and triggers refuse UPDATE and DELETE on both. Its state is what its events say.

pub mod deadman;
pub(crate) mod legs;
pub mod life;

use std::time::Duration;

use crate::store::{Conn, OptionalExtension, Tx};
use cordon_core::model::validate::{optional_text, MAX_SHORT_TEXT};
use cordon_core::{
    AlarmKind, AlarmState, AlarmStatus, Assignment, CheckIn, CheckInKind, Location, Timestamp,
    WelfareStatus,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::Server;

pub use life::{EventKind, Life, Step};

/// How long an alarm may stay unacknowledged before it is escalated, unless the
/// organisation set its own limit.
pub const DEFAULT_ESCALATION: Duration = Duration::from_secs(120);

/// The shortest and longest escalation limits an organisation may set.
pub const ESCALATION_RANGE: (Duration, Duration) =
    (Duration::from_secs(10), Duration::from_secs(86_400));

/// The longest operator note (an acknowledgement, a resolution).
pub const MAX_NOTE: usize = 2_000;

/// The actor of events the server's own timer writes.
pub const SYSTEM_ACTOR: &str = "system";

/// An alarm with its whole life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub id: String,
    pub organisation_id: String,
    pub kind: AlarmKind,
    pub officer_id: String,
    pub device_id: Option<String>,
    pub assignment_id: Option<String>,
    /// The duress or panic check-in that raised it.
    pub check_in_id: Option<String>,
    /// Overdue leg: the leg, as it stands now (a later arrival or delay shows here).
    pub leg: Option<crate::movements::AlarmLeg>,
    /// Duress and panic: when the device says it happened. Overdue (an officer or a
    /// leg): the deadline missed.
    pub occurred_at: Timestamp,
    /// What the officer's check-in carried: shown to operators as text, never logged.
    pub location: Option<Location>,
    pub note: Option<String>,
    /// The server's clock when it was raised.
    pub raised_at: Timestamp,
    pub state: AlarmState,
    pub escalated: bool,
    /// A check-in arrived after it was raised that accounts for the officer.
    pub explained: bool,
    pub events: Vec<AlarmEvent>,
}

/// One step of an alarm's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmEvent {
    pub seq: i64,
    pub kind: EventKind,
    /// The server's clock.
    pub at: Timestamp,
    /// An operator's username, `system`, or `device:<id>`.
    pub actor: String,
    pub note: Option<String>,
    pub outcome: Option<Outcome>,
    pub police_reference: Option<String>,
    /// Explained: the check-in that accounted for the officer, its kind and time.
    pub check_in_id: Option<String>,
    pub check_in_kind: Option<CheckInKind>,
    pub check_in_at: Option<Timestamp>,
}

/// How an alarm ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The officer was safe; nothing had happened.
    FalseAlarm,
    /// The officer was reached and is safe.
    OfficerSafe,
    /// The police (or another emergency service) were called and attended.
    PoliceAttended,
    /// Anything else, said in the note.
    Other,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::FalseAlarm => "false_alarm",
            Outcome::OfficerSafe => "officer_safe",
            Outcome::PoliceAttended => "police_attended",
            Outcome::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Outcome::FalseAlarm,
            Outcome::OfficerSafe,
            Outcome::PoliceAttended,
            Outcome::Other,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// What an operator records when resolving an alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    pub outcome: Outcome,
    /// The police or CAD reference; required when the police attended.
    pub police_reference: Option<String>,
    pub note: Option<String>,
}

impl Resolution {
    pub fn validate(&self) -> Result<()> {
        optional_text(
            "police_reference",
            self.police_reference.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        optional_text("note", self.note.as_deref(), MAX_NOTE)?;
        let reference = self.police_reference.as_deref().map(str::trim);
        if self.outcome == Outcome::PoliceAttended && reference.is_none_or(str::is_empty) {
            return Err(Error::invalid(
                "police_reference",
                "required when the police attended",
            ));
        }
        if self.outcome == Outcome::Other
            && self.note.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            return Err(Error::invalid(
                "note",
                "say what happened when the outcome is other",
            ));
        }
        Ok(())
    }
}

/// Who acts on an alarm: an operator of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor<'a> {
    pub organisation_id: &'a str,
    pub username: &'a str,
}

/// What a check-in received means for the control room: called by push, inside the
/// transaction that applies it. See the module docs.
pub(crate) fn check_in_received(
    tx: &Conn,
    organisation_id: &str,
    officer_id: &str,
    device_id: &str,
    c: &CheckIn,
    now: Timestamp,
) -> Result<()> {
    if let Some(kind) = alarm_kind(c.kind) {
        raise(
            tx,
            &NewAlarm {
                organisation_id,
                kind,
                officer_id,
                device_id: Some(device_id),
                assignment_id: c.assignment_id.as_deref(),
                check_in_id: Some(&c.id),
                movement_leg_id: None,
                occurred_at: c.occurred_at,
                location: c.location.as_ref(),
                note: c.note.as_deref(),
            },
            &format!("device:{device_id}"),
            now,
        )?;
    }
    if let Some(assignment_id) = &c.assignment_id {
        let restarted =
            tx.prepare_cached(
                "INSERT INTO last_check_in (organisation_id, officer_id, assignment_id,
                                            check_in_id, kind, occurred_at, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (organisation_id, officer_id, assignment_id) DO UPDATE SET
                     check_in_id = excluded.check_in_id, kind = excluded.kind,
                     occurred_at = excluded.occurred_at, received_at = excluded.received_at
                 WHERE (excluded.occurred_at, excluded.check_in_id)
                       > (last_check_in.occurred_at, last_check_in.check_in_id)",
            )?
            .execute(rusqlite::params![
                organisation_id,
                officer_id,
                assignment_id,
                c.id,
                c.kind.as_str(),
                c.occurred_at,
                now
            ])? > 0;
        if restarted {
            let actor = format!("device:{device_id}");
            explain_overdue(
                tx,
                organisation_id,
                officer_id,
                assignment_id,
                c,
                &actor,
                now,
            )?;
        }
    }
    if let Some(l) = &c.location {
        tx.prepare_cached(
            "INSERT INTO last_position (organisation_id, officer_id, check_in_id, occurred_at,
                                        latitude, longitude, accuracy_m, fix_time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (organisation_id, officer_id) DO UPDATE SET
                 check_in_id = excluded.check_in_id, occurred_at = excluded.occurred_at,
                 latitude = excluded.latitude, longitude = excluded.longitude,
                 accuracy_m = excluded.accuracy_m, fix_time = excluded.fix_time
             WHERE (excluded.occurred_at, excluded.check_in_id)
                   > (last_position.occurred_at, last_position.check_in_id)",
        )?
        .execute(rusqlite::params![
            organisation_id,
            officer_id,
            c.id,
            c.occurred_at,
            l.latitude,
            l.longitude,
            l.accuracy_m,
            l.fix_time
        ])?;
    }
    Ok(())
}

fn alarm_kind(kind: CheckInKind) -> Option<AlarmKind> {
    match kind {
        CheckInKind::Duress => Some(AlarmKind::Duress),
        CheckInKind::Panic => Some(AlarmKind::Panic),
        _ => None,
    }
}

/// An alarm about to be raised.
pub(crate) struct NewAlarm<'a> {
    pub organisation_id: &'a str,
    pub kind: AlarmKind,
    pub officer_id: &'a str,
    pub device_id: Option<&'a str>,
    pub assignment_id: Option<&'a str>,
    pub check_in_id: Option<&'a str>,
    pub movement_leg_id: Option<&'a str>,
    pub occurred_at: Timestamp,
    pub location: Option<&'a Location>,
    pub note: Option<&'a str>,
}

/// Raises an alarm with its `raised` event, unless the same one exists (the same
/// check-in, or the same missed deadline): returns its id if it is new.
pub(crate) fn raise(
    tx: &Conn,
    a: &NewAlarm<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    let id = uuid::Uuid::new_v4().to_string();
    let location = a.location.map(serde_json::to_string).transpose()?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO alarm (id, organisation_id, kind, officer_id, device_id,
                                          assignment_id, check_in_id, occurred_at, location,
                                          note, raised_at, movement_leg_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT DO NOTHING",
        )?
        .execute(rusqlite::params![
            id,
            a.organisation_id,
            a.kind.as_str(),
            a.officer_id,
            a.device_id,
            a.assignment_id,
            a.check_in_id,
            a.occurred_at,
            location,
            a.note,
            now,
            a.movement_leg_id
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    append(
        tx,
        &id,
        a.organisation_id,
        &NewEvent::plain(EventKind::Raised, actor),
        now,
    )?;
    if let Some(check_in_id) = a.check_in_id {
        let status = AlarmStatus {
            alarm_id: id.clone(),
            check_in_id: check_in_id.to_owned(),
            kind: a.kind,
            state: AlarmState::Raised,
            note: None,
            updated_at: now,
        };
        crate::feed::append_alarm_status(tx, a.organisation_id, a.officer_id, &status)?;
    }
    tracing::warn!(alarm_id = %id, kind = a.kind.as_str(), "alarm raised");
    Ok(Some(id))
}

/// An event about to be appended.
struct NewEvent<'a> {
    kind: EventKind,
    actor: &'a str,
    note: Option<&'a str>,
    outcome: Option<Outcome>,
    police_reference: Option<&'a str>,
    check_in: Option<&'a CheckIn>,
}

impl<'a> NewEvent<'a> {
    fn plain(kind: EventKind, actor: &'a str) -> Self {
        NewEvent {
            kind,
            actor,
            note: None,
            outcome: None,
            police_reference: None,
            check_in: None,
        }
    }
}

fn append(
    tx: &Conn,
    alarm_id: &str,
    organisation_id: &str,
    e: &NewEvent<'_>,
    now: Timestamp,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO alarm_event (alarm_id, organisation_id, kind, at, actor, note, outcome,
                                  police_reference, check_in_id, check_in_kind, check_in_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(rusqlite::params![
        alarm_id,
        organisation_id,
        e.kind.as_str(),
        now,
        e.actor,
        e.note,
        e.outcome.map(Outcome::as_str),
        e.police_reference,
        e.check_in.map(|c| c.id.as_str()),
        e.check_in.map(|c| c.kind.as_str()),
        e.check_in.map(|c| c.occurred_at),
    ])?;
    Ok(())
}

/// Marks the officer's open overdue alarms on the assignment as explained by `c`.
fn explain_overdue(
    tx: &Conn,
    organisation_id: &str,
    officer_id: &str,
    assignment_id: &str,
    c: &CheckIn,
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    let ids: Vec<String> = tx
        .prepare_cached(
            "SELECT id FROM alarm a
             WHERE organisation_id = ?1 AND officer_id = ?2 AND assignment_id = ?3
               AND kind = 'overdue'
               AND NOT EXISTS (SELECT 1 FROM alarm_event e WHERE e.alarm_id = a.id
                               AND e.kind IN ('resolved', 'explained'))",
        )?
        .query_map([organisation_id, officer_id, assignment_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        let event = NewEvent {
            check_in: Some(c),
            ..NewEvent::plain(EventKind::Explained, actor)
        };
        append(tx, &id, organisation_id, &event, now)?;
    }
    Ok(())
}

/// Takes `step` on the alarm if its life allows it; the event records `event`'s details.
fn take_step(
    tx: &Tx<'_>,
    actor: &Actor<'_>,
    alarm_id: &str,
    step: Step,
    event: NewEvent<'_>,
    now: Timestamp,
) -> Result<Alarm> {
    let alarm = read_alarm(tx, actor.organisation_id, alarm_id)?;
    life_of(&alarm).step(step).map_err(|refusal| Error::Alarm {
        alarm_id: alarm_id.to_owned(),
        refusal,
    })?;
    append(tx, alarm_id, actor.organisation_id, &event, now)?;
    let alarm = read_alarm(tx, actor.organisation_id, alarm_id)?;
    tell_officer(tx, &alarm, now)?;
    Ok(alarm)
}

/// Puts where an alarm stands in the feed of the officer whose duress or panic raised it
/// (an overdue alarm has no check-in of the officer's to answer). The note is the
/// operator's acknowledgement note, which the app may show for panic.
fn tell_officer(tx: &Conn, alarm: &Alarm, now: Timestamp) -> Result<()> {
    let Some(check_in_id) = &alarm.check_in_id else {
        return Ok(());
    };
    let note = alarm
        .events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Acknowledged)
        .and_then(|e| e.note.clone());
    let status = AlarmStatus {
        alarm_id: alarm.id.clone(),
        check_in_id: check_in_id.clone(),
        kind: alarm.kind,
        state: alarm.state,
        note,
        updated_at: now,
    };
    crate::feed::append_alarm_status(tx, &alarm.organisation_id, &alarm.officer_id, &status)
}

fn life_of(alarm: &Alarm) -> Life {
    Life::of(alarm.events.iter().map(|e| e.kind))
}

/// An operator acknowledges an alarm of their organisation, with an optional note.
pub fn acknowledge_in(
    tx: &Tx<'_>,
    actor: &Actor<'_>,
    alarm_id: &str,
    note: Option<&str>,
    now: Timestamp,
) -> Result<Alarm> {
    optional_text("note", note, MAX_NOTE)?;
    let event = NewEvent {
        note,
        ..NewEvent::plain(EventKind::Acknowledged, actor.username)
    };
    take_step(tx, actor, alarm_id, Step::Acknowledge, event, now)
}

/// An operator resolves an acknowledged alarm of their organisation.
pub fn resolve_in(
    tx: &Tx<'_>,
    actor: &Actor<'_>,
    alarm_id: &str,
    resolution: &Resolution,
    now: Timestamp,
) -> Result<Alarm> {
    resolution.validate()?;
    let event = NewEvent {
        note: resolution.note.as_deref(),
        outcome: Some(resolution.outcome),
        police_reference: resolution.police_reference.as_deref().map(str::trim),
        ..NewEvent::plain(EventKind::Resolved, actor.username)
    };
    take_step(tx, actor, alarm_id, Step::Resolve, event, now)
}

/// [`acknowledge_in`] in its own transaction, on the server's clock.
pub fn acknowledge(
    server: &Server,
    actor: &Actor<'_>,
    alarm_id: &str,
    note: Option<&str>,
) -> Result<Alarm> {
    let now = server.now();
    server.write(|tx| acknowledge_in(tx, actor, alarm_id, note, now))
}

/// [`resolve_in`] in its own transaction, on the server's clock.
pub fn resolve(
    server: &Server,
    actor: &Actor<'_>,
    alarm_id: &str,
    resolution: &Resolution,
) -> Result<Alarm> {
    let now = server.now();
    server.write(|tx| resolve_in(tx, actor, alarm_id, resolution, now))
}

/// Sets how long an organisation's alarms may stay unacknowledged before escalation.
pub fn set_escalation_limit(server: &Server, organisation_id: &str, limit: Duration) -> Result<()> {
    cordon_core::model::validate::required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    let (min, max) = ESCALATION_RANGE;
    if limit < min || limit > max {
        return Err(Error::invalid(
            "escalate_after",
            format!(
                "must be between {} and {} seconds",
                min.as_secs(),
                max.as_secs()
            ),
        ));
    }
    server.write(|tx| {
        tx.execute(
            "INSERT INTO organisation_setting (organisation_id, escalate_after_secs)
             VALUES (?1, ?2)
             ON CONFLICT (organisation_id) DO UPDATE SET
                 escalate_after_secs = excluded.escalate_after_secs",
            rusqlite::params![organisation_id, limit.as_secs() as i64],
        )?;
        Ok(())
    })
}

/// The organisation's escalation limit.
pub fn escalation_limit(c: &Conn, organisation_id: &str) -> Result<Duration> {
    let secs: Option<i64> = c
        .prepare_cached(
            "SELECT escalate_after_secs FROM organisation_setting WHERE organisation_id = ?1",
        )?
        .query_row([organisation_id], |r| r.get(0))
        .optional()?;
    Ok(secs.map_or(DEFAULT_ESCALATION, |s| Duration::from_secs(s as u64)))
}

/// One alarm of `organisation_id`, with its events. Another organisation's alarm is
/// `NotFound`, as if it did not exist.
pub fn alarm(server: &Server, organisation_id: &str, alarm_id: &str) -> Result<Alarm> {
    server.read(|c| read_alarm(c, organisation_id, alarm_id))
}

/// The organisation's alarms that are not resolved, most urgent first: unacknowledged
/// before acknowledged, duress before panic before overdue, then oldest first.
pub fn open_alarms(server: &Server, organisation_id: &str) -> Result<Vec<Alarm>> {
    server.read(|c| {
        let ids: Vec<String> = c
            .prepare_cached(
                "SELECT id FROM alarm a WHERE organisation_id = ?1
                   AND NOT EXISTS (SELECT 1 FROM alarm_event e
                                   WHERE e.alarm_id = a.id AND e.kind = 'resolved')",
            )?
            .query_map([organisation_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut alarms = ids
            .iter()
            .map(|id| read_alarm(c, organisation_id, id))
            .collect::<Result<Vec<_>>>()?;
        alarms.sort_by_key(urgency);
        Ok(alarms)
    })
}

/// The organisation's alarms resolved most recently, newest first (at most `limit`).
pub fn resolved_alarms(server: &Server, organisation_id: &str, limit: usize) -> Result<Vec<Alarm>> {
    server.read(|c| {
        let ids: Vec<String> = c
            .prepare_cached(
                "SELECT alarm_id FROM alarm_event WHERE organisation_id = ?1 AND kind = 'resolved'
                 ORDER BY seq DESC LIMIT ?2",
            )?
            .query_map(rusqlite::params![organisation_id, limit as i64], |r| {
                r.get(0)
            })?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| read_alarm(c, organisation_id, id))
            .collect()
    })
}

/// Every alarm of every organisation, oldest first (for `cordon admin list alarms`).
pub fn all_alarms(server: &Server) -> Result<Vec<Alarm>> {
    server.read(|c| {
        let ids: Vec<(String, String)> = c
            .prepare("SELECT organisation_id, id FROM alarm ORDER BY raised_at, id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|(org, id)| read_alarm(c, org, id)).collect()
    })
}

fn urgency(a: &Alarm) -> (bool, u8, Timestamp, String) {
    (
        a.state != AlarmState::Raised,
        a.kind.urgency(),
        a.raised_at,
        a.id.clone(),
    )
}

type AlarmRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Timestamp,
    Option<String>,
    Option<String>,
    Timestamp,
    String,
    Option<String>,
);

fn read_alarm(c: &Conn, organisation_id: &str, alarm_id: &str) -> Result<Alarm> {
    let row: Option<AlarmRow> = c
        .prepare_cached(
            "SELECT kind, device_id, assignment_id, check_in_id, occurred_at, location, note,
                    raised_at, officer_id, movement_leg_id
             FROM alarm WHERE organisation_id = ?1 AND id = ?2",
        )?
        .query_row([organisation_id, alarm_id], |r| AlarmRow::try_from(r))
        .optional()?;
    let Some((
        kind,
        device_id,
        assignment_id,
        check_in_id,
        occurred_at,
        location,
        note,
        raised_at,
        officer_id,
        movement_leg_id,
    )) = row
    else {
        return Err(Error::not_found("alarm", alarm_id));
    };
    let events = events(c, alarm_id)?;
    let life = Life::of(events.iter().map(|e| e.kind));
    Ok(Alarm {
        id: alarm_id.to_owned(),
        organisation_id: organisation_id.to_owned(),
        kind: AlarmKind::parse(&kind)
            .ok_or_else(|| Error::Storage(format!("alarm {alarm_id} has kind {kind}")))?,
        officer_id,
        device_id,
        assignment_id,
        check_in_id,
        leg: movement_leg_id
            .map(|leg_id| crate::movements::alarm_leg(c, organisation_id, &leg_id))
            .transpose()?
            .flatten(),
        occurred_at,
        location: location.map(|l| serde_json::from_str(&l)).transpose()?,
        note,
        raised_at,
        state: life.state,
        escalated: life.escalated,
        explained: life.explained,
        events,
    })
}

fn events(c: &Conn, alarm_id: &str) -> Result<Vec<AlarmEvent>> {
    let rows = c
        .prepare_cached(
            "SELECT seq, kind, at, actor, note, outcome, police_reference, check_in_id,
                    check_in_kind, check_in_at
             FROM alarm_event WHERE alarm_id = ?1 ORDER BY seq",
        )?
        .query_map([alarm_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Timestamp>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<Timestamp>>(9)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(
            |(
                seq,
                kind,
                at,
                actor,
                note,
                outcome,
                police_reference,
                check_in_id,
                check_in_kind,
                check_in_at,
            )| {
                let damaged = |what: &str| Error::Storage(format!("alarm event {seq} has {what}"));
                Ok(AlarmEvent {
                    seq,
                    kind: EventKind::parse(&kind).ok_or_else(|| damaged("an unknown kind"))?,
                    at,
                    actor,
                    note,
                    outcome: outcome
                        .map(|o| Outcome::parse(&o).ok_or_else(|| damaged("an unknown outcome")))
                        .transpose()?,
                    police_reference,
                    check_in_id,
                    check_in_kind: check_in_kind
                        .map(|k| {
                            CheckInKind::parse(&k)
                                .ok_or_else(|| damaged("an unknown check-in kind"))
                        })
                        .transpose()?,
                    check_in_at,
                })
            },
        )
        .collect()
}

/// An officer on an assignment, as the control room sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnDuty {
    pub officer_id: String,
    pub assignment_id: String,
    pub assignment_reference: String,
    pub assignment_title: String,
    /// The welfare clock, computed now by the core's own function (as the phone does).
    pub welfare: WelfareStatus,
    pub last_check_in: Option<LastCheckIn>,
    pub position: Option<Position>,
}

/// The latest check-in the server holds of an officer on an assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastCheckIn {
    pub check_in_id: String,
    pub kind: CheckInKind,
    /// The device's time.
    pub occurred_at: Timestamp,
    /// The server's clock when it arrived.
    pub received_at: Timestamp,
}

/// An officer's last known position: the latest check-in that carried a location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    pub fix_time: Option<Timestamp>,
    /// When the check-in that carried it occurred (device time).
    pub occurred_at: Timestamp,
}

/// Every officer on an assignment of `organisation_id` whose welfare clock runs (not off
/// duty), at `now`: the console's "on duty" list.
pub fn on_duty(server: &Server, organisation_id: &str) -> Result<Vec<OnDuty>> {
    let now = server.now();
    server.read(|c| {
        Ok(welfare_clocks(c, Some(organisation_id), now)?
            .into_iter()
            .map(|(_, duty)| duty)
            .filter(|d| d.welfare != WelfareStatus::OffDuty)
            .collect())
    })
}

/// The welfare clock of every officer on every assignment (of one organisation, or all),
/// computed at `now` with [`WelfareStatus::compute`]: the same function, the same inputs
/// (the assignment's policy and status, the latest check-in by occurred-at) as the phone.
pub(crate) fn welfare_clocks(
    c: &Conn,
    organisation_id: Option<&str>,
    now: Timestamp,
) -> Result<Vec<(String, OnDuty)>> {
    type Row = (
        String,
        String,
        String,
        Option<(String, String, Timestamp, Timestamp)>,
        Option<(f64, f64, Option<f64>, Option<Timestamp>, Timestamp)>,
    );
    let rows: Vec<Row> = c
        .prepare_cached(
            "SELECT ao.organisation_id, ao.officer_id, a.body,
                    l.check_in_id, l.kind, l.occurred_at, l.received_at,
                    p.latitude, p.longitude, p.accuracy_m, p.fix_time, p.occurred_at
             FROM assignment_officer ao
             JOIN assignment a ON a.organisation_id = ao.organisation_id AND a.id = ao.assignment_id
             LEFT JOIN last_check_in l ON l.organisation_id = ao.organisation_id
                  AND l.officer_id = ao.officer_id AND l.assignment_id = ao.assignment_id
             LEFT JOIN last_position p ON p.organisation_id = ao.organisation_id
                  AND p.officer_id = ao.officer_id
             WHERE CAST(?1 AS TEXT) IS NULL OR ao.organisation_id = ?1
             ORDER BY ao.organisation_id, ao.officer_id, ao.assignment_id",
        )?
        .query_map([organisation_id], |r| {
            let last = match r.get::<_, Option<String>>(3)? {
                Some(id) => Some((id, r.get(4)?, r.get(5)?, r.get(6)?)),
                None => None,
            };
            let position = match r.get::<_, Option<f64>>(7)? {
                Some(lat) => Some((lat, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?)),
                None => None,
            };
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, last, position))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(org, officer_id, body, last, position)| {
            let assignment: Assignment = serde_json::from_str(&body)?;
            let last = last
                .map(|(check_in_id, kind, occurred_at, received_at)| {
                    let kind = CheckInKind::parse(&kind).ok_or_else(|| {
                        Error::Storage(format!("check-in {check_in_id} has kind {kind}"))
                    })?;
                    Ok::<_, Error>(LastCheckIn {
                        check_in_id,
                        kind,
                        occurred_at,
                        received_at,
                    })
                })
                .transpose()?;
            let welfare = WelfareStatus::compute(
                assignment.check_in_policy,
                assignment.status,
                last.as_ref().map(|l| (l.kind, l.occurred_at)),
                now,
            );
            let position = position.map(
                |(latitude, longitude, accuracy_m, fix_time, occurred_at)| Position {
                    latitude,
                    longitude,
                    accuracy_m,
                    fix_time,
                    occurred_at,
                },
            );
            Ok((
                org,
                OnDuty {
                    officer_id,
                    assignment_id: assignment.id,
                    assignment_reference: assignment.reference,
                    assignment_title: assignment.title,
                    welfare,
                    last_check_in: last,
                    position,
                },
            ))
        })
        .collect()
}
