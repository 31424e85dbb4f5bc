//! Incident reports: drafts, the sealed submission and the amendment chain, each checked
//! against the office's own copy of the chain.

use crate::store::Conn;
use cordon_core::model::validate::{MAX_NOTE_TEXT, MAX_SHORT_TEXT};
use cordon_core::protocol::WireOperation;
use cordon_core::protocol::{ReportDraft, ReportSubmission};
use cordon_core::{amendment_hash, submission_hash, Amendment, ReportState, Timestamp};

use super::{reject, same_record, text, Refusal};

use crate::error::Error;
use crate::http::Caller;
use crate::records::{self, RecordRow};

pub(super) fn create(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    p: ReportDraft,
) -> Result<(), Refusal> {
    same_record("report_id", &p.report_id, op)?;
    p.content.validate()?;
    tx.prepare_cached(
        "INSERT INTO report (organisation_id, id, state, content, updated_at)
         VALUES (?4, ?1, 'draft', ?2, ?3)",
    )?
    .execute(rusqlite::params![
        p.report_id,
        serde_json::to_string(&p.content).map_err(Error::from)?,
        p.updated_at,
        caller.organisation_id
    ])?;
    Ok(())
}

/// The report an operation targets, which must be one of this device's reports.
fn owned_report(
    tx: &Conn,
    caller: &Caller,
    id: &str,
    record: Option<&RecordRow>,
) -> Result<records::ReportRow, Refusal> {
    if record.is_none_or(|r| r.family != "report") {
        return reject(format!("{id} is not a report"));
    }
    match records::report(tx, &caller.organisation_id, id)? {
        Some(row) => Ok(row),
        None => reject(format!("{id} is not a report")),
    }
}

fn expect_draft(row: &records::ReportRow) -> Result<(), Refusal> {
    match row.state {
        ReportState::Draft => Ok(()),
        ReportState::Submitted => reject("the report is submitted and locked; amend it instead"),
    }
}

pub(super) fn update(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    record: Option<&RecordRow>,
    p: ReportDraft,
) -> Result<(), Refusal> {
    same_record("report_id", &p.report_id, op)?;
    expect_draft(&owned_report(tx, caller, &op.record_id, record)?)?;
    p.content.validate()?;
    tx.prepare_cached(
        "UPDATE report SET content = ?2, updated_at = ?3 WHERE organisation_id = ?4 AND id = ?1",
    )?
    .execute(rusqlite::params![
        p.report_id,
        serde_json::to_string(&p.content).map_err(Error::from)?,
        p.updated_at,
        caller.organisation_id
    ])?;
    Ok(())
}

pub(super) fn submit(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    record: Option<&RecordRow>,
    p: ReportSubmission,
) -> Result<(), Refusal> {
    same_record("report_id", &p.report_id, op)?;
    expect_draft(&owned_report(tx, caller, &op.record_id, record)?)?;
    p.content.validate_for_submission(p.submitted_at)?;

    // The hash covers the attachments' metadata, so it must be the metadata the server
    // was sent for this report: every one of them, exactly as declared.
    let known = records::attachments_of(tx, &caller.organisation_id, &p.report_id)?;
    for a in &p.attachments {
        match known.iter().find(|k| k.id == a.id) {
            None => return reject(format!("attachment {} is not known to the server", a.id)),
            Some(k) if k != a => {
                return reject(format!(
                    "attachment {} differs from the metadata the server was sent",
                    a.id
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(missing) = known
        .iter()
        .find(|k| !p.attachments.iter().any(|a| a.id == k.id))
    {
        return reject(format!(
            "attachment {} of this report is missing from the submission",
            missing.id
        ));
    }
    if p.attachments.len() != known.len() {
        return reject("an attachment is listed twice");
    }
    let hash = submission_hash(&p.report_id, p.submitted_at, &p.content, &p.attachments);
    if hash != p.content_hash {
        return reject(
            "content_hash does not recompute from the content, submitted_at and attachments",
        );
    }
    tx.prepare_cached(
        "UPDATE report SET state = 'submitted', content = ?2, updated_at = ?3,
                submitted_at = ?3, content_hash = ?4, sealed_attachments = ?5, head_hash = ?4
         WHERE organisation_id = ?6 AND id = ?1",
    )?
    .execute(rusqlite::params![
        p.report_id,
        serde_json::to_string(&p.content).map_err(Error::from)?,
        p.submitted_at,
        p.content_hash,
        serde_json::to_string(&p.attachments).map_err(Error::from)?,
        caller.organisation_id,
    ])?;
    Ok(())
}

pub(super) fn amend(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    record: Option<&RecordRow>,
    a: Amendment,
    now: Timestamp,
) -> Result<(), Refusal> {
    same_record("report_id", &a.report_id, op)?;
    let row = owned_report(tx, caller, &op.record_id, record)?;
    let (ReportState::Submitted, Some(head)) = (row.state, &row.head_hash) else {
        return reject("the report is still a draft; only a submitted report is amended");
    };
    if uuid::Uuid::parse_str(&a.id).is_err() {
        return reject("amendment id must be a UUID");
    }
    text("author", &a.author, MAX_SHORT_TEXT)?;
    text("reason", &a.reason, MAX_NOTE_TEXT)?;
    let next = row.amendments + 1;
    if a.sequence != next {
        return reject(format!(
            "amendment sequence {} is not the next one ({next})",
            a.sequence
        ));
    }
    if &a.previous_hash != head {
        return reject("previous_hash is not the server's current head of the chain");
    }
    if amendment_hash(&a) != a.hash {
        return reject("hash does not recompute from the amendment");
    }
    let mut content = records::current_content(tx, &caller.organisation_id, &a.report_id, &row)?;
    let changed = content.apply(&a.patch);
    if changed.is_empty() {
        return reject("the patch changes nothing in the report");
    }
    if changed != a.changed_fields {
        return reject(format!(
            "changed_fields {:?} is not what the patch changes ({:?})",
            a.changed_fields, changed
        ));
    }
    content.validate()?;
    tx.prepare_cached(
        "INSERT INTO amendment (organisation_id, report_id, sequence, id, body, received_at)
         VALUES (?6, ?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        a.report_id,
        a.sequence,
        a.id,
        serde_json::to_string(&a).map_err(Error::from)?,
        now,
        caller.organisation_id
    ])?;
    tx.prepare_cached(
        "UPDATE report SET head_hash = ?2, amendments = ?3, amended_content = ?4
         WHERE organisation_id = ?5 AND id = ?1",
    )?
    .execute(rusqlite::params![
        a.report_id,
        a.hash,
        a.sequence,
        serde_json::to_string(&content).map_err(Error::from)?,
        caller.organisation_id
    ])?;
    Ok(())
}
