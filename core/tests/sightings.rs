//! The surveillance log on the device: a sighting is written and queued in one
//! transaction, its registration normalised and matched against the BOLO list pulled
//! from the office, a match flagged at once (no signal) and sent in the urgent lane.

mod common;

use common::*;
use cordon_core::protocol::Payload;
use cordon_core::*;

/// The sample sighting (fixtures/sighting.json) on assignment A-1.
fn sighting() -> NewSighting {
    NewSighting {
        assignment_id: Some("A-1".into()),
        ..cordon_fixtures::sighting()
    }
}

/// The sample sighting with one photo, `van.jpg` (13 bytes), recorded.
fn with_a_photo(f: &Fixture) -> Sighting {
    let photo = f.dir.path().join("van.jpg");
    std::fs::write(&photo, b"\xff\xd8 a grey van").unwrap();
    f.store
        .record_sighting(NewSighting {
            photos: vec![NewSightingPhoto {
                path: photo.to_string_lossy().into_owned(),
                mime_type: "image/jpeg".into(),
            }],
            ..sighting()
        })
        .unwrap()
}

fn with_registration(registration: &str) -> NewSighting {
    let mut s = sighting();
    s.vehicle.as_mut().unwrap().registration = Some(registration.into());
    s
}

fn bolo(id: &str, version: i32, registration: &str, priority: BoloPriority) -> BoloEntry {
    BoloEntry {
        id: id.into(),
        version,
        registration: Some(registration.into()),
        description: Some("Grey Ford Transit, two men".into()),
        reason: format!("{id}: seen twice near the residence"),
        priority,
        issued_at: T0,
        withdrawn: false,
    }
}

fn bolo_feed(entries: &[BoloEntry]) -> serde_json::Value {
    serde_json::Value::Array(
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                serde_json::json!({"kind": "bolo", "cursor": format!("{}.0000000000000001", i + 1),
                                   "entry": e})
            })
            .collect(),
    )
}

fn rule_of<T: std::fmt::Debug>(r: Result<T>) -> (String, InputRule) {
    match r {
        Err(CordonError::InvalidInput { field, rule, .. }) => (field, rule),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn a_sighting_is_written_normalised_and_queued_in_the_normal_lane_in_one_transaction() {
    let f = Fixture::new().with_assignment();

    let s = f.store.record_sighting(sighting()).unwrap();

    assert_eq!(s.registration(), Some("AB12CDE"));
    assert_eq!(s.bolo_match, None);
    assert_eq!(s.occurred_at, f.store.now());
    assert_eq!(f.store.sightings().unwrap(), vec![s.clone()]);
    let queued = f.store.queued_operations().unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].kind, queued[0].lane, queued[0].record_id.as_str()),
        (OperationKind::SightingRecord, Lane::Normal, s.id.as_str())
    );
    assert_eq!(
        Payload::decode(queued[0].kind, &queued[0].payload).unwrap(),
        Payload::SightingRecord(s)
    );
}

#[test]
fn a_registration_typed_differently_matches_the_pulled_bolo_entry_offline_and_goes_urgent() {
    let f = Fixture::new().with_assignment();
    pass_with_feed(
        &f,
        bolo_feed(&[bolo("B-1", 1, "AB12CDE", BoloPriority::High)]),
    );
    // No transport from here on: the match needs no signal.

    let s = f
        .store
        .record_sighting(with_registration("ab-12 cde"))
        .unwrap();

    let m = s.bolo_match.clone().expect("matched");
    assert_eq!(
        (m.bolo_id.as_str(), m.registration.as_str(), m.priority),
        ("B-1", "AB12CDE", BoloPriority::High)
    );
    let queued = f.store.queued_operations().unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].lane, Lane::Urgent);
    assert_eq!(f.store.sighting(&s.id).unwrap().bolo_match, Some(m));
}

#[test]
fn an_urgent_sighting_is_taken_before_earlier_normal_operations() {
    let f = Fixture::new().with_assignment();
    pass_with_feed(
        &f,
        bolo_feed(&[bolo("B-1", 1, "AB12CDE", BoloPriority::High)]),
    );
    let first = f
        .store
        .record_sighting(with_registration("XY99 ZZZ"))
        .unwrap();
    let welfare = f.check_in(CheckInKind::Welfare);
    let matched = f
        .store
        .record_sighting(with_registration("AB12CDE"))
        .unwrap();

    let batch = f.store.take_batch(ALL).unwrap();

    assert_eq!(record_ids(&batch), [matched.id, first.id, welfare.id]);
}

#[test]
fn the_most_urgent_of_several_entries_is_the_match_and_a_withdrawn_entry_matches_nothing() {
    let f = Fixture::new().with_assignment();
    pass_with_feed(
        &f,
        bolo_feed(&[
            bolo("B-low", 1, "AB12CDE", BoloPriority::Low),
            bolo("B-high", 1, "AB12CDE", BoloPriority::High),
        ]),
    );
    let s = f.store.record_sighting(sighting()).unwrap();
    assert_eq!(s.bolo_match.unwrap().bolo_id, "B-high");

    let mut withdrawn = bolo("B-high", 2, "AB12CDE", BoloPriority::High);
    withdrawn.withdrawn = true;
    let mut low_withdrawn = bolo("B-low", 2, "AB12CDE", BoloPriority::Low);
    low_withdrawn.withdrawn = true;
    pass_with_feed(&f, bolo_feed(&[withdrawn, low_withdrawn]));

    assert_eq!(f.store.bolo_entries().unwrap(), vec![]);
    let after = f.store.record_sighting(sighting()).unwrap();
    assert_eq!(after.bolo_match, None);
    let lanes: Vec<_> = f
        .store
        .queued_operations()
        .unwrap()
        .into_iter()
        .map(|o| o.lane)
        .collect();
    // The matched sighting went in the pass that brought the withdrawals.
    assert_eq!(lanes, [Lane::Normal]);
}

#[test]
fn an_older_version_of_a_bolo_entry_does_not_replace_a_newer_one() {
    let f = Fixture::new();
    pass_with_feed(
        &f,
        bolo_feed(&[bolo("B-1", 3, "CD34EFG", BoloPriority::Medium)]),
    );
    pass_with_feed(
        &f,
        bolo_feed(&[bolo("B-1", 2, "AB12CDE", BoloPriority::High)]),
    );

    let entries = f.store.bolo_entries().unwrap();
    assert_eq!(
        entries,
        vec![bolo("B-1", 3, "CD34EFG", BoloPriority::Medium)]
    );
}

#[test]
fn a_malformed_bolo_entry_is_skipped_and_the_rest_of_the_page_applied() {
    let f = Fixture::new();
    let bad = bolo("B-bad", 1, "ab12 cde", BoloPriority::High); // not normalised
    let summary = pass_with_feed(
        &f,
        bolo_feed(&[bad, bolo("B-2", 1, "CD34EFG", BoloPriority::Low)]),
    );
    assert_eq!(
        f.store
            .bolo_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        ["B-2"]
    );
    assert!(
        summary.warnings.iter().any(|s| s.contains("B-bad")),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn bad_input_is_refused_naming_the_field_with_nothing_written() {
    let f = Fixture::new().with_assignment();
    let cases = [
        (
            with_registration(" -. "),
            ("vehicle.registration", InputRule::Blank),
        ),
        (
            NewSighting {
                links: vec!["0193a1b2-0000-7000-8000-00000000dead".into()],
                ..sighting()
            },
            ("links", InputRule::UnknownRecord),
        ),
        (
            NewSighting {
                assignment_id: Some("A-404".into()),
                ..sighting()
            },
            ("assignmentId", InputRule::UnknownRecord),
        ),
        (
            NewSighting {
                subject: Some("  ".into()),
                vehicle: None,
                ..sighting()
            },
            ("subject", InputRule::Required),
        ),
        (
            NewSighting {
                photos: vec![NewSightingPhoto {
                    path: "/nonexistent/photo.jpg".into(),
                    mime_type: "image/jpeg".into(),
                }],
                ..sighting()
            },
            ("source", InputRule::BadFormat),
        ),
    ];
    for (input, (field, rule)) in cases {
        let got = f.store.record_sighting(input);
        if field == "source" {
            assert!(got.is_err(), "{got:?}");
        } else {
            assert_eq!(rule_of(got), (field.to_owned(), rule));
        }
    }
    assert_eq!(f.count("sighting"), 0);
    assert_eq!(f.count("outbox"), 0);
}

#[test]
fn a_link_to_an_earlier_sighting_on_the_device_is_kept() {
    let f = Fixture::new().with_assignment();
    let first = f.store.record_sighting(sighting()).unwrap();

    let second = f
        .store
        .record_sighting(NewSighting {
            links: vec![first.id.clone()],
            ..sighting()
        })
        .unwrap();

    assert_eq!(f.store.sighting(&second.id).unwrap().links, vec![first.id]);
}

#[test]
fn photos_are_copied_hashed_and_queued_for_upload_after_the_sighting() {
    let f = Fixture::new().with_assignment();

    let s = with_a_photo(&f);

    let p = &s.photos[0];
    assert_eq!((p.file_name.as_str(), p.size_bytes), ("van.jpg", 13));
    use sha2::Digest;
    assert_eq!(p.sha256, hex(&sha2::Sha256::digest(b"\xff\xd8 a grey van")));
    let file = f.store.attachment_file(&p.id).unwrap();
    assert_eq!(std::fs::read(file).unwrap(), b"\xff\xd8 a grey van");
    let queued = f.store.queued_operations().unwrap();
    assert_eq!(
        queued.iter().map(|o| (o.kind, o.lane)).collect::<Vec<_>>(),
        [
            (OperationKind::SightingRecord, Lane::Normal),
            (OperationKind::AttachmentUpload, Lane::Bulk)
        ]
    );
    assert_eq!(queued[1].record_id, p.id);
}

/// A photo's bytes never reach the office before its sighting: while the sighting's
/// operation is in flight or backing off, its upload stays queued; in one batch the
/// sighting goes first.
#[test]
fn a_photo_upload_waits_for_its_sighting_to_be_delivered() {
    let f = Fixture::new().with_assignment();
    let s = with_a_photo(&f);
    let one = BatchLimits {
        max_operations: 1,
        max_bytes: i64::MAX,
    };

    let first = f.store.take_batch(one).unwrap();
    assert_eq!(record_ids(&first), [s.id.as_str()]);
    assert!(
        f.store.take_batch(ALL).unwrap().is_empty(),
        "the upload went while its sighting was in flight"
    );
    f.store
        .fail_transient(
            &seqs(&first),
            "timeout",
            Some(std::time::Duration::from_secs(60)),
        )
        .unwrap();
    assert!(
        f.store.take_batch(ALL).unwrap().is_empty(),
        "the upload went while its sighting was backing off"
    );

    f.advance(61);
    let both = f.store.take_batch(ALL).unwrap();
    assert_eq!(record_ids(&both), [s.id.clone(), s.photos[0].id.clone()]);
    f.store
        .settle(&[(both[0].seq, Outcome::Acknowledged)])
        .unwrap();
    f.store.release_in_flight().unwrap();
    let upload = f.store.take_batch(ALL).unwrap();
    assert_eq!(record_ids(&upload), [s.photos[0].id.clone()]);
}

#[test]
fn sightings_and_the_bolo_list_survive_reopening() {
    let f = Fixture::new().with_assignment();
    pass_with_feed(
        &f,
        bolo_feed(&[bolo("B-1", 1, "AB12CDE", BoloPriority::High)]),
    );
    let s = f.store.record_sighting(sighting()).unwrap();

    let f = f.reopen();

    assert_eq!(f.store.sightings().unwrap(), vec![s]);
    assert_eq!(f.store.bolo_entries().unwrap().len(), 1);
}
