//! The engine: its state, the calls the app makes, and the order of a pass.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use super::{Cancellation, HttpMethod, RequestKind, Transport};
use super::{PassOutcome, PassSummary, SyncConfig, SyncListener, SyncStatus, LOG_TARGET};
use crate::error::{CordonError, Result};
use crate::protocol::{EnrolRequest, EnrolResponse, Lane};
use crate::store::outbox::BatchLimits;
use crate::store::sync_state::key;
use crate::store::Store;
use crate::time::Timestamp;

/// While an alarm of the officer's waits for the control room's acknowledgement, how soon
/// after a pass the engine wants the next (to pull the acknowledgement).
pub const ALARM_POLL: Duration = Duration::from_secs(5);

/// Drains one store to one server.
pub struct SyncEngine {
    pub(super) store: Arc<Store>,
    pub(super) transport: Arc<dyn Transport>,
    pub(super) config: SyncConfig,
    online: AtomicBool,
    listener: Mutex<Option<Arc<dyn SyncListener>>>,
    /// The running pass's bounds (one pass at a time per store, so at most one here).
    bounds: Mutex<Option<PassBounds>>,
    /// Largest push body (sum of payloads) to build; lowered when the server (or a proxy
    /// in front of it) answers 413, for as long as the engine lives.
    pub(super) push_bytes: AtomicI64,
    /// Attachment chunk size; halved on each 413 for a chunk.
    pub(super) chunk_bytes: AtomicU32,
}

/// When the running pass must end, and whether the app cancelled it.
#[derive(Clone)]
struct PassBounds {
    deadline: Instant,
    cancellation: Cancellation,
}

/// Whether the pass goes on after a step.
pub(super) enum Flow {
    Continue,
    Stop(PassOutcome),
}

/// Shortest timeout handed to a transport, even when the pass is nearly out of time (it
/// then stops at the next safe point anyway).
const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

impl SyncEngine {
    /// Checks `config` ([`SyncConfig::validate`]): a value the protocol cannot use is an
    /// `InvalidInput` naming it, before anything is sent.
    pub fn new(
        store: Arc<Store>,
        transport: Arc<dyn Transport>,
        config: SyncConfig,
    ) -> Result<Self> {
        config.validate()?;
        Ok(SyncEngine {
            store,
            transport,
            online: AtomicBool::new(true),
            listener: Mutex::new(None),
            bounds: Mutex::new(None),
            push_bytes: AtomicI64::new(config.batch.max_bytes),
            // Validated: 1 KiB ..= 8 MiB.
            chunk_bytes: AtomicU32::new(config.chunk_bytes.unsigned_abs()),
            config,
        })
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
                    detail: f.to_string(),
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
    /// If that write fails, the engine stays offline and the error is returned, so the next
    /// `set_online(true)` tries again instead of finding the engine already online.
    pub fn set_online(&self, online: bool) -> Result<()> {
        let was = self.online.swap(online, Ordering::SeqCst);
        if online && !was {
            if let Err(e) = self.store.make_pending_due() {
                self.online.store(false, Ordering::SeqCst);
                return Err(e);
            }
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
            let interval =
                Duration::from_secs(self.config.pull_interval_secs.unsigned_abs().into());
            let scheduled = last_success_at.map_or(now, |t| t.plus(interval));
            // An alarm of the officer's that the control room has not acknowledged: ask
            // again within seconds, to learn that it has (never sooner than the server
            // asked to wait).
            if self.store.alarm_awaits_control_room()? {
                let soon = last_success_at.map_or(now, |t| t.plus(ALARM_POLL)).max(now);
                Some(scheduled.min(soon).max(server_wait.unwrap_or(now)))
            } else {
                Some(scheduled)
            }
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
    pub fn sync_once(&self) -> Result<PassSummary> {
        self.sync_once_with(&Cancellation::new())
    }

    /// [`sync_once`](Self::sync_once) that stops at its next safe point once
    /// `cancellation` is cancelled, with [`PassOutcome::Cancelled`].
    pub fn sync_once_with(&self, cancellation: &Cancellation) -> Result<PassSummary> {
        // No fields: what the records say is never logged, and the app knows its device.
        let span = tracing::info_span!(target: LOG_TARGET, "sync_pass");
        let _entered = span.enter();
        let mut summary = PassSummary::new();
        let gate = &self.store.pass_gate;
        let result = {
            let _pass = match gate.running.try_lock() {
                Ok(guard) => guard,
                // A panic in an earlier pass (a listener's, say) must not stop sync for
                // good: nothing it held is half-done in memory.
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    gate.rerun.store(true, Ordering::SeqCst);
                    summary.outcome = PassOutcome::AlreadyRunning;
                    return Ok(summary);
                }
            };
            let max_pass = Duration::from_millis(self.config.max_pass_ms.unsigned_abs());
            *self.bounds.lock().unwrap_or_else(|p| p.into_inner()) = Some(PassBounds {
                deadline: Instant::now() + max_pass,
                cancellation: cancellation.clone(),
            });
            let result = self.run_passes(&mut summary);
            *self.bounds.lock().unwrap_or_else(|p| p.into_inner()) = None;
            result
        };
        if let Ok(()) = &result {
            tracing::info!(
                target: LOG_TARGET,
                outcome = summary.outcome.name(),
                requests = summary.requests,
                applied = summary.applied,
                duplicates = summary.duplicates,
                rejected = summary.rejected,
                "sync pass ended"
            );
        }
        // Outside the pass lock: whatever the listener does cannot block sync.
        self.notify();
        result.map(|()| summary)
    }

    /// Why the running pass must stop at this safe point, if it must: the app cancelled
    /// it, or it reached its time bound.
    pub(super) fn must_stop(&self) -> Option<PassOutcome> {
        let bounds = self
            .bounds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        if bounds.cancellation.is_cancelled() {
            Some(PassOutcome::Cancelled)
        } else if Instant::now() >= bounds.deadline {
            Some(PassOutcome::OutOfTime)
        } else {
            None
        }
    }

    /// The timeout for the next request: the configured one, or what is left of the
    /// pass if that is less (never under a second).
    pub(super) fn request_timeout(&self) -> Duration {
        let configured = Duration::from_millis(self.config.request_timeout_ms.unsigned_abs());
        let left = self
            .bounds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(configured, |b| {
                b.deadline.saturating_duration_since(Instant::now())
            });
        configured.min(left).max(MIN_REQUEST_TIMEOUT)
    }

    fn run_passes(&self, summary: &mut PassSummary) -> Result<()> {
        let Some(token) = self.store.sync_value(key::TOKEN)? else {
            summary.outcome = PassOutcome::NotEnrolled;
            return Ok(());
        };
        if let Some(error) = self.store.sync_value(key::AUTH_PAUSED)? {
            summary.outcome = PassOutcome::AuthPaused { error };
            return Ok(());
        }
        let rerun = &self.store.pass_gate.rerun;
        let outcome = loop {
            rerun.store(false, Ordering::SeqCst);
            let flow = match self.run_pass(&token, summary) {
                Ok(flow) => flow,
                Err(e) => {
                    // A local failure mid-pass: nothing taken may stay in flight.
                    let _ = self.store.release_in_flight();
                    return Err(e);
                }
            };
            match flow {
                Flow::Stop(outcome) => break outcome,
                Flow::Continue if rerun.load(Ordering::SeqCst) => match self.must_stop() {
                    Some(outcome) => break outcome,
                    None => continue,
                },
                Flow::Continue => break PassOutcome::Completed,
            }
        };
        if matches!(outcome, PassOutcome::Revoked { .. }) {
            // The store is destroyed: there is nothing left to record the pass in.
            summary.outcome = outcome;
            return Ok(());
        }
        if matches!(outcome, PassOutcome::Cancelled | PassOutcome::OutOfTime) {
            // Stopped between requests: whatever is still taken (an attachment between
            // two chunks) goes back to the queue, due at once.
            self.store.release_in_flight()?;
        }
        let error = match &outcome {
            PassOutcome::Interrupted { error } | PassOutcome::AuthPaused { error } => {
                Some(error.clone())
            }
            _ => summary.warnings.last().cloned(),
        };
        if outcome == PassOutcome::Completed {
            let now = self.store.now().as_millis().to_string();
            self.store
                .set_sync_values(&[(key::LAST_SUCCESS_AT, Some(&now))])?;
        }
        self.store
            .set_sync_values(&[(key::LAST_ERROR, error.as_deref())])?;
        summary.outcome = outcome;
        Ok(())
    }

    /// Runs passes until nothing due is left or a pass stops short; returns every
    /// pass's summary. `max_passes` bounds the loop.
    pub fn sync_until_drained(&self, max_passes: i32) -> Result<Vec<PassSummary>> {
        self.sync_until_drained_with(max_passes, &Cancellation::new())
    }

    /// [`sync_until_drained`](Self::sync_until_drained), each pass cancelled by
    /// `cancellation`.
    pub fn sync_until_drained_with(
        &self,
        max_passes: i32,
        cancellation: &Cancellation,
    ) -> Result<Vec<PassSummary>> {
        let mut summaries = Vec::new();
        for _ in 0..max_passes.max(1) {
            let summary = self.sync_once_with(cancellation)?;
            let done = summary.outcome != PassOutcome::Completed
                || self.store.outbox_status()?.pending.total() == 0
                || !summary.made_progress();
            summaries.push(summary);
            if done {
                break;
            }
        }
        Ok(summaries)
    }

    fn run_pass(&self, token: &str, summary: &mut PassSummary) -> Result<Flow> {
        if let Some(o) = self.must_stop() {
            return Ok(Flow::Stop(o));
        }
        // The server asked everyone to wait (429/503 with Retry-After): only alarms go.
        if let Some(until) = self.server_wait_until()?.filter(|t| *t > self.store.now()) {
            if let Flow::Stop(o) = self.push_lane(Lane::Urgent, token, summary)? {
                return Ok(Flow::Stop(o));
            }
            return Ok(Flow::Stop(PassOutcome::Interrupted {
                error: format!("the server asked to wait until {until}"),
            }));
        }
        // Urgent, then normal, re-checking urgent before every normal batch.
        loop {
            if let Flow::Stop(o) = self.push_lane(Lane::Urgent, token, summary)? {
                return Ok(Flow::Stop(o));
            }
            let batch = self
                .store
                .take_batch_from(&[Lane::Normal], self.batch_limits())?;
            if batch.is_empty() {
                break;
            }
            if let Flow::Stop(o) = self.push(batch, token, summary)? {
                return Ok(Flow::Stop(o));
            }
        }
        if let Some(o) = self.must_stop() {
            return Ok(Flow::Stop(o));
        }
        if let Flow::Stop(o) = self.pull(token, summary)? {
            return Ok(Flow::Stop(o));
        }
        loop {
            let one = BatchLimits {
                max_operations: 1,
                max_bytes: i64::MAX,
            };
            if let Some(o) = self.must_stop() {
                return Ok(Flow::Stop(o));
            }
            let Some(op) = self.store.take_batch_from(&[Lane::Bulk], one)?.pop() else {
                break;
            };
            if let Flow::Stop(o) = self.upload(op, token, summary)? {
                return Ok(Flow::Stop(o));
            }
        }
        // An alarm raised during the pull or the last chunk goes before the pass ends.
        self.push_lane(Lane::Urgent, token, summary)
    }

    /// The bounds of the next push: the configured ones, lowered by what a 413 taught.
    pub(super) fn batch_limits(&self) -> BatchLimits {
        BatchLimits {
            max_operations: self.config.batch.max_operations,
            max_bytes: self.push_bytes.load(Ordering::Relaxed),
        }
    }

    /// Until when the server asked the device to hold back (its last `Retry-After`).
    pub(super) fn server_wait_until(&self) -> Result<Option<Timestamp>> {
        Ok(self
            .store
            .sync_value(key::SERVER_WAIT_UNTIL)?
            .and_then(|v| v.parse().ok())
            .map(Timestamp::from_millis))
    }

    pub(super) fn notify(&self) {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let (Some(listener), Ok(status)) = (listener, self.status()) {
            // A listener that fails (in Kotlin or Swift: throws) is ignored. One that
            // panics (a Rust listener) must not take the engine with it either.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                listener.on_status(status)
            }));
        }
    }
}
