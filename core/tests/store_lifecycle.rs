//! Opening, reopening and upgrading the store on real files, and refusing files that
//! must not be touched.

mod common;

use std::path::Path;

use common::*;
use cordon_core::*;

fn open(path: &Path) -> Result<Store> {
    Store::open(path)
}

#[test]
fn records_device_id_and_outbox_survive_drop_and_reopen() {
    let f = Fixture::new().with_assignment();
    let device = f.store.device_id().to_owned();
    let written = f.check_in(CheckInKind::ClockOn);
    let queued = f.store.queued_operations().unwrap();

    let f = f.reopen();

    assert_eq!(f.store.device_id(), device);
    assert_eq!(f.store.check_ins(None).unwrap(), vec![written]);
    assert_eq!(f.store.queued_operations().unwrap(), queued);
    assert_eq!(f.store.assignments().unwrap(), vec![assignment("A-1", 1)]);
}

#[test]
fn operations_in_flight_when_the_process_died_are_pending_again_after_reopen() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::ClockOn);
    let batch = f.store.take_batch(ALL).unwrap();
    assert_eq!(f.store.outbox_status().unwrap().in_flight.total(), 1);

    let f = f.reopen();

    let again = f.store.take_batch(ALL).unwrap();
    assert_eq!(seqs(&again), seqs(&batch));
}

#[test]
fn sequence_numbers_are_never_reused_after_acknowledged_operations_are_removed() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::ClockOn);
    let first = f.store.take_batch(ALL).unwrap();
    f.store.acknowledge(&seqs(&first)).unwrap();
    let f = f.reopen();

    f.check_in(CheckInKind::Welfare);
    let second = f.store.take_batch(ALL).unwrap();

    assert!(second[0].seq > first[0].seq);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cordon.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    let err = open(&path).unwrap_err();

    assert!(matches!(err, CordonError::Corrupt { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn a_damaged_cordon_database_is_refused_and_not_deleted() {
    let f = Fixture::new().with_assignment();
    for _ in 0..50 {
        f.check_in(CheckInKind::Welfare);
    }
    let path = f.db_path();
    let dir = f.dir;
    drop(f.store);
    // Overwrite the first page's header and schema area: the file is still there, and
    // still ours to keep, but SQLite cannot read it.
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[16..4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    let err = open(&path).unwrap_err();

    assert!(matches!(err, CordonError::Corrupt { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    drop(dir);
}

#[test]
fn a_database_from_a_newer_build_is_refused_untouched() {
    let f = Fixture::new();
    let path = f.db_path();
    let dir = f.dir;
    drop(f.store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(raw);
    let before = std::fs::read(&path).unwrap();

    let err = open(&path).unwrap_err();

    assert_eq!(
        err,
        CordonError::IncompatibleVersion {
            path: path.display().to_string(),
            found: SCHEMA_VERSION + 1,
            supported: SCHEMA_VERSION,
        }
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    drop(dir);
}

#[test]
fn another_applications_database_is_refused_and_gets_no_cordon_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
        .unwrap();
    drop(raw);

    let err = open(&path).unwrap_err();

    assert!(matches!(err, CordonError::Corrupt { .. }), "{err:?}");
    let raw = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = raw
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1);
}

/// What a version-1 device had queued, as the fixture holds it.
fn v1_operations(path: &Path) -> Vec<(i64, String, String, String, String, i64)> {
    let raw = rusqlite::Connection::open(path).unwrap();
    let mut stmt = raw
        .prepare("SELECT seq, id, kind, entity_id, payload, attempts FROM outbox ORDER BY seq")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn migration_from_version_1_keeps_every_pending_operation_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cordon.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/v1-with-pending.sqlite"
        ),
        &path,
    )
    .unwrap();
    let before = v1_operations(&path);
    assert_eq!(before.len(), 6, "fixture holds six queued operations");

    let store = open(&path).unwrap();

    let after = store.queued_operations().unwrap();
    let after_tuples: Vec<_> = after
        .iter()
        .map(|o| {
            (
                o.seq,
                o.id.clone(),
                o.kind.as_str().to_owned(),
                o.record_id.clone(),
                o.payload.clone(),
                i64::from(o.attempts),
            )
        })
        .collect();
    assert_eq!(after_tuples, before);
    // The dead letter keeps its reason; the one in flight is pending again.
    let dead = store.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("rejected: unknown assignment")
    );
    assert!(after.iter().all(|o| o.state != OperationState::InFlight));
    // Version 2's dependency was filled in for the queued attachment.
    let attachment_ops: Vec<_> = after.iter().filter(|o| o.record_id == "att-1").collect();
    assert_eq!(attachment_ops.len(), 2);
    assert_eq!(attachment_ops[0].depends_on.as_deref(), Some("r-1"));
    assert_eq!(attachment_ops[1].depends_on, None);
    // Records and identity came through too.
    assert_eq!(store.device_id(), "d-v1-device");
    assert_eq!(store.assignment("A-1").unwrap().server_version, 3);
    assert_eq!(store.report("r-1").unwrap().attachments.len(), 1);
    // Version 6's kept counts start from what the queue held.
    let status = store.outbox_status().unwrap();
    let count = |state| after.iter().filter(|o| o.state == state).count() as i64;
    assert_eq!(
        (status.pending.total(), status.dead.total()),
        (count(OperationState::Pending), count(OperationState::Dead))
    );
    assert_eq!(status.pending.total() + status.dead.total(), 6);
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn migrated_queue_drains_in_per_record_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cordon.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/v1-with-pending.sqlite"
        ),
        &path,
    )
    .unwrap();
    let store = open(&path).unwrap();

    // The fixture's attachment metadata is backing off (attempts 2, next attempt in the
    // fixture's past), so everything but the dead duress is due.
    let batch = store.take_batch(ALL).unwrap();

    let kinds: Vec<_> = batch.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "check_in.record",
            "report.create",
            "attachment.create",
            "report.update",
            "attachment.upload"
        ]
    );
}

#[test]
fn two_handles_opening_a_new_file_at_once_both_succeed() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cordon.db");
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || Store::open(&p).map(|s| s.device_id().to_owned()))
            })
            .collect();
        let ids: Vec<String> = handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect();
        assert_eq!(ids[0], ids[1], "one device identity");
    }
}

#[test]
fn refusing_a_newer_database_leaves_its_write_ahead_log_unmerged() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    // A newer build's database whose last writes are still only in the WAL (its process
    // was killed): copy the files while the writer holds them open.
    let writer = rusqlite::Connection::open(&live).unwrap();
    writer.pragma_update(None, "journal_mode", "WAL").unwrap();
    writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    writer
        .pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    writer
        .execute_batch("CREATE TABLE future (x); INSERT INTO future VALUES (1);")
        .unwrap();
    writer
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let copy = dir.path().join("copy.db");
    for suffix in ["", "-wal", "-shm"] {
        std::fs::copy(
            format!("{}{suffix}", live.display()),
            format!("{}{suffix}", copy.display()),
        )
        .unwrap();
    }
    let before = (
        std::fs::read(&copy).unwrap(),
        std::fs::read(format!("{}-wal", copy.display())).unwrap(),
    );

    let err = open(&copy).unwrap_err();

    assert!(
        matches!(err, CordonError::IncompatibleVersion { .. }),
        "{err:?}"
    );
    let after = (
        std::fs::read(&copy).unwrap(),
        std::fs::read(format!("{}-wal", copy.display())).unwrap(),
    );
    assert!(before == after, "the refused file or its WAL changed");
    drop(writer);
}

#[test]
fn a_copy_abandoned_by_a_killed_process_is_removed_on_open_and_nothing_else_is() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join("photo.jpg");
    std::fs::write(&photo, b"evidence").unwrap();
    let kept = f
        .store
        .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    let dir = f
        .store
        .attachment_path(&kept.id)
        .parent()
        .unwrap()
        .to_owned();
    // What a process killed mid-copy leaves: half a file under the copy's name.
    let abandoned = dir.join("0193aaaa-0000-7000-8000-000000000001.partial");
    std::fs::write(&abandoned, b"half a pho").unwrap();
    // A copy another live process is writing right now: it holds the copy's lock.
    let live = dir.join("0193aaaa-0000-7000-8000-000000000002.partial");
    let live_file = std::fs::File::create(&live).unwrap();
    live_file.lock().unwrap();
    // Not ours to judge: left as it is.
    let stranger = dir.join("notes.txt");
    std::fs::write(&stranger, b"someone's notes").unwrap();

    let f = f.reopen();

    assert!(!abandoned.exists(), "the abandoned copy is still there");
    assert!(live.exists(), "a copy in progress was removed");
    assert_eq!(std::fs::read(&stranger).unwrap(), b"someone's notes");
    assert_eq!(
        std::fs::read(f.store.attachment_path(&kept.id)).unwrap(),
        b"evidence"
    );
    drop(live_file);
}

/// The files beside `path` that SQLite would make for it.
fn companions(path: &Path) -> Vec<std::path::PathBuf> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| {
            let mut name = path.file_name().unwrap().to_os_string();
            name.push(s);
            path.with_file_name(name)
        })
        .filter(|p| p.exists())
        .collect()
}

#[test]
fn an_emptied_or_truncated_store_is_refused_not_made_new_and_gains_no_companions() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Duress);
    let real = f.db_path();
    drop(f.store);
    let whole = std::fs::read(&real).unwrap();
    assert!(whole.len() > 8192, "the sample store has several pages");
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("half a header", whole[..50].to_vec()),
        ("first page only", whole[..4096].to_vec()),
        (
            "all but the last page",
            whole[..whole.len() - 4096].to_vec(),
        ),
    ];
    for (what, bytes) in cases {
        let path = dir.path().join(format!("{}.db", what.replace(' ', "-")));
        std::fs::write(&path, &bytes).unwrap();

        let err = open(&path).unwrap_err();

        assert!(
            matches!(err, CordonError::Corrupt { .. }),
            "{what}: {err:?}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{what}: the file changed"
        );
        assert!(
            companions(&path).is_empty(),
            "{what}: {:?}",
            companions(&path)
        );
    }
    // Where no file existed, a new store is made, whole.
    let fresh = dir.path().join("fresh.db");
    let store = open(&fresh).unwrap();
    assert!(store.queued_operations().unwrap().is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".creating"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
