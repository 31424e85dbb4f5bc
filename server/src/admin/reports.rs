//! Incident reports: the office's copy, its integrity, and its review outcomes.

use cordon_core::{
    verify_chain, Amendment, Attachment, IncidentContent, ReportIntegrity, ReportReview,
    ReportState, ReviewOutcome, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::Server;
use crate::{feed, records};
use cordon_core::model::validate::{required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};

use super::{provenance, Provenance};

/// Records the office's review of `organisation_id`'s submitted report and delivers it to
/// the officer who submitted it.
pub fn record_review(
    server: &Server,
    organisation_id: &str,
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
        let record = records::record(tx, organisation_id, report_id)?
            .filter(|r| r.family == "report")
            .ok_or_else(|| Error::not_found("report", report_id))?;
        let row = records::report(tx, organisation_id, report_id)?
            .ok_or_else(|| Error::not_found("report", report_id))?;
        if row.state != ReportState::Submitted {
            return Err(Error::Conflict(format!(
                "report {report_id} is still a draft; only a submitted report is reviewed"
            )));
        }
        tx.execute(
            "INSERT INTO review (organisation_id, report_id, outcome, reviewer, note,
                                 reviewed_at)
             VALUES (?6, ?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                report_id,
                outcome_name(outcome),
                review.reviewer,
                review.note,
                review.reviewed_at,
                organisation_id
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
    /// The reviewer the submission was routed to (none: still a draft).
    pub route: Option<super::Route>,
    /// The hash chain recomputed from what the server holds.
    pub integrity: ReportIntegrity,
}

/// Every report received, of every organisation, oldest first, with amendments,
/// attachments, reviews and the hash chain recomputed.
pub fn reports(server: &Server) -> Result<Vec<ReceivedReport>> {
    reports_in(server, None)
}

/// The reports of `organisation_id`, oldest first, as [`reports`] reads them.
pub fn reports_of(server: &Server, organisation_id: &str) -> Result<Vec<ReceivedReport>> {
    reports_in(server, Some(organisation_id))
}

fn reports_in(server: &Server, organisation_id: Option<&str>) -> Result<Vec<ReceivedReport>> {
    server.read(|c| {
        let ids: Vec<(String, String)> = c
            .prepare(
                "SELECT report.organisation_id, report.id FROM report
                 JOIN record ON record.organisation_id = report.organisation_id
                             AND record.id = report.id
                 WHERE CAST(?1 AS TEXT) IS NULL OR report.organisation_id = ?1
                 ORDER BY record.received_at, report.organisation_id, report.id",
            )?
            .query_map([organisation_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|(organisation, id)| load_report(c, organisation, id))
            .collect()
    })
}

/// `organisation_id`'s report `id` as the office holds it.
pub fn report(server: &Server, organisation_id: &str, id: &str) -> Result<ReceivedReport> {
    server.read(|c| load_report(c, organisation_id, id))
}

/// The organisations that hold a report with this id, in name order: one, usually, but
/// ids are made on devices and each organisation's are its own.
pub fn organisations_with_report(server: &Server, id: &str) -> Result<Vec<String>> {
    server.read(|c| {
        Ok(
            c.prepare("SELECT organisation_id FROM report WHERE id = ?1 ORDER BY organisation_id")?
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        )
    })
}

pub(super) fn load_report(
    c: &crate::store::Conn,
    organisation_id: &str,
    id: &str,
) -> Result<ReceivedReport> {
    let row =
        records::report(c, organisation_id, id)?.ok_or_else(|| Error::not_found("report", id))?;
    let amendments = records::amendments(c, organisation_id, id)?;
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
             WHERE organisation_id = ?1 AND report_id = ?2 ORDER BY id",
        )?
        .query_map([organisation_id, id], |r| {
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
        provenance: provenance(c, organisation_id, id)?,
        state: row.state,
        content: records::current_content(c, organisation_id, id, &row)?,
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        content_hash: row.content_hash.clone(),
        head_hash: row.head_hash.clone(),
        attachments: records::attachments_of(c, organisation_id, id)?,
        amendments,
        reviews,
        route: super::reviewers::route_in(c, organisation_id, id)?,
        integrity,
    })
}
