//! Encryption at rest of the device store (issue 13 point 1, the database): SQLite3
//! Multiple Ciphers keyed from the app's 32-byte key, on real files.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use cordon_core::*;
use sha2::{Digest, Sha256};

/// A word no cipher text holds by chance: found in a file, the file is not encrypted.
const CODENAME: &str = "CODENAME-KESTREL-7";

fn key(byte: u8) -> StoreKey {
    StoreKey::from_bytes(&[byte; 32]).unwrap()
}

fn options(key: Option<StoreKey>, plaintext_header: bool) -> StoreOptions {
    StoreOptions {
        clock: Arc::new(ManualClock::new(T0)),
        key,
        plaintext_header,
        ..StoreOptions::default()
    }
}

fn codename_check_in() -> NewCheckIn {
    let mut c = check_in(CheckInKind::Duress);
    c.note = Some(format!("principal {CODENAME} moving to the car"));
    c
}

/// Every file in `dir` (name -> SHA-256), the database's log and index included.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                Sha256::digest(&bytes).to_vec(),
            )
        })
        .collect();
    files.sort();
    files
}

fn holds(path: &Path, needle: &str) -> bool {
    std::fs::read(path)
        .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .unwrap_or(false)
}

/// The database and its log and index: none may hold the codename.
fn plaintext_anywhere(db: &Path) -> bool {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    [
        db.to_path_buf(),
        db.with_file_name(format!("{name}-wal")),
        db.with_file_name(format!("{name}-shm")),
    ]
    .iter()
    .any(|p| holds(p, CODENAME))
}

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("cordon.db")
    }
}

#[test]
fn the_sqlite_linked_everywhere_is_sqlite3mc_not_the_systems() {
    assert!(cordon_sqlite3mc::version().starts_with("SQLite3 Multiple Ciphers"));
    // rusqlite's own connections (the server's, the CLI's) run on the same library.
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let version: String = conn
        .query_row("SELECT sqlite3mc_version()", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, cordon_sqlite3mc::version());
}

#[test]
fn an_encrypted_store_holds_no_plaintext_and_opens_again_with_its_key() {
    let d = Dir::new();
    let store = Store::open_with_options(d.db(), options(Some(key(1)), false)).unwrap();
    assert!(store.is_encrypted());
    let written = store.record_check_in(codename_check_in()).unwrap();
    let queued = store.queued_operations().unwrap();
    // While open, the log holds the latest pages: encrypted too.
    assert!(!plaintext_anywhere(&d.db()));
    drop(store);

    assert!(!plaintext_anywhere(&d.db()));
    let header = std::fs::read(d.db()).unwrap();
    assert_ne!(&header[..16], b"SQLite format 3\0");
    // Plain SQLite cannot read it.
    let raw = rusqlite::Connection::open(d.db()).unwrap();
    assert!(raw
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r
            .get::<_, i64>(0))
        .is_err());
    drop(raw);

    let store = Store::open_with_options(d.db(), options(Some(key(1)), false)).unwrap();
    assert_eq!(store.check_ins(None).unwrap(), vec![written]);
    assert_eq!(store.queued_operations().unwrap(), queued);
}

#[test]
fn a_wrong_key_is_a_typed_error_and_the_file_is_left_byte_for_byte() {
    for plaintext_header in [false, true] {
        let d = Dir::new();
        let store =
            Store::open_with_options(d.db(), options(Some(key(1)), plaintext_header)).unwrap();
        store.record_check_in(codename_check_in()).unwrap();
        drop(store);
        let before = snapshot(d.dir.path());

        let err =
            Store::open_with_options(d.db(), options(Some(key(2)), plaintext_header)).unwrap_err();
        assert_eq!(
            err,
            CordonError::WrongKey {
                path: d.db().display().to_string()
            },
            "header {plaintext_header}"
        );
        // No key at all: the same typed error, not "corrupt".
        let err = Store::open(d.db()).unwrap_err();
        assert!(
            matches!(err, CordonError::WrongKey { .. }),
            "header {plaintext_header}: {err:?}"
        );
        assert_eq!(snapshot(d.dir.path()), before, "header {plaintext_header}");

        // The right key still opens it.
        let store =
            Store::open_with_options(d.db(), options(Some(key(1)), plaintext_header)).unwrap();
        assert_eq!(store.check_ins(None).unwrap().len(), 1);
    }
}

#[test]
fn a_key_of_the_wrong_length_is_invalid_key_and_nothing_is_made() {
    let d = Dir::new();
    for len in [0usize, 16, 31, 33] {
        let err = StoreKey::from_bytes(&vec![1; len]).unwrap_err();
        assert!(
            matches!(err, CordonError::InvalidKey { .. }),
            "{len}: {err:?}"
        );
    }
    assert!(!d.db().exists());
}

#[test]
fn the_plaintext_header_keeps_sqlites_32_bytes_and_encrypts_the_rest() {
    let d = Dir::new();
    let store = Store::open_with_options(d.db(), options(Some(key(1)), true)).unwrap();
    store.record_check_in(codename_check_in()).unwrap();
    drop(store);

    let bytes = std::fs::read(d.db()).unwrap();
    assert_eq!(&bytes[..16], b"SQLite format 3\0");
    let page_size = u16::from_be_bytes([bytes[16], bytes[17]]);
    assert_eq!(page_size, 4096);
    // Bytes 18 and 19: the WAL format versions (2), what iOS reads.
    assert_eq!((bytes[18], bytes[19]), (2, 2));
    // The page count (bytes 28..32) is the file's.
    let pages = u32::from_be_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]);
    assert_eq!(u64::from(pages) * 4096, bytes.len() as u64);
    // Past the header, nothing is SQLite's plaintext: no schema text, no codename.
    assert!(!plaintext_anywhere(&d.db()));
    assert!(!bytes.windows(12).any(|w| w == b"CREATE TABLE"));
    // Without the header, a plain store's first page holds its schema in clear text.
    let plain = Dir::new();
    drop(Store::open(plain.db()).unwrap());
    assert!(holds(&plain.db(), "CREATE TABLE"));

    let store = Store::open_with_options(d.db(), options(Some(key(1)), true)).unwrap();
    assert_eq!(store.check_ins(None).unwrap().len(), 1);
}

#[test]
fn the_default_plaintext_header_is_on_for_ios_only() {
    assert_eq!(
        StoreOptions::default().plaintext_header,
        cfg!(target_os = "ios")
    );
}

#[test]
fn rekey_changes_the_key_and_keeps_every_record_and_the_queue() {
    for plaintext_header in [false, true] {
        let d = Dir::new();
        let store =
            Store::open_with_options(d.db(), options(Some(key(1)), plaintext_header)).unwrap();
        for _ in 0..20 {
            store.record_check_in(codename_check_in()).unwrap();
        }
        let queued = store.queued_operations().unwrap();
        let check_ins = store.check_ins(None).unwrap();

        store.rekey(key(2)).unwrap();
        // The same handle goes on reading and writing, the reader included.
        assert_eq!(store.queued_operations().unwrap(), queued);
        store.record_check_in(codename_check_in()).unwrap();
        assert_eq!(store.check_ins(None).unwrap().len(), 21);
        drop(store);
        assert!(!plaintext_anywhere(&d.db()));

        let err =
            Store::open_with_options(d.db(), options(Some(key(1)), plaintext_header)).unwrap_err();
        assert!(matches!(err, CordonError::WrongKey { .. }), "{err:?}");
        let store =
            Store::open_with_options(d.db(), options(Some(key(2)), plaintext_header)).unwrap();
        let after = store.queued_operations().unwrap();
        assert_eq!(after[..20], queued[..]);
        assert_eq!(store.check_ins(None).unwrap()[..20], check_ins[..]);
    }
}

#[test]
fn a_plaintext_store_has_no_key_to_change() {
    let d = Dir::new();
    let store = Store::open(d.db()).unwrap();
    store.record_check_in(codename_check_in()).unwrap();
    let err = store.rekey(key(2)).unwrap_err();
    assert!(matches!(err, CordonError::InvalidKey { .. }), "{err:?}");
    assert_eq!(store.check_ins(None).unwrap().len(), 1);
}

/// A plaintext store with a queue (check-ins, a report with an attachment, an operation
/// in flight) at `d.db()`, as a killed app leaves it: the file and its log, copied while
/// the store was open.
fn plaintext_store_with_a_queue(d: &Dir) -> (Vec<OutboxOperation>, Vec<CheckIn>, Vec<u8>) {
    let live = d.dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let store =
        Store::open_with_clock(live.join("cordon.db"), Arc::new(ManualClock::new(T0))).unwrap();
    for _ in 0..5 {
        store.record_check_in(codename_check_in()).unwrap();
    }
    let report = store.create_report(incident()).unwrap();
    let source = d.dir.path().join("photo.jpg");
    std::fs::File::create(&source)
        .unwrap()
        .write_all(b"\xff\xd8\xff photo bytes")
        .unwrap();
    let attachment = store
        .attach_file(&report.id, &source, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    let attached = std::fs::read(store.attachment_path(&attachment.id)).unwrap();
    store
        .take_batch(BatchLimits {
            max_operations: 1,
            ..ALL
        })
        .unwrap();
    let queued = store.queued_operations().unwrap();
    let check_ins = store.check_ins(None).unwrap();
    let wal = live.join("cordon.db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    std::fs::copy(live.join("cordon.db"), d.db()).unwrap();
    std::fs::copy(&wal, d.dir.path().join("cordon.db-wal")).unwrap();
    let files = live.join("cordon.db.attachments");
    let to = d.dir.path().join("cordon.db.attachments");
    std::fs::create_dir(&to).unwrap();
    for entry in std::fs::read_dir(&files).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    drop(store);
    std::fs::remove_dir_all(&live).unwrap();
    (queued, check_ins, attached)
}

#[test]
fn a_plaintext_store_opened_with_a_key_is_encrypted_with_its_queue_intact() {
    let d = Dir::new();
    let (queued, check_ins, attached) = plaintext_store_with_a_queue(&d);
    assert!(holds(&d.db(), CODENAME) || holds(&d.dir.path().join("cordon.db-wal"), CODENAME));

    let store = Store::open_with_options(d.db(), options(Some(key(1)), false)).unwrap();
    assert!(store.is_encrypted());
    // The same operations in the same order (the one in flight released, as on any
    // reopen), the same records, the same attachment file.
    let after = store.queued_operations().unwrap();
    assert_eq!(
        after
            .iter()
            .map(|o| (o.seq, &o.id, &o.record_id, o.kind))
            .collect::<Vec<_>>(),
        queued
            .iter()
            .map(|o| (o.seq, &o.id, &o.record_id, o.kind))
            .collect::<Vec<_>>()
    );
    assert_eq!(store.check_ins(None).unwrap(), check_ins);
    let report = &store.report_ids().unwrap()[0];
    let attachment = &store.report(report).unwrap().attachments[0];
    assert_eq!(
        std::fs::read(store.attachment_path(&attachment.id)).unwrap(),
        attached
    );
    drop(store);

    // No plaintext left: not in the file, its log or index, nor a copy beside it.
    assert!(!plaintext_anywhere(&d.db()));
    for entry in std::fs::read_dir(d.dir.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".encrypting"), "{name}");
        if entry.file_type().unwrap().is_file() && name != "photo.jpg" {
            assert!(!holds(&entry.path(), CODENAME), "{name}");
        }
    }
    let err = Store::open(d.db()).unwrap_err();
    assert!(matches!(err, CordonError::WrongKey { .. }), "{err:?}");
}

#[test]
fn a_stray_copy_of_an_interrupted_migration_is_removed_by_the_next() {
    let d = Dir::new();
    plaintext_store_with_a_queue(&d);
    let stray = d.dir.path().join(".cordon.db.0000.encrypting");
    std::fs::write(&stray, b"half a copy").unwrap();

    let store = Store::open_with_options(d.db(), options(Some(key(1)), false)).unwrap();
    assert_eq!(store.check_ins(None).unwrap().len(), 5);
    assert!(!stray.exists());
}

#[test]
fn files_that_are_not_stores_are_still_corrupt_with_or_without_a_key() {
    let d = Dir::new();
    std::fs::write(d.db(), vec![0x5a; 8192]).unwrap();
    let before = snapshot(d.dir.path());
    for k in [None, Some(key(1))] {
        let err = Store::open_with_options(d.db(), options(k, false)).unwrap_err();
        assert!(matches!(err, CordonError::Corrupt { .. }), "{err:?}");
    }
    assert_eq!(snapshot(d.dir.path()), before);
}
