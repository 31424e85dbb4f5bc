//! The surveillance log on the device: sightings written offline, matched against the
//! BOLO list the office sent down the feed, in the sighting's own transaction.
//!
//! `record_sighting` copies the photos first (hashed while copying, as attachments are),
//! then in one transaction: checks the links, looks the normalised registration up in the
//! BOLO list (one probe of a partial index, however long the list), writes the sighting
//! with its match, and queues `sighting.record` (urgent lane when it matched, else normal)
//! and one `attachment.upload` (bulk) per photo, which waits for the sighting so that the
//! office has declared the photo's bytes before they arrive. If the transaction fails the
//! copies are removed and nothing is written.

use std::path::Path;

use rusqlite::{Connection, Transaction};

use super::assignments::require_known_assignment;
use super::attachments::copy_hashed;
use super::outbox::{encode, enqueue_after, enqueue_encoded};
use super::{from_json, new_id, Durability, Store};
use crate::error::{CordonError, InputRule, Result};
use crate::model::{
    normalise_registration, BoloEntry, BoloMatch, BoloPriority, NewSighting, Sighting,
    SightingPhoto,
};
use crate::protocol::{AttachmentUpload, Payload};
use crate::time::Timestamp;

/// The entry the normalised `registration` matches: the most urgent active entry, the
/// newest first among equals. One probe of `bolo_by_registration`.
///
/// The choice among the (rarely several) entries for one registration is made here, not
/// by `ORDER BY ... LIMIT 1`: with that clause SQLite's planner reads the bound value, so
/// the cached statement would be compiled again on every call (one parse per sighting,
/// an eighth of the write's time).
pub(super) const BOLO_MATCH_SQL: &str =
    "SELECT id, version, priority, reason, received_at FROM bolo INDEXED BY bolo_by_registration
     WHERE registration = ?1 AND withdrawn = 0";

fn bolo_match(c: &Connection, registration: &str) -> Result<Option<BoloMatch>> {
    let mut best: Option<(String, i32, i64, String, Timestamp)> = None;
    let mut statement = c.prepare_cached(BOLO_MATCH_SQL)?;
    let mut rows = statement.query([registration])?;
    while let Some(r) = rows.next()? {
        let row = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let better = best.as_ref().is_none_or(|b| {
            // Lower rank is more urgent; among equals the newer, then the id, so the
            // choice never depends on the order rows come back in.
            (row.2, std::cmp::Reverse(row.4), &row.0) < (b.2, std::cmp::Reverse(b.4), &b.0)
        });
        if better {
            best = Some(row);
        }
    }
    best.map(|(bolo_id, version, priority, reason, _)| {
        Ok(BoloMatch {
            bolo_id,
            version,
            registration: registration.to_owned(),
            reason,
            priority: priority_of_rank(priority)?,
        })
    })
    .transpose()
}

fn priority_of_rank(rank: i64) -> Result<BoloPriority> {
    [BoloPriority::High, BoloPriority::Medium, BoloPriority::Low]
        .into_iter()
        .find(|p| *p as i64 == rank)
        .ok_or_else(|| CordonError::Storage {
            detail: format!("unknown BOLO priority {rank} in the database"),
        })
}

/// Stores a BOLO entry from the feed if it is new or newer than the one held (a
/// withdrawal is a newer version marked withdrawn). Returns whether it was stored.
pub(super) fn store_bolo(tx: &Transaction<'_>, entry: &BoloEntry, now: Timestamp) -> Result<bool> {
    let n = tx
        .prepare_cached(
            "INSERT INTO bolo (id, version, registration, priority, reason, withdrawn, body,
                               received_at)
             VALUES (?1, ?2, ?3, ?4, ?8, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
                 version = excluded.version, registration = excluded.registration,
                 priority = excluded.priority, reason = excluded.reason,
                 withdrawn = excluded.withdrawn,
                 body = excluded.body, received_at = excluded.received_at
             WHERE excluded.version > bolo.version",
        )?
        .execute(rusqlite::params![
            entry.id,
            entry.version,
            entry.registration,
            entry.priority as i64,
            entry.withdrawn,
            serde_json::to_string(entry)?,
            now,
            entry.reason
        ])?;
    Ok(n > 0)
}

fn require_known_links(tx: &Transaction<'_>, links: &[String]) -> Result<()> {
    let mut known = tx.prepare_cached("SELECT 1 FROM sighting WHERE id = ?1")?;
    for link in links {
        if !known.exists([link])? {
            return Err(CordonError::invalid(
                "links",
                InputRule::UnknownRecord,
                format!("{link:?} is not a sighting on this device"),
            ));
        }
    }
    Ok(())
}

fn read_sightings(c: &Connection, id: Option<&str>) -> Result<Vec<Sighting>> {
    c.prepare_cached(
        "SELECT body FROM sighting WHERE ?1 IS NULL OR id = ?1 ORDER BY occurred_at, id",
    )?
    .query_map([id], |r| r.get::<_, String>(0))?
    .map(|b| from_json(&b?))
    .collect()
}

impl Store {
    /// Records a sighting and queues it for the office, with its photos, in one
    /// transaction. Its registration is normalised and matched against the BOLO list the
    /// device holds: a match is set on the returned sighting (`bolo_match`) and sends it
    /// in the urgent lane. Links must name sightings on this device (`UnknownRecord`
    /// naming `links` otherwise), and an assignment, if named, must be on the device; bad input is refused naming the field, with nothing
    /// written and no copy left behind.
    pub fn record_sighting(&self, mut new: NewSighting) -> Result<Sighting> {
        let now = self.now();
        for text in [&mut new.direction, &mut new.subject] {
            if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                *text = None;
            }
        }
        new.validate(now)?;
        let mut vehicle = new.vehicle.take();
        if let Some(v) = vehicle.as_mut() {
            if let Some(r) = v.registration.as_deref() {
                v.registration = Some(normalise_registration("vehicle.registration", r)?);
            }
        }
        let mut photos = Vec::with_capacity(new.photos.len());
        let copied = (|| {
            for p in &new.photos {
                let source = Path::new(&p.path);
                let id = new_id();
                let target = self.attachment_path(&id);
                let (size, sha256) = copy_hashed(source, &target, self.file_key().as_deref())?;
                photos.push(SightingPhoto {
                    file_name: source
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| id.clone()),
                    id,
                    mime_type: p.mime_type.clone(),
                    size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
                    sha256,
                    captured_at: now,
                });
            }
            Ok::<_, CordonError>(())
        })();
        let mut sighting = Sighting {
            id: new_id(),
            assignment_id: new.assignment_id,
            occurred_at: new.occurred_at.unwrap_or(now),
            time_zone: new.time_zone,
            place: new.place,
            location: new.location,
            direction: new.direction,
            subject: new.subject,
            vehicle,
            links: new.links,
            photos,
            recorded_at: now,
            bolo_match: None,
        };
        let written = copied.and_then(|()| {
            self.write(Durability::Normal, |tx| {
                require_known_assignment(tx, sighting.assignment_id.as_deref())?;
                require_known_links(tx, &sighting.links)?;
                sighting.bolo_match = match sighting.registration() {
                    Some(r) => bolo_match(tx, r)?,
                    None => None,
                };
                // The row keeps the JSON the operation sends: encoded once for both.
                let record = Payload::SightingRecord(sighting.clone());
                let json = encode(&record)?;
                tx.prepare_cached(
                    "INSERT INTO sighting (id, occurred_at, body) VALUES (?1, ?2, ?3)",
                )?
                .execute(rusqlite::params![
                    sighting.id,
                    sighting.occurred_at,
                    json
                ])?;
                let (_, record_seq) = enqueue_encoded(tx, &record, &json, None, now)?;
                for p in &sighting.photos {
                    tx.prepare_cached(
                        "INSERT INTO sighting_photo (id, sighting_id) VALUES (?1, ?2)",
                    )?
                    .execute([&p.id, &sighting.id])?;
                    let upload = Payload::AttachmentUpload(AttachmentUpload {
                        attachment_id: p.id.clone(),
                        sha256: p.sha256.clone(),
                        size_bytes: p.size_bytes.unsigned_abs(),
                    });
                    enqueue_after(tx, &upload, &sighting.id, record_seq, now)?;
                }
                Ok(())
            })
        });
        if let Err(e) = written {
            for p in &sighting.photos {
                let _ = std::fs::remove_file(self.attachment_path(&p.id));
            }
            return Err(e);
        }
        Ok(sighting)
    }

    /// Every sighting written on this device, oldest first (by when it was seen).
    pub fn sightings(&self) -> Result<Vec<Sighting>> {
        self.read(|c| read_sightings(c, None))
    }

    /// One sighting of this device; `NotFound` for any other id.
    pub fn sighting(&self, id: &str) -> Result<Sighting> {
        self.read(|c| read_sightings(c, Some(id)))?
            .pop()
            .ok_or_else(|| CordonError::not_found("sighting", id))
    }

    /// Stores one BOLO entry as the feed would (a newer version replaces an older one; a
    /// withdrawn entry stops matching). Returns whether it was stored. The sync engine
    /// applies the feed's entries itself; this is for tools and tests that stand in for it.
    pub fn upsert_bolo_entry(&self, entry: &BoloEntry) -> Result<bool> {
        entry.validate()?;
        let now = self.now();
        self.write(Durability::Normal, |tx| store_bolo(tx, entry, now))
    }

    /// The BOLO list as the device holds it: entries not withdrawn, most urgent first,
    /// then newest first.
    pub fn bolo_entries(&self) -> Result<Vec<BoloEntry>> {
        self.read(|c| {
            let bodies: Vec<String> = c
                .prepare_cached("SELECT body FROM bolo WHERE withdrawn = 0 ORDER BY priority, id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut entries = bodies
                .iter()
                .map(|b| from_json::<BoloEntry>(b))
                .collect::<Result<Vec<_>>>()?;
            entries.sort_by(|a, b| {
                (a.priority, std::cmp::Reverse(a.issued_at), &a.id).cmp(&(
                    b.priority,
                    std::cmp::Reverse(b.issued_at),
                    &b.id,
                ))
            });
            Ok(entries)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn entry(id: &str, registration: &str, priority: BoloPriority, issued: i64) -> BoloEntry {
        BoloEntry {
            id: id.into(),
            version: 1,
            registration: Some(registration.into()),
            description: None,
            reason: format!("reason {id}"),
            priority,
            issued_at: Timestamp::from_millis(issued),
            withdrawn: false,
        }
    }

    /// The lookup runs inside every sighting's write: its cached statement must be
    /// compiled once, not again for every registration bound to it, and it still picks
    /// the most urgent entry.
    #[test]
    fn bolo_match_is_compiled_once_and_picks_the_most_urgent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let store = Store::open(&path).unwrap();
            for e in [
                entry("B-low", "AB12CDE", BoloPriority::Low, 1),
                entry("B-high", "AB12CDE", BoloPriority::High, 2),
                entry("B-medium", "AB12CDE", BoloPriority::Medium, 3),
                entry("B-other", "XY99ZZZ", BoloPriority::Low, 4),
            ] {
                store.upsert_bolo_entry(&e).unwrap();
            }
        }
        let c = Connection::open(&path).unwrap();
        for _ in 0..3 {
            for (registration, expected) in [
                ("AB12CDE", Some("B-high")),
                ("XY99ZZZ", Some("B-other")),
                ("NOPE123", None),
            ] {
                let found = bolo_match(&c, registration).unwrap();
                assert_eq!(found.as_ref().map(|m| m.bolo_id.as_str()), expected);
            }
        }
        let statement = c.prepare_cached(BOLO_MATCH_SQL).unwrap();
        assert_eq!(
            statement.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "the BOLO lookup was compiled again for a new registration"
        );
        assert_eq!(statement.get_status(rusqlite::StatementStatus::Run), 9);
    }
}
