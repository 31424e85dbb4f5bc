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

use std::time::Duration;

use crate::sqlite::Schema;

/// `PRAGMA application_id` of a Cordon database: "CORD" in ASCII.
pub const APPLICATION_ID: i64 = 0x434F_5244;

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = STEPS.len() as i64;

/// The device store, as [`crate::sqlite::open`] opens it: WAL's `NORMAL` for ordinary
/// commits (alarms raise it to `FULL` for their own commit), and a long wait for another
/// process on the same file.
pub(crate) const DEVICE_STORE: Schema = Schema {
    name: "device store",
    application_id: APPLICATION_ID,
    steps: &STEPS,
    synchronous: "NORMAL",
    busy_timeout: Duration::from_secs(30),
};

/// `STEPS[n]` takes a database from version `n` to `n + 1`.
const STEPS: [&str; 15] = [
    V1,
    V1_TO_V2,
    V2_TO_V3,
    V3_TO_V4,
    V4_TO_V5,
    V5_TO_V6,
    V6_TO_V7,
    V7_TO_V8,
    V8_TO_V9,
    V9_TO_V10,
    SIGHTINGS,
    MOVEMENTS,
    ROTA_AND_HANDOVERS,
    V13_TO_V14,
    ATTACHMENT_SEALING,
];

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

/// Version 2 → 3: the outbox's columns take the words the code uses: an operation
/// belongs to a record (`record_id`, was `entity_id`) and travels in a lane (`lane`, was
/// `priority`). Only names change; SQLite rewrites the indexes that use them.
const V2_TO_V3: &str = "
    ALTER TABLE outbox RENAME COLUMN entity_id TO record_id;
    ALTER TABLE outbox RENAME COLUMN priority TO lane;
    ALTER TABLE discarded_operation RENAME COLUMN entity_id TO record_id;
    DROP INDEX outbox_by_entity;
    CREATE INDEX outbox_by_record ON outbox(record_id, seq) WHERE kind != 'check_in.record';
";

/// Version 3 → 4: an operation in flight names the store handle that took it (its
/// lease, held as a locked file while the handle lives), so that opening the store
/// returns to pending only what a dead handle left in flight. (No index: one costs a
/// third of every batch taken; opening finds them with a read, which never holds up a
/// writer, and releases them by `seq`.)
const V3_TO_V4: &str = "
    ALTER TABLE outbox ADD COLUMN lease INTEGER;
";

/// Version 4 → 5: a review outcome is the same outcome whatever feed entry carried it
/// (a feed that starts over after the office restored a backup sends it again under a
/// new cursor), so it is kept once per report, reviewer, time and outcome. A submitted
/// report's content as amended so far is kept beside the sealed row (which stays locked),
/// so that an amendment costs the same whatever came before it (no row: not amended, or
/// amended before version 5, when the amendments are replayed instead).
const V4_TO_V5: &str = "
    CREATE TABLE amended_report (
        report_id TEXT PRIMARY KEY REFERENCES incident_report(id),
        content TEXT NOT NULL
    );
    DELETE FROM report_review WHERE rowid NOT IN
        (SELECT min(rowid) FROM report_review
         GROUP BY report_id, reviewed_at, reviewer, outcome);
    CREATE UNIQUE INDEX report_review_once
        ON report_review(report_id, reviewed_at, reviewer, outcome);
";

/// Version 5 → 6: what a status screen and the scheduler ask of the outbox is answered
/// without reading the queue, so it costs the same at 100,000 operations as at 10:
/// counts by state and lane kept by triggers in `outbox_count`; pending operations by
/// due time (the next attempt); dead letters by record (what they hold back). A
/// check-in write touches one count row and one index entry more.
const V5_TO_V6: &str = "
    CREATE TABLE outbox_count (
        state TEXT NOT NULL,
        lane INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (state, lane)
    ) WITHOUT ROWID;
    -- One row for each state and lane, made here, so a trigger only ever updates.
    INSERT INTO outbox_count (state, lane, n)
        SELECT s.value, l.value,
               (SELECT count(*) FROM outbox WHERE state = s.value AND lane = l.value)
        FROM json_each('[\"pending\", \"in_flight\", \"dead\"]') s, json_each('[0, 1, 2]') l;
    CREATE TRIGGER outbox_counted_in AFTER INSERT ON outbox BEGIN
        UPDATE outbox_count SET n = n + 1 WHERE state = NEW.state AND lane = NEW.lane;
    END;
    CREATE TRIGGER outbox_counted_out AFTER DELETE ON outbox BEGIN
        UPDATE outbox_count SET n = n - 1 WHERE state = OLD.state AND lane = OLD.lane;
    END;
    CREATE TRIGGER outbox_counted_moved AFTER UPDATE OF state, lane ON outbox
    WHEN OLD.state != NEW.state OR OLD.lane != NEW.lane BEGIN
        UPDATE outbox_count SET n = n - 1 WHERE state = OLD.state AND lane = OLD.lane;
        UPDATE outbox_count SET n = n + 1 WHERE state = NEW.state AND lane = NEW.lane;
    END;
    CREATE INDEX outbox_pending_by_due ON outbox(next_attempt_at) WHERE state = 'pending';
    CREATE INDEX outbox_dead_by_record ON outbox(record_id, depends_on) WHERE state = 'dead';
";

/// Version 6 → 7: where each alarm the officer raised stands at the office (from the pull
/// feed), and the officer's recent alarms found without reading every check-in (the
/// scheduler asks after every pass whether one still waits for the control room).
const V6_TO_V7: &str = "
    CREATE TABLE alarm_status (
        check_in_id TEXT PRIMARY KEY,
        alarm_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('raised', 'acknowledged', 'resolved')),
        note TEXT,
        updated_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX check_in_alarms ON check_in(recorded_at) WHERE kind IN ('duress', 'panic');
";

/// Version 7 → 8: messages from the control room (from the pull feed), newest first, and
/// when the officer read each (set once, by `mark_message_read`, with its receipt queued
/// in the same transaction).
const V7_TO_V8: &str = "
    CREATE TABLE message (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        sender TEXT NOT NULL,
        alarm_id TEXT,
        sent_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        read_at INTEGER
    );
    CREATE INDEX message_by_sent ON message(sent_at DESC, id);
    -- What the office sent is kept as sent; only the read time is set, and only once.
    CREATE TRIGGER message_kept BEFORE UPDATE OF id, body, sender, alarm_id, sent_at ON message
    BEGIN SELECT RAISE(ABORT, 'messages are kept as the office sent them'); END;
    CREATE TRIGGER message_read_once BEFORE UPDATE OF read_at ON message
    WHEN OLD.read_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a message is read once'); END;
";

/// Version 8 → 9: the officer's acknowledgements of post orders, one per assignment and
/// version, append-only (written with their `post_orders.acknowledge` operation in one
/// transaction by `acknowledge_post_orders`).
const V8_TO_V9: &str = "
    CREATE TABLE post_orders_ack (
        id TEXT NOT NULL UNIQUE,
        assignment_id TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        acknowledged_at INTEGER NOT NULL,
        PRIMARY KEY (assignment_id, version)
    ) WITHOUT ROWID;
    CREATE TRIGGER post_orders_ack_no_update BEFORE UPDATE ON post_orders_ack
    BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
    CREATE TRIGGER post_orders_ack_no_delete BEFORE DELETE ON post_orders_ack
    BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
";

/// Version 9 → 10: only operations that failed and wait out a backoff are indexed by due
/// time. An operation never tried (`attempts = 0`: just written, released, or requeued)
/// is due at once, so the status finds the first of those by `seq` instead, and writing
/// one (a check-in, a sighting) no longer adds an entry to an index it never needed.
const V9_TO_V10: &str = "
    DROP INDEX outbox_pending_by_due;
    CREATE INDEX outbox_backed_off ON outbox(next_attempt_at)
        WHERE state = 'pending' AND attempts > 0;
";

/// The surveillance log: sightings written on the device (append-only, each with its
/// `sighting.record` operation), their photos (bytes in the attachment directory, uploaded
/// as attachments), and the office's BOLO list from the feed, looked up by normalised
/// registration (a partial index over the entries that can match) inside the sighting's
/// own write.
const SIGHTINGS: &str = "
    -- WITHOUT ROWID: one B-tree keyed by id, not a table and its key index (the write
    -- path's budget).
    CREATE TABLE sighting (
        id TEXT PRIMARY KEY,
        occurred_at INTEGER NOT NULL,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TRIGGER sighting_no_update BEFORE UPDATE ON sighting
    BEGIN SELECT RAISE(ABORT, 'sightings are append-only'); END;
    CREATE TRIGGER sighting_no_delete BEFORE DELETE ON sighting
    BEGIN SELECT RAISE(ABORT, 'sightings are append-only'); END;
    CREATE TABLE sighting_photo (
        id TEXT PRIMARY KEY,
        sighting_id TEXT NOT NULL REFERENCES sighting(id)
    );
    CREATE TRIGGER sighting_photo_no_delete BEFORE DELETE ON sighting_photo
    BEGIN SELECT RAISE(ABORT, 'attachments are kept'); END;
    CREATE TABLE bolo (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        registration TEXT,
        priority INTEGER NOT NULL,
        reason TEXT NOT NULL,
        withdrawn INTEGER NOT NULL,
        body TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX bolo_by_registration ON bolo(registration, priority)
        WHERE withdrawn = 0 AND registration IS NOT NULL;
";

/// Movements of the principal: the officer's legs and the events on them, each written
/// with its `movement.plan` / `movement.event` operation in one transaction
/// (`store/movements.rs`). Events are append-only; a leg is written once.
const MOVEMENTS: &str = "
    CREATE TABLE movement_leg (
        id TEXT PRIMARY KEY,
        assignment_id TEXT NOT NULL,
        planned_departure INTEGER NOT NULL,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX movement_leg_by_assignment
        ON movement_leg (assignment_id, planned_departure);
    CREATE TABLE movement_event (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        leg_id TEXT NOT NULL REFERENCES movement_leg (id),
        body TEXT NOT NULL
    );
    CREATE INDEX movement_event_by_leg ON movement_event (leg_id, seq);
    CREATE TRIGGER movement_leg_no_update BEFORE UPDATE ON movement_leg
    BEGIN SELECT RAISE(ABORT, 'movement legs are written once'); END;
    CREATE TRIGGER movement_leg_no_delete BEFORE DELETE ON movement_leg
    BEGIN SELECT RAISE(ABORT, 'movement legs are written once'); END;
    CREATE TRIGGER movement_event_no_update BEFORE UPDATE ON movement_event
    BEGIN SELECT RAISE(ABORT, 'movement events are append-only'); END;
    CREATE TRIGGER movement_event_no_delete BEFORE DELETE ON movement_event
    BEGIN SELECT RAISE(ABORT, 'movement events are append-only'); END;
";

/// Version 12 → 13: the duty rota of the officer's assignments as the office last sent it
/// (replaced whole by each `rota` feed entry; `call_in_seen_at` is the device's own: when
/// the officer saw a call-in), and handover notes, the officer's own (written with their
/// `handover.create` in one transaction) and those addressed to them (from the feed),
/// never deleted, acknowledged once.
const ROTA_AND_HANDOVERS: &str = "
    CREATE TABLE rota_shift (
        shift_id TEXT PRIMARY KEY,
        assignment_id TEXT NOT NULL,
        officer_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('on_duty', 'on_call')),
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        called_in_at INTEGER,
        called_in_by TEXT,
        stood_down_at INTEGER,
        stood_down_by TEXT,
        received_at INTEGER NOT NULL,
        call_in_seen_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX rota_shift_by_assignment ON rota_shift (assignment_id, starts_at);
    CREATE INDEX rota_shift_by_officer ON rota_shift (officer_id, starts_at);
    CREATE TABLE handover (
        id TEXT PRIMARY KEY,
        assignment_id TEXT NOT NULL,
        from_officer_id TEXT NOT NULL,
        to_officer_id TEXT NOT NULL,
        principal_state TEXT NOT NULL,
        open_issues TEXT,
        equipment_and_keys TEXT,
        watch_for TEXT,
        written_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        -- The device's clock when the feed brought it (none: written on this device).
        received_at INTEGER
    ) WITHOUT ROWID;
    CREATE TRIGGER handover_no_delete BEFORE DELETE ON handover
    BEGIN SELECT RAISE(ABORT, 'handover notes are never deleted'); END;
    CREATE TRIGGER handover_acknowledged_once BEFORE UPDATE OF acknowledged_at ON handover
    WHEN OLD.acknowledged_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a handover is acknowledged once'); END;
";

/// Version 13 → 14: the write path of a check-in and of a sighting made cheaper.
/// - A new operation is counted by `enqueue` itself, in the statement after its insert,
///   instead of by an `AFTER INSERT` trigger: a trigger makes the insert a multi-row
///   write, which SQLite wraps in a statement journal (a savepoint opened and freed on
///   every write). `enqueue` is the only place that inserts into the outbox; moves and
///   deletions keep their triggers.
/// - A sighting's operation, like a check-in's, is its record's only one, so it leaves
///   `outbox_by_record` (one index page fewer written per sighting). Its photos' uploads,
///   which must wait for it, name it by `after_seq` instead; the uploads already queued
///   get theirs here.
/// - The sighting table becomes an ordinary (rowid) table with its id's index. Without
///   rowid, a row some 600 bytes long in a B-tree keyed by text made SQLite rebalance the
///   last leaf on most inserts: 2.5 pages written per sighting against 2 now. Rebuilt
///   through a temporary copy with foreign keys checked at commit (a photo's row names its
///   sighting), the append-only triggers made again.
const V13_TO_V14: &str = "
    DROP TRIGGER outbox_counted_in;
    PRAGMA defer_foreign_keys = ON;
    CREATE TEMP TABLE sighting_v13 AS SELECT id, occurred_at, body FROM sighting;
    DROP TABLE sighting;
    CREATE TABLE sighting (
        id TEXT PRIMARY KEY NOT NULL,
        occurred_at INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    INSERT INTO sighting (id, occurred_at, body)
        SELECT id, occurred_at, body FROM sighting_v13 ORDER BY id;
    DROP TABLE sighting_v13;
    CREATE TRIGGER sighting_no_update BEFORE UPDATE ON sighting
    BEGIN SELECT RAISE(ABORT, 'sightings are append-only'); END;
    CREATE TRIGGER sighting_no_delete BEFORE DELETE ON sighting
    BEGIN SELECT RAISE(ABORT, 'sightings are append-only'); END;
    ALTER TABLE outbox ADD COLUMN after_seq INTEGER;
    UPDATE outbox SET after_seq =
        (SELECT max(o.seq) FROM outbox o
         WHERE o.record_id = outbox.depends_on AND o.kind = 'sighting.record'
           AND o.seq < outbox.seq)
    WHERE depends_on IS NOT NULL;
    DROP INDEX outbox_by_record;
    CREATE INDEX outbox_by_record ON outbox(record_id, seq)
        WHERE kind NOT IN ('check_in.record', 'sighting.record');
";

/// What the store knows about its attachment files' key (`store/sealing.rs`), so that a
/// keyed open reads no file's header when nothing can have changed:
/// - `files_key_id`: every attachment file is sealed under this key id (hex), written
///   once a sealing or a rekey's file step finished; absent, the next keyed open scans
///   the files (after the upgrade to this step, a migration, or a sealing cut short).
/// - `rekey_from` and `rekey_to`: a rekey under way, written before the database is
///   re-encrypted and cleared once every file is sealed again: a store opened with
///   `rekey_to`'s key whose files are still under `rekey_from` needs the old key to
///   finish (`Store::finish_rekey`).
const ATTACHMENT_SEALING: &str = "
    CREATE TABLE attachment_sealing (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        files_key_id TEXT,
        rekey_from TEXT,
        rekey_to TEXT,
        CHECK ((rekey_from IS NULL) = (rekey_to IS NULL))
    );
";

#[cfg(test)]
mod tests {
    use super::*;

    /// A store at version 13 with a sighting and its photo's upload queued: after the
    /// upgrade the upload names the sighting's operation (`after_seq`), so it still waits
    /// for it now that the sighting has left `outbox_by_record`, and the kept counts still
    /// count new operations.
    #[test]
    fn step_14_keeps_a_queued_photo_behind_its_sighting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v13.db");
        let v13 = Schema {
            steps: &STEPS[..13],
            ..DEVICE_STORE
        };
        {
            let c = crate::sqlite::open(&path, &v13).unwrap();
            c.execute_batch(
                "INSERT INTO device (singleton, device_id, created_at) VALUES (1, 'd', 0);
                 INSERT INTO outbox (seq, id, kind, record_id, depends_on, lane,
                                     payload_version, payload, state, attempts,
                                     next_attempt_at, created_at)
                 VALUES (1, 'op-1', 'check_in.record', 'c-1', NULL, 1, 1, '{}', 'pending',
                         0, 0, 0),
                        (2, 'op-2', 'sighting.record', 's-1', NULL, 1, 1, '{}', 'pending',
                         0, 0, 0),
                        (3, 'op-3', 'attachment.upload', 'p-1', 's-1', 2, 1, '{}',
                         'pending', 0, 0, 0),
                        (4, 'op-4', 'attachment.upload', 'p-2', 's-1', 2, 1, '{}',
                         'pending', 0, 0, 0),
                        (5, 'op-5', 'report.create', 'r-1', NULL, 1, 1, '{}', 'pending',
                         0, 0, 0),
                        (6, 'op-6', 'attachment.upload', 'p-3', 'r-1', 2, 1, '{}',
                         'pending', 0, 0, 0);
                 INSERT INTO sighting (id, occurred_at, body)
                 VALUES ('s-0', 5, '{\"n\":0}'), ('s-1', 7, '{\"n\":1}');
                 INSERT INTO sighting_photo (id, sighting_id) VALUES ('p-1', 's-1'),
                                                                     ('p-2', 's-1');",
            )
            .unwrap();
        }
        let c = crate::sqlite::open(&path, &DEVICE_STORE).unwrap();
        let after: Vec<(i64, Option<i64>)> = c
            .prepare("SELECT seq, after_seq FROM outbox ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            after,
            [
                (1, None),
                (2, None),
                (3, Some(2)),
                (4, Some(2)),
                (5, None),
                (6, None)
            ]
        );
        // The index keeps a report's operations, not a check-in's or a sighting's.
        let indexed: Vec<String> = c
            .prepare(&format!(
                "SELECT record_id FROM outbox INDEXED BY outbox_by_record
                 WHERE {} AND record_id > '' ORDER BY seq",
                crate::store::outbox::BY_RECORD
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(indexed, ["p-1", "p-2", "r-1", "p-3"]);
        let triggers: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'outbox_counted_in'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            triggers, 0,
            "an insert is counted by enqueue, not a trigger"
        );
        // The sightings came through the rebuild, still append-only, their photos' rows
        // still pointing at them.
        let sightings: Vec<(String, i64, String)> = c
            .prepare("SELECT id, occurred_at, body FROM sighting ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            sightings,
            [
                ("s-0".into(), 5, r#"{"n":0}"#.into()),
                ("s-1".into(), 7, r#"{"n":1}"#.into())
            ]
        );
        for refused in [
            "UPDATE sighting SET body = '{}' WHERE id = 's-0'",
            "DELETE FROM sighting WHERE id = 's-0'",
            "INSERT INTO sighting_photo (id, sighting_id) VALUES ('p-9', 'nobody')",
        ] {
            assert!(c.execute(refused, []).is_err(), "{refused} was allowed");
        }
        let violations: i64 = c
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(violations, 0);
    }

    /// The index's predicate and the code's list of kinds that are their record's only
    /// operation say the same thing.
    #[test]
    fn the_by_record_predicate_names_exactly_the_sole_operation_kinds() {
        let sole: Vec<String> = crate::protocol::operation::OPERATION_KINDS
            .into_iter()
            .filter(|k| k.is_sole_operation_of_record())
            .map(|k| format!("'{}'", k.as_str()))
            .collect();
        assert_eq!(
            crate::store::outbox::BY_RECORD,
            format!("kind NOT IN ({})", sole.join(", "))
        );
        assert!(V13_TO_V14.contains(crate::store::outbox::BY_RECORD.trim_start_matches("kind ")));
    }
}
