//! Encryption at rest of attachment files (issue 13): its budgets, measured as ratios in
//! one run against the real `cordon serve` (see docs/PERFORMANCE.md).
//!
//! `cargo bench -p cordon --bench attachments` starts the `cordon` binary cargo built
//! for it (the bench profile: release, opt-level 3, no LTO) on a loopback port it picks,
//! enrols two devices (one store without a key, one opened with a key), and prints, for a
//! 10 MB file, the median of several rounds of each side and the ratio sealed / plain,
//! then PASS or FAIL:
//!
//! 1. Capture: `Store::attach_file` (read, SHA-256, write, fsync, rename, the record and
//!    its outbox operations) on the store with a key (the file sealed in chunks) against
//!    the store without one. Budget: at most 1.3x.
//! 2. Upload: the sync pass that sends the file's bytes to the server in the protocol's
//!    1 MiB chunks over HTTP on loopback (status request, each chunk read from the file
//!    at its offset, decrypted if sealed, PUT, and the server's own work: its copy to
//!    disk, fsync and SHA-256 check) against the same for the plain file. The metadata
//!    went in an earlier pass (the device's transport answers the attachment requests
//!    503 itself during that pass), so the pass measured is the upload. Budget: 1.3x.
//! 3. Memory: the peak of heap allocated in this process (the device) while capturing
//!    and uploading a sealed 100 MB file against a 10 MB one, counted by this binary's
//!    global allocator. Budget O(chunk): the 100 MB file's peak exceeds the 10 MB
//!    file's by less than 1 MiB.
//!
//! Rounds interleave the two sides so that a noisy neighbour slows both alike. Every
//! round attaches a file of its own (the server keeps attachments by SHA-256, so the
//! same bytes twice would be "complete" at once).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_core::sync::{
    HttpRequest, HttpResponse, HttpTransport, RequestKind, Transport, TransportError,
};
use cordon_core::*;

// The end-to-end tests' harness: `cordon serve` on a loopback port it picks, stopped by
// its pid when dropped, and its admin commands.
#[path = "../../tests/support/mod.rs"]
mod support;
use support::ServerProcess;

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
    let server = ServerProcess::start_unlimited(dir.path());
    println!(
        "cordon attachment benchmarks against cordon serve at {} ({rounds} rounds{})",
        server.url,
        if quick { ", quick" } else { "" }
    );
    let plain = Device::open(&server, &dir.path().join("plain"), None, "OFC-PLAIN");
    let sealed = Device::open(&server, &dir.path().join("sealed"), Some(7), "OFC-SEALED");

    let (mut capture, mut upload) = ([vec![], vec![]], [vec![], vec![]]);
    for _ in 0..rounds {
        for (side, device) in [&plain, &sealed].into_iter().enumerate() {
            let (c, u) = device.capture_and_upload(&device.new_source(10 * MB));
            capture[side].push(c);
            upload[side].push(u);
        }
    }
    let ok_capture = report("capture a 10 MB file", &capture);
    let ok_upload = report(
        "upload a 10 MB file in 1 MiB chunks to cordon serve",
        &upload,
    );

    let small_peak = sealed.peak_of_capture_and_upload(10 * MB);
    let big_peak = sealed.peak_of_capture_and_upload(100 * MB);
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
    drop(server);
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

/// `len` bytes of a pattern, starting with `tag` so that no two files are alike.
fn write_pattern(path: &Path, len: usize, tag: u64) {
    let mut bytes: Vec<u8> = (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    bytes[..8].copy_from_slice(&tag.to_le_bytes());
    std::fs::write(path, bytes).expect("write source");
}

/// The built-in HTTP transport, except that while `hold_bytes` is set it answers the
/// attachment requests 503 itself (so a pass pushes the metadata only).
struct Gate {
    http: HttpTransport,
    hold_bytes: AtomicBool,
}

impl Transport for Gate {
    fn send(&self, r: HttpRequest) -> Result<HttpResponse, TransportError> {
        let attachment = matches!(
            r.kind,
            RequestKind::AttachmentStatus | RequestKind::AttachmentChunk
        );
        if attachment && self.hold_bytes.load(Ordering::SeqCst) {
            let body = serde_json::json!({"server_time": "2026-12-07T02:00:00.000Z",
                "error": {"code": "unavailable", "message": "held by the bench", "retryable": true}});
            return Ok(HttpResponse {
                status: 503,
                headers: vec![],
                body: serde_json::to_vec(&body).expect("json"),
            });
        }
        self.http.send(r)
    }
}

/// A store, a clock and a sync engine enrolled with the server.
struct Device {
    dir: PathBuf,
    store: Arc<Store>,
    clock: Arc<ManualClock>,
    engine: SyncEngine,
    gate: Arc<Gate>,
    files: AtomicU64,
}

impl Device {
    fn open(server: &ServerProcess, dir: &Path, key: Option<u8>, officer: &str) -> Self {
        std::fs::create_dir_all(dir).expect("dir");
        let clock = Arc::new(ManualClock::new(Timestamp::from(
            std::time::SystemTime::now(),
        )));
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
        let gate = Arc::new(Gate {
            http: HttpTransport::new(),
            hold_bytes: AtomicBool::new(false),
        });
        let engine = SyncEngine::new(store.clone(), gate.clone(), SyncConfig::new(&server.url))
            .expect("engine");
        engine
            .enrol(&server.enrolment_code(cordon_fixtures::ORGANISATION_ID, officer))
            .expect("enrol");
        Device {
            dir: dir.to_path_buf(),
            store,
            clock,
            engine,
            gate,
            files: AtomicU64::new(0),
        }
    }

    /// A new file of `len` bytes, like no other this bench wrote.
    fn new_source(&self, len: usize) -> PathBuf {
        let n = self.files.fetch_add(1, Ordering::SeqCst);
        let source = self.dir.join("bodycam.mp4");
        write_pattern(
            &source,
            len,
            n + (u64::from(self.store.is_encrypted()) << 32),
        );
        source
    }

    /// Attaches `source` to a new report, pushes the metadata (the bytes held back),
    /// then uploads them; times the attach and the upload pass.
    fn capture_and_upload(&self, source: &Path) -> (Duration, Duration) {
        let report = self
            .store
            .create_report(cordon_fixtures::incident_discovered_at(self.store.now()))
            .expect("report");
        let start = Instant::now();
        let a = self
            .store
            .attach_file(&report.id, source, AttachmentKind::Video, "video/mp4")
            .expect("attach");
        let capture = start.elapsed();
        self.gate.hold_bytes.store(true, Ordering::SeqCst);
        self.engine.sync_once().expect("push the metadata");
        self.gate.hold_bytes.store(false, Ordering::SeqCst);
        self.clock.advance(Duration::from_secs(3600)); // past the backoff
        let start = Instant::now();
        let pass = self.engine.sync_once().expect("upload");
        let upload = start.elapsed();
        assert_eq!(pass.attachments_completed, 1, "{pass:?}");
        assert_eq!(pass.bytes_uploaded, a.size_bytes, "{pass:?}");
        (capture, upload)
    }

    /// The heap's peak above what was allocated before, over one capture and upload.
    fn peak_of_capture_and_upload(&self, len: usize) -> usize {
        let source = self.new_source(len);
        let base = CURRENT.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        self.capture_and_upload(&source);
        PEAK.load(Ordering::SeqCst) - base
    }
}
