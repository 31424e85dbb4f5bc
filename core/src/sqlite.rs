//! Opening a SQLite file of Cordon's: the one opener the device's store and the office's
//! server share.
//!
//! The story of opening, in order:
//! 1. **Look before touching.** A new database is made only where no file exists, and
//!    it is built under a temporary name and linked into place whole, so a file at the
//!    path is never half-made: an empty (0-byte) or truncated file there is damage, refused
//!    like any corrupt file, before SQLite opens it (so it gains no `-wal`/`-shm`).
//!    An existing file is then inspected through a read-only
//!    connection (a read-write one could write even while refusing the file: a WAL
//!    checkpoint as it closes). `PRAGMA application_id` and `user_version` say what it is:
//!    a file that is not SQLite, another application's database (including the other
//!    end's: a server database is not a device store) or a file from a newer build is
//!    refused with a typed error ([`CordonError::Corrupt`],
//!    [`CordonError::IncompatibleVersion`]) and left byte for byte as it was.
//! 2. **Prepare** the read-write connection: busy timeout, WAL, the schema's
//!    `synchronous` level, foreign keys.
//! 3. **Migrate** one version step at a time: `steps[n]` takes version `n` to `n + 1`, in
//!    its own exclusive transaction that also sets `user_version` and `application_id`,
//!    so a crash leaves the file at a whole version, and two processes opening one old
//!    file take turns instead of applying a step twice. A new file runs every step, so a
//!    fresh database and an upgraded one are built by the same statements.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{CordonError, InputRule, Result};

/// What a kind of database is, and how it is opened.
#[derive(Debug)]
pub struct Schema {
    /// For messages: "device store", "server database".
    pub name: &'static str,
    /// `PRAGMA application_id` marking the file as this kind's.
    pub application_id: i64,
    /// `steps[n]` takes the schema from version `n` to `n + 1`.
    pub steps: &'static [&'static str],
    /// `PRAGMA synchronous` for ordinary commits: `NORMAL` or `FULL`.
    pub synchronous: &'static str,
    /// How long a statement waits for another process holding the file.
    pub busy_timeout: Duration,
}

impl Schema {
    /// The version this build writes.
    pub fn version(&self) -> i64 {
        self.steps.len() as i64
    }
}

/// Opens (creating if needed) the database at `path` as `schema` says, refusing files that
/// must not be touched (see the module docs).
pub fn open(path: &Path, schema: &Schema) -> Result<Connection> {
    // SQLite reads "" as a temporary database discarded on close: every record lost.
    if path.as_os_str().is_empty() || path.is_dir() {
        return Err(CordonError::invalid(
            "path",
            InputRule::BadFormat,
            format!(
                "{:?} is not a database file path",
                path.display().to_string()
            ),
        ));
    }
    if !examine(path, schema)? {
        create(path, schema)?;
    }
    {
        let look = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| CordonError::from_sqlite_at(path, e))?;
        look.busy_timeout(schema.busy_timeout)?;
        inspect(&look, path, schema)?;
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| CordonError::from_sqlite_at(path, e))?;
    let at = |e| CordonError::from_sqlite_at(path, e);
    conn.busy_timeout(schema.busy_timeout).map_err(at)?;
    // Switching to WAL takes the file exclusively for a moment, and SQLite does not wait
    // for that through the busy handler: another process opening the same new file at
    // the same time is waited for here.
    retry_while_busy(schema.busy_timeout, || {
        conn.pragma_update(None, "journal_mode", "WAL")
    })
    .map_err(at)?;
    conn.pragma_update(None, "synchronous", schema.synchronous)
        .map_err(at)?;
    conn.pragma_update(None, "foreign_keys", true).map_err(at)?;
    migrate(&mut conn, schema)?;
    Ok(conn)
}

/// Looks at the bytes of the file at `path` without opening it with SQLite: `false` if
/// there is none; an error if what is there cannot be a whole SQLite database (empty,
/// shorter than a header, not SQLite's magic, or shorter than its own header says).
fn examine(path: &Path, schema: &Schema) -> Result<bool> {
    use std::io::Read;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(CordonError::io(path, e)),
    };
    let corrupt = |detail: String| CordonError::Corrupt {
        path: path.display().to_string(),
        detail,
    };
    let len = meta.len();
    if len == 0 {
        return Err(corrupt(format!(
            "an empty file (0 bytes), not a {}: a new one is made only where no file exists",
            schema.name
        )));
    }
    let mut header = [0u8; 100];
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(100).read(&mut header))
        .map_err(|e| CordonError::io(path, e))?;
    if len < 100 || read < 100 {
        return Err(corrupt(format!(
            "truncated to {len} bytes, shorter than a SQLite header"
        )));
    }
    if &header[..16] != b"SQLite format 3\0" {
        return Err(corrupt(format!(
            "not a SQLite database, so not a {}",
            schema.name
        )));
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let (change_counter, pages, valid_for) = (be32(24), u64::from(be32(28)), be32(92));
    // The header's page count is trustworthy when it was written with the counter it
    // names; and with no write-ahead log beside the file, no checkpoint can be growing it.
    let wal = path.with_file_name(format!(
        "{}-wal",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    if valid_for == change_counter && len < pages * page_size && !wal.exists() {
        return Err(corrupt(format!(
            "truncated: {len} bytes where its header says {pages} pages of {page_size}"
        )));
    }
    Ok(true)
}

/// Makes a new database at `path`: built at a temporary name beside it (every step, WAL
/// set), closed, synced, then linked into place only if `path` is still free. If another
/// process linked its own first, that one is used and ours is discarded.
fn create(path: &Path, schema: &Schema) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.creating", uuid::Uuid::new_v4()));
    let companions = |p: &Path| {
        let n = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        [
            p.with_file_name(format!("{n}-wal")),
            p.with_file_name(format!("{n}-shm")),
        ]
    };
    let result = (|| {
        let at = |e| CordonError::from_sqlite_at(path, e);
        let mut conn = Connection::open_with_flags(
            &temp,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(at)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(at)?;
        migrate(&mut conn, schema)?;
        // The last connection's close checkpoints the log into the file.
        conn.close().map_err(|(_, e)| at(e))?;
        std::fs::File::open(&temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| CordonError::io(&temp, e))?;
        match std::fs::hard_link(&temp, path) {
            Ok(()) => std::fs::File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| CordonError::io(&dir, e)),
            // Another process made it first: its file is the database.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(CordonError::io(path, e)),
        }
    })();
    let _ = std::fs::remove_file(&temp);
    for c in companions(&temp) {
        let _ = std::fs::remove_file(c);
    }
    result
}

/// Reads the pragmas that say what the file is, writing nothing, and refuses files that
/// must not be touched. Returns the file's schema version (0: new, empty file).
pub fn inspect(conn: &Connection, path: &Path, schema: &Schema) -> Result<i64> {
    // One statement, so one snapshot: another process may be creating the file.
    let (version, app_id, objects): (i64, i64, i64) = retry_while_busy(schema.busy_timeout, || {
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
    if app_id != schema.application_id && (app_id != 0 || version != 0 || objects != 0) {
        return Err(corrupt(format!(
            "not a {}: a SQLite database of another application (application_id \
             {app_id:#x}, user_version {version}, {objects} schema objects)",
            schema.name
        )));
    }
    if version > schema.version() {
        return Err(CordonError::IncompatibleVersion {
            path: path.display().to_string(),
            found: version,
            supported: schema.version(),
        });
    }
    if app_id == schema.application_id && version < 1 {
        return Err(corrupt(format!("{} with no schema version", schema.name)));
    }
    Ok(version)
}

/// Brings the schema to its current version, one step per transaction. The version is
/// read again inside each exclusive transaction, so two processes opening the same old
/// (or new) file at once take turns.
fn migrate(conn: &mut Connection, schema: &Schema) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let from: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let Some(sql) = usize::try_from(from).ok().and_then(|v| schema.steps.get(v)) else {
            return Ok(()); // at the current version (a newer one was refused by inspect)
        };
        let to = from + 1;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "application_id", schema.application_id))
            .and_then(|()| tx.pragma_update(None, "user_version", to))
            .map_err(|e| CordonError::Storage {
                detail: format!(
                    "{} migration from schema version {from} to {to} failed: {e}",
                    schema.name
                ),
            })?;
        tx.commit()?;
        tracing::debug!(schema = schema.name, from, to, "database migrated");
    }
}

/// Retries `f` while SQLite reports the database busy or locked, for up to `timeout` (for
/// the few steps of opening that SQLite does not wait for by itself).
pub(crate) fn retry_while_busy<T>(
    timeout: Duration,
    mut f: impl FnMut() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}
