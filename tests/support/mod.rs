//! What the end-to-end tests share: the real `cordon` binary as a server process on a
//! loopback port it picks, admin commands against its database, a device store with the
//! built-in HTTP transport, and a fault-injecting HTTP proxy.
#![allow(dead_code)] // each test binary uses its own subset

pub mod proxy;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use cordon_core::sync::HttpTransport;
use cordon_core::*;

/// Whether the servers of this run serve PostgreSQL (`CORDON_TEST_DATABASE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("CORDON_TEST_DATABASE").as_deref() == Ok("postgres")
}

/// The `cordon` binary cargo built for these tests.
pub fn cordon_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cordon"))
}

/// `cordon serve` on 127.0.0.1 with an OS-picked port, stopped by its PID on drop.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    pub db: PathBuf,
    // How `cordon serve` and `cordon admin` name the database: `--db PATH`, or
    // `--database URL --blobs DIR` for PostgreSQL.
    database: Vec<std::ffi::OsString>,
}

impl ServerProcess {
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, &[])
    }

    /// Without rate limits: for a test whose device is a load generator (`cordon device
    /// stress` syncs every few writes, far more often than a phone).
    pub fn start_unlimited(dir: &Path) -> Self {
        Self::start_with(dir, &["--no-rate-limits"])
    }

    /// On a new SQLite file in `dir`, or, when `CORDON_TEST_DATABASE=postgres`, on a new
    /// database of the test binary's PostgreSQL cluster with its blobs in `dir`.
    fn start_with(dir: &Path, flags: &[&str]) -> Self {
        if on_postgres() {
            let url = cordon_fixtures::postgres::Postgres::shared().database();
            let blobs = dir.join("server.blobs");
            let database = vec![
                "--database".into(),
                url.clone().into(),
                "--blobs".into(),
                blobs.into(),
            ];
            return Self::start_on(PathBuf::from(url), database, flags);
        }
        let db = dir.join("server.db");
        Self::start_on(db.clone(), vec!["--db".into(), db.into()], flags)
    }

    /// The office's database opened in the test's own process (admin functions), on
    /// whichever database the server serves.
    pub fn office(&self) -> cordon_server::Server {
        let text = |flag: &str| {
            let at = self.database.iter().position(|a| a == flag)?;
            Some(PathBuf::from(self.database.get(at + 1)?))
        };
        match (text("--database"), text("--blobs")) {
            (Some(url), Some(blobs)) => {
                cordon_server::Server::open_database(&url.to_string_lossy(), Some(&blobs))
                    .expect("open the office's PostgreSQL database")
            }
            _ => cordon_server::Server::open(&self.db).expect("open the office's database"),
        }
    }

    /// `cordon serve` on the PostgreSQL database `url` with attachment bytes in `blobs`
    /// (several of these may serve one database), without rate limits.
    pub fn start_postgres(url: &str, blobs: &Path) -> Self {
        let database = vec![
            "--database".into(),
            url.into(),
            "--blobs".into(),
            blobs.into(),
        ];
        Self::start_on(PathBuf::from(url), database, &["--no-rate-limits"])
    }

    /// A handle for `cordon admin` on the PostgreSQL database `url` without a server of
    /// its own (the office's processes beside the servers). It serves nothing.
    pub fn admin_only_postgres(url: &str, blobs: &Path) -> OfficeAdmin {
        OfficeAdmin {
            database: vec![
                "--database".into(),
                url.into(),
                "--blobs".into(),
                blobs.into(),
            ],
        }
    }

    fn start_on(db: PathBuf, database: Vec<std::ffi::OsString>, flags: &[&str]) -> Self {
        // Warnings and errors only: a line per request would bury the test's output.
        let mut child = Command::new(cordon_bin())
            .args(["--log-level", "warn", "serve"])
            .args(flags)
            .args(&database)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start cordon serve");
        let stdout = child.stdout.take().expect("server stdout");
        // From here on a panic drops the guard, which stops the server by its PID.
        let mut server = ServerProcess {
            child,
            url: String::new(),
            db,
            database,
        };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's first line");
        server.url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from cordon serve: {line:?}"))
            .to_owned();
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs `cordon admin --db <server db> ARGS` and returns its stdout.
    pub fn admin(&self, args: &[&str]) -> String {
        admin_on(&self.database, args)
    }

    /// `cordon admin assignment` of the sample file (`fixtures/assignment.json`, as it is)
    /// to `officers` of the sample organisation.
    pub fn assign_sample_to(&self, officers: &[&str]) {
        let file = cordon_fixtures::path("assignment.json");
        let mut args = vec![
            "assignment",
            "--file",
            file.to_str().unwrap(),
            "--organisation",
            cordon_fixtures::ORGANISATION_ID,
        ];
        for officer in officers {
            args.extend(["--officer", officer]);
        }
        self.admin(&args);
    }

    /// A one-time enrolment code for an officer of `organisation`.
    pub fn enrolment_code(&self, organisation: &str, officer: &str) -> String {
        self.admin(&[
            "enrol",
            "--organisation",
            organisation,
            "--officer",
            officer,
        ])
        .trim()
        .to_owned()
    }

    /// The ids of the check-ins the server holds, in its order.
    pub fn check_in_ids(&self) -> Vec<String> {
        self.list("check-ins")
            .iter()
            .map(|c| c["id"].as_str().expect("a check-in id").to_owned())
            .collect()
    }

    /// Asserts that the server holds exactly the check-ins `written`, each once.
    pub fn assert_check_ins_once(&self, written: &[String]) {
        let on_server = self.check_in_ids();
        assert_eq!(on_server.len(), written.len(), "each check-in exactly once");
        assert_eq!(
            on_server
                .iter()
                .cloned()
                .collect::<std::collections::HashSet<_>>(),
            written.iter().cloned().collect()
        );
    }

    /// Each record's operation seqs in the order the office applied them, after
    /// asserting that every receipt says applied and no operation of a device was
    /// applied twice.
    pub fn applied_seqs_per_record(&self) -> std::collections::HashMap<String, Vec<i64>> {
        let receipts = self.list("receipts");
        assert!(
            receipts.iter().all(|r| r["status"] == "applied"),
            "a receipt was not applied"
        );
        let ids: std::collections::HashSet<(&str, &str)> = receipts
            .iter()
            .map(|r| {
                (
                    r["device_id"].as_str().unwrap(),
                    r["operation_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(ids.len(), receipts.len(), "an operation was applied twice");
        let mut seqs: std::collections::HashMap<String, Vec<i64>> = Default::default();
        for r in &receipts {
            seqs.entry(r["record_id"].as_str().unwrap().to_owned())
                .or_default()
                .push(r["seq"].as_i64().unwrap());
        }
        seqs
    }

    /// `admin list KIND --json`, parsed.
    pub fn list(&self, kind: &str) -> Vec<serde_json::Value> {
        let out = self.admin(&["list", kind, "--json"]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("admin list {kind}: {e}: {out}"))
    }
}

/// `cordon admin` against a database, with no server process (see
/// [`ServerProcess::admin_only_postgres`]).
pub struct OfficeAdmin {
    database: Vec<std::ffi::OsString>,
}

impl OfficeAdmin {
    pub fn admin(&self, args: &[&str]) -> String {
        admin_on(&self.database, args)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn admin(db: &Path, args: &[&str]) -> String {
    admin_on(&["--db".into(), db.into()], args)
}

fn admin_on(database: &[std::ffi::OsString], args: &[&str]) -> String {
    let out = Command::new(cordon_bin())
        .arg("admin")
        .args(database)
        .args(args)
        .output()
        .expect("run cordon admin");
    assert!(
        out.status.success(),
        "cordon admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A device: a store on a real file, a clock the test moves, and a sync engine over the
/// built-in HTTP transport, enrolled with the server.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub store: Arc<Store>,
    pub engine: SyncEngine,
}

impl Device {
    /// A device talking to `url` (the server, or a proxy in front of it), enrolled
    /// through `server`.
    pub fn enrolled(
        server: &ServerProcess,
        url: &str,
        config: impl FnOnce(&mut SyncConfig),
    ) -> Self {
        Self::enrolled_as(server, url, cordon_fixtures::OFFICER_ID, config)
    }

    /// As [`Device::enrolled`], as `officer` of the sample organisation (a second phone).
    pub fn enrolled_as(
        server: &ServerProcess,
        url: &str,
        officer: &str,
        config: impl FnOnce(&mut SyncConfig),
    ) -> Self {
        Self::enrolled_with_key(server, url, officer, None, config)
    }

    /// As [`Device::enrolled_as`], its store encrypted with `key` if one is given.
    pub fn enrolled_with_key(
        server: &ServerProcess,
        url: &str,
        officer: &str,
        key: Option<StoreKey>,
        config: impl FnOnce(&mut SyncConfig),
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(Timestamp::from(
            std::time::SystemTime::now(),
        )));
        let options = StoreOptions {
            clock: clock.clone(),
            key,
            ..StoreOptions::default()
        };
        let store = Arc::new(
            Store::open_with_options(dir.path().join("device.db"), options).expect("open"),
        );
        let mut cfg = SyncConfig::new(url);
        config(&mut cfg);
        let engine = SyncEngine::new(store.clone(), Arc::new(HttpTransport::new()), cfg)
            .expect("a valid configuration");
        let code = server.enrolment_code(cordon_fixtures::ORGANISATION_ID, officer);
        engine.enrol(&code).expect("enrol");
        Device {
            dir,
            clock,
            store,
            engine,
        }
    }

    /// The sample assignment, moved to start now, issued by the office to this device's
    /// officer and pulled by one pass.
    pub fn assigned(&self, server: &ServerProcess) -> Assignment {
        let assignment = cordon_fixtures::assignment_starting_at(self.store.now());
        let file = self.dir.path().join("assignment.json");
        std::fs::write(&file, serde_json::to_string(&assignment).expect("json")).expect("write");
        server.admin(&[
            "assignment",
            "--file",
            file.to_str().expect("utf-8 path"),
            "--organisation",
            cordon_fixtures::ORGANISATION_ID,
            "--officer",
            cordon_fixtures::OFFICER_ID,
        ]);
        let report = self.engine.sync_once().expect("pull the assignment");
        assert_eq!(report.assignments_received, 1, "{report:?}");
        assignment
    }

    /// Moves the clock past any backoff, so everything queued is due.
    pub fn skip_backoff(&self) {
        self.clock.advance(Duration::from_secs(3600));
    }

    /// Runs passes until the outbox is empty, skipping backoff between them.
    pub fn drain(&self, max_passes: usize) -> Vec<PassSummary> {
        let mut reports = Vec::new();
        for _ in 0..max_passes {
            let report = self.engine.sync_once().expect("sync pass");
            reports.push(report);
            let status = self.store.outbox_status().expect("status");
            if status.pending.total() + status.in_flight.total() == 0 {
                return reports;
            }
            self.skip_backoff();
        }
        panic!("outbox not drained after {max_passes} passes: {reports:?}");
    }
}

/// The sample check-in (fixtures/check_in.json) as `kind` on `assignment`, at the store's time.
pub fn check_in(kind: CheckInKind, assignment: Option<&str>) -> NewCheckIn {
    NewCheckIn {
        assignment_id: assignment.map(Into::into),
        ..cordon_fixtures::check_in(kind)
    }
}

/// The sample incident (fixtures/incident.json) with `narrative`, on no assignment,
/// discovered now.
pub fn incident(narrative: &str) -> IncidentContent {
    IncidentContent {
        assignment_id: None,
        narrative: narrative.into(),
        ..cordon_fixtures::incident_discovered_at(Timestamp::from(std::time::SystemTime::now()))
    }
}

/// Writes `len` bytes of a repeatable pattern to `path`, in pieces.
pub fn write_pattern(path: &Path, len: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let block: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        f.write_all(&block[..n]).expect("write");
        left -= n;
    }
}
