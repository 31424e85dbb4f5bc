//! [`CordonSync`]: the sync engine as an app sees it, over the app's own HTTP stack or
//! the built-in one.

use std::sync::Arc;

use cordon_core::protocol::EnrolResponse;
use cordon_core::{
    CordonError, PassSummary, SyncConfig, SyncEngine, SyncListener, SyncStatus, Timestamp,
    Transport,
};

use crate::store::CordonStore;
use crate::worker;

/// The settings a sync engine starts from: the server's base URL and the protocol's
/// default batch, chunk and pull sizes. Change fields before passing it on if needed.
#[uniffi::export]
pub fn default_sync_config(server_url: String) -> SyncConfig {
    SyncConfig::new(server_url)
}

/// Delivers one store's outbox to the office and pulls what the office sends.
///
/// `sync_once`, `sync_until_drained` and `enrol` talk to the server: they are `suspend`
/// (Kotlin) / `async` (Swift) and run on a thread of their own, where the app's
/// `Transport` is called and may block. Everything else is a quick local call. Network
/// failures are not errors: they end a pass with `PassOutcome.Interrupted` and the
/// outbox retries with backoff; only local storage failures throw.
#[derive(uniffi::Object)]
pub struct CordonSync {
    engine: Arc<SyncEngine>,
}

impl CordonSync {
    fn over(store: &CordonStore, transport: Arc<dyn Transport>, config: SyncConfig) -> Arc<Self> {
        Arc::new(CordonSync {
            engine: Arc::new(SyncEngine::new(store.core().clone(), transport, config)),
        })
    }
}

#[uniffi::export]
impl CordonSync {
    /// A sync engine that sends its HTTP requests through `transport`, the app's own
    /// stack (OkHttp, URLSession, ...), so that proxies, pinning and background sessions
    /// keep working.
    #[uniffi::constructor]
    pub fn new(
        store: Arc<CordonStore>,
        transport: Arc<dyn Transport>,
        config: SyncConfig,
    ) -> Arc<Self> {
        Self::over(&store, transport, config)
    }

    /// Redeems a one-time enrolment code from the office: stores the device's token and
    /// officer id, and returns them (keep the token in the keystore if you like).
    pub async fn enrol(&self, code: String) -> Result<EnrolResponse, CordonError> {
        let engine = self.engine.clone();
        worker::run("enrol", move || engine.enrol(&code)).await
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
    /// attachment bytes (an alarm raised meanwhile goes out before the next chunk).
    /// A pass already running makes this return `PassOutcome.AlreadyRunning`.
    pub async fn sync_once(&self) -> Result<PassSummary, CordonError> {
        let engine = self.engine.clone();
        worker::run("sync", move || engine.sync_once()).await
    }

    /// Runs passes until nothing due is left, a pass stops short, or `max_passes` ran
    /// (what a WorkManager / BGTaskScheduler job calls); returns every pass's report.
    pub async fn sync_until_drained(
        &self,
        max_passes: u32,
    ) -> Result<Vec<PassSummary>, CordonError> {
        let engine = self.engine.clone();
        worker::run("sync", move || engine.sync_until_drained(max_passes)).await
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
    pub fn with_built_in_http(store: Arc<CordonStore>, config: SyncConfig) -> Arc<Self> {
        Self::over(
            &store,
            Arc::new(cordon_core::sync::HttpTransport::new()),
            config,
        )
    }
}
