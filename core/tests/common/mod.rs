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

pub fn assignment(id: &str, version: i64) -> Assignment {
    Assignment {
        id: id.into(),
        reference: "OP-HALCYON-03".into(),
        title: "Residence night cover".into(),
        kind: AssignmentKind::ProtectiveDetail,
        principal_codename: Some("KESTREL".into()),
        sites: vec![Site {
            name: "Residence".into(),
            address: "1 Example Road, London".into(),
            centre: Some(Location {
                latitude: 51.5,
                longitude: -0.12,
                accuracy_m: Some(10.0),
                fix_time: None,
            }),
            geofence_radius_m: Some(150.0),
            time_zone: "Europe/London".into(),
        }],
        starts_at: T0,
        ends_at: T0.plus(Duration::from_secs(12 * 3600)),
        role: OfficerRole::PersonalProtectionOfficer,
        team: vec![TeamMember {
            call_sign: "ALPHA-1".into(),
            role: OfficerRole::TeamLeader,
        }],
        post_orders: PostOrders {
            version: 1,
            text: "Log every vehicle at the gate.".into(),
            issued_at: T0,
        },
        check_in_policy: CheckInPolicy {
            interval_secs: 1800,
            grace_secs: 300,
        },
        threat_level: ThreatLevel::Substantial,
        status: AssignmentStatus::Active,
        server_version: version,
    }
}

pub fn check_in(kind: CheckInKind) -> NewCheckIn {
    let alarm = matches!(kind, CheckInKind::Panic | CheckInKind::Duress);
    NewCheckIn {
        kind,
        assignment_id: (!alarm).then(|| "A-1".into()),
        occurred_at: None,
        time_zone: "Europe/London".into(),
        location: Some(Location {
            latitude: 51.5007,
            longitude: -0.1246,
            accuracy_m: Some(8.0),
            fix_time: Some(T0),
        }),
        tag_id: (kind == CheckInKind::Checkpoint).then(|| "NFC-EAST-GATE".into()),
        note: None,
    }
}

pub fn incident() -> IncidentContent {
    IncidentContent {
        assignment_id: Some("A-1".into()),
        category: IncidentCategory::HostileSurveillance,
        severity: Severity::Medium,
        occurred_at: T0,
        discovered_at: T0.plus(Duration::from_secs(120)),
        time_zone: "Europe/London".into(),
        location: None,
        narrative: "Grey van parked opposite the residence for 40 minutes, engine running.".into(),
        persons: vec![PersonInvolved {
            role: PersonRole::Subject,
            description: "Male driver, 30s, dark jacket, photographing the gate.".into(),
        }],
        police_reference: None,
        control_room_reference: Some("CR-0412".into()),
        actions_taken: Some("Noted registration, informed team leader.".into()),
        injuries: None,
    }
}

/// Entity ids of a batch, in batch order.
pub fn entities(batch: &[Operation]) -> Vec<String> {
    batch.iter().map(|o| o.entity_id.clone()).collect()
}

pub fn seqs(batch: &[Operation]) -> Vec<i64> {
    batch.iter().map(|o| o.seq).collect()
}

pub const ALL: BatchLimits = BatchLimits {
    max_operations: 10_000,
    max_bytes: u64::MAX,
};
