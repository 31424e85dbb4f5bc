//! Assignments as the office sent them: stored whole, replaced only by a newer version.

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::{from_json, Durability, Store};
use crate::error::{CordonError, InputRule, Result};
use crate::model::{Assignment, WelfareStatus};
use crate::time::Timestamp;

/// Which copy of an assignment wins when the device already holds one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Versions {
    /// A newer version replaces the copy; the same or an older one does not.
    NewerOnly,
    /// The office's copy replaces any other version (a feed that started over).
    OfficeWins,
}

/// Stores `assignment` (already validated) unless the device has this version or, by
/// `versions`, a newer one.
pub(super) fn upsert(
    tx: &Transaction<'_>,
    assignment: &Assignment,
    versions: Versions,
    now: Timestamp,
) -> Result<bool> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO assignment (id, server_version, status, starts_at, ends_at, body,
                                     received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
                 server_version = excluded.server_version, status = excluded.status,
                 starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                 body = excluded.body, received_at = excluded.received_at
             WHERE excluded.server_version > assignment.server_version
                OR (?8 AND (excluded.server_version != assignment.server_version
                            OR excluded.body != assignment.body))",
        )?
        .execute(rusqlite::params![
            assignment.id,
            assignment.server_version,
            serde_json::to_value(assignment.status)?.as_str(),
            assignment.starts_at,
            assignment.ends_at,
            serde_json::to_string(assignment)?,
            now,
            versions == Versions::OfficeWins,
        ])?;
    Ok(changed == 1)
}

/// One rule for every record that is not an alarm: an assignment it names must be on the
/// device (alarms may name one not yet downloaded, and skip this). Refused as an input
/// error on `assignment_id`, rule `UnknownRecord`.
/// The assignment `id` as the device holds it, or `NotFound`.
pub(crate) fn assignment_in(c: &Connection, id: &str) -> Result<Assignment> {
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM assignment WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    from_json(&body.ok_or_else(|| CordonError::not_found("assignment", id))?)
}

pub(crate) fn require_known_assignment(tx: &Transaction, id: Option<&str>) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    let known: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM assignment WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    match known {
        Some(_) => Ok(()),
        None => Err(CordonError::invalid(
            "assignment_id",
            InputRule::UnknownRecord,
            format!("{id:?} is not an assignment on this device"),
        )),
    }
}

impl Store {
    /// Stores an assignment from the office if it is new or newer than the copy held.
    /// Returns `true` if it was stored, `false` if the device already had this version or
    /// a later one (a replayed or out-of-order download).
    pub fn upsert_assignment(&self, assignment: &Assignment) -> Result<bool> {
        assignment.validate()?;
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            upsert(tx, assignment, Versions::NewerOnly, now)
        })
    }

    pub fn assignment(&self, id: &str) -> Result<Assignment> {
        self.read(|c| assignment_in(c, id))
    }

    /// Every assignment on the device, soonest first.
    pub fn assignments(&self) -> Result<Vec<Assignment>> {
        let bodies: Vec<String> = self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT body FROM assignment ORDER BY starts_at, id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        bodies.iter().map(|b| from_json(b)).collect()
    }

    /// The welfare clock of an assignment, now, computed offline from its check-in policy
    /// and the latest check-in.
    pub fn welfare_status(&self, assignment_id: &str) -> Result<WelfareStatus> {
        let assignment = self.assignment(assignment_id)?;
        let last = self.last_check_in(assignment_id)?;
        Ok(WelfareStatus::compute(
            assignment.check_in_policy,
            assignment.status,
            last,
            self.now(),
        ))
    }
}
