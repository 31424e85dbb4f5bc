//! The dead-man timer: the office notices a silent officer even when the phone is
//! silent, lost or destroyed, and escalates alarms nobody acknowledged in time.
//!
//! [`check`] is one pass at the server's clock; [`run`] makes a pass every period
//! (1 s by default, see `Server::set_timer_period`) until the server stops, so an overdue
//! officer is raised within a period of the deadline. Tests drive [`check`] themselves on
//! a manual clock. Both are idempotent: an overdue alarm is one per officer, assignment
//! and missed deadline, and escalation happens once.

use std::time::Duration;

use crate::store::Conn;
use cordon_core::{AlarmKind, Timestamp, WelfareStatus};

use super::life::{Life, Step};
use super::{append, escalation_limit, raise, welfare_clocks, NewAlarm, NewEvent, SYSTEM_ACTOR};
use crate::alarms::EventKind;
use crate::error::Result;
use crate::state::Server;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// Overdue and overdue-leg alarms raised (their ids).
    pub raised: Vec<String>,
    /// Alarms escalated (their ids).
    pub escalated: Vec<String>,
}

/// One pass of the timer at the server's clock: raises an overdue alarm for every officer
/// whose welfare deadline passed and an overdue-leg alarm for every open leg whose ETA
/// plus grace passed ([`super::legs`]), and escalates every alarm still unacknowledged past its
/// organisation's limit.
pub fn check(server: &Server) -> Result<Pass> {
    let now = server.now();
    // Read first: most passes find nothing, and then write nothing.
    let (overdue, legs, unacknowledged) = server.read(|c| {
        Ok((
            overdue(c, now)?,
            super::legs::overdue(c, now)?,
            due_for_escalation(c, now)?,
        ))
    })?;
    if overdue.is_empty() && legs.is_empty() && unacknowledged.is_empty() {
        return Ok(Pass::default());
    }
    server.write(|tx| {
        let mut pass = Pass::default();
        for o in &overdue {
            let alarm = NewAlarm {
                organisation_id: &o.organisation_id,
                kind: AlarmKind::Overdue,
                officer_id: &o.officer_id,
                device_id: None,
                assignment_id: Some(&o.assignment_id),
                check_in_id: None,
                movement_leg_id: None,
                occurred_at: o.deadline,
                location: None,
                note: None,
            };
            if let Some(id) = raise(tx, &alarm, SYSTEM_ACTOR, now)? {
                pass.raised.push(id);
            }
        }
        for leg in &legs {
            if let Some(id) = super::legs::raise_overdue(tx, leg, now)? {
                pass.raised.push(id);
            }
        }
        for e in &unacknowledged {
            // Judged again inside the transaction: an operator may have acknowledged it
            // since the read.
            let life = Life::of(super::events(tx, &e.alarm_id)?.iter().map(|e| e.kind));
            let step = Step::Escalate {
                raised_at: e.raised_at,
                limit: e.limit,
                now,
            };
            if life.step(step).is_ok() {
                append(
                    tx,
                    &e.alarm_id,
                    &e.organisation_id,
                    &NewEvent::plain(EventKind::Escalated, SYSTEM_ACTOR),
                    now,
                )?;
                tracing::warn!(alarm_id = %e.alarm_id, "alarm escalated: unacknowledged past the limit");
                pass.escalated.push(e.alarm_id.clone());
            }
        }
        Ok(pass)
    })
}

struct Overdue {
    organisation_id: String,
    officer_id: String,
    assignment_id: String,
    deadline: Timestamp,
}

fn overdue(c: &Conn, now: Timestamp) -> Result<Vec<Overdue>> {
    let mut found = Vec::new();
    for (organisation_id, duty) in welfare_clocks(c, None, now)? {
        let WelfareStatus::Overdue { overdue_at, .. } = duty.welfare else {
            continue;
        };
        let known = c
            .prepare_cached(
                "SELECT 1 FROM alarm WHERE organisation_id = ?1 AND officer_id = ?2
                   AND assignment_id = ?3 AND kind = 'overdue' AND occurred_at = ?4",
            )?
            .exists(rusqlite::params![
                organisation_id,
                duty.officer_id,
                duty.assignment_id,
                overdue_at
            ])?;
        if !known {
            found.push(Overdue {
                organisation_id,
                officer_id: duty.officer_id,
                assignment_id: duty.assignment_id,
                deadline: overdue_at,
            });
        }
    }
    Ok(found)
}

struct Unacknowledged {
    alarm_id: String,
    organisation_id: String,
    raised_at: Timestamp,
    limit: Duration,
}

fn due_for_escalation(c: &Conn, now: Timestamp) -> Result<Vec<Unacknowledged>> {
    let rows: Vec<(String, String, Timestamp)> = c
        .prepare_cached(
            "SELECT id, organisation_id, raised_at FROM alarm a
             WHERE NOT EXISTS (SELECT 1 FROM alarm_event e WHERE e.alarm_id = a.id
                               AND e.kind IN ('acknowledged', 'resolved', 'escalated'))",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut due = Vec::new();
    for (alarm_id, organisation_id, raised_at) in rows {
        let limit = escalation_limit(c, &organisation_id)?;
        if now >= raised_at.plus(limit) {
            due.push(Unacknowledged {
                alarm_id,
                organisation_id,
                raised_at,
                limit,
            });
        }
    }
    Ok(due)
}

/// Runs [`check`] every `period` (of real time) until `stop` says so. A failed pass is
/// logged and the next one tries again.
pub(crate) async fn run(
    server: Server,
    period: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        if let Err(e) = server.blocking(check).await {
            tracing::error!(error = %e, "the dead-man timer's pass failed");
        }
    }
}
