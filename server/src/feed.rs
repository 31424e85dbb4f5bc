//! The pull feed: per officer, what the office sent since a cursor.
//!
//! Entries are assignments (the whole assignment at its new version) and report review
//! outcomes, appended by [`crate::admin`]. The cursor is the entry's position in one
//! server-wide sequence that never goes back, shown to the device as an opaque string.
//! A newer version of an assignment replaces the officer's older entry for it: the
//! device, which keeps only the newest version anyway, never downloads a superseded one.

use axum::extract::State;
use cordon_core::protocol::{Change, PullResponse};
use cordon_core::{Assignment, ReportReview};
use rusqlite::Transaction;
use serde::{Deserialize, Deserializer};

use crate::error::Result;
use crate::http::{ApiError, ApiQuery, Caller, Reply};
use crate::state::Server;

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 500;

/// Appends the assignment, as `officer` sees it, to that officer's feed, dropping the
/// officer's older entry for the same assignment.
pub(crate) fn append_assignment(
    tx: &Transaction<'_>,
    organisation_id: &str,
    officer_id: &str,
    assignment: &Assignment,
) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM feed WHERE organisation_id = ?1 AND officer_id = ?2
                            AND kind = 'assignment' AND subject = ?3",
    )?
    .execute([organisation_id, officer_id, &assignment.id])?;
    let change = Change::Assignment {
        cursor: String::new(),
        assignment: assignment.clone(),
    };
    append(tx, organisation_id, officer_id, &assignment.id, &change)
}

/// Appends a review outcome to the feed of the officer who submitted the report.
pub(crate) fn append_review(
    tx: &Transaction<'_>,
    organisation_id: &str,
    officer_id: &str,
    review: &ReportReview,
) -> Result<()> {
    let change = Change::ReportReview {
        cursor: String::new(),
        review: review.clone(),
    };
    append(tx, organisation_id, officer_id, &review.report_id, &change)
}

/// Appends `change` (its cursor is the one the feed gives it) about the record `subject`.
fn append(
    tx: &Transaction<'_>,
    organisation_id: &str,
    officer_id: &str,
    subject: &str,
    change: &Change,
) -> Result<()> {
    let Some((kind, body)) = change.stored()? else {
        return Ok(()); // nothing the server writes
    };
    tx.prepare_cached(
        "INSERT INTO feed (organisation_id, officer_id, kind, subject, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute([organisation_id, officer_id, kind, subject, &body])?;
    Ok(())
}

/// A page of the caller's feed after `cursor`, and whether more follows.
fn page(server: &Server, caller: &Caller, cursor: u64, limit: u64) -> Result<(Vec<Change>, bool)> {
    server.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT cursor, kind, body FROM feed
             WHERE organisation_id = ?1 AND officer_id = ?2 AND cursor > ?3
             ORDER BY cursor LIMIT ?4",
        )?;
        // One row past the page says whether there is more, without a second query.
        let rows = stmt
            .query_map(
                rusqlite::params![
                    caller.organisation_id,
                    caller.officer_id,
                    i64::try_from(cursor).unwrap_or(i64::MAX),
                    limit as i64 + 1
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let has_more = rows.len() as u64 > limit;
        let changes = rows
            .into_iter()
            .take(limit as usize)
            .map(|(cursor, kind, body)| Ok(Change::from_stored(&kind, cursor.to_string(), &body)?))
            .collect::<Result<Vec<_>>>()?;
        Ok((changes, has_more))
    })
}

/// The query of `GET /v1/pull`.
#[derive(Debug, Deserialize)]
pub(crate) struct PullQuery {
    cursor: Option<Cursor>,
    /// Any number: the server brings it within 1 to 500.
    limit: Option<i64>,
}

/// A position in the feed, as issued in `next_cursor`.
#[derive(Debug, Clone, Copy)]
struct Cursor(u64);

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Opaque to the device: anything but what the server wrote is simply not one.
        let text = String::deserialize(d)?;
        text.parse()
            .map(Cursor)
            .map_err(|_| serde::de::Error::custom("not a cursor this server issued"))
    }
}

/// `GET /v1/pull?cursor=&limit=`.
pub(crate) async fn handle(
    State(server): State<Server>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Reply<PullResponse>, ApiError> {
    let cursor = query.cursor.map(|Cursor(c)| c);
    let limit = query
        .limit
        .map_or(DEFAULT_LIMIT, |l| l.clamp(1, MAX_LIMIT as i64) as u64);
    let (changes, has_more) = server
        .blocking(move |s| page(s, &caller, cursor.unwrap_or(0), limit))
        .await?;
    tracing::debug!(changes = changes.len(), has_more, "pull");
    let last = changes
        .iter()
        .rev()
        .find_map(|c| c.cursor().map(str::to_owned));
    Ok(Reply(PullResponse {
        server_time: server.now(),
        changes,
        // Nothing new: the device keeps the cursor it has.
        next_cursor: last.or_else(|| cursor.map(|c| c.to_string())),
        has_more,
    }))
}
