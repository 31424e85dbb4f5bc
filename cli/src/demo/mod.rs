//! `cordon demo`: Cordon's main job, end to end, in one command.
//!
//! An officer's evening on a protective detail. The office (a real `cordon serve`
//! process on a loopback port) enrols the phone and sends the assignment; the phone
//! then loses signal in an underground car park, and everything that follows is written
//! offline: clock-on, a checkpoint, the welfare clock running late, an incident with a
//! photo, a duress alarm, submission and an amendment. Then the signal returns, one sync
//! delivers it all (the duress first), and both sides' counts are printed.
//!
//! The phone's network is a switch in front of the built-in HTTP transport, so "no
//! signal" is a real failed request, seen and retried by the real engine.
//!
//! The close-protection records each tell a part of the evening as a [`Scene`], in a file
//! of its own beside this one; `run` calls every scene at three points of the story (the
//! office prepares, the phone works without signal, the office looks after the sync).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use cordon_core::sync::{
    HttpRequest, HttpResponse, HttpTransport, RequestKind, Transport, TransportError,
};
use cordon_core::*;
use cordon_fixtures::{OFFICER_ID, ORGANISATION_ID};
use cordon_server::{admin, Server};

use crate::args::CliResult;

mod movements;
mod rota;
mod sightings;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the databases here instead of a temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Afterwards, keep the server and its console running (until ctrl-c or SIGTERM),
    /// print the console's address and an operator's login, and let the phone sync every
    /// few seconds, so the acknowledgement reaches it.
    #[arg(long)]
    keep: bool,
}

/// What a scene of the evening works with: the office, the officer's phone and the
/// story's clock. Everything a scene writes goes through the same store, engine and
/// server as the rest of the story.
pub(super) struct Evening<'a> {
    /// The demo's folder (a second phone's database, a photo: put them here).
    pub dir: &'a std::path::Path,
    /// The office's address (for a second phone's engine).
    pub url: &'a str,
    pub office: &'a Server,
    pub store: &'a Arc<Store>,
    pub engine: &'a SyncEngine,
    /// The story's clock, shared by every phone of the demo.
    pub clock: &'a Arc<ManualClock>,
    /// The assignment as the office sent it.
    pub assignment: &'a Assignment,
}

impl Evening<'_> {
    /// A line of the phone's story, stamped with the officer's wall clock.
    pub fn log(&self, what: &str) {
        println!("  {}  {what}", local(self.clock.now()));
    }

    /// The story moves on.
    pub fn minutes(&self, m: u64) {
        self.clock.advance(Duration::from_secs(m * 60));
    }
}

/// One record family's part of the evening. `run` calls every scene's steps in order,
/// at the same three points of the story; a scene that has nothing to do at a point
/// keeps the default.
pub(super) trait Scene {
    /// How many minutes of story time the scene's steps advance the clock in all (the
    /// story starts that much earlier, so that it still ends about now).
    fn minutes(&self) -> u64;

    /// The office, after the phone has enrolled and before its first sync (issue a
    /// list the phone pulls, set a rota).
    fn office_prepares(&mut self, _evening: &Evening) -> CliResult {
        Ok(())
    }

    /// On the phone with no signal, after the welfare check-in and before the incident.
    fn offline(&mut self, _evening: &Evening) -> CliResult {
        Ok(())
    }

    /// The records the scene queued in the urgent lane while offline (a sighting that
    /// matched the BOLO list), in the order written: they travel in the first request
    /// after the signal returns, with the duress alarm written after them.
    fn urgent(&self) -> Vec<String> {
        Vec::new()
    }

    /// After the phone's sync: what the office sees, printed; an error if it is not what
    /// the scene wrote (the demo then fails, as it does when the duress is missing).
    fn office_sees(&mut self, _evening: &Evening) -> CliResult {
        Ok(())
    }
}

/// The close-protection scenes, in the order they are told.
fn scenes() -> Vec<Box<dyn Scene>> {
    vec![
        Box::<movements::Movement>::default(),
        Box::<sightings::Sightings>::default(),
        Box::<rota::DutyAndHandover>::default(),
    ]
}

/// The phone's radio: requests fail while it is off, and every request is noted.
struct Radio {
    on: AtomicBool,
    inner: HttpTransport,
    sent: Mutex<Vec<HttpRequest>>,
}

impl Transport for Radio {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if !self.on.load(Ordering::SeqCst) {
            return Err(TransportError::Network {
                detail: "no signal".into(),
            });
        }
        let mut kept = request.clone();
        if kept.kind == RequestKind::AttachmentChunk {
            kept.body.clear(); // the story needs the order, not the bytes
        }
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(kept);
        self.inner.send(request)
    }
}

pub fn run(args: DemoArgs, log_filter: &str) -> CliResult {
    let tmp;
    let dir = match args.dir {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            d
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    // The shift is told in compressed time: the phone's clock starts as long ago as the
    // story lasts (99 minutes) and moves as the story does, ending about now.
    let mut scenes = scenes();
    let story_minutes = 99 + scenes.iter().map(|s| s.minutes()).sum::<u64>();
    let now = Timestamp::from(std::time::SystemTime::now());
    let start = Timestamp::from_millis(now.as_millis() - story_minutes as i64 * 60 * 1000);
    let clock = Arc::new(ManualClock::new(start));

    println!("Cordon demo: an evening on a protective detail\n");
    println!("OFFICE");
    let server_db = dir.join("office.db");
    let (_server, url) = crate::serve::spawn(&server_db, log_filter, &[])?;
    let office = Server::open(&server_db)?;
    println!("  reference server listening on {url}");
    let code = admin::create_enrolment_code(
        &office,
        ORGANISATION_ID,
        OFFICER_ID,
        admin::DEFAULT_CODE_VALIDITY,
    )?;
    println!("  enrolment code for officer {OFFICER_ID}: {}", code.code);
    // The sample assignment (fixtures/assignment.json), moved to start with the story.
    let sent = cordon_fixtures::assignment_starting_at(start);
    admin::upsert_assignment(
        &office,
        ORGANISATION_ID,
        &[OFFICER_ID.to_owned()],
        sent.clone(),
    )?;
    println!(
        "  assignment {} ({}, principal {}) sent to {OFFICER_ID}\n",
        sent.reference,
        sent.title.to_lowercase(),
        sent.principal_codename.as_deref().unwrap_or("none")
    );

    println!("PHONE");
    let store = Arc::new(Store::open_with_clock(dir.join("phone.db"), clock.clone())?);
    let radio = Arc::new(Radio {
        on: AtomicBool::new(true),
        inner: HttpTransport::new(),
        sent: Mutex::new(Vec::new()),
    });
    let mut config = SyncConfig::new(url.clone());
    config.chunk_bytes = 256 * 1024;
    let engine = SyncEngine::new(store.clone(), radio.clone(), config)?;
    store.set_server_url(&url)?;
    let evening = Evening {
        dir: &dir,
        url: &url,
        office: &office,
        store: &store,
        engine: &engine,
        clock: &clock,
        assignment: &sent,
    };
    let log = |what: &str| evening.log(what);
    let minutes = |m: u64| evening.minutes(m);
    let enrolled = engine.enrol(&code.code)?;
    log(&format!(
        "enrolled as {} (device {})",
        enrolled.officer_id, enrolled.device_id
    ));
    for scene in scenes.iter_mut() {
        scene.office_prepares(&evening)?;
    }
    let first = engine.sync_once()?;
    let a = store.assignment(&sent.id)?;
    log(&format!(
        "synced: {} assignment received; post orders v{}: \"{}\"",
        first.assignments_received, a.post_orders.version, a.post_orders.text
    ));

    radio.on.store(false, Ordering::SeqCst);
    engine.set_online(false)?;
    log("-- no signal: underground car park --");
    // The sample check-in (fixtures/check_in.json), every one on the assignment.
    let check_in = |kind| -> Result<CheckIn> {
        store.record_check_in(NewCheckIn {
            assignment_id: Some(a.id.clone()),
            ..cordon_fixtures::check_in(kind)
        })
    };
    check_in(CheckInKind::ClockOn)?;
    log("clock-on");
    minutes(20);
    let checkpoint = check_in(CheckInKind::Checkpoint)?;
    log(&format!(
        "checkpoint {}",
        checkpoint.tag_id.as_deref().unwrap_or("")
    ));
    minutes(31);
    log(&format!("welfare clock: {}", welfare(&store, &a.id)?));
    minutes(5);
    log(&format!("welfare clock: {}", welfare(&store, &a.id)?));
    check_in(CheckInKind::Welfare)?;
    log("welfare check-in");
    for scene in scenes.iter_mut() {
        scene.offline(&evening)?;
    }
    minutes(9);
    // The sample incident (fixtures/incident.json), discovered now.
    let report = store.create_report(IncidentContent {
        assignment_id: Some(a.id.clone()),
        ..cordon_fixtures::incident_discovered_at(clock.now())
    })?;
    log("incident draft: hostile surveillance");
    let photo = dir.join("van.jpg");
    write_photo(&photo, 3 * 1024 * 1024 + 12_345)?;
    let attached = store.attach_file(&report.id, &photo, AttachmentKind::Photo, "image/jpeg")?;
    log(&format!(
        "photo attached: {:.1} MB, sha256 {}…",
        attached.size_bytes as f64 / 1_048_576.0,
        &attached.sha256[..16]
    ));
    minutes(2);
    let duress = check_in(CheckInKind::Duress)?;
    log("DURESS check-in (on screen it looks like a welfare check)");
    minutes(3);
    let sealed = store.submit_report(&report.id)?;
    log(&format!(
        "incident submitted and sealed {}…",
        &sealed.content_hash.as_deref().unwrap_or("")[..16]
    ));
    minutes(25);
    let amended = store.amend_report(
        &report.id,
        NewAmendment {
            author: OFFICER_ID.into(),
            reason: "Police attended".into(),
            patch: IncidentPatch {
                police_reference: Some("CAD 4471".into()),
                ..Default::default()
            },
        },
    )?;
    log("amendment 1: police reference CAD 4471");
    let tried = engine.sync_once()?;
    if let PassOutcome::Interrupted { error } = &tried.outcome {
        log(&format!("sync tried: {error}; everything stays queued"));
    }
    let waiting = store.outbox_status()?;
    log(&format!(
        "queued offline: {} operations (urgent {}, normal {}, bulk {})",
        waiting.pending.total(),
        waiting.pending.urgent,
        waiting.pending.normal,
        waiting.pending.bulk
    ));

    minutes(4);
    radio.on.store(true, Ordering::SeqCst);
    engine.set_online(true)?;
    log("-- signal back --");
    radio.sent.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let back = engine.sync_once()?;
    let sent = radio.sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
    log(&format!(
        "synced: {:?}, {} requests, {} operations applied, {} attachment ({:.1} MB)",
        back.outcome,
        back.requests,
        back.applied,
        back.attachments_completed,
        back.bytes_uploaded as f64 / 1_048_576.0
    ));
    let first: Vec<String> = sent
        .iter()
        .find(|r| r.kind == RequestKind::Push)
        .and_then(|r| serde_json::from_slice::<cordon_core::protocol::PushRequest>(&r.body).ok())
        .map(|p| p.operations.into_iter().map(|o| o.record_id).collect())
        .unwrap_or_default();
    // The urgent lane, whole and alone: what the scenes queued there, then the duress.
    let urgent: Vec<String> = scenes
        .iter()
        .flat_map(|s| s.urgent())
        .chain([duress.id.clone()])
        .collect();
    let duress_first = sent.first().is_some_and(|r| r.kind == RequestKind::Push) && first == urgent;
    log(&format!(
        "first request after the signal returned: {:?}, carrying {}",
        sent.first().map(|r| r.kind),
        if duress_first && urgent.len() == 1 {
            "the duress alarm alone".to_owned()
        } else if duress_first {
            format!(
                "the urgent lane alone: the duress alarm and {} BOLO match(es)",
                urgent.len() - 1
            )
        } else {
            "something else (a bug!)".to_owned()
        }
    ));
    let status = engine.status()?;
    log(&format!(
        "device: {} pending, {} dead; office clock minus phone clock: {} ms",
        status.outbox.pending.total(),
        status.outbox.dead.total(),
        status.server_clock_offset_ms.unwrap_or(0)
    ));

    println!("\nOFFICE, after the sync");
    let check_ins = admin::check_ins(&office)?;
    let duress_seen = check_ins.iter().any(|c| c.check_in.id == duress.id);
    println!(
        "  check-ins received: {} (duress from {OFFICER_ID}: {})",
        check_ins.len(),
        if duress_seen { "RECEIVED" } else { "missing" }
    );
    let received = admin::report(&office, ORGANISATION_ID, &report.id)?;
    let device_head = Some(amended.hash.clone());
    let chain = match &received.integrity {
        ReportIntegrity::Intact { amendments, .. } => format!("intact ({amendments} amendment)"),
        other => format!("{other:?}"),
    };
    let head_matches = received.head_hash == device_head;
    println!(
        "  incident report: {:?}, hash chain {chain}, head hash {} the phone's",
        received.state,
        if head_matches {
            "matches"
        } else {
            "DIFFERS FROM"
        }
    );
    for a in admin::attachments(&office)? {
        println!(
            "  attachment {}: {} of {} bytes, complete {}, sha256 {}…",
            a.attachment.file_name,
            a.received_bytes,
            a.attachment.size_bytes,
            a.complete,
            &a.attachment.sha256[..16]
        );
    }
    println!("  receipts: {}", admin::receipts(&office)?.len());
    for scene in scenes.iter_mut() {
        scene.office_sees(&evening)?;
    }
    if !(duress_seen
        && duress_first
        && head_matches
        && status.outbox.pending.total() == 0
        && back.outcome == PassOutcome::Completed)
    {
        return Err("the demo did not deliver everything".into());
    }
    if args.keep {
        keep_running(&office, &url, &engine, &clock, &duress.id)?;
    }
    Ok(())
}

/// The office's side, live: the console's address and a login, then the phone syncing as
/// its engine asks (every few seconds while its alarm is unacknowledged) until a signal.
fn keep_running(
    office: &Server,
    url: &str,
    engine: &SyncEngine,
    clock: &ManualClock,
    duress_id: &str,
) -> CliResult {
    use cordon_server::operators::{self, Role};
    let password = crate::admin::new_password();
    operators::add_operator(
        office,
        ORGANISATION_ID,
        "op.demo",
        Role::Supervisor,
        &password,
        "demo",
    )?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Listen before the thread starts, so a signal sent right after the lines below stops
    // the demo cleanly.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let signalled = {
        let _context = rt.enter();
        crate::serve::shutdown_signal()?
    };
    println!(
        "
CONTROL ROOM (kept running; ctrl-c to stop)"
    );
    println!("  console:  {url}/console");
    println!("  sign in:  organisation {ORGANISATION_ID}, username op.demo, password {password}");
    println!("  the duress alarm is waiting there; acknowledge it and the phone learns it");
    println!("  (the officer's welfare clock runs on: without a check-in they go overdue)");
    std::thread::spawn(move || {
        rt.block_on(signalled);
        flag.store(true, Ordering::SeqCst);
    });
    // The phone's clock ran the story in compressed time: from now on it is real time.
    let mut last = None;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(500));
        let now = Timestamp::from(std::time::SystemTime::now());
        clock.set(now.max(clock.now()));
        if engine.next_sync_at()?.is_some_and(|t| t <= clock.now()) {
            let _ = engine.sync_once();
        }
        let state = engine
            .store()
            .alarm_status(duress_id)?
            .map(|a| (a.state, a.note));
        if state != last {
            if let Some((state, note)) = &state {
                println!(
                    "  phone: the control room has the duress alarm: {}{} (covert: nothing on screen)",
                    state.as_str(),
                    note.as_deref().map(|n| format!(", \"{n}\"")).unwrap_or_default()
                );
            }
            last = state;
        }
    }
    println!("  stopping the server");
    Ok(())
}

/// The officer's wall clock (the detail is in London).
fn local(t: Timestamp) -> String {
    t.to_datetime()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%H:%M")
        .to_string()
}

fn welfare(store: &Store, assignment: &str) -> Result<String> {
    let fmt = local;
    Ok(match store.welfare_status(assignment)? {
        WelfareStatus::OffDuty => "off duty".into(),
        WelfareStatus::OnTime { due_at, .. } => format!("on time, next due {}", fmt(due_at)),
        WelfareStatus::Due { overdue_at, .. } => format!("DUE, overdue at {}", fmt(overdue_at)),
        WelfareStatus::Overdue { due_at, .. } => format!("OVERDUE since {}", fmt(due_at)),
    })
}

/// A stand-in for a camera photo: bytes enough to need several chunks.
fn write_photo(path: &std::path::Path, len: usize) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        f.write_all(&[(x >> 24) as u8])?;
    }
    f.flush()
}
