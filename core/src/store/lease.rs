//! Which store handle has an operation in flight.
//!
//! Every open `Store` takes a lease: a random 63-bit number (small in the outbox's rows
//! and index), and a file `<number in hex>.lock` in the
//! directory `<db>.leases/` beside the database, locked for as long as the handle lives
//! (the operating system drops the lock when the process dies, however it dies). An
//! operation taken for a request records the lease of the handle that took it. Opening
//! the store then releases only what was taken under a lease nobody holds: a second
//! process on the same file (an app and its widget or extension) no longer pulls back
//! and resends what the first is sending.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{CordonError, Result};

/// The directory of lease files beside a database.
pub(crate) struct LeaseDir {
    dir: PathBuf,
}

impl LeaseDir {
    pub(crate) fn beside(db: &Path) -> Result<Self> {
        let dir = Self::path_beside(db);
        std::fs::create_dir_all(&dir).map_err(|e| CordonError::io(&dir, e))?;
        Ok(LeaseDir { dir })
    }

    /// `<db>.leases`, the directory's path (whether or not it exists).
    pub(crate) fn path_beside(db: &Path) -> PathBuf {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".leases");
        db.with_file_name(name)
    }

    fn file(&self, id: i64) -> PathBuf {
        self.dir.join(format!("{id:016x}.lock"))
    }

    /// Takes a new lease, held until the returned value is dropped.
    pub(crate) fn take(&self) -> Result<Lease> {
        // A random id among 2^63: no two live handles share one.
        let id = (uuid::Uuid::new_v4().as_u64_pair().0 >> 1) as i64;
        let path = self.file(id);
        let file = File::create(&path).map_err(|e| CordonError::io(&path, e))?;
        file.lock().map_err(|e| CordonError::io(&path, e))?;
        Ok(Lease {
            id,
            path,
            _file: file,
        })
    }

    /// Whether a handle holding lease `id` is alive. A lease file nobody holds is removed.
    pub(crate) fn is_alive(&self, id: i64) -> bool {
        let path = self.file(id);
        let Ok(file) = File::open(&path) else {
            return false; // no file: its handle is gone
        };
        match file.try_lock() {
            Ok(()) => {
                drop(file);
                let _ = std::fs::remove_file(&path);
                false
            }
            Err(std::fs::TryLockError::WouldBlock) => true,
            // Cannot tell: keep its operations rather than send them twice.
            Err(std::fs::TryLockError::Error(_)) => true,
        }
    }

    /// Removes the lease files of handles that are gone (what a killed process left).
    pub(crate) fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let id = name
                .to_str()
                .and_then(|n| n.strip_suffix(".lock"))
                .and_then(|hex| i64::from_str_radix(hex, 16).ok());
            if let Some(id) = id {
                let _ = self.is_alive(id);
            }
        }
    }
}

/// A held lease: the lock on its file lasts as long as this value.
pub(crate) struct Lease {
    id: i64,
    path: PathBuf,
    _file: File,
}

impl Lease {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Gone with the handle; the lock goes when the file closes, just after.
        let _ = std::fs::remove_file(&self.path);
    }
}
