//! The sync engine: drains the outbox to the office, pulls what the office sends, and
//! uploads attachment bytes, over a [`Transport`] the app supplies.
//!
//! One call, [`SyncEngine::sync_once`], runs a pass:
//! 1. **Urgent first, in its own request**: duress and panic operations go out before
//!    anything else, and again before every later request of the pass (so an alarm
//!    raised during a long upload waits for one chunk at most).
//! 2. **Normal batches**, bounded by count and bytes, until the lane is drained. Each
//!    response's per-operation answers are applied in one transaction
//!    ([`Store::settle`]).
//! 3. **Pull** the office's changes page by page; each page and its cursor commit together.
//! 4. **Attachment bytes**, one file at a time, streamed from disk in chunks from the
//!    offset the server already holds, so a dropped connection or a killed process
//!    resumes rather than restarts.
//!
//! Failures, by class (`docs/PROTOCOL.md`): a network error, timeout, unreadable
//! response, 408, 429 or 5xx ends the pass and backs the operations off (the server's
//! `Retry-After` wins); a permanent refusal dead-letters the operations it names and the
//! pass goes on; 401 releases the batch untouched and pauses sync until
//! [`SyncEngine::set_token`]. Only local storage failures are returned as errors: the
//! network is expected to fail, and the engine's job is to keep going.
//!
//! Liveness: the app tells the engine when connectivity returns
//! ([`SyncEngine::set_online`]), which makes everything waiting due at once, and asks it
//! when it next wants to run ([`SyncEngine::next_sync_at`]) to schedule WorkManager or
//! BGTaskScheduler.

#[cfg(feature = "http")]
mod http;
mod transport;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[cfg(feature = "http")]
pub use http::HttpTransport;
pub use transport::{
    HttpHeader, HttpMethod, HttpRequest, HttpResponse, RequestKind, Transport, TransportError,
};

use crate::error::{CordonError, Result};
use crate::protocol::{
    AttachmentStatus, EnrolRequest, EnrolResponse, ErrorBody, PullResponse, PushRequest,
    PushResponse, ResultStatus, WireOperation, API_PREFIX, MAX_CHUNK_BYTES, MAX_PUSH_BYTES,
    MAX_PUSH_OPERATIONS,
};
use crate::protocol::{AttachmentUpload, Priority};
use crate::retry;
use crate::store::outbox::{BatchLimits, Operation, OutboxStatus, Outcome};
use crate::store::sync_state::key;
use crate::store::Store;
use crate::time::Timestamp;

/// How the engine talks to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncConfig {
    /// Base URL of the office's server, e.g. `https://sync.example.com`.
    pub server_url: String,
    /// Bounds of one push request.
    pub batch: BatchLimits,
    /// Bytes per attachment chunk.
    pub chunk_bytes: u32,
    /// Changes asked for per pull request.
    pub pull_limit: u32,
    /// With nothing queued, how long after a successful pass the engine wants to pull
    /// again.
    pub pull_interval_secs: u32,
}

impl SyncConfig {
    pub fn new(server_url: impl Into<String>) -> Self {
        SyncConfig {
            server_url: server_url.into(),
            batch: BatchLimits::default(),
            chunk_bytes: 1024 * 1024,
            pull_limit: 200,
            pull_interval_secs: 15 * 60,
        }
    }
}

/// How a pass ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PassOutcome {
    /// Everything due was sent, pulled and uploaded.
    Completed,
    /// The network or the server failed for now; what was being sent backs off.
    Interrupted { error: String },
    /// The server refused the token: nothing more is sent until a new one is set.
    AuthPaused { error: String },
    /// No token yet: enrol the device or set a token first.
    NotEnrolled,
    /// Another pass is running.
    AlreadyRunning,
}

impl PassOutcome {
    /// The outcome's name, as logged (no error text: it may quote the server).
    pub fn name(&self) -> &'static str {
        match self {
            PassOutcome::Completed => "completed",
            PassOutcome::Interrupted { .. } => "interrupted",
            PassOutcome::AuthPaused { .. } => "auth_paused",
            PassOutcome::NotEnrolled => "not_enrolled",
            PassOutcome::AlreadyRunning => "already_running",
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncReport {
    pub outcome: PassOutcome,
    pub requests: u32,
    pub applied: u32,
    pub duplicates: u32,
    pub rejected: u32,
    pub assignments_received: u32,
    pub reviews_received: u32,
    pub attachments_completed: u32,
    pub bytes_uploaded: u64,
    /// Problems that did not stop the pass (e.g. the pull refused, a feed entry skipped).
    pub warnings: Vec<String>,
}

impl SyncReport {
    fn new() -> Self {
        SyncReport {
            outcome: PassOutcome::Completed,
            requests: 0,
            applied: 0,
            duplicates: 0,
            rejected: 0,
            assignments_received: 0,
            reviews_received: 0,
            attachments_completed: 0,
            bytes_uploaded: 0,
            warnings: Vec::new(),
        }
    }

    /// Whether the pass moved anything (sent, received or settled).
    fn made_progress(&self) -> bool {
        self.applied
            + self.duplicates
            + self.rejected
            + self.assignments_received
            + self.reviews_received
            + self.attachments_completed
            > 0
            || self.bytes_uploaded > 0
    }
}

/// What the app shows on its sync screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncStatus {
    pub outbox: OutboxStatus,
    pub enrolled: bool,
    pub auth_paused: bool,
    pub online: bool,
    pub last_success_at: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Server clock minus device clock, from the last response, in milliseconds.
    pub server_clock_offset_ms: Option<i64>,
    pub next_sync_at: Option<Timestamp>,
}

/// Told when the sync status changes (after each pass, on a new token, on connectivity).
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait SyncListener: Send + Sync {
    fn on_status(&self, status: SyncStatus);
}

/// Drains one store to one server.
pub struct SyncEngine {
    store: Arc<Store>,
    transport: Arc<dyn Transport>,
    config: SyncConfig,
    online: AtomicBool,
    pass: Mutex<()>,
    /// Set when a pass was asked for while one ran: the running pass goes round again,
    /// so an alarm written meanwhile is not left behind.
    rerun: AtomicBool,
    listener: Mutex<Option<Arc<dyn SyncListener>>>,
}

/// Why a request did not produce the expected body.
enum Failure {
    /// Try later: network, timeout, unreadable response, 408, 429, 5xx.
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
    /// 401: the token is not (or no longer) good.
    Auth(String),
    /// Refused for good.
    Permanent(String),
    /// 409 on an attachment chunk: resume from here.
    Offset(u64),
    /// 413: the request body is over the server's limit.
    TooLarge(String),
}

/// Whether the pass goes on after a step.
enum Flow {
    Continue,
    Stop(PassOutcome),
}

impl SyncEngine {
    /// `config` is clamped to what the protocol allows (batch and chunk sizes).
    pub fn new(store: Arc<Store>, transport: Arc<dyn Transport>, mut config: SyncConfig) -> Self {
        let max_ops = u32::try_from(MAX_PUSH_OPERATIONS).unwrap_or(u32::MAX);
        config.batch.max_operations = config.batch.max_operations.clamp(1, max_ops);
        // Half the server's limit leaves room for the envelope around the payloads.
        config.batch.max_bytes = config.batch.max_bytes.min(MAX_PUSH_BYTES as u64 / 2);
        let max_chunk = u32::try_from(MAX_CHUNK_BYTES).unwrap_or(u32::MAX);
        config.chunk_bytes = config.chunk_bytes.clamp(1, max_chunk);
        config.pull_limit = config.pull_limit.clamp(1, 500);
        SyncEngine {
            store,
            transport,
            config,
            online: AtomicBool::new(true),
            pass: Mutex::new(()),
            rerun: AtomicBool::new(false),
            listener: Mutex::new(None),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn set_listener(&self, listener: Option<Arc<dyn SyncListener>>) {
        *self.listener.lock().unwrap_or_else(|p| p.into_inner()) = listener;
    }

    /// Redeems a one-time enrolment code: the server returns this device's token, which
    /// the engine keeps (and returns, for apps that also keep it in the keystore).
    pub fn enrol(&self, code: &str) -> Result<EnrolResponse> {
        crate::model::validate::required_text("code", code, 256)?;
        let body = serde_json::to_vec(&EnrolRequest {
            code: code.trim().to_owned(),
            device_id: self.store.device_id().to_owned(),
        })?;
        let request = self.request(RequestKind::Enrol, HttpMethod::Post, "/enrol", body, None);
        let response: EnrolResponse = match self.call(request) {
            Ok(r) => r,
            Err(f) => {
                return Err(CordonError::Sync {
                    detail: failure_text(&f),
                })
            }
        };
        self.store.set_officer_id(&response.officer_id)?;
        self.set_token(&response.token)?;
        Ok(response)
    }

    /// Sets the bearer token (after enrolment or a refresh) and resumes a paused sync.
    pub fn set_token(&self, token: &str) -> Result<()> {
        crate::model::validate::required_text("token", token, 4096)?;
        self.store
            .set_sync_values(&[(key::TOKEN, Some(token)), (key::AUTH_PAUSED, None)])?;
        self.notify();
        Ok(())
    }

    /// Connectivity changed. When it returns, everything waiting becomes due at once.
    pub fn set_online(&self, online: bool) -> Result<()> {
        let was = self.online.swap(online, Ordering::SeqCst);
        if online && !was {
            self.store.make_pending_due()?;
        }
        self.notify();
        Ok(())
    }

    pub fn status(&self) -> Result<SyncStatus> {
        let outbox = self.store.outbox_status()?;
        let enrolled = self.store.sync_value(key::TOKEN)?.is_some();
        let auth_paused = self.store.sync_value(key::AUTH_PAUSED)?.is_some();
        let last_success_at = self
            .store
            .sync_value(key::LAST_SUCCESS_AT)?
            .and_then(|v| v.parse().ok())
            .map(Timestamp::from_millis);
        let online = self.online.load(Ordering::SeqCst);
        let now = self.store.now();
        let server_wait = self.server_wait_until()?.filter(|t| *t > now);
        let next_sync_at = if !enrolled || auth_paused || !online {
            None
        } else if let Some(next) = outbox.next_attempt_at {
            Some(next.max(now).max(server_wait.unwrap_or(now)))
        } else if outbox.in_flight.total() > 0 {
            Some(now)
        } else {
            let interval = Duration::from_secs(self.config.pull_interval_secs.into());
            Some(last_success_at.map_or(now, |t| t.plus(interval)))
        };
        Ok(SyncStatus {
            outbox,
            enrolled,
            auth_paused,
            online,
            last_success_at,
            last_error: self.store.sync_value(key::LAST_ERROR)?,
            server_clock_offset_ms: self
                .store
                .sync_value(key::CLOCK_OFFSET_MS)?
                .and_then(|v| v.parse().ok()),
            next_sync_at,
        })
    }

    /// When the engine next wants a pass (`None`: not until something changes, such as
    /// connectivity or a new token).
    pub fn next_sync_at(&self) -> Result<Option<Timestamp>> {
        Ok(self.status()?.next_sync_at)
    }

    /// Runs one sync pass (see the module docs). Blocks; call it from a worker thread.
    pub fn sync_once(&self) -> Result<SyncReport> {
        let mut report = SyncReport::new();
        let result = {
            let _pass = match self.pass.try_lock() {
                Ok(guard) => guard,
                // A panic in an earlier pass (a listener's, say) must not stop sync for
                // good: nothing it held is half-done in memory.
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    self.rerun.store(true, Ordering::SeqCst);
                    report.outcome = PassOutcome::AlreadyRunning;
                    return Ok(report);
                }
            };
            self.run_passes(&mut report)
        };
        if let Ok(()) = &result {
            tracing::info!(
                outcome = report.outcome.name(),
                requests = report.requests,
                applied = report.applied,
                duplicates = report.duplicates,
                rejected = report.rejected,
                "sync pass ended"
            );
        }
        // Outside the pass lock: whatever the listener does cannot block sync.
        self.notify();
        result.map(|()| report)
    }

    fn run_passes(&self, report: &mut SyncReport) -> Result<()> {
        let Some(token) = self.store.sync_value(key::TOKEN)? else {
            report.outcome = PassOutcome::NotEnrolled;
            return Ok(());
        };
        if let Some(error) = self.store.sync_value(key::AUTH_PAUSED)? {
            report.outcome = PassOutcome::AuthPaused { error };
            return Ok(());
        }
        let outcome = loop {
            self.rerun.store(false, Ordering::SeqCst);
            let flow = match self.run_pass(&token, report) {
                Ok(flow) => flow,
                Err(e) => {
                    // A local failure mid-pass: nothing taken may stay in flight.
                    let _ = self.store.release_in_flight();
                    return Err(e);
                }
            };
            match flow {
                Flow::Stop(outcome) => break outcome,
                Flow::Continue if self.rerun.load(Ordering::SeqCst) => continue,
                Flow::Continue => break PassOutcome::Completed,
            }
        };
        let error = match &outcome {
            PassOutcome::Interrupted { error } | PassOutcome::AuthPaused { error } => {
                Some(error.clone())
            }
            _ => report.warnings.last().cloned(),
        };
        if outcome == PassOutcome::Completed {
            let now = self.store.now().as_millis().to_string();
            self.store
                .set_sync_values(&[(key::LAST_SUCCESS_AT, Some(&now))])?;
        }
        self.store
            .set_sync_values(&[(key::LAST_ERROR, error.as_deref())])?;
        report.outcome = outcome;
        Ok(())
    }

    /// Runs passes until nothing due is left or a pass stops short; returns every
    /// pass's report. `max_passes` bounds the loop.
    pub fn sync_until_drained(&self, max_passes: u32) -> Result<Vec<SyncReport>> {
        let mut reports = Vec::new();
        for _ in 0..max_passes.max(1) {
            let report = self.sync_once()?;
            let done = report.outcome != PassOutcome::Completed
                || self.store.outbox_status()?.pending.total() == 0
                || !report.made_progress();
            reports.push(report);
            if done {
                break;
            }
        }
        Ok(reports)
    }

    fn run_pass(&self, token: &str, report: &mut SyncReport) -> Result<Flow> {
        // The server asked everyone to wait (429/503 with Retry-After): only alarms go.
        if let Some(until) = self.server_wait_until()?.filter(|t| *t > self.store.now()) {
            if let Flow::Stop(o) = self.push_lane(Priority::Urgent, token, report)? {
                return Ok(Flow::Stop(o));
            }
            return Ok(Flow::Stop(PassOutcome::Interrupted {
                error: format!("the server asked to wait until {until}"),
            }));
        }
        // Urgent, then normal, re-checking urgent before every normal batch.
        loop {
            if let Flow::Stop(o) = self.push_lane(Priority::Urgent, token, report)? {
                return Ok(Flow::Stop(o));
            }
            let batch = self
                .store
                .take_batch_from(&[Priority::Normal], self.config.batch)?;
            if batch.is_empty() {
                break;
            }
            if let Flow::Stop(o) = self.push(batch, token, report)? {
                return Ok(Flow::Stop(o));
            }
        }
        if let Flow::Stop(o) = self.pull(token, report)? {
            return Ok(Flow::Stop(o));
        }
        loop {
            let one = BatchLimits {
                max_operations: 1,
                max_bytes: u64::MAX,
            };
            let Some(op) = self.store.take_batch_from(&[Priority::Bulk], one)?.pop() else {
                break;
            };
            if let Flow::Stop(o) = self.upload(op, token, report)? {
                return Ok(Flow::Stop(o));
            }
        }
        // An alarm raised during the pull or the last chunk goes before the pass ends.
        self.push_lane(Priority::Urgent, token, report)
    }

    /// Until when the server asked the device to hold back (its last `Retry-After`).
    fn server_wait_until(&self) -> Result<Option<Timestamp>> {
        Ok(self
            .store
            .sync_value(key::SERVER_WAIT_UNTIL)?
            .and_then(|v| v.parse().ok())
            .map(Timestamp::from_millis))
    }

    /// Sends every due operation of one lane, batch by batch.
    fn push_lane(&self, lane: Priority, token: &str, report: &mut SyncReport) -> Result<Flow> {
        loop {
            let batch = self.store.take_batch_from(&[lane], self.config.batch)?;
            if batch.is_empty() {
                return Ok(Flow::Continue);
            }
            if let Flow::Stop(o) = self.push(batch, token, report)? {
                return Ok(Flow::Stop(o));
            }
        }
    }

    fn push(&self, batch: Vec<Operation>, token: &str, report: &mut SyncReport) -> Result<Flow> {
        let mut outcomes: Vec<(i64, Outcome)> = Vec::with_capacity(batch.len());
        let mut wire = Vec::with_capacity(batch.len());
        for op in &batch {
            match serde_json::value::RawValue::from_string(op.payload.clone()) {
                Ok(payload) => wire.push(WireOperation {
                    id: op.id.clone(),
                    seq: op.seq,
                    kind: op.kind,
                    entity_id: op.entity_id.clone(),
                    depends_on: op.depends_on.clone(),
                    payload_version: op.payload_version,
                    created_at: op.created_at,
                    payload,
                }),
                // Cannot happen for payloads the core wrote; never send what the server
                // could not read, and keep it visible.
                Err(e) => outcomes.push((
                    op.seq,
                    Outcome::Rejected {
                        reason: format!("stored payload is not JSON: {e}"),
                    },
                )),
            }
        }
        if wire.is_empty() {
            self.store.settle(&outcomes)?;
            return Ok(Flow::Continue);
        }
        let sent: Vec<i64> = wire.iter().map(|w| w.seq).collect();
        let body = serde_json::to_vec(&PushRequest {
            device_id: self.store.device_id().to_owned(),
            operations: wire,
        })?;
        let request = self.request(
            RequestKind::Push,
            HttpMethod::Post,
            "/push",
            body,
            Some(token),
        );
        report.requests += 1;
        let flow = match self.call::<PushResponse>(request) {
            Ok(response) => {
                let mut by_seq: HashMap<i64, _> =
                    response.results.into_iter().map(|r| (r.seq, r)).collect();
                for op in batch.iter().filter(|op| sent.contains(&op.seq)) {
                    let outcome = match by_seq.remove(&op.seq).filter(|r| r.id == op.id) {
                        Some(r) => match r.status {
                            ResultStatus::Applied => {
                                report.applied += 1;
                                Outcome::Acknowledged
                            }
                            ResultStatus::Duplicate => {
                                report.duplicates += 1;
                                Outcome::Acknowledged
                            }
                            ResultStatus::Rejected => {
                                report.rejected += 1;
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
                Flow::Continue
            }
            Err(failure) => {
                let urgent = batch
                    .first()
                    .is_some_and(|op| op.priority == Priority::Urgent);
                let failure = match failure {
                    // One operation alone is over the limit: it will never fit.
                    Failure::TooLarge(e) if sent.len() == 1 && !urgent => Failure::Permanent(e),
                    // The server never judged the alarms themselves: keep trying them.
                    Failure::Permanent(e) | Failure::TooLarge(e) if urgent => Failure::Transient {
                        error: e,
                        retry_after: None,
                    },
                    other => other,
                };
                self.fail_all(&sent, failure, &mut outcomes, report, token)?
            }
        };
        self.store.settle(&outcomes)?;
        Ok(flow)
    }

    /// Turns a failed request into outcomes for every operation it carried.
    fn fail_all(
        &self,
        seqs: &[i64],
        failure: Failure,
        outcomes: &mut Vec<(i64, Outcome)>,
        report: &mut SyncReport,
        token: &str,
    ) -> Result<Flow> {
        Ok(match failure {
            Failure::Transient { error, retry_after } => {
                if let Some(after) = retry_after {
                    let until = self.store.now().plus(after.min(retry::MAX_RETRY_AFTER));
                    self.store.set_sync_values(&[(
                        key::SERVER_WAIT_UNTIL,
                        Some(&until.as_millis().to_string()),
                    )])?;
                }
                outcomes.extend(seqs.iter().map(|s| {
                    (
                        *s,
                        Outcome::Transient {
                            error: error.clone(),
                            retry_after,
                        },
                    )
                }));
                Flow::Stop(PassOutcome::Interrupted { error })
            }
            Failure::Offset(_) | Failure::TooLarge(_) => {
                let error = failure_text(&failure);
                outcomes.extend(seqs.iter().map(|s| {
                    (
                        *s,
                        Outcome::Transient {
                            error: error.clone(),
                            retry_after: None,
                        },
                    )
                }));
                Flow::Stop(PassOutcome::Interrupted { error })
            }
            Failure::Auth(error) => {
                self.store.release(seqs)?;
                // Pause only if the refused token is still the one set: the app may have
                // set a new one while this request was out.
                if self.store.sync_value(key::TOKEN)?.as_deref() == Some(token) {
                    self.store
                        .set_sync_values(&[(key::AUTH_PAUSED, Some(&error))])?;
                }
                Flow::Stop(PassOutcome::AuthPaused { error })
            }
            Failure::Permanent(reason) => {
                report.rejected += u32::try_from(seqs.len()).unwrap_or(u32::MAX);
                outcomes.extend(seqs.iter().map(|s| {
                    (
                        *s,
                        Outcome::Rejected {
                            reason: reason.clone(),
                        },
                    )
                }));
                if seqs.is_empty() {
                    report.warnings.push(reason);
                }
                Flow::Continue
            }
        })
    }

    fn pull(&self, token: &str, report: &mut SyncReport) -> Result<Flow> {
        loop {
            let cursor = self.store.sync_value(key::PULL_CURSOR)?;
            let mut path = format!("/pull?limit={}", self.config.pull_limit.max(1));
            if let Some(c) = &cursor {
                path.push_str("&cursor=");
                path.push_str(&percent_encode(c));
            }
            let request = self.request(
                RequestKind::Pull,
                HttpMethod::Get,
                &path,
                Vec::new(),
                Some(token),
            );
            report.requests += 1;
            let page: PullResponse = match self.call(request) {
                Ok(p) => p,
                Err(failure) => {
                    let mut ignored = Vec::new();
                    return self.fail_all(&[], failure, &mut ignored, report, token);
                }
            };
            report.reviews_received += u32::try_from(
                page.changes
                    .iter()
                    .filter(|c| matches!(c, crate::protocol::Change::ReportReview { .. }))
                    .count(),
            )
            .unwrap_or(u32::MAX);
            report.assignments_received += self.store.apply_pull(
                &page.changes,
                page.next_cursor.as_deref(),
                &mut report.warnings,
            )?;
            let moved = page.next_cursor.is_some() && page.next_cursor != cursor;
            if !page.has_more || !moved {
                return Ok(Flow::Continue);
            }
        }
    }

    /// Streams one attachment's bytes from the offset the server holds.
    fn upload(&self, op: Operation, token: &str, report: &mut SyncReport) -> Result<Flow> {
        let settle = |outcome: Outcome| self.store.settle(&[(op.seq, outcome)]);
        let reject = |reason: String| Outcome::Rejected { reason };
        let payload: AttachmentUpload = match serde_json::from_str(&op.payload) {
            Ok(p) => p,
            Err(e) => {
                settle(reject(format!("upload payload unreadable: {e}")))?;
                return Ok(Flow::Continue);
            }
        };
        let path = self.store.attachment_path(&payload.attachment_id);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                settle(reject(format!("attachment file {}: {e}", path.display())))?;
                return Ok(Flow::Continue);
            }
        };
        let status_path = format!("/attachments/{}", payload.sha256);
        let request = self.request(
            RequestKind::AttachmentStatus,
            HttpMethod::Get,
            &status_path,
            Vec::new(),
            Some(token),
        );
        report.requests += 1;
        let mut offset = match self.call::<AttachmentStatus>(request) {
            Ok(s) if s.complete => {
                report.attachments_completed += 1;
                settle(Outcome::Acknowledged)?;
                return Ok(Flow::Continue);
            }
            Ok(s) => s.received_bytes,
            Err(failure) => return self.fail_one(op.seq, failure, report, token),
        };
        let chunk_len = usize::try_from(self.config.chunk_bytes.max(1)).unwrap_or(1 << 20);
        let mut buf = vec![0u8; chunk_len];
        loop {
            // An alarm raised during a long upload goes out before the next chunk.
            if let Flow::Stop(o) = self.push_lane(Priority::Urgent, token, report)? {
                self.store.release(&[op.seq])?;
                return Ok(Flow::Stop(o));
            }
            if offset > payload.size_bytes {
                settle(reject(format!(
                    "server holds {offset} bytes of a {}-byte attachment",
                    payload.size_bytes
                )))?;
                return Ok(Flow::Continue);
            }
            let n = match read_chunk(&mut file, offset, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    settle(reject(format!("reading {}: {e}", path.display())))?;
                    return Ok(Flow::Continue);
                }
            };
            if n == 0 && offset < payload.size_bytes {
                settle(reject(format!(
                    "attachment file is shorter ({offset} bytes) than recorded ({})",
                    payload.size_bytes
                )))?;
                return Ok(Flow::Continue);
            }
            let chunk_path = format!("/attachments/{}?offset={offset}", payload.sha256);
            let request = self.request(
                RequestKind::AttachmentChunk,
                HttpMethod::Put,
                &chunk_path,
                buf[..n].to_vec(),
                Some(token),
            );
            report.requests += 1;
            match self.call::<AttachmentStatus>(request) {
                Ok(s) if s.complete => {
                    report.bytes_uploaded += n as u64;
                    report.attachments_completed += 1;
                    settle(Outcome::Acknowledged)?;
                    return Ok(Flow::Continue);
                }
                Ok(s) => {
                    report.bytes_uploaded += n as u64;
                    if s.received_bytes <= offset && n > 0 {
                        return self.fail_one(
                            op.seq,
                            Failure::Transient {
                                error: "the server did not take the chunk".into(),
                                retry_after: None,
                            },
                            report,
                            token,
                        );
                    }
                    offset = s.received_bytes;
                }
                Err(Failure::Offset(at)) => offset = at,
                Err(failure) => return self.fail_one(op.seq, failure, report, token),
            }
        }
    }

    fn fail_one(
        &self,
        seq: i64,
        failure: Failure,
        report: &mut SyncReport,
        token: &str,
    ) -> Result<Flow> {
        let mut outcomes = Vec::new();
        let flow = self.fail_all(&[seq], failure, &mut outcomes, report, token)?;
        self.store.settle(&outcomes)?;
        Ok(flow)
    }

    fn request(
        &self,
        kind: RequestKind,
        method: HttpMethod,
        path: &str,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> HttpRequest {
        let mut headers = vec![HttpHeader {
            name: "Accept".into(),
            value: "application/json".into(),
        }];
        if let Some(t) = token {
            headers.push(HttpHeader {
                name: "Authorization".into(),
                value: format!("Bearer {t}"),
            });
        }
        if method != HttpMethod::Get {
            headers.push(HttpHeader {
                name: "Content-Type".into(),
                value: if kind == RequestKind::AttachmentChunk {
                    "application/octet-stream".into()
                } else {
                    "application/json".into()
                },
            });
        }
        HttpRequest {
            kind,
            method,
            url: format!(
                "{}{API_PREFIX}{path}",
                self.config.server_url.trim_end_matches('/')
            ),
            headers,
            body,
        }
    }

    /// Sends a request and classifies the answer; records the server's clock offset from
    /// any response that carries it.
    fn call<T: DeserializeOwned>(&self, request: HttpRequest) -> std::result::Result<T, Failure> {
        let sent_at = self.store.now();
        let response = self
            .transport
            .send(request)
            .map_err(|e| Failure::Transient {
                error: e.to_string(),
                retry_after: None,
            })?;
        let received_at = self.store.now();
        if (200..300).contains(&response.status) {
            let value: serde_json::Value =
                serde_json::from_slice(&response.body).map_err(|e| Failure::Transient {
                    error: format!("unreadable response ({} bytes): {e}", response.body.len()),
                    retry_after: None,
                })?;
            self.note_server_time(&value, sent_at, received_at);
            return serde_json::from_value(value).map_err(|e| Failure::Transient {
                error: format!("unexpected response: {e}"),
                retry_after: None,
            });
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
        if let Some(b) = &body {
            let offset = b.server_time.as_millis() - midpoint(sent_at, received_at);
            let _ = self
                .store
                .set_sync_values(&[(key::CLOCK_OFFSET_MS, Some(&offset.to_string()))]);
        }
        let message = body.as_ref().map_or_else(
            || format!("HTTP {}", response.status),
            |b| {
                format!(
                    "HTTP {} {}: {}",
                    response.status, b.error.code, b.error.message
                )
            },
        );
        // Only the server's own, deliberate refusal is permanent. Anything else (a
        // captive portal's redirect, a proxy's 407, a 404 from a wrong URL) says nothing
        // about the operations and is tried again.
        let refused = body.as_ref().is_some_and(|b| !b.error.retryable);
        Err(match response.status {
            401 => Failure::Auth(message),
            409 => match body.and_then(|b| b.received_bytes) {
                Some(at) => Failure::Offset(at),
                None => Failure::Transient {
                    error: message,
                    retry_after: None,
                },
            },
            413 => Failure::TooLarge(message),
            400..=499 if refused && !matches!(response.status, 408 | 429) => {
                Failure::Permanent(message)
            }
            _ => Failure::Transient {
                error: message,
                retry_after: response.header("Retry-After").and_then(parse_retry_after),
            },
        })
    }

    fn note_server_time(&self, body: &serde_json::Value, sent: Timestamp, received: Timestamp) {
        let server = body
            .get("server_time")
            .and_then(|v| v.as_str())
            .and_then(|s| Timestamp::parse_rfc3339(s).ok());
        if let Some(server) = server {
            let offset = server.as_millis() - midpoint(sent, received);
            // Best effort: the offset is information, never worth failing a pass over.
            let _ = self
                .store
                .set_sync_values(&[(key::CLOCK_OFFSET_MS, Some(&offset.to_string()))]);
        }
    }

    fn notify(&self) {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let (Some(listener), Ok(status)) = (listener, self.status()) {
            // A listener that panics must not take the engine with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                listener.on_status(status)
            }));
        }
    }
}

fn failure_text(f: &Failure) -> String {
    match f {
        Failure::Transient { error, .. } => error.clone(),
        Failure::Auth(e) | Failure::Permanent(e) | Failure::TooLarge(e) => e.clone(),
        Failure::Offset(at) => format!("server expected offset {at}"),
    }
}

fn midpoint(a: Timestamp, b: Timestamp) -> i64 {
    a.as_millis() + (b.as_millis() - a.as_millis()) / 2
}

/// `Retry-After` as delta-seconds (the form the reference server sends). An HTTP date
/// is not honoured; the backoff applies instead.
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn read_chunk(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    file.seek(SeekFrom::Start(offset))?;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Percent-encodes a query value (the cursor is opaque and may hold anything).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
