//! The on-device store: one SQLite file (SQLite3 Multiple Ciphers, WAL; encrypted at rest
//! when opened with a key) and a directory of attachment files beside it.
//!
//! What it promises:
//! - **One opener for every Cordon database** ([`crate::sqlite::open`], shared with the
//!   server): inspect read-only, then pragmas, then one migration step per transaction
//!   ([`schema`] holds the steps). A corrupt file, another application's database or one
//!   from a newer build gives a typed error and is never deleted or overwritten.
//! - **Every write is one transaction** holding the record and its outbox operation
//!   ([`Store::write`]). A call that returned `Ok` is committed; a call that returned an
//!   error wrote nothing. Duress and panic commit with `synchronous=FULL`; other writes
//!   with WAL's `NORMAL`, which survives a killed process.
//! - **Safe from many threads**: the store is `Send + Sync`; calls are serialised on one
//!   connection, so no caller ever sees `SQLITE_BUSY` from its own process. Another
//!   process on the same file is waited for through the busy timeout.
//!
//! Records live in the files beside this one: [`assignments`], [`check_ins`],
//! [`reports`], [`attachments`], [`messages`] (from the control room); the outbox and its SQL are in [`outbox`].

mod alarms;
mod assignments;
mod attachments;
mod check_ins;
mod destroy;
#[cfg(test)]
mod encryption_tests;
mod handovers;
mod lease;
mod messages;
mod movements;
pub mod outbox;
mod post_orders;
#[cfg(test)]
mod rekey_tests;
mod reports;
mod rota;
pub(crate) mod schema;
mod sealing;
mod sightings;
pub(crate) mod sync_state;

pub use reports::NewAmendment;
pub use rota::{shift_from_row, RowColumns};
pub use sealing::{reseal_attachments, seal_existing_attachments};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};

use zeroize::Zeroizing;

use crate::crypto::StoreKey;
use crate::error::{CordonError, Result};
use crate::retry::{Random, SystemRandom};
use crate::sqlite::{Cipher, DatabaseKey};
use crate::time::{Clock, SystemClock, Timestamp};

/// How hard a commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// WAL with `synchronous=NORMAL`: durable once the call returns, even if the process
    /// is killed; a power cut may lose the last commits.
    Normal,
    /// `synchronous=FULL`: the WAL is synced at commit, so a power cut loses nothing.
    Full,
}

/// The device's identity, made on first open and kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeviceIdentity {
    pub device_id: String,
    pub officer_id: Option<String>,
    pub created_at: Timestamp,
}

/// Cordon's on-device store. Cheap to share: wrap it in an `Arc` and call it from any
/// thread.
pub struct Store {
    conn: Mutex<Connection>,
    /// A second, read-only connection for reads: in WAL mode a reader never waits for the
    /// writer nor holds it up, so a status screen reading a long outbox does not delay a
    /// duress alarm being written.
    reader: Mutex<Connection>,
    path: PathBuf,
    attachments_dir: PathBuf,
    clock: Arc<dyn Clock>,
    /// Draws the jitter of retry delays.
    random: Arc<dyn Random>,
    device_id: String,
    /// This handle's claim on the operations it takes (see `lease`).
    lease: lease::Lease,
    /// One sync pass at a time on this store, whichever engine runs it.
    pub(crate) pass_gate: PassGate,
    /// Set once the office's revocation destroyed what the store held (`destroy.rs`).
    destroyed: std::sync::atomic::AtomicBool,
    /// How the database is encrypted (never the key): `None` for a plaintext store.
    encryption: Option<Encryption>,
    /// The attachment files' subkey (`None`: plaintext files), for their encryption.
    pub(crate) attachment_key: std::sync::RwLock<Option<Zeroizing<[u8; 32]>>>,
    /// The id (hex) of the key some files are still under after a rekey whose file step
    /// did not finish: [`Store::finish_rekey`] takes that key.
    rekey_pending: Mutex<Option<String>>,
}

/// How a store's database is encrypted: what a new connection or a rekey needs besides
/// the key.
#[derive(Debug, Clone, Copy)]
struct Encryption {
    cipher: Cipher,
    plaintext_header: bool,
}

impl Encryption {
    fn key(self, key: &StoreKey) -> DatabaseKey {
        DatabaseKey::new(&key.database_key(), self.cipher, self.plaintext_header)
    }
}

/// How [`Store::open_with_options`] opens a store.
pub struct StoreOptions {
    pub clock: Arc<dyn Clock>,
    /// Draws the jitter of retry delays.
    pub random: Arc<dyn Random>,
    /// The store's key: `Some` encrypts the database (a plaintext store found at the path
    /// is encrypted on the way, its queue intact); `None` opens a plaintext store.
    pub key: Option<StoreKey>,
    /// Leaves SQLite's 32-byte header unencrypted, so that iOS recognises the file as a
    /// database in WAL mode and does not end the app for holding it locked while in the
    /// background. On by default on iOS, off elsewhere. Chosen when the file is
    /// encrypted; a store is opened again with the same setting.
    pub plaintext_header: bool,
    /// The cipher: AEGIS-256 (the default, chosen by measurement; see
    /// docs/PERFORMANCE.md). Only for the benchmark that compares the schemes.
    #[doc(hidden)]
    pub cipher: Cipher,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            clock: Arc::new(SystemClock),
            random: Arc::new(SystemRandom),
            key: None,
            plaintext_header: cfg!(target_os = "ios"),
            cipher: Cipher::Aegis,
        }
    }
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions")
            .field("key", &self.key)
            .field("plaintext_header", &self.plaintext_header)
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

/// Lets one sync pass at a time run on a store. It lives with the store rather than the
/// engine so that two engines over one store (two `CordonSync` objects in an app) answer
/// each other `AlreadyRunning` instead of sending the same outbox side by side.
#[derive(Debug, Default)]
pub(crate) struct PassGate {
    pub(crate) running: Mutex<()>,
    /// Set when a pass was asked for while one ran: the running pass goes round again,
    /// so an alarm written meanwhile is not left behind.
    pub(crate) rerun: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path`, with attachments in the directory
    /// `<path>.attachments` beside it, on the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Opens the store reading time from `clock`.
    pub fn open_with_clock(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self> {
        Self::open_with(path, clock, Arc::new(SystemRandom))
    }

    /// Opens the store reading time from `clock` and drawing retry jitter from `random`
    /// (tests and simulators pass fixed or seeded ones).
    pub fn open_with(
        path: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self> {
        Self::open_with_options(
            path,
            StoreOptions {
                clock,
                random,
                ..StoreOptions::default()
            },
        )
    }

    /// Opens (creating if needed) the store at `path` encrypted with `key`, on the system
    /// clock. A plaintext store at `path` is encrypted first, its queue intact; a store
    /// encrypted with another key is [`CordonError::WrongKey`], left as it was. The core
    /// keeps no copy of `key`: the app keeps it in the Keystore or the Keychain.
    pub fn open_encrypted(path: impl AsRef<Path>, key: StoreKey) -> Result<Self> {
        Self::open_with_options(
            path,
            StoreOptions {
                key: Some(key),
                ..StoreOptions::default()
            },
        )
    }

    /// Opens the store as `options` say (see [`StoreOptions`]).
    pub fn open_with_options(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self> {
        let StoreOptions {
            clock,
            random,
            key,
            plaintext_header,
            cipher,
        } = options;
        let path = path.as_ref().to_path_buf();
        let encryption = key.as_ref().map(|_| Encryption {
            cipher,
            plaintext_header,
        });
        let db_key = key
            .as_ref()
            .zip(encryption)
            .map(|(key, encryption)| encryption.key(key));
        let attachment_key = key.as_ref().map(StoreKey::attachment_key);
        drop(key);
        let mut conn = crate::sqlite::open_keyed(&path, &schema::DEVICE_STORE, db_key.as_ref())?;

        let attachments_dir = attachments_dir_for(&path);
        std::fs::create_dir_all(&attachments_dir)
            .map_err(|e| CordonError::io(&attachments_dir, e))?;
        attachments::remove_abandoned_copies(&attachments_dir)?;

        let leases = lease::LeaseDir::beside(&path)?;
        leases.sweep();
        let lease = leases.take()?;

        let now = clock.now();
        let taken = outbox::in_flight(&conn)?;
        let device_id = {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<String> = tx
                .query_row("SELECT device_id FROM device", [], |r| r.get(0))
                .optional()?;
            let id = match existing {
                Some(id) => id,
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    tx.execute(
                        "INSERT INTO device (singleton, device_id, created_at) VALUES (1, ?1, ?2)",
                        (&id, now),
                    )?;
                    id
                }
            };
            // Operations in flight under a handle that is gone were never acknowledged:
            // send them again (the server's receipts make that harmless). A live
            // handle's stay with it.
            outbox::release_abandoned(&tx, &leases, &taken, now)?;
            tx.commit()?;
            id
        };

        let reader = open_reader(&path, db_key.as_ref())?;
        drop(db_key);
        // Files written before the store had a key (a plaintext store encrypted on the way,
        // or a sealing cut short) are sealed now, unless the store's mark says every file
        // is under this key already. Files still under the key before a rekey wait for it
        // (`finish_rekey`); the store opens either way, and nothing is lost.
        let rekey_pending = match attachment_key.as_ref() {
            Some(key) => match sealing::on_open(&conn, &attachments_dir, key)? {
                sealing::OnOpen::RekeyUnfinished { old_key_id } => {
                    tracing::warn!(
                        old_key_id = old_key_id.as_str(),
                        "attachment files still under the key before the last rekey: \
                         finish_rekey with that key"
                    );
                    Some(old_key_id)
                }
                sealing::OnOpen::Sealed | sealing::OnOpen::Unknown => None,
            },
            None => None,
        };

        Ok(Store {
            conn: Mutex::new(conn),
            reader: Mutex::new(reader),
            path,
            attachments_dir,
            clock,
            random,
            device_id,
            lease,
            pass_gate: PassGate::default(),
            destroyed: std::sync::atomic::AtomicBool::new(false),
            encryption,
            attachment_key: std::sync::RwLock::new(attachment_key),
            rekey_pending: Mutex::new(rekey_pending),
        })
    }

    /// Whether the database is encrypted at rest (opened with a key).
    pub fn is_encrypted(&self) -> bool {
        self.encryption.is_some()
    }

    /// Re-encrypts the database with `new_key` (for a key rotated in the Keystore or the
    /// Keychain), then seals every attachment file again under it: afterwards only
    /// `new_key` opens the store; the old one is [`CordonError::WrongKey`]. Every record
    /// and the queue stay as they were. A store opened without a key has none to change
    /// ([`CordonError::InvalidKey`]: open it with [`Store::open_encrypted`], which
    /// encrypts it). Other handles on the same file must be closed first: they hold the
    /// old key.
    ///
    /// Cut short after the database step (a crash, or an error sealing a file), the
    /// store is under `new_key` with some files still under the old key, and says so:
    /// [`rekey_unfinished`](Self::rekey_unfinished) is true on this handle and on any
    /// store opened with `new_key` afterwards, until [`finish_rekey`](Self::finish_rekey)
    /// is given the old key. Keep the old key until then. Cut short before it, the store
    /// is still under the old key, as if the rekey had not been asked for.
    pub fn rekey(&self, new_key: StoreKey) -> Result<()> {
        let Some(encryption) = self.encryption else {
            return Err(CordonError::InvalidKey {
                reason: "this store was opened without a key, so it has none to change; \
                         open it with its key (open_encrypted encrypts a plaintext store)"
                    .into(),
            });
        };
        if let Some(old_key_id) = self.pending_rekey() {
            return Err(CordonError::InvalidKey {
                reason: format!(
                    "a rekey is unfinished (files under key {old_key_id}): finish_rekey \
                     with that key first"
                ),
            });
        }
        let db_key = encryption.key(&new_key);
        let new_files = new_key.attachment_key();
        drop(new_key);
        let Some(old_files) = self.file_key() else {
            unreachable!("an encrypted store has an attachment key")
        };
        let old_id = sealing::id_hex(&old_files);
        let mark = sealing::Mark {
            files_key_id: None,
            rekey: Some((old_id.clone(), sealing::id_hex(&new_files))),
        };
        // First the mark, under the old key: a crash from here on is finished, or
        // forgotten, by the next open (`sealing::on_open`).
        let before = self.read(sealing::Mark::read)?;
        self.write(Durability::Full, |tx| mark.write(tx))?;
        {
            let conn = self.lock();
            let mut reader = self
                .reader
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            self.refuse_if_destroyed()?;
            // The reader, idle, still holds the old key until it is replaced; if the rekey
            // fails, the file keeps the old key and the mark what it said (the next open
            // forgets the rekey's should this not be written).
            if let Err(e) = crate::sqlite::rekey(&conn, &db_key) {
                let _ = before.write(&conn);
                return Err(CordonError::from_sqlite_at(&self.path, e));
            }
            // The database is under the new key: new files are sealed under it, and until
            // the old files are too, the rekey is pending.
            *self.lock_pending() = Some(old_id);
            *self
                .attachment_key
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(new_files);
            *reader = open_reader(&self.path, Some(&db_key))?;
        }
        #[cfg(test)]
        if let Some(e) = tests_hooks::after_database_rekey() {
            return Err(e);
        }
        self.finish_rekey_with(&old_files).map(|_| ())
    }

    /// Whether a rekey's file step is unfinished: some attachment files are still under
    /// the key the store had before its last rekey (cut short by a crash or an error).
    /// They cannot be read or uploaded until [`finish_rekey`](Self::finish_rekey) is
    /// given that key; everything else works.
    pub fn rekey_unfinished(&self) -> bool {
        self.pending_rekey().is_some()
    }

    /// Finishes a rekey cut short after its database step: seals the files still under
    /// `old_key` (the key the store had before) again under the store's key, each file
    /// replaced atomically, and records that every file is under it. Returns how many
    /// files were sealed again (0, and nothing done, when no rekey is unfinished). Any
    /// other key is [`CordonError::WrongKey`] and changes nothing. Cut short again, it
    /// is finished by calling it again.
    pub fn finish_rekey(&self, old_key: StoreKey) -> Result<u32> {
        let old_files = old_key.attachment_key();
        drop(old_key);
        let Some(pending) = self.pending_rekey() else {
            return Ok(0);
        };
        if sealing::id_hex(&old_files) != pending {
            return Err(CordonError::WrongKey {
                path: self.attachments_dir.display().to_string(),
            });
        }
        self.finish_rekey_with(&old_files)
    }

    /// Seals the files under `old_files` again under the store's key and clears the
    /// pending rekey, in the database and on this handle.
    fn finish_rekey_with(&self, old_files: &[u8; 32]) -> Result<u32> {
        let Some(new_files) = self.file_key() else {
            unreachable!("only an encrypted store has a rekey pending")
        };
        let resealed = sealing::reseal(&self.attachments_dir, old_files, &new_files)?;
        self.write(Durability::Full, |tx| {
            sealing::Mark::sealed_under(&new_files).write(tx)
        })?;
        *self.lock_pending() = None;
        Ok(u32::try_from(resealed).unwrap_or(u32::MAX))
    }

    fn pending_rekey(&self) -> Option<String> {
        self.lock_pending().clone()
    }

    fn lock_pending(&self) -> MutexGuard<'_, Option<String>> {
        self.rekey_pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory holding attachment files.
    pub fn attachments_dir(&self) -> &Path {
        &self.attachments_dir
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn device_identity(&self) -> Result<DeviceIdentity> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT device_id, officer_id, created_at FROM device",
                [],
                |r| {
                    Ok(DeviceIdentity {
                        device_id: r.get(0)?,
                        officer_id: r.get(1)?,
                        created_at: r.get(2)?,
                    })
                },
            )?)
        })
    }

    /// Records which officer uses this device (from enrolment).
    pub fn set_officer_id(&self, officer_id: &str) -> Result<()> {
        crate::model::validate::required_text(
            "officer_id",
            officer_id,
            crate::model::validate::MAX_SHORT_TEXT,
        )?;
        self.write(Durability::Normal, |tx| {
            tx.execute("UPDATE device SET officer_id = ?1", [officer_id])?;
            Ok(())
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction open (rusqlite rolls
        // back on drop), so the connection is still sound.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` in one write transaction and commits it; any error rolls everything back.
    pub(crate) fn write<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.lock();
        self.refuse_if_destroyed()?;
        if durability == Durability::Full {
            conn.pragma_update(None, "synchronous", "FULL")?;
        }
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        if durability == Durability::Full {
            // Best effort: failing to relax durability again costs speed, not data, and
            // must not turn a committed write into a reported failure.
            let _ = conn.pragma_update(None, "synchronous", "NORMAL");
        }
        result
    }

    /// `Revoked` once the store was destroyed (checked under the connection's lock, so
    /// no write or read slips in after the destruction began).
    fn refuse_if_destroyed(&self) -> Result<()> {
        if self.destroyed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CordonError::Revoked);
        }
        Ok(())
    }

    /// Runs `f` on the read-only connection, in one read transaction (one snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut reader = self
            .reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.refuse_if_destroyed()?;
        // One snapshot for every statement of the read.
        let tx = reader.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// The store's read-only connection, keyed like the writer.
fn open_reader(path: &Path, key: Option<&DatabaseKey>) -> Result<Connection> {
    let reader = crate::sqlite::connect(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        key,
    )?;
    reader.busy_timeout(schema::DEVICE_STORE.busy_timeout)?;
    Ok(reader)
}

/// `<db>.attachments` beside the database file.
fn attachments_dir_for(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".attachments");
    db.with_file_name(name)
}

/// Reads a JSON column written by the core.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    Ok(serde_json::from_str(json)?)
}

/// Makes a new record or operation id: UUIDv7, so ids sort by creation time.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The tests' fault injection into [`Store::rekey`].
#[cfg(test)]
pub(crate) mod tests_hooks {
    use crate::error::CordonError;

    thread_local! {
        /// Makes this thread's rekeys stop, as a killed process would, right after the
        /// database's rekey (the mark says a rekey is under way; no file was resealed).
        pub(crate) static CRASH_AFTER_DATABASE_REKEY: std::cell::Cell<bool> =
            const { std::cell::Cell::new(false) };
    }

    /// Set in a child test process: its rekey says so on stdout after the database step
    /// and then waits to be killed (`kill -9`) by the parent test.
    pub(crate) const PAUSE_AFTER_DATABASE_REKEY: &str = "CORDON_TEST_PAUSE_AFTER_DATABASE_REKEY";

    pub(super) fn after_database_rekey() -> Option<CordonError> {
        if std::env::var_os(PAUSE_AFTER_DATABASE_REKEY).is_some() {
            println!("database rekeyed");
            loop {
                std::thread::park();
            }
        }
        CRASH_AFTER_DATABASE_REKEY
            .with(|c| c.get())
            .then(|| CordonError::Storage {
                detail: "injected crash after the database's rekey".into(),
            })
    }
}
