//! One run: an organisation's server, its officers' devices, a random workload of every
//! record kind, faults, crashes, restarts and clock trouble, all drawn from one seed; then
//! the network heals, every device drains, and [`crate::check`] judges the outcome.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordon_core::{
    AttachmentKind, CheckInKind, Clock, IncidentContent, IncidentPatch, ManualClock, NewAmendment,
    PassOutcome, ReportState, ReviewOutcome, Severity, Store, SyncConfig, SyncEngine, Timestamp,
};
use cordon_server::admin;

use crate::crash::{Fuse, FusedClock, FusedRandom, SimCrash};
use crate::dice::Dice;
use crate::net::{lock, Counters, Link, Net, BASE_URL};

/// The start of simulated time: a fixed instant, so no run reads the wall clock.
const START_MS: i64 = 1_795_000_000_000; // 2026-11-18

/// What one run did and found.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub seed: u64,
    /// Hash of the run's trace: the same seed gives the same hash.
    pub trace_hash: String,
    pub trace_events: u64,
    pub steps: u32,
    pub devices: usize,
    pub counters: Counters,
    pub violations: Vec<String>,
}

/// What the simulator knows the store acknowledged (the call returned `Ok`).
#[derive(Debug, Default)]
pub struct Acknowledged {
    pub check_ins: Vec<String>,
    pub reports: Vec<String>,
    /// (report, amendments acknowledged so far).
    pub amendments: Vec<(String, i32)>,
    pub submitted: Vec<String>,
    pub attachments: Vec<String>,
}

/// The running app on a device: its store and engine, dropped together on a crash.
struct App {
    store: Arc<Store>,
    engine: SyncEngine,
}

pub struct Device {
    pub index: usize,
    pub officer: String,
    db: PathBuf,
    clock: Arc<ManualClock>,
    fuse: Arc<Fuse>,
    config: SyncConfig,
    alarm_rate: f64,
    pub acked: Acknowledged,
    /// Alarms the link wrote during passes (acknowledged by the store).
    alarms: Arc<Mutex<Vec<String>>>,
    app: Option<App>,
}

impl Device {
    fn open(&mut self, net: &Arc<Net>) {
        let store = Arc::new(
            Store::open_with(
                &self.db,
                Arc::new(FusedClock {
                    clock: self.clock.clone(),
                    fuse: self.fuse.clone(),
                }),
                Arc::new(FusedRandom {
                    random: net.dice().source(),
                    fuse: self.fuse.clone(),
                }),
            )
            .expect("reopen the device store"),
        );
        let link = Link {
            net: net.clone(),
            device: self.index,
            store: store.clone(),
            clock: self.clock.clone(),
            alarm_rate: self.alarm_rate,
            alarms: self.alarms.clone(),
            split_since_urgent: Mutex::new(false),
        };
        let engine = SyncEngine::new(store.clone(), Arc::new(link), self.config.clone())
            .expect("the simulated configuration is valid");
        self.app = Some(App { store, engine });
    }

    /// The store, reopened first if the app was killed.
    pub fn store(&mut self, net: &Arc<Net>) -> Arc<Store> {
        if self.app.is_none() {
            self.open(net);
        }
        self.app.as_ref().expect("open").store.clone()
    }

    fn kill(&mut self, net: &Net, why: &str) {
        self.fuse.disarm();
        self.app = None;
        let mut c = lock(&net.counters);
        match why {
            "mid-pass" => c.kills_mid_pass += 1,
            "mid-write" => c.kills_mid_write += 1,
            _ => c.kills_at_rest += 1,
        }
        drop(c);
        net.note(format!("device {} killed {why}", self.index));
    }

    pub fn alarms_in_pass(&self) -> Vec<String> {
        lock(&self.alarms).clone()
    }
}

pub struct World {
    pub net: Arc<Net>,
    pub devices: Vec<Device>,
    pub server_clock: Arc<ManualClock>,
    dice: Dice,
    dir: PathBuf,
    files: u32,
    /// The assignment as the office issued it last.
    pub assignment_id: String,
    /// How many times the office issued the assignment (its latest `server_version`).
    issued: i64,
    pub officers: Vec<String>,
}

impl World {
    pub(crate) fn new(seed: u64, dir: &Path, keep_trace: bool) -> World {
        let dice = Dice::new(seed);
        let start = Timestamp::from_millis(START_MS + dice.below(365 * 86_400_000) as i64);
        let server_clock = Arc::new(ManualClock::new(start));
        let net = Net::new(
            dir.join("server.db"),
            server_clock.clone(),
            dice.clone(),
            keep_trace,
        );

        let officer_count = dice.range(1, 3) as usize;
        let officers: Vec<String> = (0..officer_count)
            .map(|i| format!("{}-{}", cordon_fixtures::OFFICER_ID, i + 1))
            .collect();
        let assignment = cordon_fixtures::assignment_starting_at(start);
        let assignment_id = assignment.id.clone();
        admin::upsert_assignment(
            &net.server(),
            cordon_fixtures::ORGANISATION_ID,
            &officers,
            assignment,
        )
        .expect("issue the assignment");

        let device_count = dice.range(officer_count as u64, 4) as usize;
        let mut devices = Vec::new();
        for index in 0..device_count {
            // Each device's clock is off the server's by up to three hours either way.
            let skew = dice.range(0, 6 * 3_600_000) as i64 - 3 * 3_600_000;
            let clock = Arc::new(ManualClock::new(Timestamp::from_millis(
                start.as_millis() + skew,
            )));
            net.add_clock(clock.clone());
            let mut config = SyncConfig::new(BASE_URL);
            config.batch.max_operations = dice.range(1, 12) as i32;
            config.chunk_bytes = *dice.pick(&[2048, 8192, 32 * 1024]);
            config.pull_limit = dice.range(1, 4) as i32;
            let mut device = Device {
                index,
                officer: officers[index % officer_count].clone(),
                db: dir.join(format!("device-{index}.db")),
                clock,
                fuse: Arc::new(Fuse::default()),
                config,
                alarm_rate: *dice.pick(&[0.0, 0.02, 0.08]),
                acked: Acknowledged::default(),
                alarms: Arc::new(Mutex::new(Vec::new())),
                app: None,
            };
            device.fuse.disarm();
            device.open(&net);
            devices.push(device);
        }
        let world = World {
            net,
            devices,
            server_clock,
            dice,
            dir: dir.to_path_buf(),
            files: 0,
            assignment_id,
            issued: 1,
            officers,
        };
        // Enrolment and the first pull (the assignment) on a healthy network.
        for i in 0..world.devices.len() {
            let server = world.net.server();
            let officer = world.devices[i].officer.clone();
            let code = admin::create_enrolment_code(
                &server,
                cordon_fixtures::ORGANISATION_ID,
                &officer,
                admin::DEFAULT_CODE_VALIDITY,
            )
            .expect("an enrolment code");
            let app = world.devices[i].app.as_ref().expect("open");
            app.engine.enrol(&code.code).expect("enrol");
            let summary = app.engine.sync_once().expect("first pass");
            assert_eq!(summary.assignments_received, 1, "{summary:?}");
        }
        let rate = *world.dice.pick(&[0.05, 0.2, 0.4, 0.6]);
        world.net.set_fault_rate(rate);
        world.net.note(format!(
            "{} officers, {} devices, fault rate {rate}",
            officer_count,
            world.devices.len()
        ));
        world
    }

    /// The random part of the run; returns the number of steps.
    pub(crate) fn workload(&mut self) -> u32 {
        let steps = self.dice.range(15, 45) as u32;
        for step in 0..steps {
            // Time passes between any two things an officer does.
            self.net
                .advance(Duration::from_millis(self.dice.range(500, 180_000)));
            let d = self.dice.below(self.devices.len() as u64) as usize;
            let action = self.dice.weighted(&[
                40, // write a record
                16, // sync pass
                6,  // crash mid-write
                8,  // crash mid-pass
                3,  // crash at rest
                3,  // server restart
                4,  // device clock jump
                2,  // server clock jump
                5,  // the office reviews a report or reissues the assignment
            ]);
            self.net
                .note(format!("step {step}: device {d} action {action}"));
            match action {
                0 => self.write(d, None),
                1 => self.pass(d, None),
                2 => {
                    let ticks = self.dice.below(8) as i64;
                    self.write(d, Some(ticks));
                }
                3 => {
                    let ticks = self.dice.below(120) as i64;
                    self.pass(d, Some(ticks));
                }
                4 => {
                    let net = self.net.clone();
                    self.devices[d].kill(&net, "at rest");
                }
                5 => self.net.restart_server(),
                6 => {
                    let clock = &self.devices[d].clock;
                    if self.dice.chance(0.5) {
                        clock.advance(Duration::from_millis(self.dice.range(1, 6 * 3_600_000)));
                    } else {
                        let back = self.dice.range(1, 2 * 3_600_000) as i64;
                        clock.set(Timestamp::from_millis(clock.now().as_millis() - back));
                    }
                    self.net.note("device clock jumped");
                }
                7 => {
                    let clock = &self.server_clock;
                    if self.dice.chance(0.5) {
                        clock.advance(Duration::from_millis(self.dice.range(1, 3_600_000)));
                    } else {
                        let back = self.dice.range(1, 3_600_000) as i64;
                        clock.set(Timestamp::from_millis(clock.now().as_millis() - back));
                    }
                    self.net.note("server clock jumped");
                }
                _ => self.office(),
            }
            self.check_liveness();
        }
        steps
    }

    /// Runs one pass on device `d`; a simulated crash kills the app.
    fn pass(&mut self, d: usize, crash_after: Option<i64>) {
        let net = self.net.clone();
        let device = &mut self.devices[d];
        device.store(&net);
        let app = device.app.as_ref().expect("open");
        if let Some(ticks) = crash_after {
            device.fuse.arm(ticks);
        }
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.engine.sync_once()));
        device.fuse.disarm();
        match outcome {
            Ok(Ok(summary)) => net.note(format!(
                "device {d} pass {}: requests {} applied {} duplicates {} rejected {} \
                 assignments {} reviews {} attachments {} bytes {}",
                summary.outcome.name(),
                summary.requests,
                summary.applied,
                summary.duplicates,
                summary.rejected,
                summary.assignments_received,
                summary.reviews_received,
                summary.attachments_completed,
                summary.bytes_uploaded
            )),
            Ok(Err(e)) => net.violation(format!(
                "device {d}: a pass failed locally (only storage failures may): {e}"
            )),
            Err(payload) if payload.is::<SimCrash>() => device.kill(&net, "mid-pass"),
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }

    /// One write on device `d`, of a kind the device's records allow; a simulated crash
    /// kills the app (the write is then not acknowledged).
    fn write(&mut self, d: usize, crash_after: Option<i64>) {
        let net = self.net.clone();
        let store = self.devices[d].store(&net);
        // Choices the workload makes before the write runs (so a crash cannot skip a
        // draw and shift the rest of the run).
        let reports = store.report_ids().unwrap_or_default();
        let mut drafts = Vec::new();
        let mut submitted = Vec::new();
        for id in &reports {
            if let Ok(r) = store.report(id) {
                if r.state == ReportState::Draft {
                    drafts.push(id.clone());
                } else {
                    submitted.push(id.clone());
                }
            }
        }
        let has = |v: &Vec<String>, w: u64| if v.is_empty() { 0 } else { w };
        let choice = self.dice.weighted(&[
            6,                  // check-in of an ordinary kind
            2,                  // alarm
            3,                  // new report
            has(&drafts, 3),    // edit a draft
            has(&drafts, 3),    // attach a file to a draft
            has(&drafts, 3),    // submit a draft
            has(&submitted, 3), // amend a submitted report
        ]);
        let draft = (!drafts.is_empty()).then(|| self.dice.pick(&drafts).clone());
        let sealed = (!submitted.is_empty()).then(|| self.dice.pick(&submitted).clone());
        let n = self.dice.below(1_000_000);
        let kind = *self.dice.pick(&[
            CheckInKind::ClockOn,
            CheckInKind::Welfare,
            CheckInKind::Checkpoint,
            CheckInKind::ClockOff,
        ]);
        let alarm = *self.dice.pick(&[CheckInKind::Panic, CheckInKind::Duress]);
        let size = match self.dice.below(4) {
            0 => self.dice.below(200),
            1 => self.dice.range(1_000, 6_000),
            2 => self.dice.range(20_000, 70_000),
            _ => self.dice.range(150_000, 260_000),
        } as usize;
        let file = self.source_file(size);
        let device = &mut self.devices[d];
        let ack = &mut device.acked;
        if let Some(ticks) = crash_after {
            device.fuse.arm(ticks);
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || -> Result<&'static str, cordon_core::CordonError> {
                match choice {
                    0 => {
                        let c = store.record_check_in(cordon_fixtures::check_in(kind))?;
                        ack.check_ins.push(c.id);
                        Ok("check-in")
                    }
                    1 => {
                        let c = store.record_check_in(cordon_fixtures::check_in(alarm))?;
                        ack.check_ins.push(c.id);
                        Ok("alarm")
                    }
                    2 => {
                        let content = IncidentContent {
                            narrative: format!("Observation {n}."),
                            ..cordon_fixtures::incident_discovered_at(store.now())
                        };
                        let r = store.create_report(content)?;
                        ack.reports.push(r.id);
                        Ok("report created")
                    }
                    3 => {
                        let Some(id) = &draft else {
                            return Ok("no draft to edit");
                        };
                        let mut content = store.report(id)?.content;
                        content.narrative = format!("{} Edited {n}.", content.narrative);
                        content.severity = if n.is_multiple_of(2) {
                            Severity::High
                        } else {
                            Severity::Low
                        };
                        store.update_report(id, content)?;
                        Ok("report edited")
                    }
                    4 => {
                        let Some(id) = &draft else {
                            return Ok("no draft to attach to");
                        };
                        let a =
                            store.attach_file(id, &file, AttachmentKind::Photo, "image/jpeg")?;
                        ack.attachments.push(a.id);
                        Ok("file attached")
                    }
                    5 => {
                        let Some(id) = &draft else {
                            return Ok("no draft to submit");
                        };
                        store.submit_report(id)?;
                        ack.submitted.push(id.clone());
                        Ok("report submitted")
                    }
                    _ => {
                        let Some(id) = &sealed else {
                            return Ok("nothing to amend");
                        };
                        let r = store.amend_report(
                            id,
                            NewAmendment {
                                author: device_call_sign(d),
                                reason: format!("Correction {n}"),
                                patch: IncidentPatch {
                                    police_reference: Some(format!("CAD {n}")),
                                    ..Default::default()
                                },
                            },
                        )?;
                        let count = r.sequence;
                        ack.amendments.retain(|(r, _)| r != id);
                        ack.amendments.push((id.clone(), count));
                        Ok("report amended")
                    }
                }
            },
        ));
        device.fuse.disarm();
        match outcome {
            Ok(Ok(what)) => net.note(format!("device {d} wrote: {what}")),
            Ok(Err(e)) => net.note(format!("device {d} write refused: {}", error_kind(&e))),
            Err(payload) if payload.is::<SimCrash>() => device.kill(&net, "mid-write"),
            Err(payload) => std::panic::resume_unwind(payload),
        }
        let _ = std::fs::remove_file(&file);
    }

    /// A file of `size` bytes for an attachment, from the run's generator.
    fn source_file(&mut self, size: usize) -> PathBuf {
        self.files += 1;
        let path = self.dir.join(format!("capture-{}.jpg", self.files));
        let seed = self.dice.source().next_u64();
        let bytes: Vec<u8> = (0..size)
            .map(|i| (seed.wrapping_mul(i as u64 + 1) >> 29) as u8)
            .collect();
        std::fs::write(&path, bytes).expect("write a capture");
        path
    }

    /// The office reviews a submitted report, or issues the assignment again.
    fn office(&mut self) {
        let server = self.net.server();
        if self.dice.chance(0.6) {
            let submitted: Vec<(String, String)> = admin::reports(&server)
                .unwrap_or_default()
                .into_iter()
                .filter(|r| r.state == ReportState::Submitted)
                .map(|r| (r.provenance.organisation_id, r.id))
                .collect();
            if submitted.is_empty() {
                self.net.note("office: nothing to review");
                return;
            }
            let (organisation, id) = self.dice.pick(&submitted).clone();
            let outcome = if self.dice.chance(0.5) {
                ReviewOutcome::Accepted
            } else {
                ReviewOutcome::Returned
            };
            admin::record_review(
                &server,
                &organisation,
                &id,
                outcome,
                "CR-DUTY",
                Some("Seen."),
            )
            .expect("record a review");
            self.net
                .note(format!("office reviewed a report: {outcome:?}"));
        } else {
            let mut a = cordon_fixtures::assignment_starting_at(self.server_clock.now());
            a.title = format!("{} (reissued)", a.title);
            admin::upsert_assignment(&server, cordon_fixtures::ORGANISATION_ID, &self.officers, a)
                .expect("reissue the assignment");
            self.issued += 1;
            self.net.note("office reissued the assignment");
        }
    }

    /// After every step: nothing pending without a due time the app can schedule.
    fn check_liveness(&mut self) {
        let net = self.net.clone();
        for device in &mut self.devices {
            let Some(app) = &device.app else { continue };
            let (Ok(status), Ok(engine)) = (app.store.outbox_status(), app.engine.status()) else {
                net.violation(format!("device {}: status unreadable", device.index));
                continue;
            };
            if status.pending.total() > 0 && status.next_attempt_at.is_none() {
                let dead = status.dead.total();
                // Pending work held back only by a dead letter has no due time by design.
                if dead == 0 {
                    net.violation(format!(
                        "device {}: {} operations pending with no due time",
                        device.index,
                        status.pending.total()
                    ));
                }
            }
            if status.pending.total() > 0 && !engine.auth_paused && engine.next_sync_at.is_none() {
                net.violation(format!(
                    "device {}: work pending but the engine asks for no pass",
                    device.index
                ));
            }
        }
    }

    /// The network heals and stays healed; every device syncs until its outbox is empty.
    pub(crate) fn heal(&mut self) {
        self.net.set_fault_rate(0.0);
        self.net.forget_requests();
        for device in &mut self.devices {
            device.alarm_rate = 0.0;
            device.fuse.disarm();
        }
        // Reopen every app with alarms during passes switched off.
        let net = self.net.clone();
        for device in &mut self.devices {
            device.app = None;
            device.open(&net);
        }
        self.net.note("healed");
        for round in 0..30 {
            // Past any backoff (5 min cap) and any Retry-After (1 h cap).
            self.net.advance(Duration::from_secs(2 * 3600));
            let mut busy = false;
            for d in 0..self.devices.len() {
                let app = self.devices[d].app.as_ref().expect("open");
                match app.engine.sync_once() {
                    Ok(s) if s.outcome != PassOutcome::Completed => {
                        self.net.note(format!(
                            "heal round {round} device {d}: {}",
                            s.outcome.name()
                        ));
                        busy = true;
                    }
                    Ok(_) => {}
                    Err(e) => self
                        .net
                        .violation(format!("device {d}: a pass after healing failed: {e}")),
                }
                let status = app.store.outbox_status().expect("status");
                if status.pending.total() + status.in_flight.total() > 0 {
                    busy = true;
                }
            }
            if !busy {
                break;
            }
        }
        // One more pull each, now that the office is done.
        for d in 0..self.devices.len() {
            let app = self.devices[d].app.as_ref().expect("open");
            if let Err(e) = app.engine.sync_once() {
                self.net
                    .violation(format!("device {d}: the last pull failed: {e}"));
            }
        }
    }

    pub fn issued_version(&self) -> i64 {
        self.issued
    }

    /// The app of device `d` (open after [`World::heal`]).
    pub fn store_of(&self, d: usize) -> Arc<Store> {
        self.devices[d].app.as_ref().expect("open").store.clone()
    }
}

fn device_call_sign(d: usize) -> String {
    format!("ALPHA-{}", d + 1)
}

/// The variant of a local refusal, without its message (which may name ids).
fn error_kind(e: &cordon_core::CordonError) -> String {
    let debug = format!("{e:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
}
