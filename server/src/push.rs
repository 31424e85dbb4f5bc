//! Push: a device's batch of outbox operations, judged one by one and committed whole.
//!
//! For each operation, in request order:
//! 1. A **receipt** for (device, operation id) answers a replay with the original
//!    verdict (`duplicate` with the version of then, or the same rejection) and nothing
//!    else happens.
//! 2. The envelope is checked (UUIDs, a positive `seq`, a known kind, payload version 1),
//!    then the record's **ownership and order**: records are looked up within the
//!    caller's organisation only (another organisation's record with the same id is
//!    another record, so nothing a device is answered depends on it); a record belongs to
//!    the device that created it (another device gets `unknown record`), and an operation
//!    whose `seq` is not above the highest applied to its record is `out of order`.
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

use crate::store::{Conn, OptionalExtension, Tx};
use axum::extract::State;
use cordon_core::protocol::PAYLOAD_VERSION;
use cordon_core::protocol::{
    OperationResult, PushResponse, ResultStatus, WireOperation, MAX_PUSH_BYTES, MAX_PUSH_OPERATIONS,
};
use cordon_core::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::apply::{self, reject, Refusal};
use crate::error::Result;
use crate::group_commit::{GiveWay, Ran};
use crate::http::{ApiError, BodyBytes, Caller, Reply};
use crate::records;
use crate::state::Server;

/// `POST /v1/push`.
pub(crate) async fn handle(
    State(server): State<Server>,
    caller: Caller,
    BodyBytes(body): BodyBytes<MAX_PUSH_BYTES>,
) -> Result<Reply<PushResponse>, ApiError> {
    // A big batch takes milliseconds to parse: off the async threads, so that the small
    // requests behind it (an alarm's above all) are not held up by it.
    let operations = if body.len() > PARSE_INLINE_BYTES {
        let caller = caller.clone();
        tokio::task::spawn_blocking(move || parse(&body, &caller))
            .await
            .map_err(|e| crate::Error::Storage(format!("a push's parse failed: {e}")))??
    } else {
        parse(&body, &caller)?
    };
    let now = server.now();
    // What the device's urgent lane carries: alarms, and sightings it matched against the
    // BOLO list (written before an alarm, they share its request).
    let alarms_only = !operations.is_empty() && operations.iter().all(Incoming::is_urgent);
    // A duress or panic alarm is never refused, so an alarm-only push is never counted.
    if !alarms_only {
        server
            .limits()
            .push(&caller.device_id)
            .map_err(|wait| ApiError::too_many_requests("pushes from this device", wait))?;
    }
    // One commit for the pushes that arrive together; an alarm-only push in a group of
    // alarms, before ordinary pushes waiting (the urgent lane, on the server too).
    let count = operations.len();
    let results = server
        .write_push(
            alarms_only,
            count,
            Box::new(move |tx, give_way| apply_batch(tx, &caller, &operations, now, give_way)),
        )
        .await?;
    log_outcome(&results);
    Ok(Reply(PushResponse {
        server_time: now,
        results,
    }))
}

/// The largest push body parsed on the async thread that received it.
const PARSE_INLINE_BYTES: usize = 16 * 1024;

/// The push's operations, read from its body: `400` for a body that is not a push, `403`
/// for another device's, a malformed operation kept to be rejected on its own.
fn parse(body: &[u8], caller: &Caller) -> Result<Vec<Incoming>, ApiError> {
    let request: Envelope<'_> = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid push request: {e}")))?;
    caller.require_own(&request.device_id)?;
    if request.operations.len() > MAX_PUSH_OPERATIONS {
        return Err(ApiError::bad_request(format!(
            "{} operations in one push; at most {MAX_PUSH_OPERATIONS} are allowed",
            request.operations.len()
        )));
    }
    request
        .operations
        .iter()
        .map(|raw| Incoming::parse(raw))
        .collect()
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
    #[serde(default, alias = "entity_id")]
    record_id: serde_json::Value,
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

    /// A duress or panic check-in: what the device's urgent lane carries.
    fn is_alarm(&self) -> bool {
        #[derive(Deserialize)]
        struct Kind {
            kind: cordon_core::CheckInKind,
        }
        match self {
            Incoming::WellFormed(op) => {
                op.kind == cordon_core::OperationKind::CheckInRecord
                    && serde_json::from_str::<Kind>(op.payload.get())
                        .is_ok_and(|k| k.kind.is_alarm())
            }
            Incoming::Malformed { .. } => false,
        }
    }

    /// What the device's urgent lane carries: an alarm, or a sighting the device matched
    /// against the BOLO list. (A device that claims a match it has not made gains the
    /// alarm's turn, and its claim is shown to the control room beside the office's own.)
    fn is_urgent(&self) -> bool {
        #[derive(Deserialize)]
        struct Match {
            bolo_match: Option<serde::de::IgnoredAny>,
        }
        self.is_alarm()
            || matches!(self, Incoming::WellFormed(op)
                if op.kind == cordon_core::OperationKind::SightingRecord
                    && serde_json::from_str::<Match>(op.payload.get())
                        .is_ok_and(|m| m.bolo_match.is_some()))
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
    fn kind_and_record(&self) -> (String, String) {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        match self {
            Incoming::WellFormed(op) => (op.kind.as_str().to_owned(), op.record_id.clone()),
            Incoming::Malformed { header, .. } => (text(&header.kind), text(&header.record_id)),
        }
    }
}

fn apply_batch(
    tx: &mut Tx<'_>,
    caller: &Caller,
    operations: &[Incoming],
    now: Timestamp,
    give_way: &GiveWay<'_>,
) -> Result<Ran<Vec<OperationResult>>> {
    // Once an operation on a record is refused, the record's later operations in the
    // same push are not judged: applying them would put them ahead of the refused one
    // for good. They get no receipt, so the device may send them again after it
    // requeues the refused operation.
    let mut refused: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut results = Vec::with_capacity(operations.len());
    for op in operations {
        // An alarm waits for the connection: stop here (all of this push is rolled back)
        // and run again after it.
        if give_way.now() {
            return Ok(Ran::GaveWay);
        }
        let (_, record) = op.kind_and_record();
        let result = if refused.contains(&record) {
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
            refused.insert(record);
        }
        results.push(result);
    }
    Ok(Ran::Done(results))
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
    tx: &mut Tx<'_>,
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
        .optional()?
        .filter(|_| !cfg!(feature = "sim-broken-receipts"));
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
    let (kind, record_id) = op.kind_and_record();
    tx.prepare_cached(
        "INSERT INTO receipt (device_id, operation_id, seq, kind, record_id, status, reason,
                              server_version, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        caller.device_id,
        op.id(),
        op.seq(),
        kind,
        record_id,
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

/// Checks and applies one well-formed operation; returns the record's new version.
fn apply(tx: &Conn, caller: &Caller, op: &WireOperation, now: Timestamp) -> Result<i64, Refusal> {
    if op.payload_version != PAYLOAD_VERSION {
        return reject(format!(
            "payload_version {} is not supported (this server reads {PAYLOAD_VERSION})",
            op.payload_version
        ));
    }
    if op.seq < 1 {
        return reject("seq must be positive");
    }
    if uuid::Uuid::parse_str(&op.record_id).is_err() {
        return reject("record_id must be a UUID");
    }
    if apply::about_office_record(op.kind) || apply::keeps_own_ownership(op.kind) {
        // A read receipt or an acknowledgement of post orders: about the office's own
        // record (a message, an assignment), judged by its family's rules; or a record
        // that keeps its own ownership (a sighting).
        apply::payload(tx, caller, op, None, now)?;
        return Ok(1);
    }
    let existing = records::record(tx, &caller.organisation_id, &op.record_id)?;
    let creates = apply::creates(op.kind);
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
             WHERE organisation_id = ?4 AND id = ?1",
        )?
        .execute(rusqlite::params![
            op.record_id,
            op.seq,
            now,
            caller.organisation_id
        ])?;
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
            op.record_id,
            family,
            caller.organisation_id,
            caller.officer_id,
            caller.device_id,
            op.seq,
            now
        ])?;
        1
    };

    apply::payload(tx, caller, op, record.as_ref(), now)?;
    Ok(version)
}
