//! Attachment files sealed at rest (issue 13): a store opened with a key writes every
//! attachment and sighting photo sealed in 256 KiB chunks (`crypto::sealed_file`), reads
//! them back for the upload at any offset, and hands the app verified plaintext through
//! `export_attachment`. Damage of every kind is a typed error; a store without a key keeps
//! its files plain, as before.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::*;
use cordon_core::sync::{HttpRequest, HttpResponse, RequestKind, Transport, TransportError};
use cordon_core::*;
use sha2::{Digest, Sha256};

const CHUNK: usize = cordon_core::crypto::sealed_file::CHUNK;
const HEADER: usize = cordon_core::crypto::sealed_file::HEADER_LEN;
const TAG: usize = 16;
/// A phrase that must never appear in a sealed file.
const MARKER: &[u8] = b"SUSPECT-VEHICLE-REG-AB12CDE";

fn key(byte: u8) -> StoreKey {
    StoreKey::from_bytes(&[byte; 32]).unwrap()
}

fn open(dir: &Path, key: Option<StoreKey>) -> Store {
    try_open(dir, key).unwrap()
}

fn try_open(dir: &Path, key: Option<StoreKey>) -> cordon_core::Result<Store> {
    Store::open_with_options(
        dir.join("cordon.db"),
        StoreOptions {
            clock: Arc::new(ManualClock::new(T0)),
            random: Arc::new(FixedRandom(0.5)),
            key,
            ..StoreOptions::default()
        },
    )
}

/// `len` bytes that hold the marker wherever they can and vary elsewhere.
fn evidence(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| match i % 97 {
            j if j < MARKER.len() => MARKER[j],
            _ => (i % 251) as u8,
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

struct Sealed {
    dir: tempfile::TempDir,
    store: Store,
}

impl Sealed {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), Some(key(7)));
        Sealed { dir, store }
    }

    fn attach(&self, bytes: &[u8]) -> Attachment {
        let r = self.store.create_report(incident()).unwrap();
        let source = self.dir.path().join("IMG_0412.jpg");
        std::fs::write(&source, bytes).unwrap();
        self.store
            .attach_file(&r.id, &source, AttachmentKind::Photo, "image/jpeg")
            .unwrap()
    }

    fn file(&self, a: &Attachment) -> PathBuf {
        self.store.attachment_path(&a.id)
    }

    fn export(&self, a: &Attachment) -> Result<Vec<u8>> {
        let out = self.dir.path().join("shown.jpg");
        let _ = std::fs::remove_file(&out);
        let done = self.store.export_attachment(&a.id, &out);
        if done.is_err() {
            assert!(!out.exists(), "a failed export left a file behind");
        }
        done.map(|()| std::fs::read(&out).unwrap())
    }
}

#[test]
fn every_size_around_a_chunk_round_trips_and_its_hash_is_the_plaintexts() {
    let s = Sealed::new();
    for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5] {
        let bytes = evidence(len);
        let a = s.attach(&bytes);
        assert_eq!(a.sha256, sha256_hex(&bytes), "{len} bytes");
        assert_eq!(a.size_bytes, len as i64);
        let on_disk = std::fs::read(s.file(&a)).unwrap();
        let chunks = len.div_ceil(CHUNK).max(1);
        assert_eq!(on_disk.len(), HEADER + len + chunks * TAG, "{len} bytes");
        assert_eq!(&on_disk[..8], b"CRDNSEAL");
        assert!(
            !contains(&on_disk, MARKER),
            "plaintext on disk ({len} bytes)"
        );
        assert_eq!(s.export(&a).unwrap(), bytes, "{len} bytes");
    }
}

#[test]
fn a_flipped_bit_anywhere_is_corrupt_attachment_and_the_file_is_kept() {
    let s = Sealed::new();
    let bytes = evidence(2 * CHUNK + 100);
    let a = s.attach(&bytes);
    let path = s.file(&a);
    let good = std::fs::read(&path).unwrap();
    // The salt, the nonce prefix, the first, second and last chunk, a tag.
    for at in [
        25,
        60,
        HEADER + 10,
        HEADER + CHUNK + TAG + 5,
        good.len() - TAG - 1,
        good.len() - 1,
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x04;
        std::fs::write(&path, &bad).unwrap();
        match s.export(&a) {
            Err(CordonError::CorruptAttachment { attachment_id, .. }) => {
                assert_eq!(attachment_id, a.id)
            }
            other => panic!("byte {at}: {other:?}"),
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bad,
            "the damaged file was changed"
        );
    }
    std::fs::write(&path, &good).unwrap();
    assert_eq!(s.export(&a).unwrap(), bytes);
}

#[test]
fn a_cut_or_reordered_file_is_corrupt_attachment() {
    let s = Sealed::new();
    let bytes = evidence(3 * CHUNK);
    let a = s.attach(&bytes);
    let path = s.file(&a);
    let good = std::fs::read(&path).unwrap();
    let sealed_chunk = CHUNK + TAG;
    let chunk = |i: usize| &good[HEADER + i * sealed_chunk..HEADER + (i + 1) * sealed_chunk];

    let whole_chunk_dropped = good[..HEADER + 2 * sealed_chunk].to_vec();
    let cut_mid_chunk = good[..good.len() - 1000].to_vec();
    let header_only = good[..HEADER].to_vec();
    let header_cut = good[..40].to_vec();
    let mut swapped = good[..HEADER].to_vec();
    swapped.extend_from_slice(chunk(1));
    swapped.extend_from_slice(chunk(0));
    swapped.extend_from_slice(chunk(2));
    let mut appended = good.clone();
    appended.extend_from_slice(chunk(2));

    for (what, bad) in [
        ("a whole chunk dropped", whole_chunk_dropped),
        ("cut mid-chunk", cut_mid_chunk),
        ("the header alone", header_only),
        ("the header cut", header_cut),
        ("two chunks swapped", swapped),
        ("a chunk appended", appended),
    ] {
        std::fs::write(&path, &bad).unwrap();
        assert!(
            matches!(s.export(&a), Err(CordonError::CorruptAttachment { .. })),
            "{what}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bad,
            "{what}: the file was changed"
        );
    }
}

#[test]
fn a_wrong_key_or_no_key_is_wrong_key_and_leaves_the_file_as_it_was() {
    let s = Sealed::new();
    let bytes = evidence(CHUNK + 9);
    let a = s.attach(&bytes);
    let sealed = std::fs::read(s.file(&a)).unwrap();
    let Sealed { dir, store } = s;
    drop(store);

    // The database refuses another key or none before any file is touched.
    let file = dir.path().join("cordon.db.attachments").join(&a.id);
    for other in [Some(key(8)), None] {
        assert!(matches!(
            try_open(dir.path(), other),
            Err(CordonError::WrongKey { .. })
        ));
        assert_eq!(std::fs::read(&file).unwrap(), sealed);
    }
    let store = open(dir.path(), Some(key(7)));
    let out = dir.path().join("out.jpg");
    store.export_attachment(&a.id, &out).unwrap();
    assert_eq!(std::fs::read(out).unwrap(), bytes);
}

#[test]
fn a_sealed_store_gives_no_path_to_its_files_and_refuses_bad_destinations() {
    let s = Sealed::new();
    let a = s.attach(b"jpeg bytes");
    assert_eq!(
        s.store.attachment_file(&a.id),
        Err(CordonError::AttachmentSealed {
            attachment_id: a.id.clone()
        })
    );
    assert!(matches!(
        s.store.attachment_file("../../etc/passwd"),
        Err(CordonError::NotFound { .. })
    ));
    let out = s.dir.path().join("x.jpg");
    assert!(matches!(
        s.store.export_attachment("../../etc/passwd", &out),
        Err(CordonError::NotFound { .. })
    ));
    let inside = s.store.attachments_dir().join("copy.jpg");
    assert!(matches!(
        s.store.export_attachment(&a.id, &inside),
        Err(CordonError::InvalidInput { ref field, rule: InputRule::BadFormat, .. }) if field == "destinationPath"
    ));
    assert!(!inside.exists());
    assert!(matches!(
        s.store.export_attachment(&a.id, s.dir.path()),
        Err(CordonError::InvalidInput { .. })
    ));
    let nowhere = s.dir.path().join("no-such-dir").join("x.jpg");
    assert!(matches!(
        s.store.export_attachment(&a.id, &nowhere),
        Err(CordonError::Io { .. })
    ));
    // An existing file at the destination is replaced by the verified bytes.
    std::fs::write(&out, b"stale").unwrap();
    s.store.export_attachment(&a.id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"jpeg bytes");
}

#[test]
fn a_plain_store_keeps_plain_files_and_exports_them_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), None);
    let bytes = evidence(CHUNK + 3);
    let r = store.create_report(incident()).unwrap();
    let source = dir.path().join("clip.mp4");
    std::fs::write(&source, &bytes).unwrap();
    let a = store
        .attach_file(&r.id, &source, AttachmentKind::Video, "video/mp4")
        .unwrap();
    let path = store.attachment_file(&a.id).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let out = dir.path().join("out.mp4");
    store.export_attachment(&a.id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    // A plain file whose bytes changed is caught by the recorded hash.
    std::fs::write(&path, b"doctored").unwrap();
    assert!(matches!(
        store.export_attachment(&a.id, &out),
        Err(CordonError::CorruptAttachment { .. })
    ));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        bytes,
        "the earlier export was replaced"
    );
}

#[test]
fn sighting_photos_are_sealed_and_export_verified() {
    let s = Sealed::new();
    let bytes = evidence(CHUNK * 2 + 1);
    let source = s.dir.path().join("plate.jpg");
    std::fs::write(&source, &bytes).unwrap();
    let mut new = cordon_fixtures::sighting();
    new.assignment_id = None;
    new.photos = vec![NewSightingPhoto {
        path: source.to_string_lossy().into_owned(),
        mime_type: "image/jpeg".into(),
    }];
    let sighting = s.store.record_sighting(new).unwrap();
    let photo = &sighting.photos[0];
    assert_eq!(photo.sha256, sha256_hex(&bytes));
    let on_disk = std::fs::read(s.store.attachment_path(&photo.id)).unwrap();
    assert!(!contains(&on_disk, MARKER));
    let out = s.dir.path().join("plate-shown.jpg");
    s.store.export_attachment(&photo.id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    assert!(matches!(
        s.store.attachment_file(&photo.id),
        Err(CordonError::AttachmentSealed { .. })
    ));
}

#[test]
fn a_submitted_reports_integrity_checks_the_plaintext_of_sealed_files() {
    let s = Sealed::new();
    let a = s.attach(&evidence(CHUNK + 1));
    s.store.submit_report(&a.report_id).unwrap();
    assert!(matches!(
        s.store.verify_report(&a.report_id).unwrap(),
        ReportIntegrity::Intact { .. }
    ));
    let path = s.file(&a);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[HEADER + 3] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    assert!(matches!(
        s.store.verify_report(&a.report_id).unwrap(),
        ReportIntegrity::Broken { .. }
    ));
}

#[test]
fn existing_plain_attachments_are_sealed_with_their_queue_intact() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), None);
    let bytes = evidence(CHUNK * 2 + 77);
    let r = store.create_report(incident()).unwrap();
    let source = dir.path().join("IMG.jpg");
    std::fs::write(&source, &bytes).unwrap();
    let a = store
        .attach_file(&r.id, &source, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    let queued = store.queued_operations().unwrap();
    let files = store.attachments_dir().to_owned();
    // Not an attachment: a file someone else put there is not the core's to seal.
    std::fs::write(files.join("notes.txt"), b"someone's notes").unwrap();
    drop(store);

    assert_eq!(seal_existing_attachments(&files, &key(7)).unwrap(), 1);
    assert_eq!(seal_existing_attachments(&files, &key(7)).unwrap(), 0);
    assert_eq!(
        std::fs::read(files.join("notes.txt")).unwrap(),
        b"someone's notes"
    );

    let store = open(dir.path(), Some(key(7)));
    assert_eq!(store.queued_operations().unwrap(), queued);
    let on_disk = std::fs::read(store.attachment_path(&a.id)).unwrap();
    assert!(!contains(&on_disk, MARKER));
    let out = dir.path().join("out.jpg");
    store.export_attachment(&a.id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    drop(store);

    // And rekeyed (the database, then the files): under the new key only.
    let store = open(dir.path(), Some(key(7)));
    store.rekey(key(9)).unwrap();
    store.export_attachment(&a.id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    drop(store);
    assert_eq!(reseal_attachments(&files, &key(7), &key(9)).unwrap(), 0);
    let store = open(dir.path(), Some(key(9)));
    store.export_attachment(&a.id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    drop(store);
    assert!(matches!(
        try_open(dir.path(), Some(key(7))),
        Err(CordonError::WrongKey { .. })
    ));
}

/// The office's attachment endpoint as the protocol has it: bytes appended at the offset
/// it holds; every push applied; an empty feed. Starts holding `held`.
struct Office {
    held: Mutex<Vec<u8>>,
    size: u64,
    sha256: String,
    /// Offset at which the office loses bytes once (409 back to `.1`).
    lose_at: Mutex<Option<(usize, usize)>>,
    chunk_offsets: Mutex<Vec<usize>>,
}

impl Transport for Office {
    fn send(&self, r: HttpRequest) -> std::result::Result<HttpResponse, TransportError> {
        let time = "2026-11-18T11:06:45.000Z";
        let mut held = self.held.lock().unwrap();
        let status = |held: &Vec<u8>| {
            serde_json::json!({"server_time": time, "sha256": self.sha256,
                "size_bytes": self.size, "received_bytes": held.len(),
                "complete": held.len() as u64 == self.size})
        };
        let (code, body) = match r.kind {
            RequestKind::AttachmentStatus => (200, status(&held)),
            RequestKind::AttachmentChunk => {
                let offset: usize = r.url.rsplit("offset=").next().unwrap().parse().unwrap();
                self.chunk_offsets.lock().unwrap().push(offset);
                let mut lose = self.lose_at.lock().unwrap();
                match *lose {
                    Some((at, back)) if offset >= at => {
                        *lose = None;
                        held.truncate(back);
                        (
                            409,
                            serde_json::json!({"server_time": time, "received_bytes": back,
                                "error": {"code": "offset_mismatch", "message": "", "retryable": true}}),
                        )
                    }
                    _ => {
                        assert_eq!(offset, held.len());
                        held.extend_from_slice(&r.body);
                        (200, status(&held))
                    }
                }
            }
            _ => (200, office_answer(&r, serde_json::json!([]))),
        };
        Ok(HttpResponse {
            status: code,
            headers: vec![],
            body: serde_json::to_vec(&body).unwrap(),
        })
    }
}

#[test]
fn a_sealed_attachment_uploads_its_plaintext_resuming_mid_chunk() {
    let s = Sealed::new();
    let bytes = evidence(5 * CHUNK + 321);
    let a = s.attach(&bytes);
    // The office already holds a prefix that ends inside the third sealed chunk, and loses
    // bytes back to another mid-chunk offset once.
    let start = 2 * CHUNK + 1234;
    let office = Arc::new(Office {
        held: Mutex::new(bytes[..start].to_vec()),
        size: bytes.len() as u64,
        sha256: a.sha256.clone(),
        lose_at: Mutex::new(Some((4 * CHUNK, 3 * CHUNK + 77))),
        chunk_offsets: Mutex::new(Vec::new()),
    });
    let Sealed { dir, store } = s;
    let mut config = SyncConfig::new("http://office.test");
    config.chunk_bytes = 50_000; // no multiple of the sealed chunk
    let engine = SyncEngine::new(Arc::new(store), office.clone(), config).unwrap();
    engine.set_token("t").unwrap();

    let summary = engine.sync_once().unwrap();

    assert_eq!(summary.outcome, PassOutcome::Completed);
    assert_eq!(summary.attachments_completed, 1);
    assert_eq!(*office.held.lock().unwrap(), bytes);
    assert_eq!(sha256_hex(&office.held.lock().unwrap()), a.sha256);
    let offsets = office.chunk_offsets.lock().unwrap().clone();
    assert_eq!(
        offsets.first(),
        Some(&start),
        "it resumed where the office was"
    );
    assert!(offsets.contains(&(3 * CHUNK + 77)), "{offsets:?}");
    drop(dir);
}

#[test]
fn an_upload_waits_through_an_unfinished_rekey_and_goes_once_it_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let store = Arc::new(
        Store::open_with_options(
            dir.path().join("cordon.db"),
            StoreOptions {
                clock: clock.clone(),
                random: Arc::new(FixedRandom(0.5)),
                key: Some(key(7)),
                ..StoreOptions::default()
            },
        )
        .unwrap(),
    );
    let bytes = evidence(3 * CHUNK + 5);
    let report = store.create_report(incident()).unwrap();
    let source = dir.path().join("IMG_0412.jpg");
    std::fs::write(&source, &bytes).unwrap();
    let a = store
        .attach_file(&report.id, &source, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    // The rekey's file step fails after the database took the new key (a directory is
    // where the file's new copy would go).
    let blocker = store.attachment_path(&a.id).with_extension("partial");
    std::fs::create_dir(&blocker).unwrap();
    assert!(matches!(store.rekey(key(8)), Err(CordonError::Io { .. })));
    assert!(store.rekey_unfinished());
    std::fs::remove_dir(&blocker).unwrap();
    let office = Arc::new(Office {
        held: Mutex::new(Vec::new()),
        size: bytes.len() as u64,
        sha256: a.sha256.clone(),
        lose_at: Mutex::new(None),
        chunk_offsets: Mutex::new(Vec::new()),
    });
    let engine = SyncEngine::new(
        store.clone(),
        office.clone(),
        SyncConfig::new("http://office.test"),
    )
    .unwrap();
    engine.set_token("t").unwrap();

    let summary = engine.sync_once().unwrap();

    // The file is under the old key: its upload waits (never rejected: evidence).
    assert_eq!(summary.attachments_completed, 0, "{summary:?}");
    assert!(office.held.lock().unwrap().is_empty());
    let status = store.outbox_status().unwrap();
    assert_eq!(status.dead.total(), 0, "{status:?}");
    assert_eq!(
        status.pending.total(),
        1,
        "the upload is still queued: {status:?}"
    );

    assert_eq!(store.finish_rekey(key(7)).unwrap(), 1);
    clock.advance(std::time::Duration::from_secs(3600)); // past the failed attempt's backoff
    let summary = engine.sync_once().unwrap();
    assert_eq!(summary.attachments_completed, 1, "{summary:?}");
    assert_eq!(*office.held.lock().unwrap(), bytes);
}
