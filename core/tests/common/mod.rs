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
