//! The outbox: every operation written on the device, waiting for the server.
//!
//! Each record write enqueues its operation in the same transaction as the record, so
//! the record exists if and only if its operation is queued (or was acknowledged). An
//! operation carries a UUIDv7 `id` and a per-device `seq` (never reused): the server's
//! receipts key on the id, so sending an operation twice has the effect of sending it
//! once.
//!
//! The sync engine drains the outbox in three moves:
//! 1. [`Store::take_batch`] picks due operations, urgent lane first, then normal, then
//!    bulk, oldest first within a lane, and marks them in flight. An operation is picked
//!    only when every earlier operation of the same record (and of the record it depends
//!    on: an attachment's report) is already picked in this batch or gone, so per-record
//!    order holds and a stuck record holds up only itself and its dependants.
//! 2. The engine sends them.
//! 3. [`Store::settle`] applies the server's per-operation answers in one transaction
//!    (keyed locally by `seq`, the outbox's primary key; `id` is the server's key):
//!    acknowledged operations are removed; transient failures go back to pending with a
//!    backoff ([`crate::retry`]); permanent rejections become dead letters that keep the
//!    server's reason until the app requeues or discards them. Nothing is dropped
//!    silently: a discarded operation is archived.
//!
//! Operations that were in flight when the process died go back to pending when the
//! store is next opened.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rusqlite::{OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

use super::{new_id, Durability, Store};
use crate::error::{CordonError, Result};
use crate::protocol::{Lane, OperationKind, Payload, MAX_OPERATION_BYTES, PAYLOAD_VERSION};
use crate::retry;
use crate::time::Timestamp;

/// The outbox's partial index `outbox_by_record` and every query that must use it: the
/// kinds of operation that are their record's only one (a check-in, a sighting) have no
/// entry (one page fewer written per check-in or sighting). The list must match
/// [`OperationKind::is_sole_operation_of_record`] (a test checks).
macro_rules! by_record {
    () => {
        "kind NOT IN ('check_in.record', 'sighting.record')"
    };
}
#[cfg(test)]
pub(crate) const BY_RECORD: &str = by_record!();

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OperationState {
    Pending,
    InFlight,
    /// Rejected by the server; waits for the app to requeue or discard it.
    Dead,
}

impl OperationState {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationState::Pending => "pending",
            OperationState::InFlight => "in_flight",
            OperationState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            OperationState::Pending,
            OperationState::InFlight,
            OperationState::Dead,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A queued operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxOperation {
    /// UUIDv7, the server's deduplication key.
    pub id: String,
    /// Per-device sequence number, increasing, never reused.
    pub seq: i64,
    pub kind: OperationKind,
    /// The record the operation belongs to; its operations are delivered in `seq` order.
    pub record_id: String,
    /// A record whose earlier operations must be delivered first.
    pub depends_on: Option<String>,
    pub lane: Lane,
    pub payload_version: i32,
    /// JSON, shaped by `kind` and `payload_version`.
    pub payload: String,
    pub state: OperationState,
    /// Failed deliveries so far.
    pub attempts: i32,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    /// The last transient error, or the server's reason for a dead operation.
    pub last_error: Option<String>,
}

/// How much one batch may hold. A batch always holds at least one operation if any is
/// due, even one larger than `max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BatchLimits {
    pub max_operations: i32,
    /// Sum of payload lengths in bytes.
    pub max_bytes: i64,
}

impl Default for BatchLimits {
    fn default() -> Self {
        // Large enough that a request's fixed cost (a round trip, a commit on each side)
        // is small per operation, well within the server's limits (1000, 4 MiB).
        BatchLimits {
            max_operations: 500,
            max_bytes: 1024 * 1024,
        }
    }
}

/// What became of one operation that was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server applied it now or had applied it before (a replay): remove it.
    Acknowledged,
    /// It may succeed later (network down, timeout, 5xx, 408, 429): retry after backoff,
    /// or after the server's `Retry-After`.
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
    /// The server refused it for good: keep it as a dead letter with the reason.
    Rejected { reason: String },
}

/// Counts per lane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LaneCounts {
    pub urgent: i64,
    pub normal: i64,
    pub bulk: i64,
}

impl LaneCounts {
    pub fn total(&self) -> i64 {
        self.urgent + self.normal + self.bulk
    }

    fn add(&mut self, p: Lane, n: i64) {
        match p {
            Lane::Urgent => self.urgent += n,
            Lane::Normal => self.normal += n,
            Lane::Bulk => self.bulk += n,
        }
    }
}

/// A summary of the outbox for status screens and for scheduling the next sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxStatus {
    pub pending: LaneCounts,
    pub in_flight: LaneCounts,
    pub dead: LaneCounts,
    /// When the oldest operation not yet delivered (pending or in flight) was written.
    pub oldest_undelivered_at: Option<Timestamp>,
    /// How long it has waited, by the store's clock.
    pub oldest_undelivered_age_ms: Option<i64>,
    /// The earliest time a pending operation is due (may be in the past: due now),
    /// leaving out operations held back by a dead letter of their record.
    pub next_attempt_at: Option<Timestamp>,
}

/// Queues the operation that carries `payload` inside the caller's transaction (its
/// kind, record and lane come from the payload). `depends_on` names a record whose
/// earlier operations must be delivered first. Returns the operation's id.
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    payload: &Payload,
    depends_on: Option<&str>,
    now: Timestamp,
) -> Result<String> {
    insert_operation(tx, payload, &encode(payload)?, depends_on, None, now).map(|(id, _)| id)
}

/// [`enqueue`] for a caller that already holds the payload's JSON (from [`encode`]):
/// a record whose row keeps the same JSON as its operation encodes it once for both.
/// Returns the operation's id and seq.
pub(crate) fn enqueue_encoded(
    tx: &Transaction<'_>,
    payload: &Payload,
    json: &str,
    depends_on: Option<&str>,
    now: Timestamp,
) -> Result<(String, i64)> {
    insert_operation(tx, payload, json, depends_on, None, now)
}

/// Queues an operation that is never sent before the operation `after_seq` (one of the
/// same transaction, of a record that is its operation's only one and so has no entry in
/// `outbox_by_record`: a sighting, for its photos' uploads). Returns the id and seq.
pub(crate) fn enqueue_after(
    tx: &Transaction<'_>,
    payload: &Payload,
    depends_on: &str,
    after_seq: i64,
    now: Timestamp,
) -> Result<(String, i64)> {
    insert_operation(
        tx,
        payload,
        &encode(payload)?,
        Some(depends_on),
        Some(after_seq),
        now,
    )
}

/// The one insert into the outbox; returns the new operation's id and seq.
fn insert_operation(
    tx: &Transaction<'_>,
    payload: &Payload,
    json: &str,
    depends_on: Option<&str>,
    after_seq: Option<i64>,
    now: Timestamp,
) -> Result<(String, i64)> {
    debug_assert_eq!(payload.encode().ok().as_deref(), Some(json));
    let id = new_id();
    tx.prepare_cached(
        "INSERT INTO outbox (seq, id, kind, record_id, depends_on, lane, payload_version,
                             payload, state, attempts, next_attempt_at, created_at, after_seq)
         VALUES (max(coalesce((SELECT max(seq) FROM outbox), 0),
                     (SELECT seq_floor FROM device)) + 1,
                 ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        id,
        payload.kind().as_str(),
        payload.record_id(),
        depends_on,
        payload.lane().rank(),
        PAYLOAD_VERSION,
        json,
        now,
        after_seq,
    ])?;
    // `seq` is the table's rowid. (Not `RETURNING seq`: SQLite runs a RETURNING clause
    // like a trigger, which would bring back the statement journal step 14 removed.)
    let seq = tx.last_insert_rowid();
    // The count the `outbox_counted_*` triggers keep for moves and deletions (schema
    // step 14 explains why an insert is counted here).
    tx.prepare_cached("UPDATE outbox_count SET n = n + 1 WHERE state = 'pending' AND lane = ?1")?
        .execute([payload.lane().rank()])?;
    Ok((id, seq))
}

/// Replaces the payload of the record's last operation if it is an operation of the same
/// kind that was never handed to the sync engine; returns whether it did. Used to fold
/// successive draft edits into one update instead of queueing every keystroke's save.
pub(crate) fn coalesce(tx: &Transaction<'_>, payload: &Payload) -> Result<bool> {
    let json = encode(payload)?;
    let changed = tx
        .prepare_cached(concat!(
            "UPDATE outbox SET payload = ?3
                 WHERE seq = (SELECT MAX(seq) FROM outbox
                              WHERE record_id = ?1 AND ",
            by_record!(),
            ")
                   AND kind = ?2 AND state = 'pending' AND sends = 0"
        ))?
        .execute(rusqlite::params![
            payload.record_id(),
            payload.kind().as_str(),
            json
        ])?;
    Ok(changed == 1)
}

/// The payload as it is stored and sent, refused if it could never fit in a push.
pub(crate) fn encode(payload: &Payload) -> Result<String> {
    let json = payload.encode()?;
    if json.len() > MAX_OPERATION_BYTES {
        return Err(CordonError::invalid(
            "record",
            crate::error::InputRule::TooLong,
            format!(
                "is {} bytes as sent; at most {MAX_OPERATION_BYTES} fit in one operation",
                json.len()
            ),
        ));
    }
    Ok(json)
}

const OPERATION_COLUMNS: &str = "id, seq, kind, record_id, depends_on, lane, payload_version,
     payload, state, attempts, next_attempt_at, created_at, last_error";

fn operation_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxOperation> {
    let bad = |col: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Text,
            format!("unknown {what}").into(),
        )
    };
    let kind: String = r.get(2)?;
    let lane: i64 = r.get(5)?;
    let state: String = r.get(8)?;
    Ok(OutboxOperation {
        id: r.get(0)?,
        seq: r.get(1)?,
        kind: OperationKind::parse(&kind)
            .ok_or_else(|| bad(2, format!("operation kind {kind}")))?,
        record_id: r.get(3)?,
        depends_on: r.get(4)?,
        lane: Lane::from_rank(lane).ok_or_else(|| bad(5, format!("lane {lane}")))?,
        payload_version: r.get(6)?,
        payload: r.get(7)?,
        state: OperationState::parse(&state).ok_or_else(|| bad(8, format!("state {state}")))?,
        attempts: r.get(9)?,
        next_attempt_at: r.get(10)?,
        created_at: r.get(11)?,
        last_error: r.get(12)?,
    })
}

impl Store {
    /// Picks the next batch of due operations and marks them in flight (see the module
    /// docs for the order). Returns an empty batch when nothing is due.
    pub fn take_batch(&self, limits: BatchLimits) -> Result<Vec<OutboxOperation>> {
        self.take_batch_from(&[Lane::Urgent, Lane::Normal, Lane::Bulk], limits)
    }

    /// [`take_batch`](Self::take_batch) restricted to some lanes (given most urgent
    /// first), e.g. the urgent lane alone for the first request after connectivity
    /// returns.
    pub fn take_batch_from(
        &self,
        lanes: &[Lane],
        limits: BatchLimits,
    ) -> Result<Vec<OutboxOperation>> {
        let max_ops = usize::try_from(limits.max_operations.max(1)).unwrap_or(usize::MAX);
        let now = self.now();
        // An operation due further ahead than any delay the core ever sets was backed off
        // by a clock that has since been turned back: it is due now.
        let clock_went_back = now.plus(retry::MAX_RETRY_AFTER);
        let mut lanes = lanes.to_vec();
        lanes.sort();
        lanes.dedup();
        self.write(Durability::Normal, |tx| {
            let mut batch: Vec<OutboxOperation> = Vec::new();
            let mut picked: HashSet<i64> = HashSet::new();
            // For each record with an operation in this batch, the highest seq picked.
            // Picks per record are always a prefix of its queue.
            let mut picked_upto: HashMap<String, i64> = HashMap::new();
            let mut bytes: i64 = 0;
            let mut before = tx.prepare_cached(concat!(
                "SELECT MAX(seq) FROM outbox WHERE record_id = ?1 AND seq < ?2 AND ",
                by_record!()
            ))?;
            let mut still_queued = tx.prepare_cached("SELECT 1 FROM outbox WHERE seq = ?1")?;
            let mut dependants_before =
                tx.prepare_cached("SELECT seq FROM outbox WHERE depends_on = ?1 AND seq < ?2")?;
            'lanes: for lane in &lanes {
                // The literal lane number lets SQLite match the lane's partial index.
                let mut candidates = tx.prepare_cached(&format!(
                    "SELECT {OPERATION_COLUMNS}, after_seq FROM outbox
                     WHERE lane = {} AND state = 'pending'
                       AND (attempts = 0 OR next_attempt_at <= ?1 OR next_attempt_at > ?2)
                     ORDER BY seq",
                    lane.rank()
                ))?;
                let mut rows = candidates.query([now, clock_went_back])?;
                while let Some(row) = rows.next()? {
                    let op = operation_from_row(row)?;
                    let after_seq: Option<i64> = row.get("after_seq")?;
                    // Every earlier operation of a record must already be in this batch
                    // (picks per record are a prefix, so comparing with the highest is
                    // enough).
                    let mut record_clear =
                        |record: &str| -> Result<bool> {
                            let earlier: Option<i64> =
                                before.query_row((record, op.seq), |r| r.get(0))?;
                            Ok(earlier
                                .is_none_or(|e| picked_upto.get(record).is_some_and(|p| *p >= e)))
                        };
                    // The operation it was queued after (a photo's sighting) has been
                    // delivered or goes ahead of it in this batch.
                    let after_clear = match after_seq {
                        None => true,
                        Some(s) => picked.contains(&s) || !still_queued.exists([s])?,
                    };
                    // A check-in or a sighting is its record's only operation: nothing
                    // can precede it, and nothing depends on it from before.
                    let clear = op.kind.is_sole_operation_of_record()
                        || (after_clear
                            && record_clear(&op.record_id)?
                            && op.depends_on.as_deref().map_or(Ok(true), &mut record_clear)?
                            // Operations of records that depend on this one (a report's
                            // attachments), queued earlier, go first too.
                            && dependants_before
                                .query_map((&op.record_id, op.seq), |r| r.get::<_, i64>(0))?
                                .collect::<rusqlite::Result<Vec<_>>>()?
                                .iter()
                                .all(|s| picked.contains(s)));
                    if !clear {
                        continue;
                    }
                    let size = i64::try_from(op.payload.len()).unwrap_or(i64::MAX);
                    if !batch.is_empty() && bytes + size > limits.max_bytes {
                        break 'lanes;
                    }
                    bytes += size;
                    picked.insert(op.seq);
                    picked_upto.insert(op.record_id.clone(), op.seq);
                    batch.push(op);
                    if batch.len() >= max_ops {
                        break 'lanes;
                    }
                }
            }
            // One statement for the whole batch: the seqs travel as a JSON array.
            let seqs = serde_json::to_string(&batch.iter().map(|o| o.seq).collect::<Vec<_>>())?;
            tx.prepare_cached(
                "UPDATE outbox SET state = 'in_flight', sends = sends + 1, lease = ?2
                 WHERE seq IN (SELECT value FROM json_each(?1))",
            )?
            .execute(rusqlite::params![seqs, self.lease.id()])?;
            for op in &mut batch {
                op.state = OperationState::InFlight;
            }
            Ok(batch)
        })
    }

    /// Applies the server's answers for a batch in one transaction, each keyed by the
    /// operation's `seq` (the outbox's local key; `id` is the server's). Only operations
    /// in flight are settled: an answer for one no longer in flight (a replayed response,
    /// a dead letter) changes nothing.
    pub fn settle(&self, outcomes: &[(i64, Outcome)]) -> Result<()> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let mut remove =
                tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1 AND state = 'in_flight'")?;
            let mut attempts_of = tx.prepare_cached(
                "SELECT attempts, lane FROM outbox WHERE seq = ?1 AND state = 'in_flight'",
            )?;
            let mut retry = tx.prepare_cached(
                "UPDATE outbox SET state = 'pending', attempts = ?2, next_attempt_at = ?3,
                        last_error = ?4
                 WHERE seq = ?1 AND state = 'in_flight'",
            )?;
            let mut kill = tx.prepare_cached(
                "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?2
                 WHERE seq = ?1 AND state = 'in_flight'",
            )?;
            let mut removed_upto: Option<i64> = None;
            for (seq, outcome) in outcomes {
                match outcome {
                    Outcome::Acknowledged => {
                        if remove.execute([seq])? == 1 {
                            removed_upto = removed_upto.max(Some(*seq));
                        }
                    }
                    Outcome::Transient { error, retry_after } => {
                        let Some((attempts, lane)) = attempts_of
                            .query_row([seq], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?)))
                            .optional()?
                        else {
                            continue;
                        };
                        let failures = attempts.saturating_add(1);
                        let mut delay =
                            retry::jittered_delay(failures, &*self.random, *retry_after);
                        if lane == Lane::Urgent.rank() {
                            delay = delay.min(retry::URGENT_CAP);
                        }
                        let next = now.plus(delay);
                        retry.execute(rusqlite::params![seq, failures, next, error])?;
                    }
                    Outcome::Rejected { reason } => {
                        kill.execute(rusqlite::params![seq, reason])?;
                    }
                }
            }
            if let Some(seq) = removed_upto {
                raise_seq_floor(tx, seq)?;
            }
            Ok(())
        })
    }

    /// Marks operations delivered: they leave the outbox.
    pub fn acknowledge(&self, seqs: &[i64]) -> Result<()> {
        let outcomes: Vec<_> = seqs.iter().map(|s| (*s, Outcome::Acknowledged)).collect();
        self.settle(&outcomes)
    }

    /// Marks operations as failed for a reason that may pass: they are retried after a
    /// backoff, or after `retry_after` if the server gave one.
    pub fn fail_transient(
        &self,
        seqs: &[i64],
        error: &str,
        retry_after: Option<Duration>,
    ) -> Result<()> {
        let outcome = Outcome::Transient {
            error: error.to_owned(),
            retry_after,
        };
        let outcomes: Vec<_> = seqs.iter().map(|s| (*s, outcome.clone())).collect();
        self.settle(&outcomes)
    }

    /// Marks an operation as refused by the server for good: it becomes a dead letter.
    pub fn reject(&self, seq: i64, reason: &str) -> Result<()> {
        self.settle(&[(
            seq,
            Outcome::Rejected {
                reason: reason.to_owned(),
            },
        )])
    }

    /// Puts operations taken for a request that never reached a verdict back to pending,
    /// due now, without counting an attempt (e.g. sync paused for a new token).
    pub fn release(&self, seqs: &[i64]) -> Result<()> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?2
                 WHERE seq = ?1 AND state = 'in_flight'",
            )?;
            for seq in seqs {
                stmt.execute(rusqlite::params![seq, now])?;
            }
            Ok(())
        })
    }

    /// Returns every operation this handle has in flight to pending, due now, without
    /// counting an attempt (a pass that failed locally half-way). Operations another live
    /// handle on the same file took are its own to settle.
    pub fn release_in_flight(&self) -> Result<()> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            release_lease(tx, Some(self.lease.id()), now).map(drop)
        })
    }

    /// Makes every pending operation due now: connectivity has returned, so the backoff
    /// that the outage caused should not delay what is waiting (a duress alarm above
    /// all).
    pub fn make_pending_due(&self) -> Result<()> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ?1
                 WHERE state = 'pending' AND next_attempt_at > ?1",
                [now],
            )?;
            Ok(())
        })
    }

    /// Dead operations, oldest first, with the server's reasons.
    pub fn dead_letters(&self) -> Result<Vec<OutboxOperation>> {
        self.operations_where("state = 'dead'")
    }

    /// Every queued operation in sequence order (for inspection and tests).
    pub fn queued_operations(&self) -> Result<Vec<OutboxOperation>> {
        self.operations_where("1")
    }

    fn operations_where(&self, filter: &str) -> Result<Vec<OutboxOperation>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {OPERATION_COLUMNS} FROM outbox WHERE {filter} ORDER BY seq"
            ))?;
            let ops = stmt
                .query_map([], operation_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ops)
        })
    }

    /// Puts a dead operation back in the queue, due now, with its attempts reset and a new
    /// operation id (after, say, the office fixed what made the server refuse it).
    pub fn requeue_dead(&self, seq: i64) -> Result<()> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            expect_dead(tx, seq)?;
            // A new id: the server answers a replayed id with its original verdict, so
            // resending under the old one could only be rejected again. The seq stays, so
            // the record's order holds.
            tx.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2,
                        last_error = NULL, id = ?3
                 WHERE seq = ?1",
                rusqlite::params![seq, now, new_id()],
            )?;
            Ok(())
        })
    }

    /// Removes a dead operation from the queue, archiving it (with the server's reason)
    /// so that what the officer wrote is never lost without trace. Later operations of
    /// the same record are then free to go.
    pub fn discard_dead(&self, seq: i64) -> Result<()> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            expect_dead(tx, seq)?;
            tx.execute(
                "INSERT INTO discarded_operation (seq, id, kind, record_id, payload_version,
                        payload, attempts, last_error, created_at, discarded_at)
                 SELECT seq, id, kind, record_id, payload_version, payload, attempts,
                        last_error, created_at, ?2
                 FROM outbox WHERE seq = ?1",
                rusqlite::params![seq, now],
            )?;
            tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
            raise_seq_floor(tx, seq)
        })
    }

    /// Counts by state and lane, and the age of the oldest undelivered operation.
    pub fn outbox_status(&self) -> Result<OutboxStatus> {
        let now = self.now();
        self.read(|c| {
            let mut status = OutboxStatus::default();
            let mut counts =
                c.prepare_cached("SELECT state, lane, n FROM outbox_count WHERE n > 0")?;
            let mut rows = counts.query([])?;
            while let Some(r) = rows.next()? {
                let state: String = r.get(0)?;
                let lane = Lane::from_rank(r.get(1)?).unwrap_or(Lane::Normal);
                let n: i64 = r.get(2)?;
                let counts = match OperationState::parse(&state) {
                    Some(OperationState::Pending) => &mut status.pending,
                    Some(OperationState::InFlight) => &mut status.in_flight,
                    Some(OperationState::Dead) | None => &mut status.dead,
                };
                counts.add(lane, n);
            }
            // None reads the queue: the first undelivered operation by seq; the first
            // never-tried operation by seq (due at once: when it was made pending, or
            // now if the clock has gone back since); the backed-off ones by due time.
            // Each skips what a dead letter holds back.
            let (oldest, fresh, backed_off): (
                Option<Timestamp>,
                Option<Timestamp>,
                Option<Timestamp>,
            ) = c
                .prepare_cached(&STATUS_TIMES)?
                .query_row([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            status.oldest_undelivered_at = oldest;
            status.oldest_undelivered_age_ms =
                oldest.map(|t| i64::try_from(now.since(t).as_millis()).unwrap_or(i64::MAX));
            status.next_attempt_at = match (fresh, backed_off) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            Ok(status)
        })
    }
}

/// The status's three times (see `outbox_status`), built once and prepared once per
/// connection, not formatted and parsed on every call.
static STATUS_TIMES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT (SELECT created_at FROM outbox WHERE state != 'dead'
                 ORDER BY seq LIMIT 1),
                (SELECT min(next_attempt_at, ?1) FROM outbox
                 WHERE state = 'pending' AND attempts = 0 AND {NOT_HELD_BACK}
                 ORDER BY seq LIMIT 1),
                (SELECT next_attempt_at FROM outbox INDEXED BY outbox_backed_off
                 WHERE state = 'pending' AND attempts > 0 AND {NOT_HELD_BACK}
                 ORDER BY next_attempt_at LIMIT 1)"
    )
});

/// A pending operation that no dead letter holds back: none of its record's, none of the
/// record it depends on, none that depends on its record.
const NOT_HELD_BACK: &str = "record_id NOT IN (SELECT record_id FROM outbox WHERE state = 'dead')
    AND coalesce(depends_on, '') NOT IN (SELECT record_id FROM outbox WHERE state = 'dead')
    AND record_id NOT IN
        (SELECT depends_on FROM outbox WHERE state = 'dead' AND depends_on IS NOT NULL)";

/// What is in flight, and under which lease: read before opening's write transaction
/// (in WAL a read never holds up a writer, so scanning a long outbox delays no alarm).
pub(crate) fn in_flight(conn: &rusqlite::Connection) -> Result<Vec<(i64, Option<i64>)>> {
    Ok(conn
        .prepare("SELECT seq, lease FROM outbox WHERE state = 'in_flight'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Returns to pending, due now, what handles that are gone left in flight (of `taken`,
/// read by [`in_flight`]): those whose lease nobody holds any more (a process killed
/// mid-pass, a store dropped mid-pass), and any taken before leases existed. What a live
/// handle (another process on the same file, an app's widget) has in flight stays with
/// it. Returns how many were released.
pub(crate) fn release_abandoned(
    tx: &Transaction<'_>,
    leases: &super::lease::LeaseDir,
    taken: &[(i64, Option<i64>)],
    now: Timestamp,
) -> Result<usize> {
    let mut alive: HashMap<i64, bool> = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "UPDATE outbox SET state = 'pending', lease = NULL,
                           next_attempt_at = min(next_attempt_at, ?1)
         WHERE seq = ?2 AND state = 'in_flight' AND lease IS ?3",
    )?;
    let mut released = 0;
    for (seq, lease) in taken {
        let live = lease.is_some_and(|id| *alive.entry(id).or_insert_with(|| leases.is_alive(id)));
        if !live {
            released += stmt.execute(rusqlite::params![now, seq, lease])?;
        }
    }
    Ok(released)
}

fn release_lease(tx: &Transaction<'_>, lease: Option<i64>, now: Timestamp) -> Result<usize> {
    Ok(tx
        .prepare_cached(
            "UPDATE outbox SET state = 'pending', lease = NULL,
                               next_attempt_at = min(next_attempt_at, ?1)
             WHERE state = 'in_flight' AND lease IS ?2",
        )?
        .execute(rusqlite::params![now, lease])?)
}

/// Records that operations up to `seq` were removed, so their numbers are never reused.
fn raise_seq_floor(tx: &Transaction<'_>, seq: i64) -> Result<()> {
    tx.prepare_cached("UPDATE device SET seq_floor = max(seq_floor, ?1)")?
        .execute([seq])?;
    Ok(())
}

fn expect_dead(tx: &Transaction<'_>, seq: i64) -> Result<()> {
    let state: Option<String> = tx
        .query_row("SELECT state FROM outbox WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .optional()?;
    match state.as_deref() {
        None => Err(CordonError::not_found("operation", seq.to_string())),
        Some("dead") => Ok(()),
        Some(other) => Err(CordonError::InvalidOperationState {
            seq,
            state: other.to_owned(),
            expected: "dead".to_owned(),
        }),
    }
}
