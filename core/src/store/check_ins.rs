//! Check-ins: appended with their outbox operation in one transaction.

use rusqlite::OptionalExtension;

use super::assignments::require_known_assignment;
use super::outbox::enqueue;
use super::{from_json, new_id, Durability, Store};
use crate::error::{CordonError, Result};
use crate::model::{CheckIn, CheckInKind, NewCheckIn};
use crate::protocol::{Lane, Payload};
use crate::time::Timestamp;

impl Store {
    /// Records a check-in and queues it for the office. Duress and panic go to the urgent
    /// lane and are synced to disk before this returns.
    ///
    /// An alarm is never refused for its input: whatever breaks a rule is repaired and
    /// the repair noted (see [`NewCheckIn::repair_alarm`]); only a storage failure can
    /// stop it.
    pub fn record_check_in(&self, mut new: NewCheckIn) -> Result<CheckIn> {
        let now = self.now();
        new.normalise();
        if new.kind.is_alarm() {
            new.repair_alarm(now);
        }
        new.validate(now)?;
        let check_in = CheckIn {
            id: new_id(),
            kind: new.kind,
            assignment_id: new.assignment_id,
            occurred_at: new.occurred_at.unwrap_or(now),
            time_zone: new.time_zone,
            location: new.location,
            tag_id: new.tag_id,
            note: new.note,
            recorded_at: now,
        };
        let location = check_in
            .location
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?;
        let payload = Payload::CheckInRecord(check_in.clone());
        let durability = match payload.lane() {
            Lane::Urgent => Durability::Full,
            _ => Durability::Normal,
        };
        self.write(durability, |tx| {
            if !check_in.kind.is_alarm() {
                require_known_assignment(tx, check_in.assignment_id.as_deref())?;
            }
            tx.prepare_cached(
                "INSERT INTO check_in (id, kind, assignment_id, occurred_at, time_zone,
                                       location, tag_id, note, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(rusqlite::params![
                check_in.id,
                check_in.kind.as_str(),
                check_in.assignment_id,
                check_in.occurred_at,
                check_in.time_zone,
                location,
                check_in.tag_id,
                check_in.note,
                check_in.recorded_at,
            ])?;
            enqueue(tx, &payload, None, now)?;
            Ok(())
        })?;
        Ok(check_in)
    }

    /// Check-ins, oldest first; of one assignment, or all of them.
    pub fn check_ins(&self, assignment_id: Option<&str>) -> Result<Vec<CheckIn>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, kind, assignment_id, occurred_at, time_zone, location, tag_id,
                        note, recorded_at
                 FROM check_in
                 WHERE ?1 IS NULL OR assignment_id = ?1
                 ORDER BY occurred_at, id",
            )?;
            let mut rows = stmt.query([assignment_id])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let kind: String = r.get(1)?;
                let location: Option<String> = r.get(5)?;
                out.push(CheckIn {
                    id: r.get(0)?,
                    kind: CheckInKind::parse(&kind).ok_or_else(|| CordonError::Storage {
                        detail: format!("unknown check-in kind {kind:?} in the database"),
                    })?,
                    assignment_id: r.get(2)?,
                    occurred_at: r.get(3)?,
                    time_zone: r.get(4)?,
                    location: location.as_deref().map(from_json).transpose()?,
                    tag_id: r.get(6)?,
                    note: r.get(7)?,
                    recorded_at: r.get(8)?,
                });
            }
            Ok(out)
        })
    }

    /// The latest check-in on an assignment, by when it occurred.
    pub(crate) fn last_check_in(
        &self,
        assignment_id: &str,
    ) -> Result<Option<(CheckInKind, Timestamp)>> {
        let row: Option<(String, Timestamp)> = self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT kind, occurred_at FROM check_in WHERE assignment_id = ?1
                 ORDER BY occurred_at DESC, id DESC LIMIT 1",
            )?
            .query_row([assignment_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
        })?;
        Ok(row.and_then(|(kind, at)| CheckInKind::parse(&kind).map(|k| (k, at))))
    }
}
