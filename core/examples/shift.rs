//! A night shift on a protective detail, written entirely offline through cordon-core.
//!
//! `cargo run -p cordon-core --example shift [-- --db PATH]`
//!
//! Until the sync engine lands this is Cordon's main job: it shows what the core keeps
//! and what it would send, in order, when connectivity returns. The shift runs on a
//! manual clock so the welfare timer can be shown going overdue in a second.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cordon_core::*;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let tmp;
    let db = match args.iter().position(|a| a == "--db") {
        Some(i) => PathBuf::from(args.get(i + 1).expect("--db needs a path")),
        None => {
            tmp = tempfile::tempdir().expect("temp dir");
            tmp.path().join("cordon.db")
        }
    };
    let start = Timestamp::parse_rfc3339("2026-11-28T18:00:00Z")?;
    let clock = Arc::new(ManualClock::new(start));
    let store = Store::open_with_clock(&db, clock.clone())?;
    let log = |what: &str| println!("{}  {what}", clock.now().to_rfc3339());
    let minutes = |m: u64| clock.advance(Duration::from_secs(m * 60));

    println!("Cordon core, offline shift -> {}", db.display());
    println!("device {}\n", store.device_id());

    store.upsert_assignment(&assignment(start))?;
    log("assignment OP-HALCYON-03 downloaded: residence night cover, principal KESTREL");
    let on = |kind, tag: Option<&str>| NewCheckIn {
        kind,
        assignment_id: Some("A-1".into()),
        occurred_at: None,
        time_zone: "Europe/London".into(),
        location: Some(Location {
            latitude: 51.5007,
            longitude: -0.1246,
            accuracy_m: Some(6.0),
            fix_time: None,
        }),
        tag_id: tag.map(Into::into),
        note: None,
    };
    store.record_check_in(on(CheckInKind::ClockOn, None))?;
    log("clock-on (no signal in the car park)");
    minutes(25);
    store.record_check_in(on(CheckInKind::Checkpoint, Some("NFC-EAST-GATE")))?;
    log("checkpoint NFC-EAST-GATE");
    minutes(31);
    let welfare = |store: &Store| -> Result<String> {
        Ok(match store.welfare_status("A-1")? {
            WelfareStatus::OffDuty => "off duty".into(),
            WelfareStatus::OnTime { due_at, .. } => format!("on time, next due {due_at}"),
            WelfareStatus::Due { overdue_at, .. } => format!("DUE, overdue at {overdue_at}"),
            WelfareStatus::Overdue { due_at, .. } => format!("OVERDUE since {due_at}"),
        })
    };
    log(&format!("welfare clock: {}", welfare(&store)?));
    minutes(5);
    log(&format!("welfare clock: {}", welfare(&store)?));
    store.record_check_in(on(CheckInKind::Welfare, None))?;
    log("welfare check-in");

    minutes(12);
    let report = store.create_report(IncidentContent {
        assignment_id: Some("A-1".into()),
        category: IncidentCategory::HostileSurveillance,
        severity: Severity::Medium,
        occurred_at: clock.now(),
        discovered_at: clock.now(),
        time_zone: "Europe/London".into(),
        location: None,
        narrative: "Grey van opposite the residence, driver photographing the gate.".into(),
        persons: vec![PersonInvolved {
            role: PersonRole::Subject,
            description: "Male, 30s, dark jacket".into(),
        }],
        police_reference: None,
        control_room_reference: None,
        actions_taken: Some("Registration noted; team leader informed.".into()),
        injuries: None,
    })?;
    log("incident draft: hostile surveillance");
    let photo = db.with_file_name("van.jpg");
    std::fs::write(&photo, b"\xff\xd8\xff\xe0 (a photo of the van)").map_err(|e| {
        CordonError::Io {
            path: photo.display().to_string(),
            detail: e.to_string(),
        }
    })?;
    let a = store.attach_file(&report.id, &photo, AttachmentKind::Photo, "image/jpeg")?;
    log(&format!("photo attached, sha256 {}…", &a.sha256[..16]));
    minutes(3);
    let mut duress = on(CheckInKind::Duress, None);
    duress.assignment_id = None;
    store.record_check_in(duress)?;
    log("DURESS check-in (looks like a welfare check on screen)");
    minutes(2);
    let report = store.submit_report(&report.id)?;
    log(&format!(
        "incident submitted and sealed, hash {}…",
        &report.content_hash.as_deref().unwrap_or("")[..16]
    ));
    minutes(40);
    store.amend_report(
        &report.id,
        NewAmendment {
            author: "ALPHA-2".into(),
            reason: "Police attended".into(),
            patch: IncidentPatch {
                police_reference: Some("CAD 4471/28NOV".into()),
                ..Default::default()
            },
        },
    )?;
    let integrity = match store.verify_report(&report.id)? {
        ReportIntegrity::Intact {
            head_hash,
            amendments,
        } => {
            format!(
                "intact, {amendments} amendment(s), head {}…",
                &head_hash[..16]
            )
        }
        other => format!("{other:?}"),
    };
    log(&format!(
        "amendment 1 appended (police reference); chain {integrity}"
    ));

    let status = store.outbox_status()?;
    println!(
        "\noutbox: {} pending (urgent {}, normal {}, bulk {}), oldest waiting {} min",
        status.pending.total(),
        status.pending.urgent,
        status.pending.normal,
        status.pending.bulk,
        status.oldest_pending_age_ms.unwrap_or(0) / 60_000
    );
    println!("first batch the sync engine would send when the network returns:");
    for op in store.take_batch(BatchLimits::default())? {
        let lane = format!("{:?}", op.priority);
        println!(
            "  #{:<3} {lane:<7} {:<18} {}",
            op.seq,
            op.kind.as_str(),
            op.entity_id
        );
    }
    Ok(())
}

fn assignment(start: Timestamp) -> Assignment {
    Assignment {
        id: "A-1".into(),
        reference: "OP-HALCYON-03".into(),
        title: "Residence night cover".into(),
        kind: AssignmentKind::ProtectiveDetail,
        principal_codename: Some("KESTREL".into()),
        sites: vec![Site {
            name: "Residence".into(),
            address: "1 Example Road, London".into(),
            centre: None,
            geofence_radius_m: None,
            time_zone: "Europe/London".into(),
        }],
        starts_at: start,
        ends_at: start.plus(Duration::from_secs(12 * 3600)),
        role: OfficerRole::PersonalProtectionOfficer,
        team: vec![TeamMember {
            call_sign: "ALPHA-1".into(),
            role: OfficerRole::TeamLeader,
        }],
        post_orders: PostOrders {
            version: 1,
            text: "Log every vehicle at the gate. Principal sleeps in the east wing.".into(),
            issued_at: start,
        },
        check_in_policy: CheckInPolicy {
            interval_secs: 30 * 60,
            grace_secs: 5 * 60,
        },
        threat_level: ThreatLevel::Substantial,
        status: AssignmentStatus::Active,
        server_version: 1,
    }
}
