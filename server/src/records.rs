//! Reading the records devices sent, as stored: the ownership row every record has and
//! the report rows the hash chain is checked against. Push writes them; the admin
//! listings read them through the same functions.
//!
//! Every record is keyed by its organisation and its id: two organisations may hold
//! records with the same id (ids are made on devices), and every lookup names the
//! organisation, so nothing one organisation is told depends on another's records.

use crate::store::{Conn, OptionalExtension};
use cordon_core::{Amendment, Attachment, IncidentContent, ReportState, Timestamp};

use crate::error::Result;

/// The ownership and ordering row of a record.
#[derive(Debug, Clone)]
pub(crate) struct RecordRow {
    pub family: String,
    pub organisation_id: String,
    pub officer_id: String,
    pub device_id: String,
    pub server_version: i64,
    pub last_seq: i64,
    pub received_at: Timestamp,
}

/// The ownership row of `organisation_id`'s record `id`.
pub(crate) fn record(c: &Conn, organisation_id: &str, id: &str) -> Result<Option<RecordRow>> {
    Ok(c.prepare_cached(
        "SELECT family, organisation_id, officer_id, device_id, server_version, last_seq,
                    received_at
             FROM record WHERE organisation_id = ?1 AND id = ?2",
    )?
    .query_row([organisation_id, id], |r| {
        Ok(RecordRow {
            family: r.get(0)?,
            organisation_id: r.get(1)?,
            officer_id: r.get(2)?,
            device_id: r.get(3)?,
            server_version: r.get(4)?,
            last_seq: r.get(5)?,
            received_at: r.get(6)?,
        })
    })
    .optional()?)
}

/// A report row: `content` is the draft, or the content as sealed at submission.
#[derive(Debug, Clone)]
pub(crate) struct ReportRow {
    pub state: ReportState,
    pub content: IncidentContent,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    pub content_hash: Option<String>,
    pub sealed_attachments: Vec<Attachment>,
    pub head_hash: Option<String>,
    pub amendments: i32,
    /// The content with every amendment applied, as kept since schema version 4.
    pub amended_content: Option<IncidentContent>,
}

type RawReport = (
    String,
    String,
    Timestamp,
    Option<Timestamp>,
    Option<String>,
    Option<String>,
    Option<String>,
    i32,
    Option<String>,
);

pub(crate) fn report(c: &Conn, organisation_id: &str, id: &str) -> Result<Option<ReportRow>> {
    let raw: Option<RawReport> = c
        .prepare_cached(
            "SELECT state, content, updated_at, submitted_at, content_hash, sealed_attachments,
                    head_hash, amendments, amended_content
             FROM report WHERE organisation_id = ?1 AND id = ?2",
        )?
        .query_row([organisation_id, id], |r| RawReport::try_from(r))
        .optional()?;
    let Some((state, content, updated_at, submitted_at, content_hash, sealed, head, n, amended)) =
        raw
    else {
        return Ok(None);
    };
    Ok(Some(ReportRow {
        state: if state == ReportState::Submitted.as_str() {
            ReportState::Submitted
        } else {
            ReportState::Draft
        },
        content: serde_json::from_str(&content)?,
        updated_at,
        submitted_at,
        content_hash,
        sealed_attachments: sealed
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?
            .unwrap_or_default(),
        head_hash: head,
        amendments: n,
        amended_content: amended.as_deref().map(serde_json::from_str).transpose()?,
    }))
}

/// A report's amendments in sequence order.
pub(crate) fn amendments(
    c: &Conn,
    organisation_id: &str,
    report_id: &str,
) -> Result<Vec<Amendment>> {
    bodies_of_report(
        c,
        "SELECT body FROM amendment WHERE organisation_id = ?1 AND report_id = ?2
         ORDER BY sequence",
        organisation_id,
        report_id,
    )
}

/// The attachments the server holds for a report, by id.
pub(crate) fn attachments_of(
    c: &Conn,
    organisation_id: &str,
    report_id: &str,
) -> Result<Vec<Attachment>> {
    bodies_of_report(
        c,
        "SELECT body FROM attachment WHERE organisation_id = ?1 AND report_id = ?2
         ORDER BY id",
        organisation_id,
        report_id,
    )
}

/// The JSON bodies `sql` selects for one report of one organisation, read as `T`.
fn bodies_of_report<T: serde::de::DeserializeOwned>(
    c: &Conn,
    sql: &str,
    organisation_id: &str,
    report_id: &str,
) -> Result<Vec<T>> {
    let bodies = c
        .prepare_cached(sql)?
        .query_map([organisation_id, report_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies
        .iter()
        .map(|b| Ok(serde_json::from_str(b)?))
        .collect()
}

/// The report as it reads now: the sealed (or draft) content with every amendment's
/// patch applied in order. Kept in the row since schema version 4; replayed from the
/// amendments only for a report amended before that.
pub(crate) fn current_content(
    c: &Conn,
    organisation_id: &str,
    id: &str,
    row: &ReportRow,
) -> Result<IncidentContent> {
    Ok(match &row.amended_content {
        Some(content) => content.clone(),
        None if row.amendments == 0 => row.content.clone(),
        None => row
            .content
            .clone()
            .amended(&amendments(c, organisation_id, id)?),
    })
}
