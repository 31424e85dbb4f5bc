//! What a revoked device does with what it holds: name what it had not sent, then destroy
//! its database and attachment copies. Only the sync engine calls [`Store::destroy`], on
//! the office's word (`401 revoked`, an audited revocation); nothing else in the core
//! deletes a database or an attachment.
//!
//! Removing files does not scrub the flash they were on; encryption at rest, with the key
//! destroyed too, is what makes the removal final (`docs/PROTOCOL.md`, Revocation).

use std::path::Path;
use std::sync::atomic::Ordering;

use rusqlite::Connection;

use super::Store;
use crate::error::{CordonError, Result};
use crate::protocol::{UnsentOperation, MAX_UNSENT_LISTED};

/// What [`Store::destroy`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Destruction {
    /// Files removed: the database, its journal files, attachment copies, lease files.
    pub files_removed: i32,
}

impl Store {
    /// Every operation not yet delivered (pending, in flight or dead), counted, and the
    /// first [`MAX_UNSENT_LISTED`] named (kind, record, time), oldest first.
    pub fn unsent_operations(&self) -> Result<(i64, Vec<UnsentOperation>)> {
        self.read(|c| {
            let total: i64 = c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
            let listed = c
                .prepare_cached(
                    "SELECT kind, record_id, created_at FROM outbox ORDER BY seq LIMIT ?1",
                )?
                .query_map([MAX_UNSENT_LISTED as i64], |r| {
                    Ok(UnsentOperation {
                        kind: r.get(0)?,
                        record_id: r.get(1)?,
                        created_at: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok((total, listed))
        })
    }

    /// Destroys what this store holds: closes its connections, removes the database and
    /// its journal files, the attachment copies and the lease files. Every later call on
    /// this store answers [`CordonError::Revoked`]. Called once the office has revoked
    /// the device; a second call answers `Revoked` and removes nothing more.
    pub(crate) fn destroy(&self) -> Result<Destruction> {
        let mut conn = self.lock();
        let mut reader = self
            .reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.destroyed.swap(true, Ordering::SeqCst) {
            return Err(CordonError::Revoked);
        }
        // Closing the file's connections first: a removed file held open would live on.
        *conn = Connection::open_in_memory()?;
        *reader = Connection::open_in_memory()?;
        drop((conn, reader));
        let mut removed = 0;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            removed += remove_file(Path::new(&name))?;
        }
        removed += remove_tree(&self.attachments_dir)?;
        removed += remove_tree(&super::lease::LeaseDir::path_beside(&self.path))?;
        tracing::warn!(
            files = removed,
            "store destroyed: the office revoked this device"
        );
        Ok(Destruction {
            files_removed: removed,
        })
    }
}

fn remove_file(path: &Path) -> Result<i32> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(1),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(CordonError::io(path, e)),
    }
}

/// Removes a directory and everything in it; returns how many files it held.
fn remove_tree(dir: &Path) -> Result<i32> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(CordonError::io(dir, e)),
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry.map_err(|e| CordonError::io(dir, e))?.path();
        removed += if path.is_dir() {
            remove_tree(&path)?
        } else {
            remove_file(&path)?
        };
    }
    std::fs::remove_dir(dir).map_err(|e| CordonError::io(dir, e))?;
    Ok(removed)
}
