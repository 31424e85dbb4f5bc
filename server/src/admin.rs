//! What the office does through the server, and what it reads from it.
//!
//! Writes: one-time enrolment codes, assignments (each upsert is a new server version,
//! delivered through the pull feed of every officer on the assignment), and review
//! outcomes of submitted reports (delivered to the submitting officer). Reads: everything
//! devices sent, as serde-serialisable structs for `cordon admin list` and for tests.
//!
//! Every function is synchronous and runs its writes in one transaction; it may be
//! called from another process while `cordon serve` runs on the same database.

use std::time::Duration;

use cordon_core::{
    verify_chain, Amendment, Assignment, Attachment, CheckIn, IncidentContent, OfficerRole,
    ReportIntegrity, ReportReview, ReportState, ReviewOutcome, Timestamp,
};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::Server;
use crate::{feed, records};
use cordon_core::model::validate::{required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};

/// How long an enrolment code is valid unless the office says otherwise.
pub const DEFAULT_CODE_VALIDITY: Duration = Duration::from_secs(72 * 3600);

/// A one-time enrolment code, as handed to the officer. The server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentCode {
    pub code: String,
    pub organisation_id: String,
    pub officer_id: String,
    pub expires_at: Timestamp,
}

/// Makes a one-time code with which a device enrols as `officer_id` of
/// `organisation_id`, valid for `valid_for`.
pub fn create_enrolment_code(
    server: &Server,
    organisation_id: &str,
    officer_id: &str,
    valid_for: Duration,
) -> Result<EnrolmentCode> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    required_text("officer", officer_id, MAX_SHORT_TEXT)?;
    if valid_for.is_zero() {
        return Err(Error::invalid("valid_for", "must be more than zero"));
    }
    let expires_at = server.now().plus(valid_for);
    let code = crate::enrol::create_code(server, organisation_id, officer_id, expires_at)?;
    Ok(EnrolmentCode {
        code,
        organisation_id: organisation_id.to_owned(),
        officer_id: officer_id.to_owned(),
        expires_at,
    })
}

/// Creates or replaces an assignment of `organisation_id` and puts `officer_ids` on it
/// (officers already on it stay on it). The server sets `server_version` (1, then one
/// more per upsert; the value given is ignored) and appends the new version to the pull
/// feed of every officer on the assignment, each with their own role: the role given
/// for the officers named now, the role they had for the others.
pub fn upsert_assignment(
    server: &Server,
    organisation_id: &str,
    officer_ids: &[String],
    mut assignment: Assignment,
) -> Result<Assignment> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    for officer in officer_ids {
        required_text("officer", officer, MAX_SHORT_TEXT)?;
    }
    let now = server.now();
    server.write(|tx| {
        let current: Option<i64> = tx
            .query_row(
                "SELECT server_version FROM assignment WHERE organisation_id = ?1 AND id = ?2",
                [organisation_id, &assignment.id],
                |r| r.get(0),
            )
            .optional()?;
        assignment.server_version = current.map_or(1, |v| v + 1);
        assignment.validate()?;
        tx.execute(
            "INSERT INTO assignment (organisation_id, id, server_version, body, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (organisation_id, id) DO UPDATE SET
                 server_version = excluded.server_version, body = excluded.body,
                 updated_at = excluded.updated_at",
            rusqlite::params![
                organisation_id,
                assignment.id,
                assignment.server_version,
                serde_json::to_string(&assignment)?,
                now
            ],
        )?;
        let role = serde_json::to_string(&assignment.role)?;
        for officer in officer_ids {
            tx.execute(
                "INSERT INTO assignment_officer (organisation_id, assignment_id, officer_id, role)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET role = excluded.role",
                [organisation_id, &assignment.id, officer, &role],
            )?;
        }
        let on_it: Vec<(String, String)> = tx
            .prepare(
                "SELECT officer_id, role FROM assignment_officer
                 WHERE organisation_id = ?1 AND assignment_id = ?2 ORDER BY officer_id",
            )?
            .query_map([organisation_id, &assignment.id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if on_it.is_empty() {
            return Err(Error::invalid(
                "officer",
                "an assignment needs at least one officer",
            ));
        }
        for (officer, role) in on_it {
            let role: OfficerRole = serde_json::from_str(&role)?;
            let mut theirs = assignment.clone();
            theirs.role = role;
            feed::append_assignment(tx, organisation_id, &officer, &theirs)?;
        }
        Ok(assignment.clone())
    })
}

/// Records the office's review of a submitted report and delivers it to the officer who
/// submitted it.
pub fn record_review(
    server: &Server,
    report_id: &str,
    outcome: ReviewOutcome,
    reviewer: &str,
    note: Option<&str>,
) -> Result<ReportReview> {
    required_text("reviewer", reviewer, MAX_SHORT_TEXT)?;
    if let Some(note) = note {
        required_text("note", note, MAX_NOTE_TEXT)?;
    }
    let review = ReportReview {
        report_id: report_id.to_owned(),
        outcome,
        reviewer: reviewer.to_owned(),
        note: note.map(str::to_owned),
        reviewed_at: server.now(),
    };
    server.write(|tx| {
        let record = records::record(tx, report_id)?
            .filter(|r| r.family == "report")
            .ok_or_else(|| Error::not_found("report", report_id))?;
        let row =
            records::report(tx, report_id)?.ok_or_else(|| Error::not_found("report", report_id))?;
        if row.state != ReportState::Submitted {
            return Err(Error::Conflict(format!(
                "report {report_id} is still a draft; only a submitted report is reviewed"
            )));
        }
        tx.execute(
            "INSERT INTO review (report_id, outcome, reviewer, note, reviewed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                report_id,
                outcome_name(outcome),
                review.reviewer,
                review.note,
                review.reviewed_at
            ],
        )?;
        feed::append_review(tx, &record.organisation_id, &record.officer_id, &review)?;
        Ok(review.clone())
    })
}

fn outcome_name(outcome: ReviewOutcome) -> &'static str {
    match outcome {
        ReviewOutcome::Accepted => "accepted",
        ReviewOutcome::Returned => "returned",
    }
}

/// Who sent a record, and when the server received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub organisation_id: String,
    pub officer_id: String,
    pub device_id: String,
    /// The server's clock when the record was first received.
    pub received_at: Timestamp,
    /// The record's version on the server.
    pub server_version: i64,
}

impl From<records::RecordRow> for Provenance {
    fn from(r: records::RecordRow) -> Self {
        Provenance {
            organisation_id: r.organisation_id,
            officer_id: r.officer_id,
            device_id: r.device_id,
            received_at: r.received_at,
            server_version: r.server_version,
        }
    }
}

/// A check-in as received: the device's record and the server's receipt time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedCheckIn {
    #[serde(flatten)]
    pub check_in: CheckIn,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// A report as the office holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedReport {
    pub id: String,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub state: ReportState,
    /// The report as it reads now: the submitted content with every amendment applied
    /// (or the latest draft).
    pub content: IncidentContent,
    /// The device's clock at the last edit (or at submission).
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    pub content_hash: Option<String>,
    /// The newest link of the hash chain, to compare with the device's.
    pub head_hash: Option<String>,
    pub attachments: Vec<Attachment>,
    pub amendments: Vec<Amendment>,
    pub reviews: Vec<ReportReview>,
    /// The hash chain recomputed from what the server holds.
    pub integrity: ReportIntegrity,
}

/// An attachment's metadata and how much of its bytes arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedAttachment {
    #[serde(flatten)]
    pub attachment: Attachment,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub received_bytes: u64,
    /// All bytes arrived and hash to `sha256`.
    pub complete: bool,
}

/// The server's receipt for one operation a device pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub operation_id: String,
    pub device_id: String,
    pub seq: i64,
    pub kind: String,
    pub record_id: String,
    /// `applied` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub server_version: Option<i64>,
    pub received_at: Timestamp,
}

fn provenance(c: &rusqlite::Connection, id: &str) -> Result<Provenance> {
    records::record(c, id)?
        .map(Provenance::from)
        .ok_or_else(|| Error::Storage(format!("record {id} has no ownership row")))
}

/// Every check-in received, in the order they occurred.
pub fn check_ins(server: &Server) -> Result<Vec<ReceivedCheckIn>> {
    server.read(|c| {
        let bodies: Vec<(String, String)> = c
            .prepare("SELECT id, body FROM check_in ORDER BY occurred_at, id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        bodies
            .into_iter()
            .map(|(id, body)| {
                Ok(ReceivedCheckIn {
                    check_in: serde_json::from_str(&body)?,
                    provenance: provenance(c, &id)?,
                })
            })
            .collect()
    })
}

/// Every report received, oldest first, with amendments, attachments, reviews and the
/// hash chain recomputed.
pub fn reports(server: &Server) -> Result<Vec<ReceivedReport>> {
    server.read(|c| {
        let ids: Vec<String> = c
            .prepare(
                "SELECT report.id FROM report JOIN record ON record.id = report.id
                 ORDER BY record.received_at, report.id",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| load_report(c, id)).collect()
    })
}

/// One report as the office holds it.
pub fn report(server: &Server, id: &str) -> Result<ReceivedReport> {
    server.read(|c| load_report(c, id))
}

fn load_report(c: &rusqlite::Connection, id: &str) -> Result<ReceivedReport> {
    let row = records::report(c, id)?.ok_or_else(|| Error::not_found("report", id))?;
    let amendments = records::amendments(c, id)?;
    let integrity = match (&row.content_hash, row.submitted_at) {
        (Some(sealed), Some(submitted_at)) => verify_chain(
            id,
            submitted_at,
            &row.content,
            &row.sealed_attachments,
            sealed,
            &amendments,
        ),
        _ => ReportIntegrity::Draft,
    };
    let reviews: Vec<ReportReview> = c
        .prepare_cached(
            "SELECT outcome, reviewer, note, reviewed_at FROM review
             WHERE report_id = ?1 ORDER BY id",
        )?
        .query_map([id], |r| {
            let outcome: String = r.get(0)?;
            Ok(ReportReview {
                report_id: id.to_owned(),
                outcome: if outcome == "returned" {
                    ReviewOutcome::Returned
                } else {
                    ReviewOutcome::Accepted
                },
                reviewer: r.get(1)?,
                note: r.get(2)?,
                reviewed_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ReceivedReport {
        id: id.to_owned(),
        provenance: provenance(c, id)?,
        state: row.state,
        content: records::current_content(&row, &amendments),
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        content_hash: row.content_hash.clone(),
        head_hash: row.head_hash.clone(),
        attachments: records::attachments_of(c, id)?,
        amendments,
        reviews,
        integrity,
    })
}

/// Every attachment declared, oldest first, with upload progress.
pub fn attachments(server: &Server) -> Result<Vec<ReceivedAttachment>> {
    server.read(|c| {
        let rows: Vec<(String, String, i64, bool)> = c
            .prepare(
                "SELECT attachment.id, attachment.body, blob.received_bytes,
                        blob.completed_at IS NOT NULL
                 FROM attachment
                 JOIN blob ON blob.id = attachment.blob_id
                 JOIN record ON record.id = attachment.id
                 ORDER BY record.received_at, attachment.id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, body, received, complete)| {
                Ok(ReceivedAttachment {
                    attachment: serde_json::from_str(&body)?,
                    provenance: provenance(c, &id)?,
                    received_bytes: received.max(0) as u64,
                    complete,
                })
            })
            .collect()
    })
}

/// Every receipt, in the order the operations were received.
pub fn receipts(server: &Server) -> Result<Vec<Receipt>> {
    server.read(|c| {
        let rows = c
            .prepare(
                "SELECT operation_id, device_id, seq, kind, record_id, status, reason,
                        server_version, received_at
                 FROM receipt ORDER BY received_at, device_id, seq",
            )?
            .query_map([], |r| {
                Ok(Receipt {
                    operation_id: r.get(0)?,
                    device_id: r.get(1)?,
                    seq: r.get(2)?,
                    kind: r.get(3)?,
                    record_id: r.get(4)?,
                    status: r.get(5)?,
                    reason: r.get(6)?,
                    server_version: r.get(7)?,
                    received_at: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    })
}
