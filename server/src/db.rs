//! The server's one SQLite file: opening it, its schema and migrations.
//!
//! Opening reads `application_id` and `user_version` before writing anything: a file
//! that is not SQLite, a device's store or any other application's database, or one from
//! a newer build of the server is refused with a typed error and left as it was. Then
//! WAL, `synchronous=FULL` (an acknowledged operation must survive a power cut: the
//! device deletes its copy once the server said "applied"), foreign keys and a busy
//! timeout long enough for `cordon admin` running beside the server. A new file gets the
//! whole schema in one transaction that also sets `user_version`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Error, Result};

/// `PRAGMA application_id` of a server database: "CSRV" in ASCII. (A device's store uses
/// "CORD", so neither can be opened as the other.)
pub const APPLICATION_ID: i64 = 0x4353_5256;

/// `STEPS[n]` takes a database from version `n` to `n + 1`.
const STEPS: [&str; 1] = [include_str!("schema.sql")];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = STEPS.len() as i64;

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn open(path: &Path) -> Result<Connection> {
    let refused = |detail: String| Error::NotServerDatabase {
        path: path.display().to_string(),
        detail,
    };
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| refused(e.to_string()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;

    let read = |sql: &str| -> Result<i64> {
        conn.query_row(sql, [], |r| r.get(0))
            .map_err(|e| refused(e.to_string()))
    };
    // The first read of the header is where SQLite notices a file that is not a database.
    let version = read("PRAGMA user_version")?;
    let app_id = read("PRAGMA application_id")?;
    let tables = read("SELECT count(*) FROM sqlite_schema")?;
    if app_id != APPLICATION_ID && (app_id != 0 || tables != 0 || version != 0) {
        return Err(refused(format!(
            "application_id is {app_id:#x}, user_version {version}"
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(Error::IncompatibleVersion {
            path: path.display().to_string(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }

    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    for (from, step) in STEPS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
        tx.commit()?;
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_file_gets_the_schema_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        drop(open(&path).unwrap());
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn another_applications_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let other = Connection::open(&path).unwrap();
        other.execute_batch("CREATE TABLE t (x)").unwrap();
        drop(other);
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(open(&path), Err(Error::NotServerDatabase { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let conn = open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        assert!(matches!(
            open(&path),
            Err(Error::IncompatibleVersion { found, .. }) if found == SCHEMA_VERSION + 1
        ));
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db");
        std::fs::write(&path, b"this is not a database, it is evidence".repeat(100)).unwrap();
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(open(&path), Err(Error::NotServerDatabase { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
