//! The on-device schema and its migrations.
//!
//! The schema version lives in `PRAGMA user_version`; `PRAGMA application_id` marks the
//! file as Cordon's. Opening runs, in order:
//! 1. **inspect**: read both pragmas without writing anything. A file that is not a
//!    SQLite database, a SQLite file of another application, or a Cordon database from a
//!    newer build is refused with a typed error and left exactly as it was.
//! 2. **init** a new file straight to the current version, or **upgrade** an older one
//!    one version step at a time, each step in its own transaction that also sets
//!    `user_version`, so a crash mid-way leaves the file at a whole version.
//!
//! Migrations add; they never drop or rewrite the outbox's pending operations (their
//! ids, sequence numbers and payloads are what the server deduplicates on).

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{CordonError, Result};

/// `PRAGMA application_id` of a Cordon database: "CORD" in ASCII.
pub const APPLICATION_ID: i64 = 0x434F_5244;

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = STEPS.len() as i64;

/// `STEPS[n]` takes a database from version `n` to `n + 1`.
const STEPS: [&str; 2] = [V1, V1_TO_V2];

/// Version 1: the first released schema.
pub(crate) const V1: &str = include_str!("schema_v1.sql");

/// Version 1 → 2: operations may depend on another record's operations (an attachment
/// on its report) and count how often they were sent; attachments cannot be deleted;
/// dead operations that are discarded are archived, not deleted; the
/// sync engine gets a key-value table for its cursor and clock offset, and the office's
/// review outcomes arrive through the pull feed.
const V1_TO_V2: &str = "
    ALTER TABLE outbox ADD COLUMN depends_on TEXT;
    -- How many times the operation was handed to the sync engine. Never reset (unlike
    -- the state), so an update that may have reached the server is never rewritten.
    ALTER TABLE outbox ADD COLUMN sends INTEGER NOT NULL DEFAULT 0;
    -- An attachment's metadata depends on its report, as version 2 would record; its
    -- bytes follow the metadata (same record) and need no link of their own.
    UPDATE outbox SET depends_on =
        (SELECT report_id FROM attachment WHERE attachment.id = outbox.entity_id)
        WHERE kind = 'attachment.create';
    -- A report's later operations wait for the metadata of attachments queued before
    -- them (the server checks a submission's attachments), and vice versa.
    CREATE INDEX outbox_by_dependency ON outbox(depends_on, seq) WHERE depends_on IS NOT NULL;
    CREATE TRIGGER attachment_no_delete BEFORE DELETE ON attachment
    BEGIN SELECT RAISE(ABORT, 'attachments are kept'); END;
    CREATE TABLE discarded_operation (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        payload_version INTEGER NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        discarded_at INTEGER NOT NULL
    );
    CREATE TABLE sync_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE report_review (
        cursor TEXT PRIMARY KEY,
        report_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        note TEXT,
        reviewed_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX report_review_by_report ON report_review(report_id, reviewed_at);
";

/// Reads the pragmas that say what the file is, writing nothing, and refuses files that
/// must not be touched. Returns the file's schema version (0: new, empty file).
pub(crate) fn inspect(conn: &Connection, path: &Path) -> Result<i64> {
    // One statement, so one snapshot: another process may be creating the file.
    let (version, app_id, objects): (i64, i64, i64) = super::retry_while_busy(|| {
        conn.query_row(
            "SELECT (SELECT user_version FROM pragma_user_version()),
                    (SELECT application_id FROM pragma_application_id()),
                    (SELECT count(*) FROM sqlite_schema)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    })
    .map_err(|e| CordonError::from_sqlite_at(path, e))?;
    let corrupt = |detail: String| CordonError::Corrupt {
        path: path.display().to_string(),
        detail,
    };
    if app_id != APPLICATION_ID && (app_id != 0 || version != 0 || objects != 0) {
        return Err(corrupt(format!(
            "a SQLite database of another application (application_id {app_id:#x}, \
             user_version {version}, {objects} schema objects)"
        )));
    }
    if version > CURRENT_VERSION {
        return Err(CordonError::IncompatibleVersion {
            path: path.display().to_string(),
            found: version,
            supported: CURRENT_VERSION,
        });
    }
    if app_id == APPLICATION_ID && version < 1 {
        return Err(corrupt("Cordon database with no schema version".into()));
    }
    Ok(version)
}

/// Brings the schema to [`CURRENT_VERSION`], one step per transaction. The version is
/// read again inside each exclusive transaction, so two processes opening the same old
/// (or new) file at once take turns instead of applying a step twice.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let from: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let Some(sql) = usize::try_from(from).ok().and_then(|v| STEPS.get(v)) else {
            return Ok(()); // at the current version (a newer one was refused by inspect)
        };
        let to = from + 1;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "application_id", APPLICATION_ID))
            .and_then(|()| tx.pragma_update(None, "user_version", to))
            .map_err(|e| CordonError::Storage {
                detail: format!("migration from schema version {from} to {to} failed: {e}"),
            })?;
        tx.commit()?;
    }
}
