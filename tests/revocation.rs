//! A lost phone, end to end over real HTTP: the office revokes the device; at its next
//! pass the device names what it had not sent, destroys its database and attachment
//! copies, and says so; the office keeps what it had received and learns what was lost.

mod support;

use cordon_core::*;
use support::*;

#[test]
fn a_revoked_phone_tells_the_office_what_it_had_not_sent_then_destroys_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let device = Device::enrolled(&server, &server.url, |_| {});
    let sent = device
        .store
        .record_check_in(check_in(CheckInKind::Panic, None))
        .unwrap();
    assert_eq!(
        device.engine.sync_once().unwrap().outcome,
        PassOutcome::Completed
    );

    // Written after the last sync: never reaches the office.
    let report = device
        .store
        .create_report(incident("Grey van, second sighting."))
        .unwrap();
    let photo = device.dir.path().join("van.jpg");
    std::fs::write(&photo, vec![7u8; 50_000]).unwrap();
    device
        .store
        .attach_file(&report.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    let db = device.store.path().to_path_buf();
    let copies = db.with_file_name("device.db.attachments");
    assert_eq!(std::fs::read_dir(&copies).unwrap().count(), 1);

    let office = server.office();
    let org = cordon_fixtures::ORGANISATION_ID;
    cordon_server::admin::revoke_device(
        &office,
        org,
        device.store.device_id(),
        "duty.manager",
        "lost on the tube",
    )
    .unwrap();

    let pass = device.engine.sync_once().unwrap();
    let PassOutcome::Revoked {
        unsent,
        office_told,
        files_removed,
    } = pass.outcome
    else {
        panic!("{pass:?}");
    };
    assert_eq!(unsent, 3, "the report, its attachment and its bytes");
    assert!(office_told);
    assert!(files_removed >= 2, "{files_removed}");

    // Gone from the phone: the database, its journal files, the attachment copies.
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        assert!(!std::path::Path::new(&name).exists(), "{name:?} remains");
    }
    assert!(!copies.exists());
    assert!(photo.exists(), "the app's own file is the app's");
    assert_eq!(
        device.store.check_ins(None).unwrap_err(),
        CordonError::Revoked
    );
    assert_eq!(
        device
            .store
            .record_check_in(check_in(CheckInKind::Duress, None))
            .unwrap_err(),
        CordonError::Revoked
    );
    assert_eq!(device.engine.sync_once().unwrap_err(), CordonError::Revoked);

    // The office kept what it had, and knows what it lost.
    let received = cordon_server::admin::check_ins(&office).unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].check_in.id, sent.id);
    let revocation = cordon_server::admin::revocation(&office, org, device.store.device_id())
        .unwrap()
        .unwrap();
    assert!(revocation.confirmed_at.is_some());
    assert_eq!(revocation.unsent_total, Some(3));
    let named: Vec<_> = revocation
        .unsent
        .iter()
        .map(|u| (u.kind.as_str(), u.record_id == report.id))
        .collect();
    assert_eq!(
        named,
        [
            ("report.create", true),
            ("attachment.create", false),
            ("attachment.upload", false)
        ]
    );
}
