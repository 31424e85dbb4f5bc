//! The control room's budgets, measured against the real server on loopback (see
//! docs/PERFORMANCE.md):
//!
//! 1. **Alarm to console**: from the moment a phone starts the sync that carries a duress
//!    alarm to the moment a signed-in console has it: the live stream
//!    (`/console/api/events`) said `changed` and the alarm queue it then reads
//!    (`/console/api/alarms`) holds the alarm, which is what the page does. Median and
//!    p99 on a quiet server, and again while 100 other phones push reports as fast as
//!    they can. Budget: under 1 s.
//! 2. **Deadline to overdue**: an officer's welfare deadline passes with no check-in; how
//!    long until the server's dead-man timer (1 s period) has raised the overdue alarm.
//!    The server runs on a manual clock that the bench moves to the deadline. Budget 5 s.
//!
//! `cargo bench -p cordon --bench control_room` (add `-- --quick` for a smaller run).

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_core::sync::HttpTransport;
use cordon_core::*;
use cordon_server::alarms;
use cordon_server::operators::{self, Role};
use cordon_server::{admin, Server};
use serde_json::{json, Value};

const ORG: &str = "bench";
const PASSWORD: &str = "bench password 123";

/// A server serving on a loopback port from its own runtime.
struct Serving {
    server: Server,
    url: String,
    _runtime: tokio::runtime::Runtime,
}

fn serve(server: Server) -> Serving {
    // The budgets measure the server, not its limits (100 phones pushing flat out).
    server.set_rate_limits(cordon_server::RateLimits::NONE);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let serving = server.clone();
    runtime.spawn(async move { cordon_server::serve(listener, serving).await });
    Serving {
        server,
        url,
        _runtime: runtime,
    }
}

/// A phone of `officer`, enrolled, syncing with the built-in transport.
fn phone(s: &Serving, dir: &std::path::Path, officer: &str, clock: Arc<dyn Clock>) -> SyncEngine {
    let code = admin::create_enrolment_code(&s.server, ORG, officer, admin::DEFAULT_CODE_VALIDITY)
        .unwrap()
        .code;
    let path = dir.join(format!("{officer}.db"));
    let store = Arc::new(Store::open_with_clock(&path, clock).unwrap());
    let engine = SyncEngine::new(
        store,
        Arc::new(HttpTransport::new()),
        SyncConfig::new(&s.url),
    )
    .unwrap();
    engine.enrol(&code).unwrap();
    engine
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A signed-in console: its cookie, and the live stream's `changed` events as they come.
struct Console {
    url: String,
    cookie: String,
    csrf: String,
    agent: ureq::Agent,
    changes: Receiver<Instant>,
}

fn console(s: &Serving) -> Console {
    operators::add_operator(
        &s.server,
        ORG,
        "op.bench",
        Role::Operator,
        PASSWORD,
        "bench",
    )
    .unwrap();
    let agent = agent();
    let mut login = agent
        .post(format!("{}/console/api/login", s.url))
        .header("Content-Type", "application/json")
        .send(
            json!({"organisation": ORG, "username": "op.bench", "password": PASSWORD}).to_string(),
        )
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let body: Value = serde_json::from_str(&login.body_mut().read_to_string().unwrap()).unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    // The stream stays open for the whole run: no overall timeout on its agent.
    let streaming: ureq::Agent = ureq::Agent::config_builder().build().into();
    let stream = streaming
        .get(format!("{}/console/api/events", s.url))
        .header("Cookie", &cookie)
        .call()
        .unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream.into_body().into_reader()).lines() {
            match line {
                Ok(l) if l == "event: changed" => {
                    if tx.send(Instant::now()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(5))
        .expect("the stream's first event");
    Console {
        url: s.url.clone(),
        cookie,
        csrf,
        agent,
        changes: rx,
    }
}

impl Console {
    fn open_alarms(&self) -> Vec<Value> {
        let mut r = self
            .agent
            .get(format!("{}/console/api/alarms", self.url))
            .header("Cookie", &self.cookie)
            .call()
            .unwrap();
        let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        body["open"].as_array().cloned().unwrap_or_default()
    }

    fn post(&self, path: &str, body: Value) {
        let r = self
            .agent
            .post(format!("{}/console/api{path}", self.url))
            .header("Cookie", &self.cookie)
            .header("X-CSRF-Token", &self.csrf)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

/// Duress alarms sent one after another by `engine`: for each, the time from the start of
/// the phone's sync to the console holding it. Each is then acknowledged and resolved
/// through the console (not timed), as an operator would.
fn alarm_to_console(engine: &SyncEngine, console: &Console, samples: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        while console.changes.try_recv().is_ok() {}
        let duress = engine
            .store()
            .record_check_in(NewCheckIn {
                assignment_id: None,
                ..cordon_fixtures::check_in(CheckInKind::Duress)
            })
            .unwrap();
        let started = Instant::now();
        let sync = std::thread::scope(|scope| {
            let sync = scope.spawn(|| engine.sync_once());
            let shown = loop {
                console
                    .changes
                    .recv_timeout(Duration::from_secs(10))
                    .expect("a change within 10 s");
                let open = console.open_alarms();
                if let Some(a) = open.iter().find(|a| a["check_in_id"] == duress.id.as_str()) {
                    break (Instant::now(), a["id"].as_str().unwrap().to_owned());
                }
            };
            sync.join().unwrap().unwrap();
            shown
        });
        times.push(sync.0 - started);
        console.post(&format!("/alarms/{}/acknowledge", sync.1), json!({}));
        console.post(
            &format!("/alarms/{}/resolve", sync.1),
            json!({"outcome": "false_alarm"}),
        );
    }
    times
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut times: Vec<Duration>, budget: Duration) -> bool {
    times.sort();
    let (median, p99, max) = (
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        *times.last().unwrap(),
    );
    let ok = p99 < budget;
    println!(
        "{name}: n={} median {:.1} ms, p99 {:.1} ms, max {:.1} ms (budget {} ms at p99) {}",
        times.len(),
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        budget.as_millis(),
        if ok { "PASS" } else { "FAIL" }
    );
    ok
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let samples = if quick { 20 } else { 100 };
    let loaders = if quick { 20 } else { 100 };
    let overdue_samples = if quick { 5 } else { 20 };
    let mut ok = true;

    // 1. Alarm to console, quiet and under load.
    let dir = tempfile::tempdir().unwrap();
    let s = serve(Server::open(dir.path().join("office.db")).unwrap());
    let console = console(&s);
    let alarm_phone = phone(&s, dir.path(), "OFC-ALARM", Arc::new(SystemClock));
    alarm_to_console(&alarm_phone, &console, 3); // warm up
    ok &= report(
        "alarm to console, quiet server",
        alarm_to_console(&alarm_phone, &console, samples),
        Duration::from_secs(1),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let pushed = Arc::new(AtomicU64::new(0));
    let phones: Vec<SyncEngine> = (0..loaders)
        .map(|i| {
            phone(
                &s,
                dir.path(),
                &format!("OFC-LOAD-{i}"),
                Arc::new(SystemClock),
            )
        })
        .collect();
    let load: Vec<_> = phones
        .into_iter()
        .map(|engine| {
            let (stop, pushed) = (stop.clone(), pushed.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for n in 0..10 {
                        let now = Timestamp::from(std::time::SystemTime::now());
                        let mut content = cordon_fixtures::incident_discovered_at(
                            Timestamp::from_millis(now.as_millis() - 600_000),
                        );
                        content.assignment_id = None;
                        content.narrative = format!("Load report {n}");
                        engine.store().create_report(content).unwrap();
                    }
                    if let Ok(summary) = engine.sync_once() {
                        pushed.fetch_add(
                            u64::from(summary.applied.unsigned_abs()),
                            Ordering::Relaxed,
                        );
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let before = pushed.load(Ordering::Relaxed);
    let measured = Instant::now();
    let under_load = alarm_to_console(&alarm_phone, &console, samples);
    let rate = (pushed.load(Ordering::Relaxed) - before) as f64 / measured.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    ok &= report(
        &format!("alarm to console, {loaders} phones pushing ({rate:.0} operations/s applied)"),
        under_load,
        Duration::from_secs(1),
    );
    drop(s);

    // 2. Deadline to overdue, on a manual clock moved to each deadline.
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from(
        std::time::SystemTime::now(),
    )));
    let s = serve(Server::open_with_clock(dir.path().join("office.db"), clock.clone()).unwrap());
    let mut times = Vec::new();
    for i in 0..overdue_samples {
        let officer = format!("OFC-SILENT-{i}");
        let assignment = Assignment {
            id: format!("A-{i}"),
            check_in_policy: CheckInPolicy {
                interval_secs: 60,
                grace_secs: 0,
            },
            ..cordon_fixtures::assignment_starting_at(clock.now())
        };
        let assignment =
            admin::upsert_assignment(&s.server, ORG, std::slice::from_ref(&officer), assignment)
                .unwrap();
        let engine = phone(&s, dir.path(), &officer, clock.clone());
        engine.sync_once().unwrap(); // the assignment
        engine
            .store()
            .record_check_in(NewCheckIn {
                kind: CheckInKind::ClockOn,
                assignment_id: Some(assignment.id.clone()),
                ..cordon_fixtures::check_in(CheckInKind::ClockOn)
            })
            .unwrap();
        engine.sync_once().unwrap();
        // Somewhere within the timer's period, as a real deadline would fall.
        std::thread::sleep(Duration::from_millis(137 * i as u64 % 1000));
        clock.advance(Duration::from_secs(60));
        let deadline = Instant::now();
        loop {
            let raised = alarms::open_alarms(&s.server, ORG)
                .unwrap()
                .iter()
                .any(|a| a.officer_id == officer && a.kind == AlarmKind::Overdue);
            if raised {
                times.push(deadline.elapsed());
                break;
            }
            assert!(
                deadline.elapsed() < Duration::from_secs(30),
                "no overdue alarm"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    ok &= report(
        "deadline to overdue alarm (timer period 1 s)",
        times,
        Duration::from_secs(5),
    );
    if !ok {
        std::process::exit(1);
    }
}
