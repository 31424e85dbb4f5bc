//! The server's one SQLite file: its schema, opened by the core's opener
//! ([`cordon_core::sqlite::open`], the same one the device store uses).
//!
//! That opener reads `application_id` and `user_version` through a read-only connection
//! before writing anything: a file that is not SQLite, a device's store or any other
//! application's database, or one from a newer build of the server is refused with a
//! typed error and left as it was. Then WAL, `synchronous=FULL` (an acknowledged operation
//! must survive a power cut: the device deletes its copy once the server said "applied"),
//! foreign keys and a busy timeout long enough for `cordon admin` running beside the
//! server, and one migration step per transaction.

use std::path::Path;
use std::time::Duration;

use cordon_core::sqlite::Schema;
use cordon_core::CordonError;
use rusqlite::Connection;

use crate::error::{Error, Result};

/// `PRAGMA application_id` of a server database: "CSRV" in ASCII. (A device's store uses
/// "CORD", so neither can be opened as the other.)
pub const APPLICATION_ID: i64 = 0x4353_5256;

/// `STEPS[n]` takes a database from version `n` to `n + 1`.
const STEPS: [&str; 14] = [
    include_str!("schema.sql"),
    V1_TO_V2,
    V2_TO_V3,
    V3_TO_V4,
    V4_TO_V5,
    V5_TO_V6,
    V6_TO_V7,
    V7_TO_V8,
    V8_TO_V9,
    V9_TO_V10,
    V10_TO_V11,
    SIGHTINGS,
    MOVEMENTS,
    ROTA_HANDOVERS_REVIEWERS,
];

/// Version 1 → 2: a receipt names the record its operation belongs to as the protocol
/// does (`record_id`, was `entity_id`).
const V1_TO_V2: &str = "ALTER TABLE receipt RENAME COLUMN entity_id TO record_id;";

/// Version 2 → 3: every feed entry gets a random tag that its cursor carries, and a
/// superseded entry is kept (marked) rather than deleted, so the server can tell a cursor
/// it issued from one it never did, or one from before a restore (see `feed.rs`).
const V2_TO_V3: &str = "
ALTER TABLE feed ADD COLUMN tag INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feed ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
UPDATE feed SET tag = random();
DROP INDEX feed_by_officer;
CREATE INDEX feed_by_officer ON feed (organisation_id, officer_id, superseded, cursor);
";

/// Version 3 → 4: a report keeps its content as amended so far, so that an amendment
/// costs the same whatever came before it (NULL: no amendment yet, or written before
/// version 4; then the amendments are replayed once, see `records::current_content`).
const V3_TO_V4: &str = "ALTER TABLE report ADD COLUMN amended_content TEXT;";

/// Version 4 → 5: the records devices send are keyed by organisation and id, not by id
/// alone, so that two organisations' records with the same id coexist and nothing a
/// device is answered depends on another organisation's records (an id taken elsewhere
/// used to answer "record already exists"). `record`, `check_in`, `report`, `amendment`,
/// `attachment` and `review` are rebuilt with an `organisation_id` (taken from the
/// record's ownership row) in their keys; an amendment id is unique per organisation.
/// Every row is kept (a row without an ownership row, which foreign keys forbid, would
/// fail the step on NOT NULL rather than be dropped). (The old tables are renamed first, which carries their foreign
/// keys along; they are dropped children first, before the new indexes take the old
/// indexes' names.)
const V4_TO_V5: &str = "
ALTER TABLE review RENAME TO v4_review;
ALTER TABLE attachment RENAME TO v4_attachment;
ALTER TABLE amendment RENAME TO v4_amendment;
ALTER TABLE check_in RENAME TO v4_check_in;
ALTER TABLE report RENAME TO v4_report;
ALTER TABLE record RENAME TO v4_record;

CREATE TABLE record (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    family TEXT NOT NULL CHECK (family IN ('check_in', 'report', 'attachment')),
    officer_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES device (device_id),
    server_version INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE check_in (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, id) REFERENCES record (organisation_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE report (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted')),
    content TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    submitted_at INTEGER,
    content_hash TEXT,
    sealed_attachments TEXT,
    head_hash TEXT,
    amendments INTEGER NOT NULL DEFAULT 0,
    amended_content TEXT,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, id) REFERENCES record (organisation_id, id)
) STRICT;

CREATE TABLE amendment (
    organisation_id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, report_id, sequence),
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, report_id) REFERENCES report (organisation_id, id)
) STRICT;

CREATE TABLE attachment (
    organisation_id TEXT NOT NULL,
    id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    blob_id INTEGER NOT NULL REFERENCES blob (id),
    body TEXT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, id) REFERENCES record (organisation_id, id),
    FOREIGN KEY (organisation_id, report_id) REFERENCES report (organisation_id, id)
) STRICT;

CREATE TABLE review (
    id INTEGER PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'returned')),
    reviewer TEXT NOT NULL,
    note TEXT,
    reviewed_at INTEGER NOT NULL,
    FOREIGN KEY (organisation_id, report_id) REFERENCES report (organisation_id, id)
) STRICT;

INSERT INTO record (organisation_id, id, family, officer_id, device_id, server_version,
                    last_seq, received_at, updated_at)
SELECT organisation_id, id, family, officer_id, device_id, server_version, last_seq,
       received_at, updated_at
FROM v4_record;

INSERT INTO check_in (organisation_id, id, kind, occurred_at, body)
SELECT r.organisation_id, c.id, c.kind, c.occurred_at, c.body
FROM v4_check_in c LEFT JOIN v4_record r ON r.id = c.id;

INSERT INTO report (organisation_id, id, state, content, updated_at, submitted_at,
                    content_hash, sealed_attachments, head_hash, amendments, amended_content)
SELECT r.organisation_id, p.id, p.state, p.content, p.updated_at, p.submitted_at,
       p.content_hash, p.sealed_attachments, p.head_hash, p.amendments, p.amended_content
FROM v4_report p LEFT JOIN v4_record r ON r.id = p.id;

INSERT INTO amendment (organisation_id, report_id, sequence, id, body, received_at)
SELECT r.organisation_id, a.report_id, a.sequence, a.id, a.body, a.received_at
FROM v4_amendment a LEFT JOIN v4_record r ON r.id = a.report_id;

INSERT INTO attachment (organisation_id, id, report_id, blob_id, body)
SELECT r.organisation_id, a.id, a.report_id, a.blob_id, a.body
FROM v4_attachment a LEFT JOIN v4_record r ON r.id = a.id;

INSERT INTO review (id, organisation_id, report_id, outcome, reviewer, note, reviewed_at)
SELECT v.id, r.organisation_id, v.report_id, v.outcome, v.reviewer, v.note, v.reviewed_at
FROM v4_review v LEFT JOIN v4_record r ON r.id = v.report_id;

DROP TABLE v4_review;
DROP TABLE v4_attachment;
DROP TABLE v4_amendment;
DROP TABLE v4_check_in;
DROP TABLE v4_report;
DROP TABLE v4_record;

CREATE INDEX check_in_by_time ON check_in (occurred_at, organisation_id, id);
CREATE INDEX attachment_by_report ON attachment (organisation_id, report_id);
CREATE INDEX review_by_report ON review (organisation_id, report_id, id);
";
/// Version 5 → 6: the control room's alarms (see `alarms`). An alarm and its events are
/// append-only (triggers refuse UPDATE and DELETE); its state is what its events say.
/// `last_check_in` and `last_position` are what the dead-man timer and the console read
/// (kept by every check-in received, filled here from the check-ins already held).
const V5_TO_V6: &str = include_str!("schema_v6_alarms.sql");

/// Version 6 → 7: control-room operators (argon2id password hashes), their sessions, and
/// the append-only audit log (see `operators`).
const V6_TO_V7: &str = include_str!("schema_v7_operators.sql");

/// Version 7 → 8: the pull feed carries the state of an officer's alarms (the feed table
/// built again for its new CHECK, every cursor kept).
const V7_TO_V8: &str = include_str!("schema_v8_alarm_feed.sql");

/// Version 8 → 9: messages from the control room to an officer, written once, with their
/// delivery (the first pull that carried one) and read receipt (the first) beside them;
/// the feed carries `message` entries.
const V8_TO_V9: &str = include_str!("schema_v9_messages.sql");

/// Version 9 → 10: officers' acknowledgements of post orders, append-only, by
/// organisation, assignment, officer and version.
const V9_TO_V10: &str = include_str!("schema_v10_post_orders.sql");

/// Version 10 → 11: revoked devices, and each one's confirmation that it destroyed its
/// data with what it had not sent.
const V10_TO_V11: &str = include_str!("schema_v11_revocation.sql");
/// Sightings and the BOLO list: sightings append-only with the device's and the office's
/// BOLO match, their photos as blobs, the BOLO list per organisation, the repeat window
/// per organisation, and the feed built again to carry `bolo` entries (every cursor kept).
const SIGHTINGS: &str = include_str!("schema_v12_sightings.sql");

/// Movements of the principal: legs (a record family devices own) and their events, and
/// the overdue-leg alarm (see the file's comment for how the CHECKs of `record` and
/// `alarm` are widened in place).
const MOVEMENTS: &str = include_str!("schema_v13_movements.sql");

/// Version 13 → 14: the duty rota (shifts, call-ins, stand-downs), handover notes and
/// their acknowledgements, report reviewers (team leaders, designated reviewers, each
/// report's route), all append-only; the feed's kind no longer CHECKed in SQL.
const ROTA_HANDOVERS_REVIEWERS: &str = include_str!("schema_v14_rota_handovers_reviewers.sql");

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = STEPS.len() as i64;

const SERVER_DATABASE: Schema = Schema {
    name: "server database",
    application_id: APPLICATION_ID,
    steps: &STEPS,
    synchronous: "FULL",
    busy_timeout: Duration::from_secs(10),
};

pub(crate) fn open(path: &Path) -> Result<Connection> {
    cordon_core::sqlite::open(path, &SERVER_DATABASE).map_err(|e| match e {
        CordonError::Corrupt { path, detail } => Error::NotServerDatabase { path, detail },
        CordonError::IncompatibleVersion {
            path,
            found,
            supported,
        } => Error::IncompatibleVersion {
            path,
            found,
            supported,
        },
        other => Error::from(other),
    })
}

/// A read-only connection to a server database that [`open`] has already opened (and
/// migrated): the server's readers, which never wait for its writer (WAL).
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    conn.busy_timeout(SERVER_DATABASE.busy_timeout)?;
    Ok(conn)
}

/// A server database at schema `version`, as an older build left it (for upgrade tests).
#[cfg(test)]
pub(crate) fn database_at(path: &Path, version: usize) -> Connection {
    let conn = Connection::open(path).unwrap();
    for step in &STEPS[..version] {
        conn.execute_batch(step).unwrap();
    }
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    conn.pragma_update(None, "user_version", version as i64)
        .unwrap();
    conn
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

    #[test]
    fn a_version_1_database_keeps_its_receipts_under_the_new_column_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let v1 = database_at(&path, 1);
        v1.execute(
            "INSERT INTO receipt (device_id, operation_id, seq, kind, entity_id, status,
                                  received_at)
             VALUES ('d-1', 'op-1', 7, 'check_in.record', 'rec-1', 'applied', 0)",
            [],
        )
        .unwrap();
        drop(v1);

        let conn = open(&path).unwrap();
        let (record, seq): (String, i64) = conn
            .query_row(
                "SELECT record_id, seq FROM receipt WHERE operation_id = 'op-1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((record.as_str(), seq), ("rec-1", 7));
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn a_version_2_feed_keeps_its_entries_each_with_a_tag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let v2 = database_at(&path, 2);
        for subject in ["A-1", "A-2", "A-3"] {
            v2.execute(
                "INSERT INTO feed (organisation_id, officer_id, kind, subject, body)
                 VALUES ('acme', 'OFC-7', 'assignment', ?1, '{}')",
                [subject],
            )
            .unwrap();
        }
        drop(v2);

        let conn = open(&path).unwrap();
        let rows: Vec<(String, i64, i64)> = conn
            .prepare("SELECT subject, tag, superseded FROM feed ORDER BY cursor")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            ["A-1", "A-2", "A-3"]
        );
        let tags: std::collections::HashSet<i64> = rows.iter().map(|r| r.1).collect();
        assert_eq!(tags.len(), 3, "each entry its own tag: {rows:?}");
        assert!(rows.iter().all(|r| r.2 == 0), "none superseded");
    }

    #[test]
    fn an_empty_file_is_refused_not_made_a_new_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(open(&path), Err(Error::NotServerDatabase { .. })));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["server.db"], "no -wal, -shm or temporary file");
    }

    #[test]
    fn a_version_4_database_gets_each_officers_last_check_in_and_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let v4 = database_at(&path, 4);
        v4.execute_batch(
            "INSERT INTO device VALUES ('d-1', 'acme', 'OFC-7', 'h', 0);
             INSERT INTO record VALUES ('c-1', 'check_in', 'acme', 'OFC-7', 'd-1', 1, 1, 5, 5);
             INSERT INTO record VALUES ('c-2', 'check_in', 'acme', 'OFC-7', 'd-1', 1, 2, 6, 6);
             INSERT INTO record VALUES ('c-3', 'check_in', 'acme', 'OFC-7', 'd-1', 1, 3, 7, 7);
             INSERT INTO check_in VALUES ('c-1', 'clock_on', 1000,
               '{\"assignment_id\":\"A-1\",\"location\":{\"latitude\":51.5,\"longitude\":-0.1,\"accuracy_m\":8.0,\"fix_time\":\"2026-11-28T18:00:00.000Z\"}}');
             INSERT INTO check_in VALUES ('c-2', 'welfare', 3000, '{\"assignment_id\":\"A-1\",\"location\":null}');
             INSERT INTO check_in VALUES ('c-3', 'duress', 2000, '{\"assignment_id\":null,\"location\":null}');",
        )
        .unwrap();
        drop(v4);

        let conn = open(&path).unwrap();
        let last: (String, String, i64) = conn
            .query_row(
                "SELECT assignment_id, check_in_id, occurred_at FROM last_check_in",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(last, ("A-1".to_owned(), "c-2".to_owned(), 3000));
        let position: (String, f64, Option<i64>) = conn
            .query_row(
                "SELECT check_in_id, latitude, fix_time FROM last_position",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(position, ("c-1".to_owned(), 51.5, Some(1_795_888_800_000)));
    }

    #[test]
    fn a_version_7_feed_keeps_its_cursors_and_never_reissues_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let v7 = database_at(&path, 7);
        for subject in ["A-1", "A-2", "A-3"] {
            v7.execute(
                "INSERT INTO feed (organisation_id, officer_id, kind, subject, body, tag)
                 VALUES ('acme', 'OFC-7', 'assignment', ?1, '{}', 42)",
                [subject],
            )
            .unwrap();
        }
        // The newest entry was deleted once (before version 3): its cursor stays used.
        v7.execute("DELETE FROM feed WHERE subject = 'A-3'", [])
            .unwrap();
        drop(v7);

        let conn = open(&path).unwrap();
        let kept: Vec<(i64, String, i64)> = conn
            .prepare("SELECT cursor, subject, tag FROM feed ORDER BY cursor")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(kept, [(1, "A-1".to_owned(), 42), (2, "A-2".to_owned(), 42)]);
        conn.execute(
            "INSERT INTO feed (organisation_id, officer_id, kind, subject, body)
             VALUES ('acme', 'OFC-7', 'alarm_status', 'c-1', '{}')",
            [],
        )
        .unwrap();
        let newest: i64 = conn
            .query_row("SELECT max(cursor) FROM feed", [], |r| r.get(0))
            .unwrap();
        assert_eq!(newest, 4, "cursor 3 was issued before; it is not reused");
    }
}
