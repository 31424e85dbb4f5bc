//! Arrangements shared by the core's integration tests: a store on a real file in a
//! fresh temporary directory, on a manual clock, and sample records.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cordon_core::*;

/// 2026-11-18T11:06:40Z.
pub const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub store: Store,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(T0));
        let store = Store::open_with_clock(dir.path().join("cordon.db"), clock.clone())
            .expect("open store");
        Fixture { dir, clock, store }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("cordon.db")
    }

    /// Drops the store and opens the same file again, on the same clock.
    pub fn reopen(self) -> Self {
        let Fixture { dir, clock, store } = self;
        drop(store);
        let store = Store::open_with_clock(dir.path().join("cordon.db"), clock.clone())
            .expect("reopen store");
        Fixture { dir, clock, store }
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    pub fn with_assignment(self) -> Self {
        assert!(self.store.upsert_assignment(&assignment("A-1", 1)).unwrap());
        self
    }

    pub fn check_in(&self, kind: CheckInKind) -> CheckIn {
        self.store
            .record_check_in(check_in(kind))
            .expect("check-in")
    }

    /// Count of rows in a table, read through a separate raw connection.
    pub fn count(&self, table: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db_path()).unwrap();
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }
}

/// The sample assignment (fixtures/assignment.json) as `id` at `version`, starting at T0.
pub fn assignment(id: &str, version: i64) -> Assignment {
    Assignment {
        id: id.into(),
        server_version: version,
        ..cordon_fixtures::assignment_starting_at(T0)
    }
}

/// The sample check-in (fixtures/check_in.json) as `kind`, on assignment A-1 unless an
/// alarm, its fix taken at T0.
pub fn check_in(kind: CheckInKind) -> NewCheckIn {
    let mut c = cordon_fixtures::check_in(kind);
    if c.assignment_id.is_some() {
        c.assignment_id = Some("A-1".into());
    }
    if let Some(fix) = c.location.as_mut() {
        fix.fix_time = Some(T0);
    }
    c
}

/// The sample incident (fixtures/incident.json; on no assignment, so that it needs none on
/// the device), discovered at T0 + 2 min.
pub fn incident() -> IncidentContent {
    cordon_fixtures::incident_discovered_at(T0.plus(Duration::from_secs(120)))
}

/// Record ids of a batch, in batch order.
pub fn record_ids(batch: &[OutboxOperation]) -> Vec<String> {
    batch.iter().map(|o| o.record_id.clone()).collect()
}

pub fn seqs(batch: &[OutboxOperation]) -> Vec<i64> {
    batch.iter().map(|o| o.seq).collect()
}

pub const ALL: BatchLimits = BatchLimits {
    max_operations: 10_000,
    max_bytes: i64::MAX,
};

/// A message from the control room, as the office's feed carries it.
pub fn message(id: &str, body: &str, sent_at: Timestamp) -> ControlRoomMessage {
    ControlRoomMessage {
        message_id: id.into(),
        body: body.into(),
        sender: "op.jones".into(),
        alarm_id: None,
        sent_at,
    }
}

/// Answers a pull with `changes` (once) and accepts every push: the office in one pass.
struct Office {
    changes: std::sync::Mutex<Option<serde_json::Value>>,
}

impl cordon_core::sync::Transport for Office {
    fn send(
        &self,
        r: cordon_core::sync::HttpRequest,
    ) -> std::result::Result<cordon_core::sync::HttpResponse, cordon_core::sync::TransportError>
    {
        let changes = match r.kind {
            cordon_core::sync::RequestKind::Push => serde_json::Value::Null,
            _ => self.changes.lock().unwrap().take().unwrap_or_default(),
        };
        let body = office_answer(&r, changes);
        Ok(cordon_core::sync::HttpResponse {
            status: 200,
            headers: vec![],
            body: serde_json::to_vec(&body).unwrap(),
        })
    }
}

/// The office's answer to a push (every operation applied) or any other request (a feed
/// holding `changes`).
pub fn office_answer(
    r: &cordon_core::sync::HttpRequest,
    changes: serde_json::Value,
) -> serde_json::Value {
    let time = "2026-11-18T11:06:45.000Z";
    match r.kind {
        cordon_core::sync::RequestKind::Push => {
            let push: cordon_core::protocol::PushRequest = serde_json::from_slice(&r.body).unwrap();
            let results: Vec<_> = push
                .operations
                .iter()
                .map(|o| serde_json::json!({"id": o.id, "seq": o.seq, "status": "applied", "server_version": 1}))
                .collect();
            serde_json::json!({"server_time": time, "results": results})
        }
        _ => serde_json::json!({"server_time": time, "changes": changes,
                               "next_cursor": "1.0000000000000001", "has_more": false}),
    }
}

/// One sync pass of the fixture's store against an office whose feed holds `changes`
/// (JSON feed entries): what is queued is delivered, the entries are applied.
pub fn pass_with_feed(f: &Fixture, changes: serde_json::Value) -> cordon_core::sync::PassSummary {
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let office = Arc::new(Office {
        changes: std::sync::Mutex::new(Some(changes)),
    });
    let engine = cordon_core::sync::SyncEngine::new(
        store,
        office,
        cordon_core::sync::SyncConfig::new("http://office.test/"),
    )
    .unwrap();
    engine.set_token("token-1").unwrap();
    engine.sync_once().unwrap()
}

/// The office's feed entry carrying `m`.
pub fn message_entry(cursor: &str, m: &ControlRoomMessage) -> serde_json::Value {
    serde_json::json!({"kind": "message", "cursor": cursor, "message": m})
}
