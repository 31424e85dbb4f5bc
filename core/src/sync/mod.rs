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
mod transport;
mod upload;

use serde::{Deserialize, Serialize};

pub use engine::{SyncEngine, ALARM_POLL};
#[cfg(feature = "http")]
pub use http::HttpTransport;
pub use transport::{
    HttpHeader, HttpMethod, HttpRequest, HttpResponse, RequestKind, Transport, TransportError,
};

use crate::store::outbox::{BatchLimits, OutboxStatus};
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
pub struct PassSummary {
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

impl PassSummary {
    fn new() -> Self {
        PassSummary {
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
