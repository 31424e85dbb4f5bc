//! The sync engine: drains the outbox to the office, pulls what the office sends, and
//! uploads attachment bytes, over a [`Transport`] the app supplies.
//!
//! One call, [`SyncEngine::sync_once`], runs a pass ([`engine`]):
//! 1. **Urgent first, in its own request**: duress and panic operations go out before
//!    anything else, and again before every later request of the pass (so an alarm
//!    raised during a long upload waits for one chunk at most).
//! 2. **Normal batches** ([`push`]), bounded by count and bytes, until the lane is
//!    drained. Each response's per-operation answers are applied in one transaction
//!    ([`Store::settle`](crate::Store::settle)).
//! 3. **Pull** ([`pull`]) the office's changes page by page; each page and its cursor
//!    commit together.
//! 4. **Attachment bytes** ([`upload`]), one file at a time, streamed from disk in chunks
//!    from the offset the server already holds, so a dropped connection or a killed
//!    process resumes rather than restarts.
//!
//! Every request goes through [`client`], which classifies the answer; what a failure
//! means for the operations it carried is decided in one place, [`policy::decide`]
//! (`docs/PROTOCOL.md`, "Failures"): a network error, timeout, unreadable response, 408,
//! 429 or 5xx ends the pass and backs the operations off (the server's `Retry-After`
//! wins); a permanent refusal dead-letters the operations it names and the pass goes on;
//! 413 splits a batch (down to one operation, which alone too large becomes a dead
//! letter) and halves an attachment chunk; 401 releases the batch untouched and pauses
//! sync until [`SyncEngine::set_token`]. An alarm is never dead-lettered for a refusal of
//! the whole request. Only local storage failures are returned as errors: the network is
//! expected to fail, and the engine's job is to keep going.
//!
//! Liveness: the app tells the engine when connectivity returns
//! ([`SyncEngine::set_online`]), which makes everything waiting due at once, and asks it
//! when it next wants to run ([`SyncEngine::next_sync_at`]) to schedule WorkManager or
//! BGTaskScheduler.

/// The target of every log event of the engine, whichever part emits it: apps filter on
/// one name.
const LOG_TARGET: &str = "cordon_core::sync";

mod client;
mod engine;
#[cfg(feature = "http")]
mod http;
mod policy;
mod pull;
mod push;
mod revoke;
mod transport;
mod upload;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use engine::{SyncEngine, ALARM_POLL};
#[cfg(feature = "http")]
pub use http::HttpTransport;
pub use transport::{
    HttpHeader, HttpMethod, HttpRequest, HttpResponse, RequestKind, Transport, TransportError,
};

use crate::error::{CordonError, InputRule, Result};
use crate::model::validate::validate_server_url;
use crate::protocol::{MAX_CHUNK_BYTES, MAX_PUSH_BYTES, MAX_PUSH_OPERATIONS};
use crate::store::outbox::{BatchLimits, OutboxStatus};
use crate::time::Timestamp;

/// How the engine talks to the server. Checked whole when an engine is made
/// ([`SyncConfig::validate`]): a value the protocol cannot use is an error there, never
/// quietly replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncConfig {
    /// Base URL of the office's server, e.g. `https://sync.example.com`.
    pub server_url: String,
    /// Bounds of one push request.
    pub batch: BatchLimits,
    /// Bytes per attachment chunk: 1 KiB to 8 MiB.
    pub chunk_bytes: i32,
    /// Changes asked for per pull request: 1 to 500.
    pub pull_limit: i32,
    /// With nothing queued, how long after a successful pass the engine wants to pull
    /// again (at least 1 s).
    pub pull_interval_secs: i32,
    /// The longest one request may take, handed to the transport with each request
    /// ([`HttpRequest::timeout_ms`]) for its connect and read timeouts; less when the
    /// pass has less time left. 1 s to 10 min.
    pub request_timeout_ms: i64,
    /// The longest one pass runs: once past it, the pass stops at its next safe point
    /// (between requests) with [`PassOutcome::OutOfTime`], even while alarms keep
    /// arriving; what is left is due at once for the next pass. 1 s to 1 h.
    pub max_pass_ms: i64,
}

impl SyncConfig {
    pub fn new(server_url: impl Into<String>) -> Self {
        SyncConfig {
            server_url: server_url.into(),
            batch: BatchLimits::default(),
            chunk_bytes: 1024 * 1024,
            pull_limit: 200,
            pull_interval_secs: 15 * 60,
            request_timeout_ms: 30_000,
            max_pass_ms: 120_000,
        }
    }

    /// Checks every value against what the protocol and the engine can use.
    pub fn validate(&self) -> Result<()> {
        validate_server_url("server_url", &self.server_url)?;
        let ops = i64::from(self.batch.max_operations);
        in_range("batch.max_operations", ops, 1, MAX_PUSH_OPERATIONS as i64)?;
        let bytes = self.batch.max_bytes;
        // Half the server's limit leaves room for the envelope around the payloads.
        in_range("batch.max_bytes", bytes, 1024, MAX_PUSH_BYTES as i64 / 2)?;
        let chunk = i64::from(self.chunk_bytes);
        in_range("chunk_bytes", chunk, 1024, MAX_CHUNK_BYTES as i64)?;
        in_range("pull_limit", self.pull_limit.into(), 1, 500)?;
        in_range(
            "pull_interval_secs",
            self.pull_interval_secs.into(),
            1,
            i32::MAX.into(),
        )?;
        in_range(
            "request_timeout_ms",
            self.request_timeout_ms,
            1_000,
            600_000,
        )?;
        in_range("max_pass_ms", self.max_pass_ms, 1_000, 3_600_000)
    }
}

fn in_range(field: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    Err(CordonError::invalid(
        field,
        InputRule::OutOfRange,
        format!("{value} is outside {min}..={max}"),
    ))
}

/// Lets the app stop a running pass (a cancelled coroutine or task, a closed engine):
/// the pass stops at its next safe point, between requests, with
/// [`PassOutcome::Cancelled`], and what it had taken goes back to the queue.
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<AtomicBool>);

impl Cancellation {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How a pass ended. (`toString()` in Kotlin: `Completed`, `Interrupted { error: "…" }`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi::export(Debug))]
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
    /// Another pass is running on this store.
    AlreadyRunning,
    /// The office revoked this device (lost or seized). The store told the office what
    /// it had not sent (`office_told`: whether that answer came back), then destroyed
    /// its database and attachment files; every later call on it is
    /// `CordonError::Revoked`. The app should tell the officer and forget its token.
    Revoked {
        /// Operations the device still held unsent (they are gone with the store).
        unsent: i64,
        office_told: bool,
        /// Files the store removed (database, journal files, attachment copies).
        files_removed: i32,
    },
    /// The pass reached its time bound ([`SyncConfig::max_pass_ms`]) and stopped between
    /// requests; what is left is due at once.
    OutOfTime,
    /// The app cancelled the pass (its coroutine or task, or closed the engine); it
    /// stopped between requests and what it had taken went back to the queue.
    Cancelled,
}

impl PassOutcome {
    /// The outcome's name, as logged (no error text: it may quote the server).
    pub fn name(&self) -> &'static str {
        match self {
            PassOutcome::Completed => "completed",
            PassOutcome::Interrupted { .. } => "interrupted",
            PassOutcome::AuthPaused { .. } => "auth_paused",
            PassOutcome::Revoked { .. } => "revoked",
            PassOutcome::NotEnrolled => "not_enrolled",
            PassOutcome::AlreadyRunning => "already_running",
            PassOutcome::OutOfTime => "out_of_time",
            PassOutcome::Cancelled => "cancelled",
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PassSummary {
    pub outcome: PassOutcome,
    pub requests: i32,
    pub applied: i32,
    pub duplicates: i32,
    pub rejected: i32,
    pub assignments_received: i32,
    pub reviews_received: i32,
    pub attachments_completed: i32,
    pub bytes_uploaded: i64,
    /// Problems that did not stop the pass (e.g. the pull refused, a feed entry skipped).
    pub warnings: Vec<String>,
}

impl PassSummary {
    fn new() -> Self {
        Self::ended(PassOutcome::Completed)
    }

    /// A pass that ended as `outcome` having done nothing (one the app cancelled before
    /// it reported back, say).
    pub fn ended(outcome: PassOutcome) -> Self {
        PassSummary {
            outcome,
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
    /// An error (in Kotlin or Swift: anything the listener throws) is ignored: sync goes
    /// on, and the listener hears the next change.
    fn on_status(&self, status: SyncStatus) -> std::result::Result<(), ListenerError>;
}

/// What a [`SyncListener`] that failed returns (a Kotlin or Swift listener: what it threw,
/// as text). The engine ignores it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi::export(Display))]
pub enum ListenerError {
    #[error("the listener failed: {detail}")]
    Failed { detail: String },
}

#[cfg(feature = "uniffi")]
impl From<uniffi::UnexpectedUniFFICallbackError> for ListenerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ListenerError::Failed {
            detail: transport::first_line(&e.reason),
        }
    }
}
