//! Pushing operations: one lane at a time, batch by batch, each batch's answers settled in
//! one transaction. A batch refused as too large (413) is sent again as two halves, in
//! order, and later batches are built no larger than what was refused; one operation
//! alone too large becomes a dead letter ([`super::policy`]).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::engine::{Flow, SyncEngine};
use super::policy::{self, Resend, Sent, Settlement, Verdict};
use super::{HttpMethod, PassSummary, RequestKind, LOG_TARGET};
use crate::error::Result;
use crate::protocol::{Lane, PushRequest, PushResponse, ResultStatus, WireOperation};
use crate::store::outbox::{OutboxOperation, Outcome};

impl SyncEngine {
    /// Sends every due operation of one lane, batch by batch.
    pub(super) fn push_lane(
        &self,
        lane: Lane,
        token: &str,
        summary: &mut PassSummary,
    ) -> Result<Flow> {
        loop {
            if let Some(o) = self.must_stop() {
                return Ok(Flow::Stop(o));
            }
            let batch = self.store.take_batch_from(&[lane], self.batch_limits())?;
            if batch.is_empty() {
                return Ok(Flow::Continue);
            }
            if let Flow::Stop(o) = self.push(batch, token, summary)? {
                return Ok(Flow::Stop(o));
            }
        }
    }

    /// Sends one batch (taken, so in flight) and settles every operation in it.
    pub(super) fn push(
        &self,
        batch: Vec<OutboxOperation>,
        token: &str,
        summary: &mut PassSummary,
    ) -> Result<Flow> {
        let mut unreadable: Vec<(i64, Outcome)> = Vec::new();
        let mut wire = Vec::with_capacity(batch.len());
        let mut sendable = Vec::with_capacity(batch.len());
        for op in batch {
            match serde_json::value::RawValue::from_string(op.payload.clone()) {
                Ok(payload) => {
                    wire.push(WireOperation {
                        id: op.id.clone(),
                        seq: op.seq,
                        kind: op.kind,
                        record_id: op.record_id.clone(),
                        depends_on: op.depends_on.clone(),
                        payload_version: op.payload_version.unsigned_abs(),
                        created_at: op.created_at,
                        payload,
                    });
                    sendable.push(op);
                }
                // Cannot happen for payloads the core wrote; never send what the server
                // could not read, and keep it visible.
                Err(e) => unreadable.push((
                    op.seq,
                    Outcome::Rejected {
                        reason: format!("stored payload is not JSON: {e}"),
                    },
                )),
            }
        }
        if !unreadable.is_empty() {
            self.store.settle(&unreadable)?;
        }
        if wire.is_empty() {
            return Ok(Flow::Continue);
        }
        let body = serde_json::to_vec(&PushRequest {
            device_id: self.store.device_id().to_owned(),
            operations: wire,
        })?;
        let body_len = body.len();
        let request = self.request(
            RequestKind::Push,
            HttpMethod::Post,
            "/push",
            body,
            Some(token),
        );
        summary.requests += 1;
        let failure = match self.call::<PushResponse>(request) {
            Ok(response) => {
                self.settle_answers(&sendable, response, summary)?;
                return Ok(Flow::Continue);
            }
            Err(failure) => failure,
        };
        let seqs: Vec<i64> = sendable.iter().map(|op| op.seq).collect();
        let urgent = sendable.iter().any(|op| op.lane == Lane::Urgent);
        let sent = Sent::Operations {
            count: sendable.len(),
            urgent,
        };
        match policy::decide(failure, sent) {
            Verdict::Settle(settlement) => self.settle_failed(&seqs, settlement, summary, token),
            Verdict::Resend(Resend::Split) => {
                // The limit is below this body: build no batch this large again.
                let payloads: i64 = sendable.iter().map(|op| op.payload.len() as i64).sum();
                self.push_bytes
                    .fetch_min((payloads / 2).max(1), Ordering::Relaxed);
                tracing::info!(
                    target: LOG_TARGET,
                    operations = sendable.len(),
                    bytes = body_len,
                    "push too large for the server: split in two"
                );
                let mut first = sendable;
                let second = first.split_off(first.len() / 2);
                let release = |halves: &[&[OutboxOperation]]| -> Result<()> {
                    let seqs: Vec<i64> = halves
                        .iter()
                        .flat_map(|h| h.iter().map(|op| op.seq))
                        .collect();
                    self.store.release(&seqs)
                };
                // An alarm raised while the refused request was out goes before either
                // half, as before any other request of the pass.
                if !urgent {
                    if let Flow::Stop(o) = self.push_lane(Lane::Urgent, token, summary)? {
                        release(&[&first, &second])?;
                        return Ok(Flow::Stop(o));
                    }
                }
                if let Flow::Stop(o) = self.push(first, token, summary)? {
                    // Never send the later half past a failed earlier one: order holds.
                    release(&[&second])?;
                    return Ok(Flow::Stop(o));
                }
                if !urgent {
                    if let Flow::Stop(o) = self.push_lane(Lane::Urgent, token, summary)? {
                        release(&[&second])?;
                        return Ok(Flow::Stop(o));
                    }
                }
                self.push(second, token, summary)
            }
            Verdict::Resend(Resend::Shrink | Resend::ResumeAt(_)) => self.settle_failed(
                &seqs,
                Settlement::retry("the server answered a push as if it were an upload"),
                summary,
                token,
            ),
        }
    }

    /// Applies the server's per-operation answers to a batch, in one transaction.
    fn settle_answers(
        &self,
        sent: &[OutboxOperation],
        response: PushResponse,
        summary: &mut PassSummary,
    ) -> Result<()> {
        let mut by_seq: HashMap<i64, _> =
            response.results.into_iter().map(|r| (r.seq, r)).collect();
        let mut outcomes = Vec::with_capacity(sent.len());
        for op in sent {
            let outcome = match by_seq.remove(&op.seq).filter(|r| r.id == op.id) {
                Some(r) => match r.status {
                    ResultStatus::Applied => {
                        summary.applied += 1;
                        Outcome::Acknowledged
                    }
                    ResultStatus::Duplicate => {
                        summary.duplicates += 1;
                        Outcome::Acknowledged
                    }
                    ResultStatus::Rejected => {
                        summary.rejected += 1;
                        Outcome::Rejected {
                            reason: r.reason.unwrap_or_else(|| "rejected".into()),
                        }
                    }
                },
                None => Outcome::Transient {
                    error: "the server's response had no result for it".into(),
                    retry_after: None,
                },
            };
            outcomes.push((op.seq, outcome));
        }
        self.store.settle(&outcomes)
    }
}
