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
//!
//! **Encrypted files** ([`open_keyed`]): every connection is keyed before anything else
//! ([`connect`]), the read-only look included, so a wrong key is found there with nothing
//! written ([`CordonError::WrongKey`]). A plaintext file opened with a key is encrypted
//! first ([`encrypt_plaintext`]): an encrypted copy is written and synced beside it, then
//! renamed over it, so a crash leaves either the old file or the new one.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use zeroize::Zeroizing;

use crate::error::{CordonError, InputRule, Result};

/// A cipher scheme of SQLite3 Multiple Ciphers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    /// AEGIS-256 per page (an AES-based AEAD: every page authenticated): the store's
    /// cipher, chosen by measurement (docs/PERFORMANCE.md): the only one of the three
    /// within the 1.3x budget on a check-in's write.
    Aegis,
    /// ChaCha20-Poly1305 per page (sqlite3mc's default): kept for the comparison.
    ChaCha20,
    /// SQLCipher 4's scheme (AES-256-CBC, HMAC-SHA512 per page): kept for the comparison
    /// only; it has no plaintext header here.
    SqlCipher,
}

impl Cipher {
    fn name(self) -> &'static std::ffi::CStr {
        match self {
            Cipher::Aegis => c"aegis",
            Cipher::ChaCha20 => c"chacha20",
            Cipher::SqlCipher => c"sqlcipher",
        }
    }
}

/// The size of the plaintext header, when there is one: SQLite's 16-byte magic, the page
/// size and the counters, what iOS reads to recognise a database in WAL mode.
pub const PLAINTEXT_HEADER: i32 = 32;

/// A database key as SQLite3 Multiple Ciphers takes it, and how the file is encrypted.
/// The key bytes live in memory wiped on drop; nothing shows them.
pub struct DatabaseKey {
    /// `raw:` and the 32 key bytes: sqlite3mc uses them as the cipher key, with no key
    /// derivation.
    raw: Zeroizing<Vec<u8>>,
    cipher: Cipher,
    /// Leaves the first [`PLAINTEXT_HEADER`] bytes of the file unencrypted (AEGIS and
    /// ChaCha20; SQLCipher's scheme here has none).
    plaintext_header: bool,
}

impl DatabaseKey {
    /// The key `key`, with `cipher` and, if `plaintext_header`, a readable header.
    pub fn new(key: &[u8; 32], cipher: Cipher, plaintext_header: bool) -> DatabaseKey {
        let mut raw = Zeroizing::new(Vec::with_capacity(4 + key.len()));
        raw.extend_from_slice(b"raw:");
        raw.extend_from_slice(key);
        DatabaseKey {
            raw,
            cipher,
            plaintext_header: plaintext_header && cipher != Cipher::SqlCipher,
        }
    }

    /// A URI naming `file` with this key and cipher as SQLite3 Multiple Ciphers' query
    /// parameters (for `VACUUM INTO`), in memory wiped on drop.
    fn uri(&self, file: &Path) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let name = file.to_string_lossy();
        let mut uri = Zeroizing::new(String::with_capacity(name.len() * 3 + 200));
        uri.push_str("file:");
        for b in name.bytes() {
            // Percent-encode what a URI path cannot hold as it is.
            if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
                uri.push(char::from(b));
            } else {
                uri.push('%');
                uri.push(char::from(HEX[usize::from(b >> 4)]));
                uri.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        uri.push_str("?cipher=");
        uri.push_str(&self.cipher.name().to_string_lossy());
        if self.plaintext_header {
            uri.push_str(&format!("&plaintext_header_size={PLAINTEXT_HEADER}"));
        }
        uri.push_str("&hexkey=");
        for b in self.raw.iter() {
            uri.push(char::from(HEX[usize::from(b >> 4)]));
            uri.push(char::from(HEX[usize::from(b & 15)]));
        }
        uri
    }

    /// Configures the cipher of `conn` and keys it: nothing may have read the file yet.
    fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        self.configure(conn)?;
        // SAFETY: `conn` is open and borrowed for the call, so no other thread uses it.
        let code = unsafe { cordon_sqlite3mc::key(conn.handle().cast(), &self.raw) };
        result_of(code, "the key could not be set")
    }

    /// Chooses the cipher scheme and its plaintext header on `conn`: sqlite3mc forgets
    /// them after each key or rekey, so it is done before every one.
    fn configure(&self, conn: &Connection) -> rusqlite::Result<()> {
        let header = if self.plaintext_header {
            PLAINTEXT_HEADER
        } else {
            0
        };
        // SAFETY: as in `apply`.
        if unsafe { cordon_sqlite3mc::configure(conn.handle().cast(), self.cipher.name(), header) }
        {
            Ok(())
        } else {
            Err(misuse("the cipher scheme could not be configured"))
        }
    }
}

fn result_of(code: std::ffi::c_int, detail: &str) -> rusqlite::Result<()> {
    match code {
        0 => Ok(()),
        code => Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            Some(detail.into()),
        )),
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseKey")
            .field("cipher", &self.cipher)
            .field("plaintext_header", &self.plaintext_header)
            .finish_non_exhaustive()
    }
}

fn misuse(detail: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISUSE),
        Some(detail.into()),
    )
}

/// Opens a connection to `path` with `flags`, keyed with `key` (if any) before anything
/// reads the file.
pub fn connect(path: &Path, flags: OpenFlags, key: Option<&DatabaseKey>) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| CordonError::from_sqlite_at(path, e))?;
    if let Some(key) = key {
        key.apply(&conn)
            .map_err(|e| CordonError::from_sqlite_at(path, e))?;
    }
    Ok(conn)
}

const READ_ONLY: OpenFlags =
    OpenFlags::SQLITE_OPEN_READ_ONLY.union(OpenFlags::SQLITE_OPEN_NO_MUTEX);
const READ_WRITE: OpenFlags = OpenFlags::SQLITE_OPEN_READ_WRITE
    .union(OpenFlags::SQLITE_OPEN_CREATE)
    .union(OpenFlags::SQLITE_OPEN_NO_MUTEX);

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
    open_keyed(path, schema, None)
}

/// [`open`] with a key: the file is (or is made, or is migrated to) an encrypted one.
/// Without a key, an encrypted file is refused with [`CordonError::WrongKey`].
pub fn open_keyed(path: &Path, schema: &Schema, key: Option<&DatabaseKey>) -> Result<Connection> {
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
    match examine(path, schema)? {
        Found::Nothing => create(path, schema, key)?,
        Found::Encrypted if key.is_none() => return Err(wrong_key(path)),
        Found::Encrypted | Found::Sqlite => {}
    }
    match look(path, schema, key) {
        // Not readable with this key: a plaintext store to encrypt now, or the wrong key
        // (the plaintext look fails too, with `WrongKey`; nothing was written).
        Err(CordonError::WrongKey { .. }) if key.is_some() => {
            look(path, schema, None)?;
            if let Some(key) = key {
                encrypt_plaintext(path, schema, key)?;
            }
            look(path, schema, key)?;
        }
        other => {
            other?;
        }
    }
    let mut conn = connect(path, READ_WRITE, key)?;
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

/// Inspects the file through a read-only connection keyed with `key` (writing nothing).
/// With no key, a file that SQLite cannot read and whose header says it is encrypted is
/// [`CordonError::WrongKey`] rather than corrupt.
fn look(path: &Path, schema: &Schema, key: Option<&DatabaseKey>) -> Result<i64> {
    // A read-only connection to a file whose plaintext header says WAL makes the log and
    // index files if they are missing, even when it cannot decrypt a page: those it made
    // are removed again when the look fails on the key, so the file is left as it was.
    let missing: Vec<_> = companions(path)
        .into_iter()
        .filter(|c| !c.exists())
        .collect();
    let seen = inspect_read_only(path, schema, key);
    if matches!(seen, Err(CordonError::WrongKey { .. })) {
        for made in missing {
            // The index holds nothing but locks; a log this look made is empty.
            let is_index = made.to_string_lossy().ends_with("-shm");
            if is_index || std::fs::metadata(&made).is_ok_and(|m| m.len() == 0) {
                let _ = std::fs::remove_file(&made);
            }
        }
    }
    seen
}

fn inspect_read_only(path: &Path, schema: &Schema, key: Option<&DatabaseKey>) -> Result<i64> {
    let conn = connect(path, READ_ONLY, key)?;
    conn.busy_timeout(schema.busy_timeout)?;
    match inspect(&conn, path, schema) {
        // A file that does not decrypt reads as "not a database" or, with a plaintext
        // header, "unsupported file format".
        Err(CordonError::Corrupt { .. } | CordonError::Storage { .. })
            if key.is_some() || header_says_encrypted(path) =>
        {
            Err(wrong_key(path))
        }
        other => other,
    }
}

fn wrong_key(path: &Path) -> CordonError {
    CordonError::WrongKey {
        path: path.display().to_string(),
    }
}

/// What [`examine`] found at a path.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Nothing,
    /// A SQLite file, its magic readable (plaintext, or encrypted with a plaintext header).
    Sqlite,
    /// A file encrypted by SQLite3 Multiple Ciphers with no plaintext header.
    Encrypted,
}

/// SQLite3 Multiple Ciphers leaves bytes 16 to 23 of the header unencrypted (page size,
/// format versions, reserved bytes per page, payload fractions): a file whose payload
/// fractions are SQLite's fixed 64, 32, 32 and whose pages reserve room for a nonce and
/// a tag is an encrypted database, even where the first 16 bytes are not SQLite's magic.
fn encrypted_signature(header: &[u8]) -> bool {
    header.len() >= 24 && header[21..24] == [64, 32, 32] && header[20] != 0
}

fn header_says_encrypted(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 24];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok()
        && encrypted_signature(&header)
}

/// Looks at the bytes of the file at `path` without opening it with SQLite: nothing
/// there, a SQLite file, or an encrypted one; an error if what is there cannot be a whole
/// SQLite database (empty, shorter than a header, neither SQLite's magic nor an encrypted
/// header, or shorter than its own header says).
fn examine(path: &Path, schema: &Schema) -> Result<Found> {
    use std::io::Read;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
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
    if &header[..16] != b"SQLite format 3\0" && encrypted_signature(&header) {
        return Ok(Found::Encrypted);
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
    Ok(Found::Sqlite)
}

/// Makes a new database at `path`: built at a temporary name beside it (every step, WAL
/// set), closed, synced, then linked into place only if `path` is still free. If another
/// process linked its own first, that one is used and ours is discarded.
fn create(path: &Path, schema: &Schema, key: Option<&DatabaseKey>) -> Result<()> {
    let dir = parent_dir(path);
    let temp = temp_beside(path, "creating");
    let result = (|| {
        let at = |e| CordonError::from_sqlite_at(path, e);
        let mut conn = connect(&temp, READ_WRITE, key)?;
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
    remove_with_companions(&temp);
    result
}

fn parent_dir(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// `.<name>.<uuid>.<purpose>` beside `path`: a file being made, never opened as the
/// database.
fn temp_beside(path: &Path, purpose: &str) -> std::path::PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    parent_dir(path).join(format!(".{name}.{}.{purpose}", uuid::Uuid::new_v4()))
}

/// The write-ahead log and shared-memory index SQLite keeps beside `p`.
fn companions(p: &Path) -> [std::path::PathBuf; 2] {
    let n = p
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    [
        p.with_file_name(format!("{n}-wal")),
        p.with_file_name(format!("{n}-shm")),
    ]
}

fn remove_with_companions(p: &Path) {
    let _ = std::fs::remove_file(p);
    for c in companions(p) {
        let _ = std::fs::remove_file(c);
    }
}

/// The steps of [`encrypt_plaintext`], where a test makes it fail (a crash at that point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum MigrationStep {
    /// The plaintext file's log was folded into it and removed.
    LogFolded,
    /// The encrypted copy was written and synced beside it.
    CopyWritten,
    /// The copy was renamed over the plaintext file (the directory not yet synced).
    Renamed,
}

#[cfg(test)]
thread_local! {
    static FAIL_AFTER: std::cell::Cell<Option<MigrationStep>> = const { std::cell::Cell::new(None) };
}

/// Makes this thread's next [`encrypt_plaintext`] stop with an error right after `step`.
#[cfg(test)]
pub(crate) fn fail_migration_after(step: Option<MigrationStep>) {
    FAIL_AFTER.with(|f| f.set(step));
}

fn reached(step: MigrationStep) -> Result<()> {
    #[cfg(test)]
    if FAIL_AFTER.with(|f| f.get()) == Some(step) {
        return Err(CordonError::Storage {
            detail: format!("injected failure after {step:?}"),
        });
    }
    let _ = step;
    Ok(())
}

/// Encrypts the plaintext database at `path` with `key`, keeping every row (the outbox's
/// operations, in their order): its write-ahead log is folded into it and removed, an
/// encrypted copy is written beside it by `VACUUM INTO` (SQLite's own copy, page by page,
/// never through a plaintext file), synced, and renamed over it. A crash before the
/// rename leaves the plaintext store (and a stray copy, removed by the next attempt); after
/// it, the encrypted one. No plaintext file, log or index is left beside it.
fn encrypt_plaintext(path: &Path, schema: &Schema, key: &DatabaseKey) -> Result<()> {
    let at = |e| CordonError::from_sqlite_at(path, e);
    remove_stray_copies(path);
    let plain = connect(path, READ_WRITE, None)?;
    plain.busy_timeout(schema.busy_timeout).map_err(at)?;
    // DELETE mode checkpoints the log into the file and removes it (and the index).
    retry_while_busy(schema.busy_timeout, || {
        plain.pragma_update(None, "journal_mode", "DELETE")
    })
    .map_err(at)?;
    reached(MigrationStep::LogFolded)?;
    let copy = temp_beside(path, "encrypting");
    let result = (|| {
        plain
            .execute("VACUUM INTO ?1", [key.uri(&copy).as_str()])
            .map_err(at)?;
        plain.close().map_err(|(_, e)| at(e))?;
        std::fs::File::open(&copy)
            .and_then(|f| f.sync_all())
            .map_err(|e| CordonError::io(&copy, e))?;
        reached(MigrationStep::CopyWritten)?;
        // Nothing of the plaintext file's may stay beside the encrypted one (DELETE mode
        // left none; a log here would be replayed into the new file).
        for c in companions(path) {
            match std::fs::remove_file(&c) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CordonError::io(&c, e)),
            }
        }
        std::fs::rename(&copy, path).map_err(|e| CordonError::io(path, e))?;
        reached(MigrationStep::Renamed)?;
        let dir = parent_dir(path);
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| CordonError::io(&dir, e))
    })();
    if result.is_err() {
        remove_with_companions(&copy);
    }
    result
}

/// Removes the encrypted copies an interrupted [`encrypt_plaintext`] left beside `path`.
fn remove_stray_copies(path: &Path) {
    let prefix = format!(
        ".{}.",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let Ok(entries) = std::fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".encrypting") {
            remove_with_companions(&entry.path());
        }
    }
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

/// Re-encrypts the database of `conn` (keyed, in WAL mode) with `key`: SQLite3 Multiple
/// Ciphers rewrites every page in one transaction, then the log is checkpointed and
/// emptied so that no page under the old key stays in it. Other connections to the file
/// must be closed or reopened with the new key.
pub fn rekey(conn: &Connection, key: &DatabaseKey) -> rusqlite::Result<()> {
    key.configure(conn)?;
    // SAFETY: `conn` is open and borrowed for the call, so no other thread uses it.
    let code = unsafe { cordon_sqlite3mc::rekey(conn.handle().cast(), &key.raw) };
    result_of(code, "the database could not be rekeyed")?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
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
