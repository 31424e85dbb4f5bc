//! [`CordonStore`]: the on-device store as an app sees it. One method per core call,
//! one file per record family (each its own exported `impl` block).

mod alarms;
mod assignments;
mod attachments;
mod check_ins;
mod handovers;
mod messages;
mod movements;
mod outbox;
mod post_orders;
mod reports;
mod rota;
mod sightings;

use std::sync::Arc;

use cordon_core::{CordonError, DeviceIdentity, Store};

/// Cordon's on-device store: the officer's records and the outbox that delivers them.
///
/// Open one per database file and share it: every method is safe from any thread, and
/// each write is one transaction (success means committed; an error means nothing was
/// written). Methods are short local calls; on Android call them off the main thread as
/// for any disk access. Close it (`close()` / `use {}` in Kotlin, or drop the last
/// reference in Swift) when done; a [`CordonSync`](crate::CordonSync) keeps it open
/// while it lives.
#[derive(uniffi::Object)]
pub struct CordonStore {
    store: Arc<Store>,
}

impl CordonStore {
    pub(crate) fn core(&self) -> &Arc<Store> {
        &self.store
    }
}

#[uniffi::export]
impl CordonStore {
    /// Opens (creating if needed) the store at `path`, with attachments in the directory
    /// `<path>.attachments` beside it. A corrupt file, another application's database or
    /// one from a newer version is refused with a typed error and left untouched.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, CordonError> {
        Ok(Arc::new(CordonStore {
            store: Arc::new(Store::open(path)?),
        }))
    }

    /// The database file this store was opened at.
    pub fn path(&self) -> String {
        self.store.path().to_string_lossy().into_owned()
    }

    /// This device's id (made on first open) and, once enrolled, its officer.
    pub fn device_identity(&self) -> Result<DeviceIdentity, CordonError> {
        self.store.device_identity()
    }
}
