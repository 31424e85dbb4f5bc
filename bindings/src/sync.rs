//! [`CordonSync`]: the sync engine as an app sees it, over the app's own HTTP stack or
//! the built-in one.

use std::sync::{Arc, Mutex};

use cordon_core::protocol::EnrolResponse;
use cordon_core::sync::Cancellation;
use cordon_core::{
    CordonError, PassOutcome, PassSummary, SyncConfig, SyncEngine, SyncListener, SyncStatus,
    Timestamp, Transport,
};

use crate::store::CordonStore;
use crate::worker::{self, AppCancellation, SyncCancellation};

/// The settings a sync engine starts from: the server's base URL and the protocol's
/// default batch, chunk and pull sizes and time bounds. Change fields before passing it
/// on if needed; the engine checks them all when it is made.
#[uniffi::export]
pub fn default_sync_config(server_url: String) -> SyncConfig {
    SyncConfig::new(server_url)
}

/// Delivers one store's outbox to the office and pulls what the office sends.
///
/// `sync_once`, `sync_until_drained` and `enrol` talk to the server: they are `suspend`
/// (Kotlin) / `async` (Swift) and run on a thread of their own, where the app's
/// `Transport` is called and may block. Cancelling the caller (the coroutine, or the
/// Swift task) returns at once, and the pass stops at its next safe point, between
/// requests, with what it had taken back in the queue; `cancel()` stops it the same way. Everything
/// else is a quick local call. Network failures are not errors:
/// they end a pass with `PassOutcome.Interrupted` and the outbox retries with backoff;
/// only local storage failures throw.
#[derive(uniffi::Object)]
pub struct CordonSync {
    engine: Arc<SyncEngine>,
    /// The cancellations of this object's calls that may still run, for [`Self::cancel`].
    running: Mutex<Vec<Cancellation>>,
}

impl CordonSync {
    fn over(
        store: &CordonStore,
        transport: Arc<dyn Transport>,
        config: SyncConfig,
    ) -> Result<Arc<Self>, CordonError> {
        Ok(Arc::new(CordonSync {
            engine: Arc::new(SyncEngine::new(store.core().clone(), transport, config)?),
            running: Mutex::new(Vec::new()),
        }))
    }

    /// Runs `work` on a worker, cancelled when the caller stops waiting, when `app` is
    /// cancelled (then answering `cancelled()` at once), or by [`Self::cancel`].
    fn start<T: Send + 'static>(
        &self,
        name: &str,
        app: AppCancellation<'_, T>,
        work: impl FnOnce(&SyncEngine, &Cancellation) -> Result<T, CordonError> + Send + 'static,
    ) -> worker::Finished<T> {
        let cancellation = app.map_or_else(Cancellation::new, |(a, _)| a.core().clone());
        {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            running.retain(|c| !c.is_cancelled());
            running.push(cancellation.clone());
        }
        let engine = self.engine.clone();
        let c = cancellation.clone();
        worker::run(name, cancellation, app, move || work(&engine, &c))
    }
}

/// What a cancelled pass answers.
fn cancelled_pass() -> PassSummary {
    PassSummary::ended(PassOutcome::Cancelled)
}

fn cancelled_passes() -> Vec<PassSummary> {
    vec![cancelled_pass()]
}

#[uniffi::export]
impl CordonSync {
    /// A sync engine that sends its HTTP requests through `transport`, the app's own
    /// stack (OkHttp, URLSession, ...), so that proxies, pinning and background sessions
    /// keep working. A configuration value the engine cannot use (an empty or malformed
    /// server URL, a chunk of 0 bytes, ...) is a `CordonError.InvalidInput` naming it.
    #[uniffi::constructor]
    pub fn new(
        store: Arc<CordonStore>,
        transport: Arc<dyn Transport>,
        config: SyncConfig,
    ) -> Result<Arc<Self>, CordonError> {
        Self::over(&store, transport, config)
    }

    /// Redeems a one-time enrolment code from the office: stores the device's token and
    /// officer id, and returns them (keep the token in the keystore if you like).
    pub async fn enrol(&self, code: String) -> Result<EnrolResponse, CordonError> {
        self.start("enrol", None, move |engine, _| engine.enrol(&code))
            .await
    }

    /// Stops every sync call of this object still running: the pass stops at its next
    /// safe point (within one request) and the call returns `PassOutcome.Cancelled`. For
    /// a WorkManager worker's `onStopped` or a BGTask's expiration handler. (`close()`
    /// alone does not: a running call keeps the engine alive until it ends.)
    pub fn cancel(&self) {
        for c in self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            c.cancel();
        }
    }

    /// Sets a new bearer token (after a refresh) and resumes a sync paused by a 401.
    pub fn set_token(&self, token: &str) -> Result<(), CordonError> {
        self.engine.set_token(token)
    }

    /// Tell the engine when connectivity changes: when it returns, everything waiting
    /// (a duress alarm above all) becomes due at once.
    pub fn set_online(&self, online: bool) -> Result<(), CordonError> {
        self.engine.set_online(online)
    }

    /// Runs one pass: urgent operations first, normal batches, the pull feed, then
    /// attachment bytes (an alarm raised meanwhile goes out before the next chunk). A
    /// pass already running on this store (from any `CordonSync`) makes this return
    /// `PassOutcome.AlreadyRunning`; a pass longer than `maxPassMs` stops with
    /// `PassOutcome.OutOfTime`. (Swift: `syncOnce()`, which honours task cancellation.)
    pub async fn sync_once(&self) -> Result<PassSummary, CordonError> {
        self.start("sync", None, |engine, c| engine.sync_once_with(c))
            .await
    }

    /// Runs passes until nothing due is left, a pass stops short, or `max_passes` ran
    /// (what a WorkManager / BGTaskScheduler job calls); returns every pass's report.
    /// (Swift: `syncUntilDrained(maxPasses:)`, which honours task cancellation.)
    pub async fn sync_until_drained(
        &self,
        max_passes: i32,
    ) -> Result<Vec<PassSummary>, CordonError> {
        self.start("sync", None, move |engine, c| {
            engine.sync_until_drained_with(max_passes, c)
        })
        .await
    }

    /// `sync_once` that returns at once, as `PassOutcome.Cancelled`, when `cancellation`
    /// is cancelled. The Swift package's `syncOnce()` calls it from a task cancellation
    /// handler; Kotlin cancels through the coroutine instead.
    pub async fn sync_once_cancellable(
        &self,
        cancellation: Arc<SyncCancellation>,
    ) -> Result<PassSummary, CordonError> {
        self.start(
            "sync",
            Some((&cancellation, cancelled_pass)),
            |engine, c| engine.sync_once_with(c),
        )
        .await
    }

    /// `sync_until_drained` that returns at once when `cancellation` is cancelled.
    pub async fn sync_until_drained_cancellable(
        &self,
        max_passes: i32,
        cancellation: Arc<SyncCancellation>,
    ) -> Result<Vec<PassSummary>, CordonError> {
        self.start(
            "sync",
            Some((&cancellation, cancelled_passes)),
            move |engine, c| engine.sync_until_drained_with(max_passes, c),
        )
        .await
    }

    /// The outbox, enrolment, connectivity, last success or error, clock offset and
    /// the next wanted pass, for a status screen.
    pub fn status(&self) -> Result<SyncStatus, CordonError> {
        self.engine.status()
    }

    /// When the engine next wants a pass, to schedule WorkManager or BGTaskScheduler
    /// (`null`/`nil`: not until something changes, such as connectivity or a new token).
    pub fn next_sync_at(&self) -> Result<Option<Timestamp>, CordonError> {
        self.engine.next_sync_at()
    }

    /// Registers (or with `null`/`nil` removes) the listener told of every status
    /// change. It is called on whichever thread made the change, a sync worker included.
    pub fn set_listener(&self, listener: Option<Arc<dyn SyncListener>>) {
        self.engine.set_listener(listener)
    }
}

/// Feature `http` (default; phone builds leave it out).
#[cfg(feature = "http")]
#[uniffi::export]
impl CordonSync {
    /// A sync engine over the library's built-in HTTP client (rustls), for desktop
    /// tools, tests, and apps that have no stack of their own.
    #[uniffi::constructor]
    pub fn with_built_in_http(
        store: Arc<CordonStore>,
        config: SyncConfig,
    ) -> Result<Arc<Self>, CordonError> {
        Self::over(
            &store,
            Arc::new(cordon_core::sync::HttpTransport::new()),
            config,
        )
    }
}
