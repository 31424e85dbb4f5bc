//! The pull feed: per officer, what the office sent since a cursor.
//!
//! Entries are assignments (the whole assignment at its new version), report review
//! outcomes and BOLO entries (in every officer's feed of the organisation), appended by
//! [`crate::admin`], messages from the control room (appended by
//! `crate::messages`; the first pull that carries one records its delivery), and where an alarm the officer raised stands
//! (appended by `crate::alarms` at each step; the newest supersedes the older). A newer version of an assignment supersedes the
//! officer's older entry for it: the device, which keeps only the newest version anyway,
//! never downloads a superseded one.
//!
//! A cursor names one entry: its position in one server-wide sequence that never goes
//! back, and a random tag drawn when the entry was written (`"<position>.<tag>"`, opaque
//! to the device). Superseded entries are kept, marked, so every cursor the server issued
//! stays known. A cursor the server cannot find with its tag was never issued by this
//! feed: most often the office restored its database from a backup taken before the
//! device's last pull, and reissued positions since with new tags. Paging on from such a
//! cursor would skip whatever the office wrote after the backup, so the device is told to
//! start over (`restarted`) and given the feed from its beginning; applying it again is
//! idempotent on the device.

use crate::store::Tx;
use axum::extract::State;
use cordon_core::protocol::{Change, PullResponse};
use cordon_core::{
    AlarmStatus, Assignment, ControlRoomMessage, Handover, ReportReview, Rota, Timestamp,
};
use serde::Deserialize;

use crate::error::Result;
use crate::http::{ApiError, ApiQuery, Caller, Reply};
use crate::state::Server;

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 500;

/// Appends the assignment, as `officer` sees it, to that officer's feed, superseding the
/// officer's older entry for the same assignment.
pub(crate) fn append_assignment(
    tx: &crate::store::Conn,
    organisation_id: &str,
    officer_id: &str,
    assignment: &Assignment,
) -> Result<()> {
    let change = Change::Assignment {
        cursor: String::new(),
        assignment: assignment.clone(),
    };
    append(
        tx,
        organisation_id,
        officer_id,
        &assignment.id,
        &change,
        Older::Superseded,
    )
}

/// Appends a review outcome to the feed of the officer who submitted the report.
pub(crate) fn append_review(
    tx: &Tx<'_>,
    organisation_id: &str,
    officer_id: &str,
    review: &ReportReview,
) -> Result<()> {
    let change = Change::ReportReview {
        cursor: String::new(),
        review: review.clone(),
    };
    append(
        tx,
        organisation_id,
        officer_id,
        &review.report_id,
        &change,
        Older::Kept,
    )
}

/// Appends where an alarm stands to the feed of the officer who raised it, superseding
/// the officer's older entry for the same alarm (the device keeps only the latest state).
pub(crate) fn append_alarm_status(
    tx: &crate::store::Conn,
    organisation_id: &str,
    officer_id: &str,
    alarm: &AlarmStatus,
) -> Result<()> {
    let change = Change::AlarmStatus {
        cursor: String::new(),
        alarm: alarm.clone(),
    };
    append(
        tx,
        organisation_id,
        officer_id,
        &alarm.check_in_id,
        &change,
        Older::Superseded,
    )
}

/// Appends a control-room message to the feed of the officer it is for.
pub(crate) fn append_message(
    tx: &crate::store::Conn,
    organisation_id: &str,
    officer_id: &str,
    message: &ControlRoomMessage,
) -> Result<()> {
    let change = Change::Message {
        cursor: String::new(),
        message: message.clone(),
    };
    append(
        tx,
        organisation_id,
        officer_id,
        &message.message_id,
        &change,
        Older::Kept,
    )
}

/// The officer id of an entry in every officer's feed of its organisation (a BOLO entry):
/// empty, which no officer id can be.
const EVERY_OFFICER: &str = "";

/// Appends a BOLO entry to the feed of every officer of its organisation (officers
/// enrolled later included), superseding the older version of the same entry.
pub(crate) fn append_bolo(
    tx: &crate::store::Conn,
    organisation_id: &str,
    entry: &cordon_core::BoloEntry,
) -> Result<()> {
    let change = Change::Bolo {
        cursor: String::new(),
        entry: entry.clone(),
    };
    append(
        tx,
        organisation_id,
        EVERY_OFFICER,
        &entry.id,
        &change,
        Older::Superseded,
    )
}

/// Appends an assignment's whole rota to an officer's feed, superseding their older rota
/// of the same assignment (the device replaces what it holds).
pub(crate) fn append_rota(
    tx: &crate::store::Conn,
    organisation_id: &str,
    officer_id: &str,
    rota: &Rota,
) -> Result<()> {
    let change = Change::Rota {
        cursor: String::new(),
        rota: rota.clone(),
    };
    append(
        tx,
        organisation_id,
        officer_id,
        &rota.assignment_id,
        &change,
        Older::Superseded,
    )
}

/// Appends a handover note to an officer's feed (the incoming officer's when it arrives,
/// the outgoing officer's once acknowledged), superseding their older entry for it.
pub(crate) fn append_handover(
    tx: &crate::store::Conn,
    organisation_id: &str,
    officer_id: &str,
    handover: &Handover,
) -> Result<()> {
    let change = Change::Handover {
        cursor: String::new(),
        handover: handover.clone(),
    };
    append(
        tx,
        organisation_id,
        officer_id,
        &handover.id,
        &change,
        Older::Superseded,
    )
}

/// Records that a device of the messages' officer received them (the first time only):
/// what the console shows as delivered. Called for the messages a pull answer carries and
/// for a read receipt (a receipt implies delivery).
pub(crate) fn record_delivery(
    tx: &crate::store::Conn,
    organisation_id: &str,
    device_id: &str,
    message_ids: &[&str],
    now: Timestamp,
) -> Result<()> {
    for id in message_ids {
        tx.prepare_cached(
            "INSERT INTO message_delivery (organisation_id, message_id, device_id,
                                                     delivered_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(rusqlite::params![organisation_id, id, device_id, now])?;
    }
    Ok(())
}

/// What becomes of the officer's older entries of the same kind about the same subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Older {
    /// Each stays (every review outcome counts).
    Kept,
    /// Superseded: the device keeps only the newest, so it never downloads an older one.
    Superseded,
}

/// Appends `change` (its cursor is the one the feed gives it) about the record `subject`.
fn append(
    tx: &crate::store::Conn,
    organisation_id: &str,
    officer_id: &str,
    subject: &str,
    change: &Change,
    older: Older,
) -> Result<()> {
    let Some((kind, body)) = change.stored()? else {
        return Ok(()); // nothing the server writes
    };
    // Cursors commit in the order they are drawn (a no-op on SQLite's one writer).
    tx.take_feed_turn()?;
    if older == Older::Superseded {
        tx.prepare_cached(
            "UPDATE feed SET superseded = 1
             WHERE organisation_id = ?1 AND officer_id = ?2 AND kind = ?3
               AND subject = ?4 AND superseded = 0",
        )?
        .execute([organisation_id, officer_id, kind, subject])?;
    }
    tx.prepare_cached(
        "INSERT INTO feed (organisation_id, officer_id, kind, subject, body, tag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        organisation_id,
        officer_id,
        kind,
        subject,
        body,
        rand::random::<i64>()
    ])?;
    Ok(())
}

/// A position in the feed with the tag of the entry there, as issued in `next_cursor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    position: i64,
    tag: i64,
}

impl Cursor {
    /// The cursor's text: fixed width, so every answer's length depends on the entries
    /// alone (the simulator's traces compare lengths).
    fn render(self) -> String {
        format!("{}.{:016x}", self.position, self.tag as u64)
    }

    /// `None` for any text the server would not have written.
    fn parse(text: &str) -> Option<Cursor> {
        let (position, tag) = text.split_once('.')?;
        if tag.len() != 16 {
            return None;
        }
        Some(Cursor {
            position: position.parse().ok().filter(|p: &i64| *p > 0)?,
            tag: u64::from_str_radix(tag, 16).ok()? as i64,
        })
    }
}

/// A page of the caller's feed, and whether more follows.
struct Page {
    changes: Vec<Change>,
    has_more: bool,
    /// The cursor asked with was not one this feed issued: the page starts the feed over.
    restarted: bool,
}

/// The page of the caller's feed after `asked` (the start when `None`, or when `asked`
/// is not a cursor this feed issued to the caller).
fn page(server: &Server, caller: &Caller, asked: Option<&str>, limit: u64) -> Result<Page> {
    server.read(|c| {
        let known = |cursor: Cursor| -> Result<bool> {
            Ok(c.prepare_cached(
                "SELECT 1 FROM feed WHERE cursor = ?1 AND tag = ?2
                                      AND organisation_id = ?3 AND officer_id IN (?4, ?5)",
            )?
            .exists(rusqlite::params![
                cursor.position,
                cursor.tag,
                caller.organisation_id,
                caller.officer_id,
                EVERY_OFFICER
            ])?)
        };
        let after = match asked.map(Cursor::parse) {
            None => None,
            Some(Some(cursor)) if known(cursor)? => Some(cursor),
            Some(_) => None,
        };
        let restarted = asked.is_some() && after.is_none();
        let mut stmt = c.prepare_cached(
            "SELECT cursor, tag, kind, body FROM feed
             WHERE organisation_id = ?1 AND officer_id IN (?2, ?5) AND superseded = 0
               AND cursor > ?3
             ORDER BY cursor LIMIT ?4",
        )?;
        // One row past the page says whether there is more, without a second query.
        let rows = stmt
            .query_map(
                rusqlite::params![
                    caller.organisation_id,
                    caller.officer_id,
                    after.map_or(0, |c| c.position),
                    limit as i64 + 1,
                    EVERY_OFFICER
                ],
                |r| {
                    Ok((
                        Cursor {
                            position: r.get(0)?,
                            tag: r.get(1)?,
                        },
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let has_more = rows.len() as u64 > limit;
        let changes = rows
            .into_iter()
            .take(limit as usize)
            .map(|(cursor, kind, body)| Ok(Change::from_stored(&kind, cursor.render(), &body)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            changes,
            has_more,
            restarted,
        })
    })
}

/// The query of `GET /v1/pull`.
#[derive(Debug, Deserialize)]
pub(crate) struct PullQuery {
    /// The `next_cursor` of an earlier page, as the device stored it.
    cursor: Option<String>,
    /// Any number: the server brings it within 1 to 500.
    limit: Option<i64>,
}

/// `GET /v1/pull?cursor=&limit=`.
pub(crate) async fn handle(
    State(server): State<Server>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Reply<PullResponse>, ApiError> {
    let limit = query
        .limit
        .map_or(DEFAULT_LIMIT, |l| l.clamp(1, MAX_LIMIT as i64) as u64);
    let asked = query.cursor;
    let (org, device) = (caller.organisation_id.clone(), caller.device_id.clone());
    let page = {
        let asked = asked.clone();
        server
            .blocking(move |s| page(s, &caller, asked.as_deref(), limit))
            .await?
    };
    let messages: Vec<String> = page
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Message { message, .. } => Some(message.message_id.clone()),
            _ => None,
        })
        .collect();
    if !messages.is_empty() {
        // Written only when the page carries a message, so an ordinary pull stays a read.
        server
            .blocking(move |s| {
                let now = s.now();
                let ids: Vec<&str> = messages.iter().map(String::as_str).collect();
                s.write(|tx| record_delivery(tx, &org, &device, &ids, now))
            })
            .await?;
    }
    if page.restarted {
        tracing::info!("pull: a cursor this feed did not issue; the device starts over");
    }
    tracing::debug!(changes = page.changes.len(), page.has_more, "pull");
    let last = page
        .changes
        .iter()
        .rev()
        .find_map(|c| c.cursor().map(str::to_owned));
    // Nothing new: the device keeps the cursor it has (none, when it starts over).
    let kept = if page.restarted { None } else { asked };
    Ok(Reply(PullResponse {
        server_time: server.now(),
        changes: page.changes,
        next_cursor: last.or(kept),
        has_more: page.has_more,
        restarted: page.restarted,
    }))
}
