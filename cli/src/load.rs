//! `cordon load`: a load generator for the office (issue 14). It starts its own `cordon
//! serve` (a child process on a loopback port, without rate limits), enrols N phones
//! (each a real `Store` and `SyncEngine` over HTTP), then for a fixed time lets worker
//! threads give the phones turns: each turn writes what an officer would (mostly welfare
//! check-ins, some reports and amendments, a few photos, an alarm now and then) and syncs.
//!
//! It reports what the office did: operations applied per second, push latency (p50,
//! p99), alarm latency (from the write to the office's answer to the push that carried
//! it), and the server process's CPU and peak memory (from `/proc`). Beside it, measured
//! in the same run, the limit of SQLite itself: server-shaped transactions (a receipt, a
//! record and its row, `synchronous=FULL`, WAL) one after another in one process.
//!
//! A phone's store is opened for its turn and closed after it, so that thousands of
//! phones do not need thousands of open files; that costs the generator, not the office.
//! The generator runs on the same machine as the server: on a small machine it competes
//! for the same cores, which the figures must be read with.
//!
//! `--database` names the office's database (a SQLite file, or a PostgreSQL URL, its
//! attachment bytes then in `office.blobs` of the run's directory) and `--servers N`
//! starts N `cordon serve` processes on it, the phones spread over them in turn; CPU and
//! memory are then the processes' sums.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use cordon_core::sync::{HttpRequest, HttpResponse, HttpTransport, RequestKind, Transport};
use cordon_core::*;
use cordon_server::{admin, Server};
use serde::Serialize;

use crate::args::CliResult;

const ORGANISATION: &str = "load";
/// Officers per assignment (the office's assignments are shared, as on a real detail).
const PER_ASSIGNMENT: usize = 25;

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Phones to simulate.
    #[arg(long, default_value_t = 100)]
    phones: usize,
    /// How long the load runs once every phone is enrolled, in seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Threads giving the phones their turns (a phone's turn: write, then sync).
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Seed of the mix (which phone writes what, when).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the databases here instead of a temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// One JSON object instead of lines.
    #[arg(long)]
    json: bool,
    /// Instead of the mix: every phone a thread of its own sending one-operation pushes
    /// (a welfare check-in each) back to back over HTTP, without a device store: the
    /// office's ceiling for its smallest pushes (`--workers` is not used).
    #[arg(long)]
    one_op_pushes: bool,
    /// Instead of the mix: a reconnect storm. Every phone has this many welfare check-ins
    /// written offline; all of them sync at once (a thread each, the engine's own
    /// batches) while one more phone sends duress alarms, one after another, timed from
    /// the push's request to its receipt. The run lasts until every phone has drained
    /// (`--seconds` and `--workers` are not used).
    #[arg(long, value_name = "BACKLOG")]
    storm: Option<usize>,
    /// The office's database: a SQLite file's path or a PostgreSQL URL (default: a new
    /// SQLite file in the run's directory).
    #[arg(long)]
    database: Option<String>,
    /// `cordon serve` processes on the one database; the phones are spread over them.
    #[arg(long, default_value_t = 1)]
    servers: usize,
}

/// The office under load: its `cordon serve` processes and their addresses.
struct Office {
    children: Vec<crate::serve::ServerChild>,
    urls: Vec<String>,
}

impl Office {
    /// The address phone `phone` talks to: the servers in turn.
    fn url(&self, phone: usize) -> &str {
        &self.urls[phone % self.urls.len()]
    }

    /// The servers' user and system time so far, in clock ticks, summed.
    fn cpu_ticks(&self) -> Option<u64> {
        self.children.iter().map(|c| cpu_ticks(c.id())).sum()
    }

    /// The servers' peak resident memory, in KiB, summed.
    fn peak_rss_kib(&self) -> Option<u64> {
        self.children.iter().map(|c| peak_rss_kib(c.id())).sum()
    }
}

/// What a run measured.
#[derive(Debug, Serialize)]
struct Figures {
    database: &'static str,
    servers: usize,
    phones: usize,
    workers: usize,
    seconds: f64,
    turns: u64,
    operations_applied: u64,
    operations_per_second: f64,
    pushes: usize,
    pushes_per_second: f64,
    push_p50_ms: f64,
    push_p99_ms: f64,
    alarms: usize,
    alarm_p50_ms: f64,
    alarm_p99_ms: f64,
    server_cpu_percent: f64,
    server_peak_rss_mib: f64,
    sqlite_limit_per_second: f64,
    pushes_of_sqlite_limit_percent: f64,
}

/// The built-in HTTP transport, timing each push.
struct Timed {
    inner: HttpTransport,
    pushes: Arc<Mutex<Vec<Duration>>>,
    /// When the first push of the turn was answered.
    first_push_done: Mutex<Option<Instant>>,
}

impl Transport for Timed {
    fn send(
        &self,
        request: HttpRequest,
    ) -> Result<HttpResponse, cordon_core::sync::TransportError> {
        let push = request.kind == RequestKind::Push;
        let started = Instant::now();
        let answer = self.inner.send(request);
        if push {
            let done = Instant::now();
            lock(&self.pushes).push(done - started);
            lock(&self.first_push_done).get_or_insert(done);
        }
        answer
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn run(args: LoadArgs) -> CliResult {
    if args.phones == 0 || args.workers == 0 || args.seconds == 0 || args.servers == 0 {
        return Err("--phones, --workers, --seconds and --servers must be at least 1".into());
    }
    if args.storm == Some(0) {
        return Err("--storm takes the check-ins each phone has waiting, at least 1".into());
    }
    let tmp;
    let dir = match args.dir.clone() {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            d
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let limit = sqlite_limit(&dir.join("limit.db"), Duration::from_secs(3))?;
    let database = match &args.database {
        Some(database) => database.clone(),
        None => dir.join("office.db").display().to_string(),
    };
    let blobs = cordon_server::is_postgres_url(&database).then(|| dir.join("office.blobs"));
    let blobs_arg = blobs.as_ref().map(|b| b.display().to_string());
    let mut extra = vec!["--no-rate-limits"];
    if let Some(blobs) = &blobs_arg {
        extra.extend(["--blobs", blobs]);
    }
    let mut server = Office {
        children: Vec::new(),
        urls: Vec::new(),
    };
    for _ in 0..args.servers {
        // The server logs errors only: an alarm a second is the load, not news.
        let (child, url) = crate::serve::spawn_on(database.as_ref(), "error", &extra)?;
        server.children.push(child);
        server.urls.push(url);
    }
    let office = Server::open_database(&database, blobs.as_deref())?;
    let phones_dir = dir.join("phones");
    std::fs::create_dir_all(&phones_dir)?;
    if args.one_op_pushes {
        return one_op_pushes(&args, &office, server, limit);
    }
    if let Some(backlog) = args.storm {
        // The phones, and one more that sends the alarms.
        enrol_phones(&office, &server, &phones_dir, args.phones + 1)?;
        return storm(&args, backlog, &phones_dir, server, limit);
    }
    enrol_phones(&office, &server, &phones_dir, args.phones)?;
    let pushes = Arc::new(Mutex::new(Vec::new()));
    let alarms = Arc::new(Mutex::new(Vec::new()));
    let applied = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let turns = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = server.cpu_ticks();
    let started = Instant::now();
    let urls = Arc::new(server.urls.clone());
    let workers: Vec<_> = (0..args.workers)
        .map(|w| {
            let (pushes, alarms, applied, turns, next, stop) = (
                pushes.clone(),
                alarms.clone(),
                applied.clone(),
                turns.clone(),
                next.clone(),
                stop.clone(),
            );
            let (urls, phones_dir, phones) = (urls.clone(), phones_dir.clone(), args.phones);
            let random = SeededRandom::new(args.seed.wrapping_mul(1000).wrapping_add(w as u64));
            std::thread::spawn(move || -> Result<()> {
                while !stop.load(Ordering::Relaxed) {
                    let phone = next.fetch_add(1, Ordering::Relaxed) % phones;
                    let turn = Turn {
                        url: &urls[phone % urls.len()],
                        db: &phone_db(&phones_dir, phone),
                        assignment: &assignment_id(phone),
                        pushes: &pushes,
                        random: &random,
                    };
                    let (ops, alarm) = turn.take()?;
                    applied.fetch_add(ops, Ordering::Relaxed);
                    turns.fetch_add(1, Ordering::Relaxed);
                    if let Some(latency) = alarm {
                        lock(&alarms).push(latency);
                    }
                }
                Ok(())
            })
        })
        .collect();
    run_for(args.seconds, &stop, workers, "a load worker panicked")?;
    let mut pushes = lock(&pushes).clone();
    let mut alarms = lock(&alarms).clone();
    report(
        &args,
        Measured {
            server,
            cpu_before,
            started,
            turns: turns.load(Ordering::Relaxed),
            applied: applied.load(Ordering::Relaxed),
            pushes: &mut pushes,
            alarms: &mut alarms,
            limit,
        },
    )
}

/// Lets `threads` run for `seconds`, tells them to stop, and waits for them: the first
/// error one returned, or `panicked` if one panicked.
fn run_for<E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    seconds: u64,
    stop: &AtomicBool,
    threads: Vec<std::thread::JoinHandle<std::result::Result<(), E>>>,
    panicked: &str,
) -> CliResult {
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join()
            .map_err(|_| panicked.to_owned())?
            .map_err(Into::into)?;
    }
    Ok(())
}

/// What a run collected, for [`report`].
struct Measured<'a> {
    server: Office,
    cpu_before: Option<u64>,
    started: Instant,
    turns: u64,
    applied: u64,
    pushes: &'a mut Vec<Duration>,
    alarms: &'a mut Vec<Duration>,
    limit: f64,
}

/// Reads the server's CPU and memory, stops it, and prints the figures.
fn report(args: &LoadArgs, m: Measured<'_>) -> CliResult {
    let Measured {
        server,
        cpu_before,
        started,
        turns,
        applied,
        pushes,
        alarms,
        limit,
    } = m;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu_ticks().zip(cpu_before).map(|(a, b)| a - b);
    let rss = server.peak_rss_kib();
    drop(server);
    let figures = Figures {
        database: match &args.database {
            Some(d) if cordon_server::is_postgres_url(d) => "postgresql",
            _ => "sqlite",
        },
        servers: args.servers,
        phones: args.phones,
        // With one-operation pushes every phone is a thread of its own.
        workers: if args.one_op_pushes {
            args.phones
        } else {
            args.workers
        },
        seconds: elapsed,
        turns,
        operations_applied: applied,
        operations_per_second: applied as f64 / elapsed,
        pushes: pushes.len(),
        pushes_per_second: pushes.len() as f64 / elapsed,
        push_p50_ms: percentile_ms(pushes, 0.50),
        push_p99_ms: percentile_ms(pushes, 0.99),
        alarms: alarms.len(),
        alarm_p50_ms: percentile_ms(alarms, 0.50),
        alarm_p99_ms: percentile_ms(alarms, 0.99),
        // Clock ticks are 1/100 s on Linux.
        server_cpu_percent: cpu.map_or(f64::NAN, |t| t as f64 / elapsed),
        server_peak_rss_mib: rss.map_or(f64::NAN, |k| k as f64 / 1024.0),
        sqlite_limit_per_second: limit,
        pushes_of_sqlite_limit_percent: 100.0 * pushes.len() as f64 / elapsed / limit,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print(&figures);
    }
    Ok(())
}

/// `--one-op-pushes`: each phone enrolled over HTTP with a device id of its own, then a
/// thread per phone pushing one welfare check-in per request, back to back, for the run's
/// time. Every push must be answered 200 with its operation applied.
fn one_op_pushes(args: &LoadArgs, office: &Server, server: Office, limit: f64) -> CliResult {
    let officers = officers_on_assignments(office, args.phones)?;
    let transport = HttpTransport::new();
    let mut phones = Vec::with_capacity(args.phones);
    for (phone, officer) in officers.iter().enumerate() {
        let url = server.url(phone);
        let code = admin::create_enrolment_code(
            office,
            ORGANISATION,
            officer,
            admin::DEFAULT_CODE_VALIDITY,
        )?;
        let request = cordon_core::protocol::EnrolRequest {
            code: code.code,
            device_id: uuid::Uuid::new_v4().to_string(),
        };
        let answer = post(&transport, &format!("{url}/v1/enrol"), None, &request)?;
        let enrolled: cordon_core::protocol::EnrolResponse = serde_json::from_slice(&answer)?;
        phones.push(enrolled);
    }
    let pushes = Arc::new(Mutex::new(Vec::new()));
    let applied = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = server.cpu_ticks();
    let started = Instant::now();
    let threads: Vec<_> = phones
        .into_iter()
        .enumerate()
        .map(|(phone, enrolled)| {
            let (pushes, applied, stop) = (pushes.clone(), applied.clone(), stop.clone());
            let url = format!("{}/v1/push", server.url(phone));
            let assignment = assignment_id(phone);
            std::thread::spawn(move || -> CliResult {
                let transport = HttpTransport::new();
                let mut seq = 0;
                while !stop.load(Ordering::Relaxed) {
                    seq += 1;
                    let request = one_check_in(&enrolled.device_id, &assignment, seq)?;
                    let sent = Instant::now();
                    let answer = post(&transport, &url, Some(&enrolled.token), &request)?;
                    let latency = sent.elapsed();
                    let answer: cordon_core::protocol::PushResponse =
                        serde_json::from_slice(&answer)?;
                    if answer.results.len() != 1
                        || answer.results[0].status != cordon_core::protocol::ResultStatus::Applied
                    {
                        return Err(format!("a push was not applied: {:?}", answer.results).into());
                    }
                    lock(&pushes).push(latency);
                    applied.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    run_for(args.seconds, &stop, threads, "a pushing phone panicked")?;
    let mut pushes = lock(&pushes).clone();
    let applied = applied.load(Ordering::Relaxed);
    report(
        args,
        Measured {
            server,
            cpu_before,
            started,
            turns: applied,
            applied,
            pushes: &mut pushes,
            alarms: &mut Vec::new(),
            limit,
        },
    )
}

/// `--storm`: every phone's backlog written offline, then every phone syncing at once
/// while the last phone sends duress alarms back to back (each its own sync), until the
/// phones have drained. The alarm's latency is its push's, request to receipt.
fn storm(
    args: &LoadArgs,
    backlog: usize,
    phones_dir: &Path,
    server: Office,
    limit: f64,
) -> CliResult {
    let engine = |phone: usize, pushes: &Arc<Mutex<Vec<Duration>>>| -> Result<_> {
        let store = Arc::new(Store::open(phone_db(phones_dir, phone))?);
        let transport = Arc::new(Timed {
            inner: HttpTransport::new(),
            pushes: pushes.clone(),
            first_push_done: Mutex::new(None),
        });
        let config = SyncConfig::new(server.url(phone));
        let engine = SyncEngine::new(store.clone(), transport.clone(), config)?;
        Ok((store, transport, engine))
    };
    let pushes = Arc::new(Mutex::new(Vec::new()));
    let mut phones = Vec::with_capacity(args.phones);
    for phone in 0..args.phones {
        let (store, _, engine) = engine(phone, &pushes)?;
        let check_in = NewCheckIn {
            assignment_id: Some(assignment_id(phone)),
            ..cordon_fixtures::check_in(CheckInKind::Welfare)
        };
        for _ in 0..backlog {
            store.record_check_in(check_in.clone())?;
        }
        phones.push(engine);
    }
    let alarm_pushes = Arc::new(Mutex::new(Vec::new()));
    let (alarm_store, alarm_transport, alarm_engine) = engine(args.phones, &alarm_pushes)?;
    let applied = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let draining = Arc::new(AtomicUsize::new(args.phones));
    let cpu_before = server.cpu_ticks();
    let started = Instant::now();
    let threads: Vec<_> = phones
        .into_iter()
        .map(|engine| {
            let (applied, draining) = (applied.clone(), draining.clone());
            std::thread::spawn(move || -> Result<()> {
                let passes = engine.sync_until_drained(1_000);
                draining.fetch_sub(1, Ordering::Relaxed);
                for pass in passes? {
                    applied.fetch_add(u64::try_from(pass.applied).unwrap_or(0), Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    let mut alarms = Vec::new();
    while draining.load(Ordering::Relaxed) > 0 {
        alarm_store.record_check_in(NewCheckIn {
            assignment_id: None,
            ..cordon_fixtures::check_in(CheckInKind::Duress)
        })?;
        *lock(&alarm_transport.first_push_done) = None;
        let before = lock(&alarm_pushes).len();
        let summary = alarm_engine.sync_once()?;
        let timed = lock(&alarm_pushes);
        match (summary.applied, timed.get(before)) {
            (1.., Some(latency)) => alarms.push(*latency),
            _ => return Err(format!("a duress alarm was not applied: {summary:?}").into()),
        }
    }
    for t in threads {
        t.join().map_err(|_| "a storming phone panicked")??;
    }
    let mut pushes = lock(&pushes).clone();
    let applied = applied.load(Ordering::Relaxed);
    if applied != (args.phones * backlog) as u64 {
        return Err(format!(
            "the storm applied {applied} of {} check-ins",
            args.phones * backlog
        )
        .into());
    }
    report(
        args,
        Measured {
            server,
            cpu_before,
            started,
            turns: args.phones as u64,
            applied,
            pushes: &mut pushes,
            alarms: &mut alarms,
            limit,
        },
    )
}

/// A push of one welfare check-in, as a phone would send it.
fn one_check_in(
    device_id: &str,
    assignment: &str,
    seq: i64,
) -> CliResult<cordon_core::protocol::PushRequest> {
    let now = Timestamp::from(std::time::SystemTime::now());
    let sample = cordon_fixtures::check_in(CheckInKind::Welfare);
    let check_in = CheckIn {
        id: uuid::Uuid::now_v7().to_string(),
        kind: CheckInKind::Welfare,
        assignment_id: Some(assignment.to_owned()),
        occurred_at: now,
        time_zone: sample.time_zone,
        location: sample.location,
        tag_id: None,
        note: sample.note,
        recorded_at: now,
    };
    Ok(cordon_core::protocol::PushRequest {
        device_id: device_id.to_owned(),
        operations: vec![cordon_core::protocol::WireOperation {
            id: uuid::Uuid::now_v7().to_string(),
            seq,
            kind: OperationKind::CheckInRecord,
            record_id: check_in.id.clone(),
            depends_on: None,
            payload_version: cordon_core::protocol::PAYLOAD_VERSION,
            created_at: now,
            payload: serde_json::value::to_raw_value(&check_in)?,
        }],
    })
}

/// POSTs `body` as JSON and returns the answer's body, or the status as an error.
fn post(
    transport: &HttpTransport,
    url: &str,
    token: Option<&str>,
    body: &impl Serialize,
) -> CliResult<Vec<u8>> {
    let mut headers = vec![cordon_core::sync::HttpHeader {
        name: "Content-Type".into(),
        value: "application/json".into(),
    }];
    if let Some(token) = token {
        headers.push(cordon_core::sync::HttpHeader {
            name: "Authorization".into(),
            value: format!("Bearer {token}"),
        });
    }
    let answer = transport
        .send(HttpRequest {
            kind: if token.is_some() {
                RequestKind::Push
            } else {
                RequestKind::Enrol
            },
            method: cordon_core::sync::HttpMethod::Post,
            url: url.to_owned(),
            headers,
            body: serde_json::to_vec(body)?,
            timeout_ms: 30_000,
        })
        .map_err(|e| format!("{url}: {e}"))?;
    if answer.status != 200 {
        return Err(format!(
            "{url} answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )
        .into());
    }
    Ok(answer.body)
}

fn print(f: &Figures) {
    println!(
        "cordon load: {} phones, {} workers, {:.1} s, {} turns; {} server process(es) on {}",
        f.phones, f.workers, f.seconds, f.turns, f.servers, f.database
    );
    println!(
        "  operations applied   {:>8}  ({:.0}/s)",
        f.operations_applied, f.operations_per_second
    );
    println!(
        "  pushes               {:>8}  ({:.0}/s), latency p50 {:.1} ms, p99 {:.1} ms",
        f.pushes, f.pushes_per_second, f.push_p50_ms, f.push_p99_ms
    );
    println!(
        "  alarms               {:>8}  write to the office's answer: p50 {:.1} ms, p99 {:.1} ms",
        f.alarms, f.alarm_p50_ms, f.alarm_p99_ms
    );
    println!(
        "  server               CPU {:.0}% of one core, peak memory {:.1} MiB (all processes)",
        f.server_cpu_percent, f.server_peak_rss_mib
    );
    println!(
        "  SQLite limit         {:.0} server-shaped transactions/s in one process; pushes at {:.1}% of it",
        f.sqlite_limit_per_second, f.pushes_of_sqlite_limit_percent
    );
}

fn phone_db(dir: &Path, phone: usize) -> PathBuf {
    dir.join(format!("phone-{phone:05}.db"))
}

fn officer_id(phone: usize) -> String {
    format!("OFC-L{phone:05}")
}

fn assignment_id(phone: usize) -> String {
    format!("A-LOAD-{:04}", phone / PER_ASSIGNMENT)
}

/// The officers of `phones` phones, each on an assignment (begun an hour ago) shared with
/// its neighbours, [`PER_ASSIGNMENT`] to an assignment.
fn officers_on_assignments(office: &Server, phones: usize) -> CliResult<Vec<String>> {
    let now = Timestamp::from(std::time::SystemTime::now());
    let officers: Vec<String> = (0..phones).map(officer_id).collect();
    for (i, group) in officers.chunks(PER_ASSIGNMENT).enumerate() {
        let mut a = cordon_fixtures::assignment_starting_at(Timestamp::from_millis(
            now.as_millis() - 3_600_000,
        ));
        a.id = assignment_id(i * PER_ASSIGNMENT);
        admin::upsert_assignment(office, ORGANISATION, group, a)?;
    }
    Ok(officers)
}

/// Every phone enrolled with a code of its own, on an assignment shared with its
/// neighbours, and its first sync done (the assignment pulled).
fn enrol_phones(office: &Server, server: &Office, dir: &Path, phones: usize) -> CliResult {
    let officers = officers_on_assignments(office, phones)?;
    for (phone, officer) in officers.iter().enumerate() {
        let url = server.url(phone);
        let code = admin::create_enrolment_code(
            office,
            ORGANISATION,
            officer,
            admin::DEFAULT_CODE_VALIDITY,
        )?;
        let store = Arc::new(Store::open(phone_db(dir, phone))?);
        let engine = SyncEngine::new(
            store.clone(),
            Arc::new(HttpTransport::new()),
            SyncConfig::new(url),
        )?;
        store.set_server_url(url)?;
        engine.enrol(&code.code)?;
        engine.sync_once()?;
    }
    Ok(())
}

/// One phone's turn.
struct Turn<'a> {
    url: &'a str,
    db: &'a Path,
    assignment: &'a str,
    pushes: &'a Arc<Mutex<Vec<Duration>>>,
    random: &'a SeededRandom,
}

impl Turn<'_> {
    /// Writes what the officer does now, then syncs: how many operations the office
    /// applied, and the alarm's latency if the turn raised one.
    fn take(&self) -> Result<(u64, Option<Duration>)> {
        let store = Arc::new(Store::open(self.db)?);
        let transport = Arc::new(Timed {
            inner: HttpTransport::new(),
            pushes: self.pushes.clone(),
            first_push_done: Mutex::new(None),
        });
        let engine = SyncEngine::new(store.clone(), transport.clone(), SyncConfig::new(self.url))?;
        let draw = self.random.unit();
        let check_in = |kind| NewCheckIn {
            assignment_id: Some(self.assignment.to_owned()),
            ..cordon_fixtures::check_in(kind)
        };
        let mut alarm = false;
        if draw < 0.80 {
            store.record_check_in(check_in(CheckInKind::Welfare))?;
        } else if draw < 0.88 {
            let r = store.create_report(self.incident(&store))?;
            store.submit_report(&r.id)?;
        } else if draw < 0.93 {
            self.amend_or_report(&store)?;
        } else if draw < 0.97 {
            let r = store.create_report(self.incident(&store))?;
            let photo = self.db.with_extension("jpg");
            std::fs::write(&photo, vec![0x5a; 48 * 1024]).map_err(|e| CordonError::Io {
                path: photo.display().to_string(),
                detail: e.to_string(),
            })?;
            store.attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")?;
            store.submit_report(&r.id)?;
        } else {
            store.record_check_in(NewCheckIn {
                assignment_id: None,
                ..cordon_fixtures::check_in(CheckInKind::Panic)
            })?;
            alarm = true;
        }
        let started = Instant::now();
        let summary = engine.sync_once()?;
        let latency = alarm
            .then(|| *lock(&transport.first_push_done))
            .flatten()
            .map(|done| done - started);
        Ok((u64::try_from(summary.applied).unwrap_or(0), latency))
    }

    fn incident(&self, store: &Store) -> IncidentContent {
        IncidentContent {
            assignment_id: Some(self.assignment.to_owned()),
            ..cordon_fixtures::incident_discovered_at(store.now())
        }
    }

    /// An amendment of the phone's newest submitted report, or a report if it has none.
    fn amend_or_report(&self, store: &Store) -> Result<()> {
        let mut submitted = None;
        for id in store.report_ids()? {
            let r = store.report(&id)?;
            if r.content_hash.is_some() {
                submitted = Some(r);
                break;
            }
        }
        match submitted {
            Some(r) => {
                store.amend_report(
                    &r.id,
                    NewAmendment {
                        author: "load".into(),
                        reason: "Police attended".into(),
                        patch: IncidentPatch {
                            police_reference: Some(format!("CAD {}", self.random.next_u64())),
                            ..Default::default()
                        },
                    },
                )?;
            }
            None => {
                let r = store.create_report(self.incident(store))?;
                store.submit_report(&r.id)?;
            }
        }
        Ok(())
    }
}

fn percentile_ms(xs: &mut [Duration], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort();
    let i = ((xs.len() as f64 * q).ceil() as usize).clamp(1, xs.len()) - 1;
    xs[i].as_secs_f64() * 1000.0
}

/// The server process's user and system time so far, in clock ticks (Linux).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The server process's peak resident memory (VmHWM), in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// What SQLite itself allows on this disk: transactions shaped like a one-operation push
/// (a receipt, a record row, a check-in row; WAL, `synchronous=FULL`, as the server opens
/// its database) one after another in one process, for `time`.
fn sqlite_limit(db: &Path, time: Duration) -> CliResult<f64> {
    let mut conn = rusqlite::Connection::open(db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE receipt (device_id TEXT, operation_id TEXT, result TEXT,
                               PRIMARY KEY (device_id, operation_id));
         CREATE TABLE record (organisation_id TEXT, id TEXT, family TEXT, version INTEGER,
                              PRIMARY KEY (organisation_id, id));
         CREATE TABLE check_in (organisation_id TEXT, id TEXT, body TEXT,
                                PRIMARY KEY (organisation_id, id));",
    )?;
    let body = serde_json::to_string(&cordon_fixtures::check_in(CheckInKind::Welfare))?;
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < time {
        let tx = conn.transaction()?;
        let id = uuid_like(n);
        tx.execute(
            "INSERT INTO receipt VALUES ('device', ?1, 'applied')",
            [&id],
        )?;
        tx.execute(
            "INSERT INTO record VALUES ('org', ?1, 'check_in', 1)",
            [&id],
        )?;
        tx.execute("INSERT INTO check_in VALUES ('org', ?1, ?2)", [&id, &body])?;
        tx.commit()?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

fn uuid_like(n: u64) -> String {
    format!("01930000-0000-7000-8000-{n:012x}")
}
