//! Incident reports: drafts, submission (which seals the content hash) and amendments.

use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::outbox::{coalesce, enqueue};
use super::{from_json, new_id, Durability, Store};
use crate::error::{CordonError, Result};
use crate::model::validate::{required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};
use crate::model::{
    amendment_hash, submission_hash, verify_chain, Amendment, IncidentContent, IncidentPatch,
    IncidentReport, ReportIntegrity, ReportReview, ReportState,
};
use crate::protocol::{Payload, ReportDraft, ReportSubmission};
use crate::time::Timestamp;

/// An amendment as the app asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewAmendment {
    /// Who amends: the officer's id or call sign.
    pub author: String,
    pub reason: String,
    pub patch: IncidentPatch,
}

/// A report row as stored: for a submitted report, `content` is as sealed.
struct ReportRow {
    state: ReportState,
    content: IncidentContent,
    created_at: Timestamp,
    updated_at: Timestamp,
    submitted_at: Option<Timestamp>,
    content_hash: Option<String>,
    /// The content with every amendment applied (since schema version 5).
    amended_content: Option<IncidentContent>,
}

impl ReportRow {
    /// The report as it reads now, given its amendments (read only when the row does not
    /// keep the amended content itself).
    fn current(
        &self,
        amendments: impl FnOnce() -> Result<Vec<Amendment>>,
    ) -> Result<IncidentContent> {
        match &self.amended_content {
            Some(content) => Ok(content.clone()),
            None => Ok(self.content.clone().amended(&amendments()?)),
        }
    }
}

/// `incident_report` columns as read, before the content JSON is parsed.
type RawReportRow = (
    String,
    String,
    Timestamp,
    Timestamp,
    Option<Timestamp>,
    Option<String>,
    Option<String>,
);

fn load_row(c: &rusqlite::Connection, id: &str) -> Result<ReportRow> {
    let row: Option<RawReportRow> = c
        .prepare_cached(
            "SELECT state, r.content, created_at, updated_at, submitted_at, content_hash,
                    a.content
             FROM incident_report r LEFT JOIN amended_report a ON a.report_id = r.id
             WHERE r.id = ?1",
        )?
        .query_row([id], |r| RawReportRow::try_from(r))
        .optional()?;
    let (state, content, created_at, updated_at, submitted_at, content_hash, amended) =
        row.ok_or_else(|| CordonError::not_found("incident report", id))?;
    Ok(ReportRow {
        state: if state == ReportState::Submitted.as_str() {
            ReportState::Submitted
        } else {
            ReportState::Draft
        },
        content: from_json(&content)?,
        created_at,
        updated_at,
        submitted_at,
        content_hash,
        amended_content: amended.as_deref().map(from_json).transpose()?,
    })
}

fn load_amendments(c: &rusqlite::Connection, report_id: &str) -> Result<Vec<Amendment>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, sequence, author, reason, changed_fields, patch, created_at,
                previous_hash, hash
         FROM amendment WHERE report_id = ?1 ORDER BY sequence",
    )?;
    let mut rows = stmt.query([report_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let changed: String = r.get(4)?;
        let patch: String = r.get(5)?;
        out.push(Amendment {
            id: r.get(0)?,
            report_id: report_id.to_owned(),
            sequence: r.get(1)?,
            author: r.get(2)?,
            reason: r.get(3)?,
            changed_fields: from_json(&changed)?,
            patch: from_json(&patch)?,
            created_at: r.get(6)?,
            previous_hash: r.get(7)?,
            hash: r.get(8)?,
        });
    }
    Ok(out)
}

/// The draft's row for an edit, or `ReportLocked` if it has been submitted.
fn draft_for_edit(tx: &Transaction<'_>, id: &str) -> Result<ReportRow> {
    let row = load_row(tx, id)?;
    if row.state == ReportState::Submitted {
        return Err(CordonError::ReportLocked {
            report_id: id.to_owned(),
        });
    }
    Ok(row)
}

impl Store {
    /// Starts a draft report and queues it, so the office knows of it even before it is
    /// submitted.
    pub fn create_report(&self, content: IncidentContent) -> Result<IncidentReport> {
        content.validate()?;
        let id = new_id();
        let now = self.now();
        let json = serde_json::to_string(&content)?;
        let payload = Payload::ReportCreate(ReportDraft {
            report_id: id.clone(),
            content: content.clone(),
            updated_at: now,
        });
        self.write(Durability::Normal, |tx| {
            super::assignments::require_known_assignment(tx, content.assignment_id.as_deref())?;
            tx.execute(
                "INSERT INTO incident_report (id, state, content, created_at, updated_at)
                 VALUES (?1, 'draft', ?2, ?3, ?3)",
                rusqlite::params![id, json, now],
            )?;
            enqueue(tx, &payload, None, now)?;
            Ok(())
        })?;
        self.report(&id)
    }

    /// Replaces a draft's content. Successive edits before a sync fold into one queued
    /// update.
    pub fn update_report(&self, id: &str, content: IncidentContent) -> Result<IncidentReport> {
        content.validate()?;
        let now = self.now();
        let json = serde_json::to_string(&content)?;
        let payload = Payload::ReportUpdate(ReportDraft {
            report_id: id.to_owned(),
            content: content.clone(),
            updated_at: now,
        });
        self.write(Durability::Normal, |tx| {
            draft_for_edit(tx, id)?;
            super::assignments::require_known_assignment(tx, content.assignment_id.as_deref())?;
            tx.execute(
                "UPDATE incident_report SET content = ?2, updated_at = ?3 WHERE id = ?1",
                rusqlite::params![id, json, now],
            )?;
            if !coalesce(tx, &payload)? {
                enqueue(tx, &payload, None, now)?;
            }
            Ok(())
        })?;
        self.report(id)
    }

    /// Submits a draft: checks it is complete, seals its content and attachments with a
    /// SHA-256 and locks it. From now on it changes only through amendments.
    pub fn submit_report(&self, id: &str) -> Result<IncidentReport> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let row = draft_for_edit(tx, id)?;
            row.content.validate_for_submission(now)?;
            let attachments = super::attachments::load_for_report(tx, id)?;
            let hash = submission_hash(id, now, &row.content, &attachments);
            tx.execute(
                "UPDATE incident_report
                 SET state = 'submitted', submitted_at = ?2, updated_at = ?2, content_hash = ?3
                 WHERE id = ?1",
                rusqlite::params![id, now, hash],
            )?;
            let payload = Payload::ReportSubmit(ReportSubmission {
                report_id: id.to_owned(),
                content: row.content,
                submitted_at: now,
                content_hash: hash,
                attachments,
            });
            enqueue(tx, &payload, None, now)?;
            Ok(())
        })?;
        self.report(id)
    }

    /// Appends an amendment to a submitted report, chained to the one before it, and
    /// returns it. Its cost does not grow with the chain: the head and the amended content
    /// are read from one row each ([`report`](Self::report) reads the whole history).
    pub fn amend_report(&self, id: &str, amendment: NewAmendment) -> Result<Amendment> {
        required_text("author", &amendment.author, MAX_SHORT_TEXT)?;
        required_text("reason", &amendment.reason, MAX_NOTE_TEXT)?;
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let row = load_row(tx, id)?;
            let (Some(sealed), ReportState::Submitted) = (&row.content_hash, row.state) else {
                return Err(CordonError::ReportNotSubmitted {
                    report_id: id.to_owned(),
                });
            };
            // The chain's head: one row by the (report_id, sequence) index, however long
            // the chain is.
            let head: Option<(i32, String)> = tx
                .prepare_cached(
                    "SELECT sequence, hash FROM amendment WHERE report_id = ?1
                     ORDER BY sequence DESC LIMIT 1",
                )?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let mut content = row.current(|| load_amendments(tx, id))?;
            let changed_fields = content.apply(&amendment.patch);
            if changed_fields.is_empty() {
                return Err(CordonError::invalid(
                    "patch",
                    crate::error::InputRule::NoChange,
                    "changes nothing in the report",
                ));
            }
            // An amended report must still be one that could have been submitted.
            content.validate_for_submission(now)?;
            let mut record = Amendment {
                id: new_id(),
                report_id: id.to_owned(),
                sequence: head.as_ref().map_or(1, |(n, _)| n.saturating_add(1)),
                author: amendment.author,
                reason: amendment.reason,
                changed_fields,
                patch: amendment.patch,
                created_at: now,
                previous_hash: head.map_or_else(|| sealed.clone(), |(_, hash)| hash),
                hash: String::new(),
            };
            record.hash = amendment_hash(&record);
            tx.execute(
                "INSERT INTO amendment (id, report_id, sequence, author, reason, changed_fields,
                                        patch, created_at, previous_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rusqlite::params![
                    record.id,
                    record.report_id,
                    record.sequence,
                    record.author,
                    record.reason,
                    serde_json::to_string(&record.changed_fields)?,
                    serde_json::to_string(&record.patch)?,
                    record.created_at,
                    record.previous_hash,
                    record.hash,
                ],
            )?;
            tx.prepare_cached(
                "INSERT INTO amended_report (report_id, content) VALUES (?1, ?2)
                 ON CONFLICT (report_id) DO UPDATE SET content = excluded.content",
            )?
            .execute(rusqlite::params![id, serde_json::to_string(&content)?])?;
            enqueue(tx, &Payload::ReportAmend(record.clone()), None, now)?;
            Ok(record)
        })
    }

    /// A report as it reads now, with its attachments and amendment history.
    pub fn report(&self, id: &str) -> Result<IncidentReport> {
        self.read(|c| {
            let row = load_row(c, id)?;
            let amendments = load_amendments(c, id)?;
            let attachments = super::attachments::load_for_report(c, id)?;
            let content = row.current(|| Ok(amendments.clone()))?;
            Ok(IncidentReport {
                id: id.to_owned(),
                state: row.state,
                content,
                created_at: row.created_at,
                updated_at: row.updated_at,
                submitted_at: row.submitted_at,
                content_hash: row.content_hash,
                attachments,
                amendments,
            })
        })
    }

    /// Every report's id, newest first.
    pub fn report_ids(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM incident_report ORDER BY created_at DESC, id DESC",
            )?;
            let ids = stmt.query_map([], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Recomputes the report's hash chain from what is stored now.
    pub fn verify_report(&self, id: &str) -> Result<ReportIntegrity> {
        let (integrity, attachments) = self.read(|c| {
            // Stored JSON that no longer parses is a broken chain, not a failed call.
            let unreadable = |link, detail| ReportIntegrity::Broken {
                link,
                reason: format!("stored record is unreadable: {detail}"),
            };
            let row = match load_row(c, id) {
                Err(CordonError::Storage { detail }) => return Ok((unreadable(0, detail), vec![])),
                other => other?,
            };
            let amendments = match load_amendments(c, id) {
                Err(CordonError::Storage { detail }) => return Ok((unreadable(1, detail), vec![])),
                other => other?,
            };
            let attachments = super::attachments::load_for_report(c, id)?;
            let integrity = match (row.state, &row.content_hash, row.submitted_at) {
                (ReportState::Draft, None, None) if amendments.is_empty() => ReportIntegrity::Draft,
                (ReportState::Submitted, Some(sealed), Some(submitted_at)) => verify_chain(
                    id,
                    submitted_at,
                    &row.content,
                    &attachments,
                    sealed,
                    &amendments,
                ),
                _ => ReportIntegrity::Broken {
                    link: 0,
                    reason: "the report's state, seal and amendments disagree".into(),
                },
            };
            Ok((integrity, attachments))
        })?;
        if !matches!(integrity, ReportIntegrity::Intact { .. }) {
            return Ok(integrity);
        }
        // The chain seals each attachment's SHA-256; check the bytes still match it.
        for a in &attachments {
            let path = self.attachment_path(&a.id);
            let matches = super::attachments::hash_file(&path, self.file_key().as_deref())
                .is_ok_and(|(size, sha)| size == a.size_bytes.unsigned_abs() && sha == a.sha256);
            if !matches {
                return Ok(ReportIntegrity::Broken {
                    link: 0,
                    reason: format!(
                        "the bytes of attachment {} no longer match its SHA-256",
                        a.id
                    ),
                });
            }
        }
        Ok(integrity)
    }
}

/// Keeps a review outcome the office sent (once: the feed may repeat an entry).
pub(super) fn store_review(
    tx: &Transaction<'_>,
    cursor: &str,
    review: &ReportReview,
    now: Timestamp,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO report_review
             (cursor, report_id, outcome, reviewer, note, reviewed_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(rusqlite::params![
        cursor,
        review.report_id,
        review.outcome.as_str(),
        review.reviewer,
        review.note,
        review.reviewed_at,
        now,
    ])?;
    Ok(())
}
