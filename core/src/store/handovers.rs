//! Handover notes on the device: the outgoing officer writes one (the note and its
//! `handover.create` operation in one transaction); the incoming officer's device keeps
//! the notes the feed brings (`store_handover`) and acknowledges one (the acknowledgement
//! and its `handover.acknowledge` operation in one transaction, only the first time);
//! the outgoing device learns of the acknowledgement from its own feed.

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::assignments::assignment_in;
use super::outbox::enqueue;
use super::{new_id, Durability, Store};
use crate::error::{CordonError, InputRule, Result};
use crate::model::validate::{required_text, MAX_SHORT_TEXT};
use crate::model::{Handover, HandoverAcknowledgement, NewHandover};
use crate::protocol::Payload;
use crate::time::Timestamp;

const COLUMNS: &str = "id, from_officer_id, assignment_id, to_officer_id, principal_state,
    open_issues, equipment_and_keys, watch_for, written_at, acknowledged_at";

fn handover(r: &rusqlite::Row<'_>) -> rusqlite::Result<Handover> {
    Ok(Handover {
        id: r.get(0)?,
        from_officer_id: r.get(1)?,
        note: NewHandover {
            assignment_id: r.get(2)?,
            to_officer_id: r.get(3)?,
            principal_state: r.get(4)?,
            open_issues: r.get(5)?,
            equipment_and_keys: r.get(6)?,
            watch_for: r.get(7)?,
        },
        written_at: r.get(8)?,
        acknowledged_at: r.get(9)?,
    })
}

fn one(c: &Connection, id: &str) -> Result<Option<Handover>> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM handover WHERE id = ?1"))?
            .query_row([id], handover)
            .optional()?,
    )
}

fn insert(tx: &Transaction<'_>, h: &Handover, received_at: Option<Timestamp>) -> Result<()> {
    let n = &h.note;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO handover (id, from_officer_id, assignment_id, to_officer_id,
             principal_state, open_issues, equipment_and_keys, watch_for, written_at,
             acknowledged_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(rusqlite::params![
        h.id,
        h.from_officer_id,
        n.assignment_id,
        n.to_officer_id,
        n.principal_state,
        n.open_issues,
        n.equipment_and_keys,
        n.watch_for,
        h.written_at,
        h.acknowledged_at,
        received_at
    ])?;
    Ok(())
}

/// Keeps a note from the feed: a new one as it came; for one the device holds, only an
/// acknowledgement it did not know yet (the first kept, so a feed that starts over
/// cannot undo the officer's own).
pub(super) fn store_handover(tx: &Transaction<'_>, h: &Handover, now: Timestamp) -> Result<()> {
    insert(tx, h, Some(now))?;
    if let Some(at) = h.acknowledged_at {
        tx.prepare_cached(
            "UPDATE handover SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL",
        )?
        .execute(rusqlite::params![h.id, at])?;
    }
    Ok(())
}

fn my_officer(c: &Connection) -> Result<Option<String>> {
    Ok(c.query_row("SELECT officer_id FROM device", [], |r| r.get(0))?)
}

impl Store {
    /// The outgoing officer writes a handover note for `note.to_officer_id`: kept and
    /// queued for the office (`handover.create`, normal lane) in one transaction. The
    /// assignment must be on the device (`NotFound`), the device enrolled (the note is
    /// from its officer) and the note valid (`InvalidInput` naming the field).
    pub fn write_handover(&self, note: NewHandover) -> Result<Handover> {
        note.validate()?;
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            assignment_in(tx, &note.assignment_id)?;
            let from = my_officer(tx)?.ok_or_else(|| {
                CordonError::invalid(
                    "from_officer_id",
                    InputRule::Required,
                    "enrol the device before writing a handover (the note is from its officer)",
                )
            })?;
            let h = Handover {
                id: new_id(),
                from_officer_id: from,
                note: note.clone(),
                written_at: now,
                acknowledged_at: None,
            };
            h.validate()?;
            insert(tx, &h, None)?;
            enqueue(tx, &Payload::HandoverCreate(h.clone()), None, now)?;
            Ok(h)
        })
    }

    /// One note, if the device holds it (written here or brought by the feed).
    pub fn handover(&self, id: &str) -> Result<Option<Handover>> {
        required_text("id", id, MAX_SHORT_TEXT)?;
        self.read(|c| one(c, id))
    }

    /// Every note the device holds, newest first: the officer's own and those to them.
    pub fn handovers(&self) -> Result<Vec<Handover>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM handover ORDER BY written_at DESC, id DESC"
            ))?
            .query_map([], handover)?
            .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The notes addressed to this device's officer that they have not acknowledged yet,
    /// oldest first.
    pub fn handovers_to_acknowledge(&self) -> Result<Vec<Handover>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM handover WHERE acknowledged_at IS NULL
                     AND to_officer_id = (SELECT officer_id FROM device)
                 ORDER BY written_at, id"
            ))?
            .query_map([], handover)?
            .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The incoming officer acknowledges note `id`: the time is kept and the
    /// acknowledgement queued for the office (`handover.acknowledge`, normal lane), in one
    /// transaction. Again: nothing changes, nothing is queued, the first time is kept. A
    /// note the device does not hold is `NotFound`; one not addressed to this officer
    /// (their own, or another officer's) is `HandoverNotForYou`.
    pub fn acknowledge_handover(&self, id: &str) -> Result<Handover> {
        required_text("id", id, MAX_SHORT_TEXT)?;
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let held = one(tx, id)?.ok_or_else(|| CordonError::not_found("handover", id))?;
            if my_officer(tx)?.as_deref() != Some(held.note.to_officer_id.as_str()) {
                return Err(CordonError::HandoverNotForYou {
                    handover_id: id.to_owned(),
                });
            }
            if held.acknowledged_at.is_some() {
                return Ok(held);
            }
            tx.prepare_cached("UPDATE handover SET acknowledged_at = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![id, now])?;
            let ack = HandoverAcknowledgement {
                handover_id: id.to_owned(),
                acknowledged_at: now,
            };
            enqueue(tx, &Payload::HandoverAcknowledge(ack), None, now)?;
            Ok(Handover {
                acknowledged_at: Some(now),
                ..held
            })
        })
    }
}
