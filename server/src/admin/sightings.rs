//! Sightings as the office reads them: each with who sent it, the BOLO match the device
//! computed and the one the office computed on receipt (matches first: a match must not
//! be missed), the photos with their upload progress and bytes, and repeat sightings: the
//! same registration seen by different officers or at different places within the
//! organisation's window ([`DEFAULT_REPEAT_WINDOW`] unless set).

use std::path::PathBuf;
use std::time::Duration;

use crate::store::{Conn, OptionalExtension};
use cordon_core::model::validate::{required_text, MAX_SHORT_TEXT};
use cordon_core::{BoloMatch, Sighting, SightingPhoto, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::Server;

/// The repeat window when the organisation set none: a day.
pub const DEFAULT_REPEAT_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The shortest and longest repeat window an organisation may set (a minute, 30 days).
pub const REPEAT_WINDOW_RANGE: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(30 * 24 * 3600));

/// A sighting as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedSighting {
    #[serde(flatten)]
    pub sighting: Sighting,
    pub organisation_id: String,
    pub officer_id: String,
    pub device_id: String,
    /// The server's clock when it arrived.
    pub received_at: Timestamp,
    /// The match the office computed against its own BOLO list when it arrived (the
    /// device's is `bolo_match`, as the phone computed it offline).
    pub office_match: Option<BoloMatch>,
}

impl ReceivedSighting {
    /// Whether the device or the office matched it against the BOLO list.
    pub fn matched(&self) -> bool {
        self.sighting.bolo_match.is_some() || self.office_match.is_some()
    }
}

const COLUMNS: &str = "organisation_id, officer_id, device_id, received_at, body, office_bolo_id";

fn row(c: &Conn, r: &crate::store::Row<'_>) -> Result<ReceivedSighting> {
    let organisation_id: String = r.get(0)?;
    let body: String = r.get(4)?;
    let sighting: Sighting = serde_json::from_str(&body)?;
    let office_bolo: Option<String> = r.get(5)?;
    let office_match = match (office_bolo, sighting.registration()) {
        (Some(id), Some(registration)) => Some(match_of(c, &organisation_id, &id, registration)?),
        _ => None,
    };
    Ok(ReceivedSighting {
        organisation_id,
        officer_id: r.get(1)?,
        device_id: r.get(2)?,
        received_at: r.get(3)?,
        sighting,
        office_match,
    })
}

/// The office's match as it stands now (the entry's newest version).
fn match_of(
    c: &Conn,
    organisation_id: &str,
    bolo_id: &str,
    registration: &str,
) -> Result<BoloMatch> {
    let body: String = c
        .prepare_cached("SELECT body FROM bolo WHERE organisation_id = ?1 AND id = ?2")?
        .query_row([organisation_id, bolo_id], |r| r.get(0))?;
    Ok(serde_json::from_str::<cordon_core::BoloEntry>(&body)?.match_for(registration))
}

/// The sightings of `organisation_id`: those the device or the office matched against
/// the BOLO list first, then the rest, each group newest first (by receipt).
pub fn sightings_of(server: &Server, organisation_id: &str) -> Result<Vec<ReceivedSighting>> {
    server.read(|c| {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sighting WHERE organisation_id = ?1
             ORDER BY (device_bolo_id IS NULL AND office_bolo_id IS NULL), received_at DESC, id"
        ))?;
        let mut rows = stmt.query([organisation_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(row(c, &r)?);
        }
        Ok(out)
    })
}

/// A sighting's photo as received, with how much of its bytes arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedSightingPhoto {
    #[serde(flatten)]
    pub photo: SightingPhoto,
    pub sighting_id: String,
    pub received_bytes: u64,
    /// All bytes arrived and hash to `sha256`.
    pub complete: bool,
}

/// The photos of one sighting of `organisation_id`; another organisation's sighting is
/// `NotFound`.
pub fn sighting_photos(
    server: &Server,
    organisation_id: &str,
    sighting_id: &str,
) -> Result<Vec<ReceivedSightingPhoto>> {
    server.read(|c| {
        let known = c
            .prepare_cached("SELECT 1 FROM sighting WHERE organisation_id = ?1 AND id = ?2")?
            .exists([organisation_id, sighting_id])?;
        if !known {
            return Err(Error::not_found("sighting", sighting_id));
        }
        let rows: Vec<(String, i64, bool)> = c
            .prepare_cached(
                "SELECT p.body, b.received_bytes, b.completed_at IS NOT NULL
                 FROM sighting_photo p JOIN blob b ON b.id = p.blob_id
                 WHERE p.organisation_id = ?1 AND p.sighting_id = ?2 ORDER BY p.id",
            )?
            .query_map([organisation_id, sighting_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(body, received, complete)| {
                Ok(ReceivedSightingPhoto {
                    photo: serde_json::from_str(&body)?,
                    sighting_id: sighting_id.to_owned(),
                    received_bytes: received.max(0) as u64,
                    complete,
                })
            })
            .collect()
    })
}

/// The file holding a sighting photo's bytes, once they all arrived and were verified;
/// `NotFound` for another organisation's photo, `Conflict` while its bytes are arriving.
pub fn sighting_photo_file(
    server: &Server,
    organisation_id: &str,
    photo_id: &str,
) -> Result<PathBuf> {
    let blob: Option<(i64, bool)> = server.read(|c| {
        Ok(c.prepare_cached(
            "SELECT b.id, b.completed_at IS NOT NULL
             FROM sighting_photo p JOIN blob b ON b.id = p.blob_id
             WHERE p.organisation_id = ?1 AND p.id = ?2",
        )?
        .query_row([organisation_id, photo_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
    })?;
    match blob {
        None => Err(Error::not_found("photo", photo_id)),
        Some((_, false)) => Err(Error::Conflict(format!(
            "the bytes of photo {photo_id} have not all arrived"
        ))),
        Some((id, true)) => Ok(server.blob_path(id)),
    }
}

/// Sightings of one registration that count as repeats: within the window of each other,
/// by different officers or at different places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatSighting {
    /// Normalised.
    pub registration: String,
    /// Oldest first (by when they were seen).
    pub sightings: Vec<ReceivedSighting>,
    pub officers: Vec<String>,
    pub places: Vec<String>,
}

/// Sets how far apart two sightings of a registration may be and still be repeats.
pub fn set_repeat_window(server: &Server, organisation_id: &str, window: Duration) -> Result<()> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    let (min, max) = REPEAT_WINDOW_RANGE;
    if window < min || window > max {
        return Err(Error::invalid(
            "repeat_window",
            format!(
                "must be between {} and {} seconds",
                min.as_secs(),
                max.as_secs()
            ),
        ));
    }
    server.write(|tx| {
        tx.execute(
            "INSERT INTO organisation_setting (organisation_id, escalate_after_secs,
                                              repeat_window_secs)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (organisation_id) DO UPDATE SET
                 repeat_window_secs = excluded.repeat_window_secs",
            rusqlite::params![
                organisation_id,
                crate::alarms::DEFAULT_ESCALATION.as_secs() as i64,
                window.as_secs() as i64
            ],
        )?;
        Ok(())
    })
}

/// The organisation's repeat window.
pub fn repeat_window(server: &Server, organisation_id: &str) -> Result<Duration> {
    server.read(|c| repeat_window_in(c, organisation_id))
}

fn repeat_window_in(c: &Conn, organisation_id: &str) -> Result<Duration> {
    let secs: Option<i64> = c
        .prepare_cached(
            "SELECT repeat_window_secs FROM organisation_setting WHERE organisation_id = ?1",
        )?
        .query_row([organisation_id], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(secs.map_or(DEFAULT_REPEAT_WINDOW, |s| Duration::from_secs(s as u64)))
}

/// A place as compared for repeats: case and spacing do not make two places.
fn place_key(place: &str) -> String {
    place
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Repeat sightings in `organisation_id` within `window` (the organisation's own when
/// `None`): for each registration, runs of sightings each within the window of the one
/// before (by when they were seen), kept if the run holds more than one officer or more
/// than one place. Newest run first.
pub fn repeat_sightings(
    server: &Server,
    organisation_id: &str,
    window: Option<Duration>,
) -> Result<Vec<RepeatSighting>> {
    server.read(|c| {
        let window = match window {
            Some(w) => w,
            None => repeat_window_in(c, organisation_id)?,
        };
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        // Only registrations seen more than once: the index answers this without a scan
        // of every sighting's body.
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {COLUMNS}, registration FROM sighting
             WHERE organisation_id = ?1 AND registration IN
                 (SELECT registration FROM sighting
                  WHERE organisation_id = ?1 AND registration IS NOT NULL
                  GROUP BY registration HAVING count(*) > 1)
             ORDER BY registration, occurred_at, id"
        ))?;
        let mut rows = stmt.query([organisation_id])?;
        let mut runs: Vec<RepeatSighting> = Vec::new();
        let mut current: Vec<ReceivedSighting> = Vec::new();
        let close = |run: &mut Vec<ReceivedSighting>, runs: &mut Vec<RepeatSighting>| {
            let mut officers: Vec<String> = run.iter().map(|s| s.officer_id.clone()).collect();
            officers.sort();
            officers.dedup();
            let mut keys: Vec<String> = Vec::new();
            let mut places: Vec<String> = Vec::new();
            for s in run.iter() {
                let k = place_key(&s.sighting.place);
                if !keys.contains(&k) {
                    keys.push(k);
                    places.push(s.sighting.place.clone());
                }
            }
            if run.len() > 1 && (officers.len() > 1 || places.len() > 1) {
                runs.push(RepeatSighting {
                    registration: run[0]
                        .sighting
                        .registration()
                        .unwrap_or_default()
                        .to_owned(),
                    sightings: std::mem::take(run),
                    officers,
                    places,
                });
            }
            run.clear();
        };
        while let Some(r) = rows.next()? {
            let s = row(c, &r)?;
            let continues = current.last().is_some_and(|last| {
                last.sighting.registration() == s.sighting.registration()
                    && s.sighting.occurred_at.as_millis() - last.sighting.occurred_at.as_millis()
                        <= window_ms
            });
            if !continues {
                close(&mut current, &mut runs);
            }
            current.push(s);
        }
        close(&mut current, &mut runs);
        runs.sort_by_key(|r| std::cmp::Reverse(r.sightings.last().map(|s| s.sighting.occurred_at)));
        Ok(runs)
    })
}
