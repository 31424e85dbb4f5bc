//! The duty rota as the office runs it: shifts set per assignment (an officer on duty or
//! on call, from, until), an on-call officer called in and stood down, each with the
//! server's time and who did it. Every change sends the assignment's whole rota down the
//! feed of every officer on the assignment (`Change::Rota`, superseding the older), so
//! the device replaces what it holds and computes the officer's duty offline.
//!
//! Append-only: a shift row is written once; a call-in and a stand-down are rows of their
//! own, each written once. The `_in` forms run in the caller's transaction (the console
//! writes its audit line in the same one).

use crate::store::{Conn, OptionalExtension, Row};
use cordon_core::model::validate::{required_text, MAX_SHORT_TEXT};
use cordon_core::{validate_window, DutyRole, Rota, Shift, Timestamp};

use crate::error::{Error, Result};
use crate::feed;
use crate::state::Server;

/// A shift as the office sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShift<'a> {
    pub organisation_id: &'a str,
    pub assignment_id: &'a str,
    pub officer_id: &'a str,
    pub role: DutyRole,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// Which step of a call-in the office takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    In,
    StandDown,
}

impl Call {
    fn action(self) -> &'static str {
        match self {
            Call::In => "called_in",
            Call::StandDown => "stood_down",
        }
    }
}

fn officer_on(
    c: &Conn,
    organisation_id: &str,
    assignment_id: &str,
    officer_id: &str,
) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM assignment_officer
         WHERE organisation_id = ?1 AND assignment_id = ?2 AND officer_id = ?3",
    )?
    .exists([organisation_id, assignment_id, officer_id])?)
}

/// Sets a shift (in `tx`, on the server's clock `now`): the assignment must be the
/// organisation's and the officer on it. `actor` is who set it (an operator's username,
/// `admin` for the office's tool).
pub fn set_shift_in(tx: &Conn, s: &NewShift<'_>, actor: &str, now: Timestamp) -> Result<Shift> {
    required_text("organisation", s.organisation_id, MAX_SHORT_TEXT)?;
    required_text("actor", actor, MAX_SHORT_TEXT)?;
    validate_window(s.assignment_id, s.officer_id, s.starts_at, s.ends_at)?;
    let known = tx
        .prepare_cached("SELECT 1 FROM assignment WHERE organisation_id = ?1 AND id = ?2")?
        .exists([s.organisation_id, s.assignment_id])?;
    if !known {
        return Err(Error::not_found("assignment", s.assignment_id));
    }
    if !officer_on(tx, s.organisation_id, s.assignment_id, s.officer_id)? {
        return Err(Error::invalid(
            "officer",
            format!("{} is not on assignment {}", s.officer_id, s.assignment_id),
        ));
    }
    let id = uuid::Uuid::now_v7().to_string();
    tx.prepare_cached(
        "INSERT INTO rota_shift (organisation_id, id, assignment_id, officer_id, role,
                                 starts_at, ends_at, set_by, set_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        s.organisation_id,
        id,
        s.assignment_id,
        s.officer_id,
        s.role.as_str(),
        s.starts_at,
        s.ends_at,
        actor,
        now
    ])?;
    send_rota(tx, s.organisation_id, s.assignment_id, now)?;
    tracing::info!(shift_id = %id, "shift set");
    shift_in(tx, s.organisation_id, &id)
}

/// [`set_shift_in`] in its own transaction, on the server's clock.
pub fn set_shift(server: &Server, s: &NewShift<'_>, actor: &str) -> Result<Shift> {
    let now = server.now();
    server.write(|tx| set_shift_in(tx, s, actor, now))
}

/// Calls in the on-call officer of `shift_id` (in `tx`): only an on-call shift not over
/// yet and not called in before (else `Conflict`, nothing written).
pub fn call_in_in(
    tx: &Conn,
    organisation_id: &str,
    shift_id: &str,
    actor: &str,
    now: Timestamp,
) -> Result<Shift> {
    call(tx, organisation_id, shift_id, actor, now, Call::In)
}

/// Stands down the called-in officer of `shift_id` (in `tx`): only after a call-in, once.
pub fn stand_down_in(
    tx: &Conn,
    organisation_id: &str,
    shift_id: &str,
    actor: &str,
    now: Timestamp,
) -> Result<Shift> {
    call(tx, organisation_id, shift_id, actor, now, Call::StandDown)
}

/// [`call_in_in`] in its own transaction, on the server's clock.
pub fn call_in(
    server: &Server,
    organisation_id: &str,
    shift_id: &str,
    actor: &str,
) -> Result<Shift> {
    let now = server.now();
    server.write(|tx| call_in_in(tx, organisation_id, shift_id, actor, now))
}

/// [`stand_down_in`] in its own transaction, on the server's clock.
pub fn stand_down(
    server: &Server,
    organisation_id: &str,
    shift_id: &str,
    actor: &str,
) -> Result<Shift> {
    let now = server.now();
    server.write(|tx| stand_down_in(tx, organisation_id, shift_id, actor, now))
}

fn call(
    tx: &Conn,
    organisation_id: &str,
    shift_id: &str,
    actor: &str,
    now: Timestamp,
    step: Call,
) -> Result<Shift> {
    required_text("shift", shift_id, MAX_SHORT_TEXT)?;
    required_text("actor", actor, MAX_SHORT_TEXT)?;
    let shift = shift_in(tx, organisation_id, shift_id)?;
    let refusal = match step {
        Call::In if shift.role != DutyRole::OnCall => Some(format!(
            "{} is on duty, not on call: only an on-call officer is called in",
            shift.officer_id
        )),
        Call::In if shift.called_in_at.is_some() => {
            Some(format!("{} is already called in", shift.officer_id))
        }
        Call::In if now >= shift.ends_at => Some("the on-call shift is over".to_owned()),
        Call::StandDown if shift.called_in_at.is_none() => {
            Some(format!("{} was not called in", shift.officer_id))
        }
        Call::StandDown if shift.stood_down_at.is_some() => {
            Some(format!("{} is already stood down", shift.officer_id))
        }
        _ => None,
    };
    if let Some(refusal) = refusal {
        return Err(Error::Conflict(refusal));
    }
    tx.prepare_cached(
        "INSERT INTO rota_call (organisation_id, shift_id, action, actor, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        organisation_id,
        shift_id,
        step.action(),
        actor,
        now
    ])?;
    send_rota(tx, organisation_id, &shift.assignment_id, now)?;
    tracing::info!(shift_id, action = step.action(), "rota call");
    shift_in(tx, organisation_id, shift_id)
}

const SELECT: &str = "SELECT s.id, s.assignment_id, s.officer_id, s.role, s.starts_at, s.ends_at,
        ci.at, ci.actor, sd.at, sd.actor
    FROM rota_shift s
    LEFT JOIN rota_call ci ON ci.organisation_id = s.organisation_id AND ci.shift_id = s.id
                          AND ci.action = 'called_in'
    LEFT JOIN rota_call sd ON sd.organisation_id = s.organisation_id AND sd.shift_id = s.id
                          AND sd.action = 'stood_down'";

/// The office's rows read a shift as the device's do ([`cordon_core::shift_from_row`]).
impl cordon_core::RowColumns for Row<'_> {
    fn column<T: rusqlite::types::FromSql>(&self, idx: usize) -> rusqlite::Result<T> {
        self.get(idx)
    }
}

fn shift_in(c: &Conn, organisation_id: &str, shift_id: &str) -> Result<Shift> {
    c.prepare_cached(&format!(
        "{SELECT} WHERE s.organisation_id = ?1 AND s.id = ?2"
    ))?
    .query_row([organisation_id, shift_id], |r| {
        cordon_core::shift_from_row(r)
    })
    .optional()?
    .ok_or_else(|| Error::not_found("shift", shift_id))
}

fn shifts_in(c: &Conn, organisation_id: &str, assignment_id: Option<&str>) -> Result<Vec<Shift>> {
    Ok(c.prepare_cached(&format!(
        "{SELECT} WHERE s.organisation_id = ?1
           AND (CAST(?2 AS TEXT) IS NULL OR s.assignment_id = ?2)
         ORDER BY s.assignment_id, s.starts_at, s.id"
    ))?
    .query_map(rusqlite::params![organisation_id, assignment_id], |r| {
        cordon_core::shift_from_row(r)
    })?
    .collect::<rusqlite::Result<_>>()?)
}

/// Sends the assignment's whole rota to every officer on it.
fn send_rota(tx: &Conn, organisation_id: &str, assignment_id: &str, now: Timestamp) -> Result<()> {
    let rota = Rota {
        assignment_id: assignment_id.to_owned(),
        shifts: shifts_in(tx, organisation_id, Some(assignment_id))?,
        updated_at: now,
    };
    let officers: Vec<String> = tx
        .prepare_cached(
            "SELECT officer_id FROM assignment_officer
             WHERE organisation_id = ?1 AND assignment_id = ?2 ORDER BY officer_id",
        )?
        .query_map([organisation_id, assignment_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for officer in officers {
        feed::append_rota(tx, organisation_id, &officer, &rota)?;
    }
    Ok(())
}

/// The organisation's rota, by assignment and start; one assignment's with `Some`.
pub fn rota_of(
    server: &Server,
    organisation_id: &str,
    assignment_id: Option<&str>,
) -> Result<Vec<Shift>> {
    server.read(|c| shifts_in(c, organisation_id, assignment_id))
}

/// One shift of the organisation.
pub fn shift(server: &Server, organisation_id: &str, shift_id: &str) -> Result<Shift> {
    server.read(|c| shift_in(c, organisation_id, shift_id))
}
