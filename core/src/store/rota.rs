//! The duty rota on the device: each `rota` feed entry replaces what the device holds for
//! its assignment (`store_rota`, called from the pull); the officer's duty is computed
//! from it offline with the store's clock (`my_duty`). A call-in is noticed like a
//! control-room message: `unseen_call_ins` lists the call-ins the officer has not seen yet
//! (the app asks after every pass, as it asks `unread_message_count`) and
//! `mark_call_in_seen` records, on the device only, that they saw it.

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::{Durability, Store};
use crate::error::{CordonError, Result};
use crate::model::validate::{required_text, MAX_SHORT_TEXT};
use crate::model::{duty_of, Duty, DutyRole, Rota, Shift};
use crate::time::Timestamp;

const COLUMNS: &str = "shift_id, assignment_id, officer_id, role, starts_at, ends_at,
    called_in_at, called_in_by, stood_down_at, stood_down_by";

/// A row whose columns are read by position with rusqlite's `FromSql`: rusqlite's own, or
/// the office's (`server/src/store`, over SQLite or PostgreSQL), so that both read a
/// shift through [`shift_from_row`].
pub trait RowColumns {
    fn column<T: rusqlite::types::FromSql>(&self, idx: usize) -> rusqlite::Result<T>;
}

impl RowColumns for rusqlite::Row<'_> {
    fn column<T: rusqlite::types::FromSql>(&self, idx: usize) -> rusqlite::Result<T> {
        self.get(idx)
    }
}

/// A shift from a row whose first ten columns are, in order: shift id, assignment,
/// officer, role, starts, ends, called in at and by, stood down at and by. The device's
/// reads and the office's (`server/src/admin/rota.rs`) both read shifts through it.
pub fn shift_from_row(r: &impl RowColumns) -> rusqlite::Result<Shift> {
    let role: String = r.column(3)?;
    Ok(Shift {
        shift_id: r.column(0)?,
        assignment_id: r.column(1)?,
        officer_id: r.column(2)?,
        // The table's CHECK admits only the two names.
        role: DutyRole::parse(&role).unwrap_or(DutyRole::OnDuty),
        starts_at: r.column(4)?,
        ends_at: r.column(5)?,
        called_in_at: r.column(6)?,
        called_in_by: r.column(7)?,
        stood_down_at: r.column(8)?,
        stood_down_by: r.column(9)?,
    })
}

/// Replaces the device's rota of `rota.assignment_id` with `rota` (a shift the office
/// removed goes; when the officer saw a call-in is kept).
pub(super) fn store_rota(tx: &Transaction<'_>, rota: &Rota, now: Timestamp) -> Result<()> {
    let keep: Vec<&str> = rota.shifts.iter().map(|s| s.shift_id.as_str()).collect();
    let held: Vec<String> = tx
        .prepare_cached("SELECT shift_id FROM rota_shift WHERE assignment_id = ?1")?
        .query_map([&rota.assignment_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for gone in held.iter().filter(|h| !keep.contains(&h.as_str())) {
        tx.prepare_cached("DELETE FROM rota_shift WHERE shift_id = ?1")?
            .execute([gone])?;
    }
    for s in &rota.shifts {
        tx.prepare_cached(
            "INSERT INTO rota_shift (shift_id, assignment_id, officer_id, role, starts_at,
                 ends_at, called_in_at, called_in_by, stood_down_at, stood_down_by, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (shift_id) DO UPDATE SET
                 assignment_id = excluded.assignment_id, officer_id = excluded.officer_id,
                 role = excluded.role, starts_at = excluded.starts_at,
                 ends_at = excluded.ends_at, called_in_at = excluded.called_in_at,
                 called_in_by = excluded.called_in_by, stood_down_at = excluded.stood_down_at,
                 stood_down_by = excluded.stood_down_by, received_at = excluded.received_at",
        )?
        .execute(rusqlite::params![
            s.shift_id,
            s.assignment_id,
            s.officer_id,
            s.role.as_str(),
            s.starts_at,
            s.ends_at,
            s.called_in_at,
            s.called_in_by,
            s.stood_down_at,
            s.stood_down_by,
            now
        ])?;
    }
    Ok(())
}

fn my_shifts(c: &Connection) -> Result<Vec<Shift>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM rota_shift
         WHERE officer_id = (SELECT officer_id FROM device) ORDER BY starts_at, shift_id"
    ))?
    .query_map([], |r| shift_from_row(r))?
    .collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// The rota of `assignment_id` as the office last sent it: every officer's shifts, by
    /// start (empty when the office sent none).
    pub fn rota(&self, assignment_id: &str) -> Result<Vec<Shift>> {
        required_text("assignment_id", assignment_id, MAX_SHORT_TEXT)?;
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM rota_shift WHERE assignment_id = ?1
                 ORDER BY starts_at, shift_id"
            ))?
            .query_map([assignment_id], |r| shift_from_row(r))?
            .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The officer's duty now (the store's clock): called in, on duty, on call or off
    /// duty, with the shift that says so. Off duty before enrolment (no officer yet).
    pub fn my_duty(&self) -> Result<Duty> {
        self.duty_at(self.now())
    }

    /// The officer's duty at `at`, from the rota the device holds.
    pub fn duty_at(&self, at: Timestamp) -> Result<Duty> {
        crate::time::validate_timestamp("at", at)?;
        self.read(|c| {
            let officer: Option<String> =
                c.query_row("SELECT officer_id FROM device", [], |r| r.get(0))?;
            let Some(officer) = officer else {
                return Ok(duty_of(&[], "", at));
            };
            Ok(duty_of(&my_shifts(c)?, &officer, at))
        })
    }

    /// The officer's call-ins in force now that they have not seen on this device yet,
    /// oldest first: what the app must put in front of the officer.
    pub fn unseen_call_ins(&self) -> Result<Vec<Shift>> {
        let now = self.now();
        self.read(|c| {
            let unseen: Vec<String> = c
                .prepare_cached(
                    "SELECT shift_id FROM rota_shift WHERE call_in_seen_at IS NULL
                         AND officer_id = (SELECT officer_id FROM device)",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut shifts: Vec<Shift> = my_shifts(c)?
                .into_iter()
                .filter(|s| s.called_in(now) && unseen.contains(&s.shift_id))
                .collect();
            shifts.sort_by_key(|s| (s.called_in_at, s.shift_id.clone()));
            Ok(shifts)
        })
    }

    /// The officer saw the call-in of `shift_id`: recorded on the device (the first time
    /// kept; a shift not called in yet is left as it is, so a later call-in still shows).
    /// A shift the device does not hold is `NotFound`.
    pub fn mark_call_in_seen(&self, shift_id: &str) -> Result<Shift> {
        required_text("shift_id", shift_id, MAX_SHORT_TEXT)?;
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let held = tx
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM rota_shift WHERE shift_id = ?1"
                ))?
                .query_row([shift_id], |r| shift_from_row(r))
                .optional()?
                .ok_or_else(|| CordonError::not_found("shift", shift_id))?;
            tx.prepare_cached(
                "UPDATE rota_shift SET call_in_seen_at = ?2
                 WHERE shift_id = ?1 AND call_in_seen_at IS NULL
                   AND called_in_at IS NOT NULL",
            )?
            .execute(rusqlite::params![shift_id, now])?;
            Ok(held)
        })
    }
}
