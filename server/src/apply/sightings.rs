//! Sightings (`sighting.record`): a sighting of a subject or vehicle, written once. The
//! office checks it with the core's rules, matches its registration against its own BOLO
//! list (the device's match is kept beside it, not trusted in its place), declares its
//! photos' bytes (blobs, uploaded like any attachment's) and writes its rows.
//!
//! A sighting keeps its own ownership (the device that sent it) rather than a row of
//! `record`: it has one operation, never changed, so there is no per-record order to
//! keep. A sighting id another device already used is refused; the same device sending it
//! again (a dead letter requeued with a new operation id) changes nothing. Links are kept
//! as sent: an urgent sighting may arrive before the earlier one it links to.

use crate::store::{Conn, OptionalExtension};
use cordon_core::protocol::WireOperation;
use cordon_core::{Sighting, Timestamp};

use super::attachments::declare_blob;
use super::{reject, same_record, Refusal};
use crate::error::Error;
use crate::http::Caller;

/// `sighting.record`.
pub(super) fn record(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    s: &Sighting,
    now: Timestamp,
) -> Result<(), Refusal> {
    s.validate()?;
    same_record("id", &s.id, op)?;
    let owner: Option<String> = tx
        .prepare_cached("SELECT device_id FROM sighting WHERE organisation_id = ?1 AND id = ?2")?
        .query_row([&caller.organisation_id, &s.id], |r| r.get(0))
        .optional()?;
    match owner {
        Some(device) if device == caller.device_id => return Ok(()),
        Some(_) => return reject("record already exists"),
        None => {}
    }
    let office = match s.registration() {
        Some(r) => crate::admin::office_match(tx, &caller.organisation_id, r)?,
        None => None,
    };
    tx.prepare_cached(
        "INSERT INTO sighting (organisation_id, id, officer_id, device_id, occurred_at,
                               registration, place, body, device_bolo_id, office_bolo_id,
                               received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(rusqlite::params![
        caller.organisation_id,
        s.id,
        caller.officer_id,
        caller.device_id,
        s.occurred_at,
        s.registration(),
        s.place,
        serde_json::to_string(s).map_err(Error::from)?,
        s.bolo_match.as_ref().map(|m| &m.bolo_id),
        office.as_ref().map(|m| &m.bolo_id),
        now
    ])?;
    for p in &s.photos {
        let blob_id = declare_blob(tx, &caller.organisation_id, &p.sha256, p.size_bytes)?;
        tx.prepare_cached(
            "INSERT INTO sighting_photo (organisation_id, id, sighting_id, blob_id, body)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(rusqlite::params![
            caller.organisation_id,
            p.id,
            s.id,
            blob_id,
            serde_json::to_string(p).map_err(Error::from)?
        ])?;
    }
    if office.is_some() || s.bolo_match.is_some() {
        tracing::warn!(sighting_id = %s.id, "sighting matched the BOLO list");
    }
    Ok(())
}
