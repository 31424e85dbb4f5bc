//! Push: a device's batch of outbox operations, judged one by one and committed whole.
//!
//! For each operation, in request order:
//! 1. A **receipt** for (device, operation id) answers a replay with the original
//!    verdict (`duplicate` with the version of then, or the same rejection) and nothing
//!    else happens.
//! 2. The envelope is checked (UUIDs, a positive `seq`, a known kind, payload version 1),
//!    then the record's **ownership and order**: a record belongs to the device that
//!    created it (another device gets `unknown record`, which reveals nothing about other
//!    organisations), and an operation whose `seq` is not above the highest applied to
//!    its record is `out of order`.
//! 3. The payload is deserialised into the core's model type and checked with the core's
//!    own validation, plus what only the office can check (the hash chain against its own
//!    copy, the officer's assignments, the attachments it knows).
//! 4. It is applied inside a savepoint, so a rejection found half-way undoes its own
//!    writes, and its receipt is written.
//!
//! All of it runs in one `BEGIN IMMEDIATE` transaction: receipts and record changes of
//! one push commit together, or (on a storage failure) none do and the device retries.
//! Time rules are checked against the device's own clock at writing (`recorded_at`,
//! `submitted_at`), never the server's: a phone whose clock runs fast must not see its
//! duress alarm refused.

use axum::extract::State;
use cordon_core::protocol::{
    OperationResult, PushResponse, ResultStatus, WireOperation, MAX_PUSH_BYTES, MAX_PUSH_OPERATIONS,
};
use cordon_core::protocol::{Payload, ReportDraft, ReportSubmission, PAYLOAD_VERSION};
use cordon_core::{
    amendment_hash, submission_hash, validate_mime, Amendment, Attachment, CheckIn, CordonError,
    NewCheckIn, OperationKind, ReportState, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::http::{ApiError, BodyBytes, Caller, Reply};
use crate::records::{self, RecordRow};
use crate::state::Server;
use crate::validate::sha256_hex;
use cordon_core::model::validate::{required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};

/// `POST /v1/push`.
pub(crate) async fn handle(
    State(server): State<Server>,
    caller: Caller,
    BodyBytes(body): BodyBytes<MAX_PUSH_BYTES>,
) -> Result<Reply<PushResponse>, ApiError> {
    let request: Envelope<'_> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid push request: {e}")))?;
    if request.device_id != caller.device_id {
        return Err(ApiError::forbidden(
            "device_id is not the device this token was issued to",
        ));
    }
    if request.operations.len() > MAX_PUSH_OPERATIONS {
        return Err(ApiError::bad_request(format!(
            "{} operations in one push; at most {MAX_PUSH_OPERATIONS} are allowed",
            request.operations.len()
        )));
    }
    let operations = request
        .operations
        .iter()
        .map(|raw| Incoming::parse(raw))
        .collect::<Result<Vec<_>, _>>()?;
    let now = server.now();
    let results = server
        .blocking(move |s| s.write(|tx| apply_batch(tx, &caller, &operations, now)))
        .await?;
    log_outcome(&results);
    Ok(Reply(PushResponse {
        server_time: now,
        results,
    }))
}

/// One line per push: how many operations and what became of them. Never a reason: a
/// reason may quote the payload (a malformed field), and payloads are evidence.
fn log_outcome(results: &[OperationResult]) {
    let count = |status| results.iter().filter(|r| r.status == status).count();
    tracing::info!(
        operations = results.len(),
        applied = count(ResultStatus::Applied),
        duplicate = count(ResultStatus::Duplicate),
        rejected = count(ResultStatus::Rejected),
        "push judged"
    );
    for r in results
        .iter()
        .filter(|r| r.status == ResultStatus::Rejected)
    {
        tracing::debug!(operation_id = %r.id, seq = r.seq, "operation rejected");
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    device_id: String,
    #[serde(borrow)]
    operations: Vec<&'a RawValue>,
}

/// The least of an operation the server needs to answer it: without an id and a seq
/// there is nothing to put in a result, and the whole request is a 400.
#[derive(Deserialize)]
struct Header {
    id: String,
    seq: i64,
    #[serde(default)]
    kind: serde_json::Value,
    #[serde(default)]
    entity_id: serde_json::Value,
}

enum Incoming {
    WellFormed(WireOperation),
    /// Has an id and a seq, but not the shape of an operation: rejected on its own.
    Malformed {
        header: Header,
        reason: String,
    },
}

impl Incoming {
    fn parse(raw: &RawValue) -> Result<Self, ApiError> {
        match serde_json::from_str::<WireOperation>(raw.get()) {
            Ok(op) => Ok(Incoming::WellFormed(op)),
            Err(e) => {
                let header: Header = serde_json::from_str(raw.get()).map_err(|_| {
                    ApiError::bad_request(format!("an operation without an id and a seq: {e}"))
                })?;
                Ok(Incoming::Malformed {
                    header,
                    reason: format!("malformed operation: {e}"),
                })
            }
        }
    }

    fn id(&self) -> &str {
        match self {
            Incoming::WellFormed(op) => &op.id,
            Incoming::Malformed { header, .. } => &header.id,
        }
    }

    fn seq(&self) -> i64 {
        match self {
            Incoming::WellFormed(op) => op.seq,
            Incoming::Malformed { header, .. } => header.seq,
        }
    }

    /// Kind and record, as far as they can be read, for the receipt.
    fn kind_and_entity(&self) -> (String, String) {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        match self {
            Incoming::WellFormed(op) => (op.kind.as_str().to_owned(), op.entity_id.clone()),
            Incoming::Malformed { header, .. } => (text(&header.kind), text(&header.entity_id)),
        }
    }
}

/// Why an operation was not applied: a verdict for the device, or a failure of the
/// server that aborts the whole push.
enum Refusal {
    Rejected(String),
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Failed(e)
    }
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        // A constraint is about the data sent (an id already taken), not the server's
        // health: the operation is refused and the rest of the push goes on.
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Refusal::Rejected("conflicts with a record the server already holds".into())
            }
            _ => Refusal::Failed(e.into()),
        }
    }
}

impl From<CordonError> for Refusal {
    fn from(e: CordonError) -> Self {
        Refusal::Rejected(e.to_string())
    }
}

fn reject<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::Rejected(reason.into()))
}

fn apply_batch(
    tx: &mut Transaction<'_>,
    caller: &Caller,
    operations: &[Incoming],
    now: Timestamp,
) -> Result<Vec<OperationResult>> {
    // Once an operation on a record is refused, the record's later operations in the
    // same push are not judged: applying them would put them ahead of the refused one
    // for good. They get no receipt, so the device may send them again after it
    // requeues the refused operation.
    let mut refused: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut results = Vec::with_capacity(operations.len());
    for op in operations {
        let (_, entity) = op.kind_and_entity();
        let result = if refused.contains(&entity) {
            result(
                op,
                ResultStatus::Rejected,
                Some("an earlier operation on this record in the same push was rejected".into()),
                None,
            )
        } else {
            apply_one(tx, caller, op, now)?
        };
        if result.status == ResultStatus::Rejected {
            refused.insert(entity);
        }
        results.push(result);
    }
    Ok(results)
}

fn result(
    op: &Incoming,
    status: ResultStatus,
    reason: Option<String>,
    version: Option<i64>,
) -> OperationResult {
    OperationResult {
        id: op.id().to_owned(),
        seq: op.seq(),
        status,
        reason,
        server_version: version,
    }
}

fn apply_one(
    tx: &mut Transaction<'_>,
    caller: &Caller,
    op: &Incoming,
    now: Timestamp,
) -> Result<OperationResult> {
    if uuid::Uuid::parse_str(op.id()).is_err() {
        // No receipt: an id that is not one cannot be deduplicated, and the verdict is
        // the same every time anyway.
        let reason = "operation id must be a UUID".to_owned();
        return Ok(result(op, ResultStatus::Rejected, Some(reason), None));
    }
    let receipt: Option<(String, Option<String>, Option<i64>)> = tx
        .prepare_cached(
            "SELECT status, reason, server_version FROM receipt
             WHERE device_id = ?1 AND operation_id = ?2",
        )?
        .query_row([&caller.device_id, op.id()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if let Some((status, reason, version)) = receipt {
        return Ok(if status == "applied" {
            result(op, ResultStatus::Duplicate, None, version)
        } else {
            result(op, ResultStatus::Rejected, reason, None)
        });
    }

    let verdict = {
        let sp = tx.savepoint()?;
        let verdict = match op {
            Incoming::Malformed { reason, .. } => reject(reason.clone()),
            Incoming::WellFormed(op) => apply(&sp, caller, op, now),
        };
        if verdict.is_ok() {
            sp.commit()?;
        }
        // Dropping the savepoint otherwise rolls back whatever the operation wrote.
        verdict
    };
    let (status, reason, version) = match verdict {
        Ok(version) => (ResultStatus::Applied, None, Some(version)),
        Err(Refusal::Rejected(reason)) => (ResultStatus::Rejected, Some(reason), None),
        Err(Refusal::Failed(e)) => return Err(e),
    };
    let (kind, entity_id) = op.kind_and_entity();
    tx.prepare_cached(
        "INSERT INTO receipt (device_id, operation_id, seq, kind, entity_id, status, reason,
                              server_version, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        caller.device_id,
        op.id(),
        op.seq(),
        kind,
        entity_id,
        if status == ResultStatus::Applied {
            "applied"
        } else {
            "rejected"
        },
        reason,
        version,
        now,
    ])?;
    Ok(result(op, status, reason, version))
}

/// The record family an operation kind creates, if it is a creation.
fn created_family(kind: OperationKind) -> Option<&'static str> {
    match kind {
        OperationKind::CheckInRecord => Some("check_in"),
        OperationKind::ReportCreate => Some("report"),
        OperationKind::AttachmentCreate => Some("attachment"),
        _ => None,
    }
}

/// Checks and applies one well-formed operation; returns the record's new version.
fn apply(
    tx: &Connection,
    caller: &Caller,
    op: &WireOperation,
    now: Timestamp,
) -> Result<i64, Refusal> {
    if op.payload_version != PAYLOAD_VERSION {
        return reject(format!(
            "payload_version {} is not supported (this server reads {PAYLOAD_VERSION})",
            op.payload_version
        ));
    }
    if op.seq < 1 {
        return reject("seq must be positive");
    }
    if uuid::Uuid::parse_str(&op.entity_id).is_err() {
        return reject("entity_id must be a UUID");
    }
    let existing = records::record(tx, &op.entity_id)?;
    let creates = created_family(op.kind);
    let record = match (existing, creates) {
        (Some(r), None) if r.device_id != caller.device_id => return reject("unknown record"),
        (Some(r), _) if r.device_id == caller.device_id && op.seq <= r.last_seq => {
            return reject(format!(
                "out of order: seq {} is not after seq {} already applied to this record",
                op.seq, r.last_seq
            ))
        }
        (Some(_), Some(_)) => return reject("record already exists"),
        (None, None) => return reject("unknown record"),
        (record, _) => record,
    };

    let version = if let Some(r) = &record {
        tx.prepare_cached(
            "UPDATE record SET server_version = server_version + 1, last_seq = ?2,
                               updated_at = ?3
             WHERE id = ?1",
        )?
        .execute(rusqlite::params![op.entity_id, op.seq, now])?;
        r.server_version + 1
    } else {
        // The match above let through a missing record only for a creation.
        let Some(family) = creates else {
            return reject("unknown record");
        };
        tx.prepare_cached(
            "INSERT INTO record (id, family, organisation_id, officer_id, device_id,
                                 server_version, last_seq, received_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?7)",
        )?
        .execute(rusqlite::params![
            op.entity_id,
            family,
            caller.organisation_id,
            caller.officer_id,
            caller.device_id,
            op.seq,
            now
        ])?;
        1
    };

    // The core's own payload types: one definition for both ends.
    match Payload::decode(op.kind, op.payload.get()).map_err(Refusal::Rejected)? {
        Payload::CheckInRecord(c) => check_in(tx, caller, op, c),
        Payload::ReportCreate(p) => report_create(tx, op, p),
        Payload::ReportUpdate(p) => report_update(tx, op, record.as_ref(), p),
        Payload::ReportSubmit(p) => report_submit(tx, op, record.as_ref(), p),
        Payload::ReportAmend(a) => report_amend(tx, op, record.as_ref(), a, now),
        Payload::AttachmentCreate(a) => attachment_create(tx, caller, op, a),
        Payload::AttachmentUpload(_) => {
            reject("attachment bytes are uploaded with PUT /v1/attachments/{sha256}, not pushed")
        }
    }?;
    Ok(version)
}

fn same_entity(field: &str, value: &str, op: &WireOperation) -> Result<(), Refusal> {
    if value == op.entity_id {
        Ok(())
    } else {
        reject(format!("{field} {value} is not the operation's entity_id"))
    }
}

fn text(field: &str, value: &str, max: usize) -> Result<(), Refusal> {
    required_text(field, value, max).map_err(|e| Refusal::Rejected(e.to_string()))
}

fn check_in(
    tx: &Connection,
    caller: &Caller,
    op: &WireOperation,
    c: CheckIn,
) -> Result<(), Refusal> {
    same_entity("id", &c.id, op)?;
    // The core's own rules, judged against the device's clock when it recorded it.
    NewCheckIn {
        kind: c.kind,
        assignment_id: c.assignment_id.clone(),
        occurred_at: Some(c.occurred_at),
        time_zone: c.time_zone.clone(),
        location: c.location.clone(),
        tag_id: c.tag_id.clone(),
        note: c.note.clone(),
    }
    .validate(c.recorded_at)?;
    // An alarm is never refused over its assignment: the officer may have named one the
    // phone had not yet downloaded, and the control room must see the alarm regardless.
    if let (Some(assignment_id), false) = (&c.assignment_id, c.kind.is_alarm()) {
        let assigned = tx
            .prepare_cached(
                "SELECT 1 FROM assignment_officer
                 WHERE organisation_id = ?1 AND assignment_id = ?2 AND officer_id = ?3",
            )?
            .exists([&caller.organisation_id, assignment_id, &caller.officer_id])?;
        if !assigned {
            return reject(format!(
                "assignment {assignment_id} is not assigned to this officer"
            ));
        }
    }
    tx.prepare_cached(
        "INSERT INTO check_in (id, kind, occurred_at, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(rusqlite::params![
        c.id,
        c.kind.as_str(),
        c.occurred_at,
        // The payload as the device sent it: it parsed as exactly this check-in.
        op.payload.get()
    ])?;
    Ok(())
}

fn report_create(tx: &Connection, op: &WireOperation, p: ReportDraft) -> Result<(), Refusal> {
    same_entity("report_id", &p.report_id, op)?;
    p.content.validate()?;
    tx.prepare_cached(
        "INSERT INTO report (id, state, content, updated_at) VALUES (?1, 'draft', ?2, ?3)",
    )?
    .execute(rusqlite::params![
        p.report_id,
        serde_json::to_string(&p.content).map_err(Error::from)?,
        p.updated_at
    ])?;
    Ok(())
}

/// The report an operation targets, which must be one of this device's reports.
fn owned_report(
    tx: &Connection,
    id: &str,
    record: Option<&RecordRow>,
) -> Result<records::ReportRow, Refusal> {
    if record.is_none_or(|r| r.family != "report") {
        return reject(format!("{id} is not a report"));
    }
    match records::report(tx, id)? {
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

fn report_update(
    tx: &Connection,
    op: &WireOperation,
    record: Option<&RecordRow>,
    p: ReportDraft,
) -> Result<(), Refusal> {
    same_entity("report_id", &p.report_id, op)?;
    expect_draft(&owned_report(tx, &op.entity_id, record)?)?;
    p.content.validate()?;
    tx.prepare_cached("UPDATE report SET content = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![
            p.report_id,
            serde_json::to_string(&p.content).map_err(Error::from)?,
            p.updated_at
        ])?;
    Ok(())
}

fn report_submit(
    tx: &Connection,
    op: &WireOperation,
    record: Option<&RecordRow>,
    p: ReportSubmission,
) -> Result<(), Refusal> {
    same_entity("report_id", &p.report_id, op)?;
    expect_draft(&owned_report(tx, &op.entity_id, record)?)?;
    p.content.validate_for_submission(p.submitted_at)?;

    // The hash covers the attachments' metadata, so it must be the metadata the server
    // was sent for this report: every one of them, exactly as declared.
    let known = records::attachments_of(tx, &p.report_id)?;
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
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        p.report_id,
        serde_json::to_string(&p.content).map_err(Error::from)?,
        p.submitted_at,
        p.content_hash,
        serde_json::to_string(&p.attachments).map_err(Error::from)?,
    ])?;
    Ok(())
}

fn report_amend(
    tx: &Connection,
    op: &WireOperation,
    record: Option<&RecordRow>,
    a: Amendment,
    now: Timestamp,
) -> Result<(), Refusal> {
    same_entity("report_id", &a.report_id, op)?;
    let row = owned_report(tx, &op.entity_id, record)?;
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
    let earlier = records::amendments(tx, &a.report_id)?;
    let mut content = records::current_content(&row, &earlier);
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
        "INSERT INTO amendment (report_id, sequence, id, body, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        a.report_id,
        a.sequence,
        a.id,
        serde_json::to_string(&a).map_err(Error::from)?,
        now
    ])?;
    tx.prepare_cached("UPDATE report SET head_hash = ?2, amendments = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![a.report_id, a.hash, a.sequence])?;
    Ok(())
}

fn attachment_create(
    tx: &Connection,
    caller: &Caller,
    op: &WireOperation,
    a: Attachment,
) -> Result<(), Refusal> {
    same_entity("id", &a.id, op)?;
    let report = records::record(tx, &a.report_id)?;
    if !report
        .as_ref()
        .is_some_and(|r| r.family == "report" && r.device_id == caller.device_id)
    {
        return reject(format!("unknown report {}", a.report_id));
    }
    match records::report(tx, &a.report_id)? {
        Some(row) if row.state == ReportState::Draft => {}
        _ => return reject("the report is submitted; attachments are added to drafts only"),
    }
    sha256_hex("sha256", &a.sha256).map_err(|e| Refusal::Rejected(e.to_string()))?;
    validate_mime(a.kind, &a.mime_type)?;
    text("file_name", &a.file_name, MAX_SHORT_TEXT)?;
    let Ok(size) = i64::try_from(a.size_bytes) else {
        return reject("size_bytes is too large");
    };

    // One blob per organisation and SHA-256: the same bytes attached twice are stored
    // (and uploaded) once.
    let blob: Option<(i64, i64)> = tx
        .prepare_cached(
            "SELECT id, size_bytes FROM blob WHERE organisation_id = ?1 AND sha256 = ?2",
        )?
        .query_row([&caller.organisation_id, &a.sha256], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let blob_id = match blob {
        Some((_, known)) if known != size => {
            return reject(format!(
                "size_bytes {size} differs from the {known} bytes declared before for this sha256"
            ))
        }
        Some((id, _)) => id,
        None => {
            tx.prepare_cached(
                "INSERT INTO blob (organisation_id, sha256, size_bytes) VALUES (?1, ?2, ?3)",
            )?
            .execute(rusqlite::params![caller.organisation_id, a.sha256, size])?;
            tx.last_insert_rowid()
        }
    };
    tx.prepare_cached(
        "INSERT INTO attachment (id, report_id, blob_id, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(rusqlite::params![
        a.id,
        a.report_id,
        blob_id,
        serde_json::to_string(&a).map_err(Error::from)?
    ])?;
    Ok(())
}
