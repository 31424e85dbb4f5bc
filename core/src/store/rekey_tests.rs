//! A rekey cut short between its database step and its file step, and the keyed open
//! that reads no attachment file once the store's mark says every file is under its key.

use std::path::Path;
use std::sync::Arc;

use super::sealing::HEADERS_READ;
use super::tests_hooks::{CRASH_AFTER_DATABASE_REKEY, PAUSE_AFTER_DATABASE_REKEY};
use crate::crypto::StoreKey;
use crate::error::CordonError;
use crate::model::AttachmentKind;
use crate::store::{Store, StoreOptions};
use crate::time::{ManualClock, Timestamp};

fn key(byte: u8) -> StoreKey {
    StoreKey::from_bytes(&[byte; 32]).unwrap()
}

fn open(db: &Path, k: Option<u8>) -> crate::error::Result<Store> {
    Store::open_with_options(
        db,
        StoreOptions {
            clock: Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000))),
            key: k.map(key),
            ..StoreOptions::default()
        },
    )
}

fn evidence(i: usize) -> Vec<u8> {
    (0..70_000 + i).map(|b| (b * 7 + i) as u8).collect()
}

/// A store under key 1 with three attachments; returns their ids.
fn store_with_files(dir: &Path) -> Vec<String> {
    let store = open(&dir.join("cordon.db"), Some(1)).unwrap();
    let report = report(&store);
    (0..3)
        .map(|i| {
            let source = dir.join(format!("photo-{i}.jpg"));
            std::fs::write(&source, evidence(i)).unwrap();
            store
                .attach_file(&report, &source, AttachmentKind::Photo, "image/jpeg")
                .unwrap()
                .id
        })
        .collect()
}

/// A draft report of the sample incident; returns its id.
fn report(store: &Store) -> String {
    let content: crate::model::IncidentContent =
        serde_json::from_str(include_str!("../../../fixtures/incident.json")).unwrap();
    store.create_report(content).unwrap().id
}

/// Rekeys `store` to `new` and stops right after the database step, as a crash would.
fn rekey_crashing_after_the_database(store: &Store, new: u8) {
    CRASH_AFTER_DATABASE_REKEY.with(|c| c.set(true));
    let err = store.rekey(key(new)).unwrap_err();
    CRASH_AFTER_DATABASE_REKEY.with(|c| c.set(false));
    assert!(matches!(&err, CordonError::Storage { detail } if detail.contains("injected")));
}

fn exported(store: &Store, id: &str, dir: &Path) -> crate::error::Result<Vec<u8>> {
    let out = dir.join(format!("export-{id}"));
    store.export_attachment(id, &out)?;
    Ok(std::fs::read(out).unwrap())
}

#[test]
fn a_rekey_cut_short_after_the_database_step_is_finished_with_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cordon.db");
    let ids = store_with_files(dir.path());

    let store = open(&db, Some(1)).unwrap();
    rekey_crashing_after_the_database(&store, 2);
    drop(store); // the process dies here

    // The database is under the new key only.
    assert!(matches!(
        open(&db, Some(1)),
        Err(CordonError::WrongKey { .. })
    ));
    let store = open(&db, Some(2)).unwrap();
    assert!(
        store.rekey_unfinished(),
        "the open says the old key is needed"
    );
    // The files are as the old key left them: not readable yet, not lost.
    assert!(matches!(
        exported(&store, &ids[0], dir.path()),
        Err(CordonError::WrongKey { .. })
    ));
    // Another rekey waits for this one; a wrong old key changes nothing.
    assert!(matches!(
        store.rekey(key(3)),
        Err(CordonError::InvalidKey { .. })
    ));
    assert!(matches!(
        store.finish_rekey(key(9)),
        Err(CordonError::WrongKey { .. })
    ));
    assert!(store.rekey_unfinished());

    assert_eq!(store.finish_rekey(key(1)).unwrap(), 3);
    assert!(!store.rekey_unfinished());
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(exported(&store, id, dir.path()).unwrap(), evidence(i));
    }
    assert_eq!(store.finish_rekey(key(1)).unwrap(), 0, "nothing left to do");
    drop(store);
    let store = open(&db, Some(2)).unwrap();
    assert!(!store.rekey_unfinished(), "finished for good");
    assert_eq!(exported(&store, &ids[2], dir.path()).unwrap(), evidence(2));
}

#[test]
fn a_rekey_cut_short_leaves_new_attachments_under_the_new_key_and_finishes_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cordon.db");
    let ids = store_with_files(dir.path());
    let store = open(&db, Some(1)).unwrap();
    rekey_crashing_after_the_database(&store, 2);
    // The same handle goes on: a photo taken now is sealed under the new key.
    assert!(store.rekey_unfinished());
    let report = report(&store);
    let source = dir.path().join("later.jpg");
    std::fs::write(&source, evidence(7)).unwrap();
    let later = store
        .attach_file(&report, &source, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    assert_eq!(
        exported(&store, &later.id, dir.path()).unwrap(),
        evidence(7)
    );
    assert_eq!(store.finish_rekey(key(1)).unwrap(), 3, "the old three only");
    assert_eq!(exported(&store, &ids[1], dir.path()).unwrap(), evidence(1));
}

#[test]
fn a_rekey_whose_database_step_never_ran_is_forgotten_by_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cordon.db");
    let ids = store_with_files(dir.path());
    // What rekey writes first (its mark, under the old key), then the process died.
    let store = open(&db, Some(1)).unwrap();
    let mark = super::sealing::Mark {
        files_key_id: None,
        rekey: Some((
            super::sealing::id_hex(&key(1).attachment_key()),
            super::sealing::id_hex(&key(2).attachment_key()),
        )),
    };
    store
        .write(super::Durability::Full, |tx| mark.write(tx))
        .unwrap();
    drop(store);

    assert!(matches!(
        open(&db, Some(2)),
        Err(CordonError::WrongKey { .. })
    ));
    let store = open(&db, Some(1)).unwrap();
    assert!(!store.rekey_unfinished());
    assert_eq!(exported(&store, &ids[0], dir.path()).unwrap(), evidence(0));
    // And a rekey now goes through whole.
    store.rekey(key(2)).unwrap();
    drop(store);
    let store = open(&db, Some(2)).unwrap();
    assert!(!store.rekey_unfinished());
    assert_eq!(exported(&store, &ids[2], dir.path()).unwrap(), evidence(2));
}

#[test]
fn a_keyed_open_reads_no_attachment_file_once_every_file_is_marked_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cordon.db");
    // Three plain attachments, then the store gets a key: the first keyed open scans
    // and seals them.
    {
        let store = open(&db, None).unwrap();
        let report = report(&store);
        for i in 0..3 {
            let source = dir.path().join(format!("photo-{i}.jpg"));
            std::fs::write(&source, evidence(i)).unwrap();
            store
                .attach_file(&report, &source, AttachmentKind::Photo, "image/jpeg")
                .unwrap();
        }
    }
    HEADERS_READ.with(|n| n.set(0));
    drop(open(&db, Some(1)).unwrap());
    assert!(HEADERS_READ.with(|n| n.get()) >= 3, "the migration scans");

    HEADERS_READ.with(|n| n.set(0));
    drop(open(&db, Some(1)).unwrap());
    assert_eq!(HEADERS_READ.with(|n| n.get()), 0, "marked: no file read");

    // The same after a rekey finished.
    open(&db, Some(1)).unwrap().rekey(key(2)).unwrap();
    HEADERS_READ.with(|n| n.set(0));
    drop(open(&db, Some(2)).unwrap());
    assert_eq!(HEADERS_READ.with(|n| n.get()), 0);

    // A plain file dropped in by hand is not looked at (the mark is trusted) ...
    let stray = dir
        .path()
        .join("cordon.db.attachments")
        .join("0193aaaa-0000-7000-8000-0000000000ff");
    std::fs::write(&stray, b"plain bytes").unwrap();
    drop(open(&db, Some(2)).unwrap());
    assert_eq!(std::fs::read(&stray).unwrap(), b"plain bytes");
    // ... until a sealing is cut short (the mark cleared, as a crash mid-rekey leaves it):
    // then the scan runs and seals it.
    let store = open(&db, Some(2)).unwrap();
    store
        .write(super::Durability::Full, |tx| {
            super::sealing::Mark::default().write(tx)
        })
        .unwrap();
    drop(store);
    HEADERS_READ.with(|n| n.set(0));
    drop(open(&db, Some(2)).unwrap());
    assert_eq!(HEADERS_READ.with(|n| n.get()), 4);
    assert_ne!(std::fs::read(&stray).unwrap(), b"plain bytes", "sealed now");
}

/// The child process of the kill -9 test: rekeys the store in the directory it is given
/// and stops after the database step until it is killed.
#[test]
#[ignore = "run by a_process_killed_by_sigkill_after_the_database_step_loses_no_file"]
fn child_rekeys_until_killed() {
    let dir = std::env::var_os("CORDON_TEST_STORE_DIR").expect("the parent names the store");
    let store = open(&Path::new(&dir).join("cordon.db"), Some(1)).unwrap();
    let _ = store.rekey(key(2));
    unreachable!("the rekey waits to be killed");
}

#[test]
fn a_process_killed_by_sigkill_after_the_database_step_loses_no_file() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cordon.db");
    let ids = store_with_files(dir.path());
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::rekey_tests::child_rekeys_until_killed",
            "--ignored",
            "--nocapture",
        ])
        .env(PAUSE_AFTER_DATABASE_REKEY, "1")
        .env("CORDON_TEST_STORE_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let reached = stdout
        .lines()
        .map_while(std::result::Result::ok)
        .any(|line| line.contains("database rekeyed"));
    // SIGKILL, by the child's pid: no destructor, no flush.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(reached, "the child reached the point between the two steps");

    assert!(matches!(
        open(&db, Some(1)),
        Err(CordonError::WrongKey { .. })
    ));
    let store = open(&db, Some(2)).unwrap();
    assert!(store.rekey_unfinished());
    assert_eq!(store.finish_rekey(key(1)).unwrap(), 3);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(exported(&store, id, dir.path()).unwrap(), evidence(i));
    }
}
