//! The office's BOLO list ("be on the lookout"): entries issued, changed and withdrawn by
//! the office, per organisation, each version sent down the feed to every officer of the
//! organisation (`Change::Bolo`, officers enrolled later included), where the phone
//! matches sightings against it offline. The office matches every sighting it receives
//! against the same list too ([`office_match`]), so a phone with an older list cannot hide
//! a match. Entries are never deleted: a withdrawn entry is a newer version that matches
//! nothing. The console's calls (`*_in`, in the caller's transaction) are audited there.

use crate::store::{Conn, OptionalExtension};
use cordon_core::model::validate::{optional_text, required_text, MAX_SHORT_TEXT};
use cordon_core::{normalise_registration, BoloEntry, BoloMatch, BoloPriority, Timestamp};

use crate::error::{Error, Result};
use crate::state::Server;

/// What the office writes for an entry (new or changed): a registration as typed (it is
/// normalised here), a description, or both; a reason; a priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoloInput {
    pub registration: Option<String>,
    pub description: Option<String>,
    pub reason: String,
    pub priority: BoloPriority,
}

fn entry_of(
    id: String,
    version: i32,
    input: &BoloInput,
    now: Timestamp,
    withdrawn: bool,
) -> Result<BoloEntry> {
    let blank_is_none = |t: &Option<String>| t.clone().filter(|t| !t.trim().is_empty());
    let registration = blank_is_none(&input.registration)
        .map(|r| normalise_registration("registration", &r))
        .transpose()?;
    let entry = BoloEntry {
        id,
        version,
        registration,
        description: blank_is_none(&input.description),
        reason: input.reason.clone(),
        priority: input.priority,
        issued_at: now,
        withdrawn,
    };
    entry.validate()?;
    Ok(entry)
}

fn write(tx: &Conn, organisation_id: &str, e: &BoloEntry, now: Timestamp) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO bolo (organisation_id, id, version, registration, priority, withdrawn,
                           body, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (organisation_id, id) DO UPDATE SET
             version = excluded.version, registration = excluded.registration,
             priority = excluded.priority, withdrawn = excluded.withdrawn,
             body = excluded.body, updated_at = excluded.updated_at",
    )?
    .execute(rusqlite::params![
        organisation_id,
        e.id,
        e.version,
        e.registration,
        e.priority as i64,
        e.withdrawn,
        serde_json::to_string(e)?,
        now
    ])?;
    crate::feed::append_bolo(tx, organisation_id, e)?;
    tracing::info!(bolo_id = %e.id, version = e.version, withdrawn = e.withdrawn, "BOLO entry written");
    Ok(())
}

fn read_entry(c: &Conn, organisation_id: &str, id: &str) -> Result<BoloEntry> {
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM bolo WHERE organisation_id = ?1 AND id = ?2")?
        .query_row([organisation_id, id], |r| r.get(0))
        .optional()?;
    match body {
        Some(b) => Ok(serde_json::from_str(&b)?),
        None => Err(Error::not_found("BOLO entry", id)),
    }
}

/// Issues a new entry for `organisation_id` (version 1), in the caller's transaction.
pub fn issue_bolo_in(
    tx: &Conn,
    organisation_id: &str,
    input: &BoloInput,
    now: Timestamp,
) -> Result<BoloEntry> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    let entry = entry_of(uuid::Uuid::now_v7().to_string(), 1, input, now, false)?;
    write(tx, organisation_id, &entry, now)?;
    Ok(entry)
}

/// Changes an entry (its next version), in the caller's transaction. A withdrawn entry
/// cannot be changed (`Conflict`): issue a new one.
pub fn update_bolo_in(
    tx: &Conn,
    organisation_id: &str,
    id: &str,
    input: &BoloInput,
    now: Timestamp,
) -> Result<BoloEntry> {
    let old = read_entry(tx, organisation_id, id)?;
    if old.withdrawn {
        return Err(Error::Conflict(format!("BOLO entry {id} is withdrawn")));
    }
    let entry = entry_of(old.id, old.version + 1, input, now, false)?;
    write(tx, organisation_id, &entry, now)?;
    Ok(entry)
}

/// Withdraws an entry (its next version, marked withdrawn: it matches nothing from now
/// on, on the phones once they pull it), in the caller's transaction. Withdrawing a
/// withdrawn entry changes nothing.
pub fn withdraw_bolo_in(
    tx: &Conn,
    organisation_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<BoloEntry> {
    let old = read_entry(tx, organisation_id, id)?;
    if old.withdrawn {
        return Ok(old);
    }
    let entry = BoloEntry {
        version: old.version + 1,
        withdrawn: true,
        issued_at: now,
        ..old
    };
    write(tx, organisation_id, &entry, now)?;
    Ok(entry)
}

/// [`issue_bolo_in`] in its own transaction, on the server's clock.
pub fn issue_bolo(server: &Server, organisation_id: &str, input: &BoloInput) -> Result<BoloEntry> {
    let now = server.now();
    server.write(|tx| issue_bolo_in(tx, organisation_id, input, now))
}

/// [`update_bolo_in`] in its own transaction, on the server's clock.
pub fn update_bolo(
    server: &Server,
    organisation_id: &str,
    id: &str,
    input: &BoloInput,
) -> Result<BoloEntry> {
    let now = server.now();
    server.write(|tx| update_bolo_in(tx, organisation_id, id, input, now))
}

/// [`withdraw_bolo_in`] in its own transaction, on the server's clock.
pub fn withdraw_bolo(server: &Server, organisation_id: &str, id: &str) -> Result<BoloEntry> {
    let now = server.now();
    server.write(|tx| withdraw_bolo_in(tx, organisation_id, id, now))
}

/// The organisation's BOLO list, most urgent first, then newest first; withdrawn entries
/// only if `withdrawn` (after the others).
pub fn bolo_list(
    server: &Server,
    organisation_id: &str,
    withdrawn: bool,
) -> Result<Vec<BoloEntry>> {
    optional_text("organisation", Some(organisation_id), MAX_SHORT_TEXT)?;
    server.read(|c| {
        let bodies: Vec<String> = c
            .prepare_cached(
                "SELECT body FROM bolo WHERE organisation_id = ?1 AND (?2 OR withdrawn = 0)
                 ORDER BY withdrawn, priority, updated_at DESC, id",
            )?
            .query_map(rusqlite::params![organisation_id, withdrawn], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        bodies
            .iter()
            .map(|b| Ok(serde_json::from_str(b)?))
            .collect()
    })
}

/// The office's own match for a normalised registration: its most urgent active entry.
pub(crate) fn office_match(
    c: &Conn,
    organisation_id: &str,
    registration: &str,
) -> Result<Option<BoloMatch>> {
    let body: Option<String> = c
        .prepare_cached(c.dialect().pick(
            "SELECT body FROM bolo INDEXED BY bolo_by_registration
             WHERE organisation_id = ?1 AND registration = ?2 AND withdrawn = 0
             ORDER BY priority, updated_at DESC LIMIT 1",
            // PostgreSQL has no index hints; its planner takes the index.
            "SELECT body FROM bolo
             WHERE organisation_id = ?1 AND registration = ?2 AND withdrawn = 0
             ORDER BY priority, updated_at DESC LIMIT 1",
        ))?
        .query_row([organisation_id, registration], |r| r.get(0))
        .optional()?;
    body.map(|b| Ok(serde_json::from_str::<BoloEntry>(&b)?.match_for(registration)))
        .transpose()
}
