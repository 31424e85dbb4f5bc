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

use cordon_core::{CordonError, DeviceIdentity, Store, StoreKey};
use zeroize::Zeroizing;

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

    /// Opens (creating if needed) the store at `path` with its database encrypted by
    /// `key`: 32 bytes the app keeps in the Android Keystore or the iOS Keychain (the core
    /// keeps no copy, and wipes the bytes it was given). A plaintext store at `path` is
    /// encrypted on the way, its queue intact. A key of another length is
    /// `CordonError.InvalidKey`; a store encrypted with another key (or an encrypted store
    /// opened with `open`) is `CordonError.WrongKey`, and the file is left as it was.
    #[uniffi::constructor]
    pub fn open_encrypted(path: String, key: Vec<u8>) -> Result<Arc<Self>, CordonError> {
        let key = store_key(key)?;
        Ok(Arc::new(CordonStore {
            store: Arc::new(Store::open_encrypted(path, key)?),
        }))
    }

    /// Re-encrypts the database with `new_key` (32 bytes), then seals every attachment
    /// file again under it: afterwards only `new_key` opens the store, and the old key is
    /// `CordonError.WrongKey`. Every record and the queue stay as they were. Close other
    /// handles on the same file first. Keep the old key until this returns: cut short
    /// after the database step (the app killed, or an error), the store opens with
    /// `new_key` and `rekeyUnfinished()` is true until `finishRekey(oldKey)`.
    pub fn rekey(&self, new_key: Vec<u8>) -> Result<(), CordonError> {
        self.store.rekey(store_key(new_key)?)
    }

    /// Whether a rekey was cut short after re-encrypting the database: some attachment
    /// files are still under the old key, and cannot be read or uploaded until
    /// `finishRekey` is given it (their uploads wait; nothing is lost). Check it after
    /// opening with a new key.
    pub fn rekey_unfinished(&self) -> bool {
        self.store.rekey_unfinished()
    }

    /// Finishes a rekey cut short: seals the files still under `old_key` (the key the
    /// store had before the rekey) again under the store's key. Returns how many files
    /// were sealed again (0 when no rekey is unfinished). Another key is
    /// `CordonError.WrongKey` and changes nothing; a key of the wrong length is
    /// `CordonError.InvalidKey`. Cut short again, call it again.
    pub fn finish_rekey(&self, old_key: Vec<u8>) -> Result<i32, CordonError> {
        let resealed = self.store.finish_rekey(store_key(old_key)?)?;
        Ok(i32::try_from(resealed).unwrap_or(i32::MAX))
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

/// A [`StoreKey`] from the bytes the app passed, which are wiped here whatever the
/// outcome.
fn store_key(bytes: Vec<u8>) -> Result<StoreKey, CordonError> {
    let bytes = Zeroizing::new(bytes);
    StoreKey::from_bytes(&bytes)
}
