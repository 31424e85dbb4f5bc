//! Encryption at rest of attachment files (issue 13): its budget, measured as ratios in
//! one run (see docs/PERFORMANCE.md).
//!
//! `cargo bench -p cordon-core --bench attachments` prints, for a 10 MB file, the median
//! of several rounds of each side and the ratio sealed / plain, then PASS or FAIL:
//!
//! 1. Capture: `Store::attach_file` (read, SHA-256, write, fsync, rename, the record and
//!    its outbox operations) on a store opened with a key (the file sealed in 64 KiB
//!    chunks) against a store without one. Budget: at most 1.3x.
//! 2. Upload: the sync pass that sends the file's bytes in the protocol's 1 MiB chunks
//!    (status request, each chunk read from the file at its offset, decrypted if sealed,
//!    and handed to an in-process office that takes it) against the same for the plain
//!    file. The file's metadata was pushed by an earlier pass, so the pass measured is the
//!    upload. Budget: at most 1.3x.
//! 3. Memory: the peak of heap allocated while capturing and uploading a sealed 100 MB
//!    file against a 10 MB one, counted by this binary's global allocator. Budget: O(chunk):
//!    the 100 MB file's peak exceeds the 10 MB file's by less than 1 MiB.
//!
//! Rounds interleave the two sides so that a noisy neighbour slows both alike.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_core::sync::{HttpRequest, HttpResponse, RequestKind, Transport, TransportError};
use cordon_core::*;

/// Counts the bytes allocated now and their peak since the last reset.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MB: usize = 1_000_000;
const ROUNDS: usize = 15;
const BUDGET: f64 = 1.3;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 3 } else { ROUNDS };
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "cordon-core attachment benchmarks ({rounds} rounds{})",
        if quick { ", quick" } else { "" }
    );
    let source = dir.path().join("bodycam.mp4");
    write_pattern(&source, 10 * MB);
    let plain = Device::open(&dir.path().join("plain"), None);
    let sealed = Device::open(&dir.path().join("sealed"), Some(7));

    let (mut capture, mut upload) = ([vec![], vec![]], [vec![], vec![]]);
    for _ in 0..rounds {
        for (side, device) in [&plain, &sealed].into_iter().enumerate() {
            let (c, u) = device.capture_and_upload(&source);
            capture[side].push(c);
            upload[side].push(u);
        }
    }
    let ok_capture = report("capture a 10 MB file", &capture);
    let ok_upload = report("upload a 10 MB file in 1 MiB chunks", &upload);

    let big = dir.path().join("long-take.mp4");
    write_pattern(&big, 100 * MB);
    let small_peak = sealed.peak_of_capture_and_upload(&source);
    let big_peak = sealed.peak_of_capture_and_upload(&big);
    let growth = big_peak.saturating_sub(small_peak);
    let ok_memory = growth < 1 << 20;
    println!(
        "memory: peak heap while capturing and uploading, sealed: 10 MB file {} KiB, \
         100 MB file {} KiB: +{} KiB for 10x the file (budget < 1024 KiB) {}",
        small_peak / 1024,
        big_peak / 1024,
        growth / 1024,
        verdict(ok_memory)
    );
    if !(ok_capture && ok_upload && ok_memory) {
        std::process::exit(1);
    }
}

fn report(what: &str, sides: &[Vec<Duration>; 2]) -> bool {
    let ms = |xs: &Vec<Duration>| {
        let mut v: Vec<f64> = xs.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (plain, sealed) = (ms(&sides[0]), ms(&sides[1]));
    let ratio = sealed / plain;
    let ok = ratio <= BUDGET;
    println!(
        "{what}: plain {plain:.2} ms, sealed {sealed:.2} ms (median): {ratio:.2}x (budget {BUDGET}x) {}",
        verdict(ok)
    );
    ok
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn write_pattern(path: &Path, len: usize) {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    std::fs::write(path, bytes).expect("write source");
}

/// A store, a clock and a sync engine over an in-process office.
struct Device {
    store: Arc<Store>,
    clock: Arc<ManualClock>,
    engine: SyncEngine,
    office: Arc<Office>,
}

impl Device {
    fn open(dir: &Path, key: Option<u8>) -> Self {
        std::fs::create_dir_all(dir).expect("dir");
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
        let store = Arc::new(
            Store::open_with_options(
                dir.join("cordon.db"),
                StoreOptions {
                    clock: clock.clone(),
                    random: Arc::new(FixedRandom(0.5)),
                    key: key.map(|b| StoreKey::from_bytes(&[b; 32]).expect("key")),
                    ..StoreOptions::default()
                },
            )
            .expect("open"),
        );
        let office = Arc::new(Office::default());
        let engine = SyncEngine::new(
            store.clone(),
            office.clone(),
            SyncConfig::new("http://office.test"),
        )
        .expect("engine");
        engine.set_token("t").expect("token");
        Device {
            store,
            clock,
            engine,
            office,
        }
    }

    /// Attaches `source` to a new report, pushes the metadata (the office refuses the
    /// bytes for now), then uploads them; times the attach and the upload pass.
    fn capture_and_upload(&self, source: &Path) -> (Duration, Duration) {
        let report = self
            .store
            .create_report(cordon_fixtures::incident())
            .expect("report");
        let start = Instant::now();
        let a = self
            .store
            .attach_file(&report.id, source, AttachmentKind::Video, "video/mp4")
            .expect("attach");
        let capture = start.elapsed();
        self.office.refuse_bytes.store(true, Ordering::SeqCst);
        self.engine.sync_once().expect("push the metadata");
        self.office.refuse_bytes.store(false, Ordering::SeqCst);
        self.office.received.store(0, Ordering::SeqCst);
        self.office
            .size
            .store(a.size_bytes as usize, Ordering::SeqCst);
        self.clock.advance(Duration::from_secs(3600)); // past the backoff
        let start = Instant::now();
        let pass = self.engine.sync_once().expect("upload");
        let upload = start.elapsed();
        assert_eq!(pass.attachments_completed, 1, "{pass:?}");
        assert_eq!(
            self.office.received.load(Ordering::SeqCst),
            a.size_bytes as usize
        );
        (capture, upload)
    }

    /// The heap's peak above what was allocated before, over one capture and upload.
    fn peak_of_capture_and_upload(&self, source: &Path) -> usize {
        let base = CURRENT.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        self.capture_and_upload(source);
        PEAK.load(Ordering::SeqCst) - base
    }
}

/// The office: applies every push, answers an empty feed, and takes attachment chunks
/// (counting them, as a server streams them to disk) unless told to refuse them.
#[derive(Default)]
struct Office {
    refuse_bytes: AtomicBool,
    received: AtomicUsize,
    size: AtomicUsize,
}

impl Transport for Office {
    fn send(&self, r: HttpRequest) -> Result<HttpResponse, TransportError> {
        let time = "2026-11-18T11:06:45.000Z";
        let status = |received: usize| {
            let size = self.size.load(Ordering::SeqCst);
            serde_json::json!({"server_time": time, "sha256": "0".repeat(64),
                "size_bytes": size, "received_bytes": received, "complete": received == size})
        };
        let (code, body) = match r.kind {
            RequestKind::AttachmentStatus | RequestKind::AttachmentChunk
                if self.refuse_bytes.load(Ordering::SeqCst) =>
            {
                (
                    503,
                    serde_json::json!({"server_time": time,
                        "error": {"code": "unavailable", "message": "", "retryable": true}}),
                )
            }
            RequestKind::AttachmentStatus => (200, status(self.received.load(Ordering::SeqCst))),
            RequestKind::AttachmentChunk => {
                let received = self.received.fetch_add(r.body.len(), Ordering::SeqCst);
                (200, status(received + r.body.len()))
            }
            RequestKind::Push => {
                let push: cordon_core::protocol::PushRequest =
                    serde_json::from_slice(&r.body).expect("push");
                let results: Vec<_> = push
                    .operations
                    .iter()
                    .map(|o| serde_json::json!({"id": o.id, "seq": o.seq, "status": "applied", "server_version": 1}))
                    .collect();
                (
                    200,
                    serde_json::json!({"server_time": time, "results": results}),
                )
            }
            _ => (
                200,
                serde_json::json!({"server_time": time, "changes": [],
                    "next_cursor": "1.0000000000000001", "has_more": false}),
            ),
        };
        Ok(HttpResponse {
            status: code,
            headers: vec![],
            body: serde_json::to_vec(&body).expect("json"),
        })
    }
}
