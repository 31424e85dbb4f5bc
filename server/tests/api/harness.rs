//! A real server on a loopback port chosen by the OS, driven over HTTP with ureq, and
//! devices that are real `cordon_core::Store`s: what they push is exactly what their
//! outbox holds.
//!
//! Every reply read through [`TestServer::call`] is checked for the protocol's clock:
//! `server_time` in the JSON body and a `Date` header, whatever the status.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cordon_core::*;
use cordon_server::{admin, Server};
use serde_json::{json, Value};

pub const ORG: &str = cordon_fixtures::ORGANISATION_ID;
pub const OFFICER: &str = cordon_fixtures::OFFICER_ID;

pub struct TestServer {
    pub server: Server,
    pub base: String,
    dir: tempfile::TempDir,
    // The PostgreSQL database behind the server (`CORDON_TEST_DATABASE=postgres`).
    postgres: Option<String>,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    agent: ureq::Agent,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub date: String,
    pub headers: ureq::http::HeaderMap,
}

impl Reply {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The push results as (status, reason-or-version) pairs, for compact assertions.
    pub fn results(&self) -> Vec<Value> {
        self.body["results"].as_array().cloned().unwrap_or_default()
    }

    pub fn statuses(&self) -> Vec<String> {
        self.results()
            .iter()
            .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn reason(&self, i: usize) -> String {
        self.results()[i]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl TestServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, None, Some(cordon_server::DEFAULT_TIMER_PERIOD))
    }

    /// Whether this run's servers use PostgreSQL (`CORDON_TEST_DATABASE=postgres`, a new
    /// database on the test cluster for each) rather than a SQLite file.
    pub fn on_postgres() -> bool {
        std::env::var("CORDON_TEST_DATABASE").as_deref() == Ok("postgres")
    }

    /// A server whose clock the test moves. Its dead-man timer does not run by itself:
    /// the test calls `alarms::deadman::check` when it wants a pass.
    pub fn with_clock(clock: Arc<ManualClock>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, Some(clock), None)
    }

    /// A server on a clock the test moves, with its dead-man timer running every `period`.
    pub fn with_clock_and_timer(clock: Arc<ManualClock>, period: Duration) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, Some(clock), Some(period))
    }

    fn start_in(
        dir: tempfile::TempDir,
        clock: Option<Arc<ManualClock>>,
        timer: Option<Duration>,
    ) -> Self {
        let postgres =
            Self::on_postgres().then(|| cordon_fixtures::postgres::Postgres::shared().database());
        Self::start_on(dir, postgres, clock, timer)
    }

    fn start_on(
        dir: tempfile::TempDir,
        postgres: Option<String>,
        clock: Option<Arc<ManualClock>>,
        timer: Option<Duration>,
    ) -> Self {
        let db = dir.path().join("server.db");
        let server = match (&postgres, clock) {
            (Some(url), clock) => {
                let clock: Arc<dyn Clock> = match clock {
                    Some(c) => c,
                    None => Arc::new(SystemClock),
                };
                Server::open_postgres(url, dir.path().join("server.db.blobs"), clock)
                    .expect("open server on PostgreSQL")
            }
            (None, Some(c)) => Server::open_with_clock(&db, c).expect("open server"),
            (None, None) => Server::open(&db).expect("open server"),
        };
        server.set_timer_period(timer);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = server.clone();
        runtime.spawn(async move {
            let _ = cordon_server::serve_with_shutdown(listener, serving, async {
                let _ = rx.await;
            })
            .await;
        });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        TestServer {
            server,
            base,
            dir,
            postgres,
            runtime: Some(runtime),
            shutdown: Some(tx),
            agent,
        }
    }

    /// Stops this server and starts another on the same database and blob directory.
    pub fn restart(mut self) -> Self {
        self.stop();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        let postgres = self.postgres.take();
        drop(self);
        Self::start_on(
            dir,
            postgres,
            None,
            Some(cordon_server::DEFAULT_TIMER_PERIOD),
        )
    }

    /// A copy of the database as it is now, as an office's backup job would take it
    /// (`VACUUM INTO`, consistent while the server runs).
    pub fn backup(&self) -> tempfile::TempPath {
        let path = tempfile::NamedTempFile::new()
            .expect("backup file")
            .into_temp_path();
        std::fs::remove_file(&path).expect("VACUUM INTO needs a new file");
        rusqlite::Connection::open(self.db_path())
            .expect("open for backup")
            .execute("VACUUM INTO ?1", [path.to_str().expect("utf-8 path")])
            .expect("backup");
        path
    }

    /// Stops this server, puts `backup` in place of its database (as an office restoring
    /// from a backup does) and starts another on it.
    pub fn restore(mut self, backup: &std::path::Path) -> Self {
        self.stop();
        let db = self.db_path();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        drop(self); // closes the database, checkpointing its WAL, before it is replaced
        for companion in ["-wal", "-shm"] {
            let mut name = db.clone().into_os_string();
            name.push(companion);
            let _ = std::fs::remove_file(name);
        }
        std::fs::copy(backup, &db).expect("restore the backup");
        Self::start_in(dir, None, Some(cordon_server::DEFAULT_TIMER_PERIOD))
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    /// Sends one request; `body` is sent as it is (JSON or raw bytes).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = match body {
            Some(bytes) => self.agent.run(request.body(bytes).expect("request")),
            None => self.agent.run(request.body(()).expect("request")),
        };
        let mut response = response.expect("the server answers");
        let status = response.status().as_u16();
        let date = response
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let headers = response.headers().clone();
        let text = response
            .body_mut()
            .read_to_string()
            .expect("a readable body");
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{method} {path} answered {status} with non-JSON {text:?}: {e}")
        });
        let server_time = body["server_time"].as_str().unwrap_or_else(|| {
            panic!("{method} {path} answered {status} without server_time: {text}")
        });
        Timestamp::parse_rfc3339(server_time).expect("server_time is RFC 3339");
        assert!(
            !date.is_empty(),
            "{method} {path} answered without a Date header"
        );
        Reply {
            status,
            body,
            date,
            headers,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call("POST", path, token, Some(body.to_string().into_bytes()))
    }

    pub fn put(&self, path: &str, token: Option<&str>, bytes: Vec<u8>) -> Reply {
        self.call("PUT", path, token, Some(bytes))
    }

    pub fn code(&self, organisation: &str, officer: &str) -> String {
        admin::create_enrolment_code(
            &self.server,
            organisation,
            officer,
            admin::DEFAULT_CODE_VALIDITY,
        )
        .expect("enrolment code")
        .code
    }

    /// A new device (its own store) enrolled as `officer` of `organisation`.
    pub fn device(&self, organisation: &str, officer: &str) -> Device {
        self.device_on_clock(organisation, officer, Arc::new(SystemClock))
    }

    /// A new device enrolled as `officer` of `organisation`, whose store reads `clock`.
    pub fn device_on_clock(
        &self,
        organisation: &str,
        officer: &str,
        clock: Arc<dyn Clock>,
    ) -> Device {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Store::open_with_clock(dir.path().join("device.db"), clock).expect("device store");
        let code = self.code(organisation, officer);
        let reply = self.post(
            "/v1/enrol",
            None,
            &json!({"code": code, "device_id": store.device_id()}),
        );
        assert_eq!(reply.status, 200, "enrolment failed: {:?}", reply.body);
        store.set_officer_id(officer).expect("officer id");
        Device {
            token: reply.body["token"].as_str().expect("token").to_owned(),
            device_id: store.device_id().to_owned(),
            store,
            dir,
        }
    }

    /// Puts `officer` of `organisation` on a new assignment `id`; returns it as stored.
    pub fn assign(&self, organisation: &str, officer: &str, id: &str) -> Assignment {
        admin::upsert_assignment(
            &self.server,
            organisation,
            &[officer.to_owned()],
            assignment(id),
        )
        .expect("assignment")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Device {
    pub store: Store,
    pub token: String,
    pub device_id: String,
    dir: tempfile::TempDir,
}

impl Device {
    pub fn token(&self) -> Option<&str> {
        Some(&self.token)
    }

    /// Everything due in the outbox, as the sync engine would take it.
    pub fn take(&self) -> Vec<OutboxOperation> {
        self.store
            .take_batch(BatchLimits {
                max_operations: 1000,
                max_bytes: 3 * 1024 * 1024,
            })
            .expect("take batch")
    }

    /// Pushes `operations` (wire JSON) as one request.
    pub fn push(&self, srv: &TestServer, operations: Vec<Value>) -> Reply {
        srv.post(
            "/v1/push",
            self.token(),
            &json!({"device_id": self.device_id, "operations": operations}),
        )
    }

    /// Takes the outbox, pushes what push carries (uploads stay with the caller, as the
    /// engine streams those), and settles the answers in the store.
    pub fn sync(&self, srv: &TestServer) -> (Reply, Vec<OutboxOperation>) {
        let (uploads, ops): (Vec<_>, Vec<_>) = self
            .take()
            .into_iter()
            .partition(|o| o.kind == OperationKind::AttachmentUpload);
        let reply = self.push(srv, ops.iter().map(wire).collect());
        assert_eq!(reply.status, 200, "push failed: {:?}", reply.body);
        let outcomes: Vec<(i64, Outcome)> = ops
            .iter()
            .zip(reply.results())
            .map(|(op, r)| {
                let outcome = match r["status"].as_str() {
                    Some("rejected") => Outcome::Rejected {
                        reason: r["reason"].as_str().unwrap_or_default().to_owned(),
                    },
                    _ => Outcome::Acknowledged,
                };
                (op.seq, outcome)
            })
            .chain(uploads.iter().map(|u| (u.seq, Outcome::Acknowledged)))
            .collect();
        self.store.settle(&outcomes).expect("settle");
        (reply, uploads)
    }

    /// A file of `bytes` in the device's directory, attached to `report_id` as a photo.
    pub fn attach(&self, report_id: &str, name: &str, bytes: &[u8]) -> Attachment {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write photo");
        self.store
            .attach_file(report_id, &path, AttachmentKind::Photo, "image/jpeg")
            .expect("attach")
    }
}

/// An operation as the device sends it.
pub fn wire(op: &OutboxOperation) -> Value {
    json!({
        "id": op.id,
        "seq": op.seq,
        "kind": op.kind.as_str(),
        "record_id": op.record_id,
        "depends_on": op.depends_on,
        "payload_version": op.payload_version,
        "created_at": op.created_at,
        "payload": serde_json::from_str::<Value>(&op.payload).expect("payload JSON"),
    })
}

/// The sample assignment (fixtures/assignment.json) under `id`.
pub fn assignment(id: &str) -> Assignment {
    Assignment {
        id: id.into(),
        ..cordon_fixtures::assignment()
    }
}

/// The sample check-in (fixtures/check_in.json) as an alarm: no assignment.
pub fn alarm(kind: CheckInKind) -> NewCheckIn {
    NewCheckIn {
        assignment_id: None,
        ..cordon_fixtures::check_in(kind)
    }
}

pub fn welfare(assignment_id: &str) -> NewCheckIn {
    NewCheckIn {
        assignment_id: Some(assignment_id.into()),
        ..cordon_fixtures::check_in(CheckInKind::Welfare)
    }
}

/// The sample incident (fixtures/incident.json) with `narrative`, on no assignment,
/// discovered 50 minutes ago.
pub fn content(narrative: &str) -> IncidentContent {
    let now = Timestamp::from(std::time::SystemTime::now());
    IncidentContent {
        assignment_id: None,
        narrative: narrative.into(),
        ..cordon_fixtures::incident_discovered_at(Timestamp::from_millis(
            now.as_millis() - 3_000_000,
        ))
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}
