//! Attachment bytes: chunked, resumable, verified by SHA-256, private to the
//! organisation.

use cordon_server::admin;

use crate::harness::*;

const MIB: usize = 1024 * 1024;

/// Bytes that are not all the same, so a misplaced chunk changes the hash.
fn photo(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// A device whose report and attachment metadata the server has applied.
fn declared(srv: &TestServer, bytes: &[u8]) -> (Device, String) {
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    let a = device.attach(&report.id, "van.jpg", bytes);
    let (reply, uploads) = device.sync(srv);
    assert_eq!(reply.statuses(), ["applied", "applied"]);
    assert_eq!(uploads.len(), 1);
    (device, a.sha256)
}

fn put(srv: &TestServer, device: &Device, sha: &str, offset: usize, bytes: &[u8]) -> Reply {
    srv.put(
        &format!("/v1/attachments/{sha}?offset={offset}"),
        device.token(),
        bytes.to_vec(),
    )
}

#[test]
fn an_attachment_declared_larger_than_an_attachment_may_hold_is_rejected() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device.attach(&report.id, "van.jpg", &photo(10));
    let mut ops: Vec<serde_json::Value> = device
        .take()
        .iter()
        .filter(|o| o.kind != cordon_core::OperationKind::AttachmentUpload)
        .map(wire)
        .collect();
    let create = ops
        .iter_mut()
        .find(|o| o["kind"] == "attachment.create")
        .unwrap();
    create["payload"]["size_bytes"] = serde_json::json!(1_000_000_000_000_000_000u64);

    let reply = device.push(&srv, ops);

    assert_eq!(reply.statuses(), ["applied", "rejected"]);
    assert!(
        reply.reason(1).contains("more than an attachment may hold"),
        "{}",
        reply.reason(1)
    );
    assert!(admin::attachments(&srv.server).unwrap().is_empty());
}

#[test]
fn an_attachment_uploads_in_chunks_and_completes_when_the_hash_matches() {
    let srv = TestServer::start();
    let bytes = photo(3 * MIB + 17);
    let (device, sha) = declared(&srv, &bytes);

    let status = srv.get(&format!("/v1/attachments/{sha}"), device.token());
    assert_eq!(status.body["received_bytes"], 0);
    assert_eq!(status.body["size_bytes"], bytes.len());

    let mut last = None;
    for (i, chunk) in bytes.chunks(MIB).enumerate() {
        let reply = put(&srv, &device, &sha, i * MIB, chunk);
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        last = Some(reply);
    }
    let last = last.unwrap();
    assert_eq!(last.body["received_bytes"], bytes.len());
    assert_eq!(last.body["complete"], true);
    let stored = std::fs::read_dir(srv.server.blobs_dir())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(std::fs::read(stored.path()).unwrap(), bytes);
    assert!(admin::attachments(&srv.server).unwrap()[0].complete);
}

#[test]
fn a_chunk_at_the_wrong_offset_is_409_with_received_bytes_and_the_upload_resumes_there() {
    let srv = TestServer::start();
    let bytes = photo(100_000);
    let (device, sha) = declared(&srv, &bytes);
    assert_eq!(put(&srv, &device, &sha, 0, &bytes[..40_000]).status, 200);

    // The device lost track (a response that never arrived) and sends from zero again.
    let conflict = put(&srv, &device, &sha, 0, &bytes[..40_000]);
    assert_eq!((conflict.status, conflict.code()), (409, "offset_mismatch"));
    assert_eq!(conflict.body["received_bytes"], 40_000);
    let ahead = put(&srv, &device, &sha, 60_000, &bytes[60_000..]);
    assert_eq!(ahead.body["received_bytes"], 40_000);

    let resumed = put(&srv, &device, &sha, 40_000, &bytes[40_000..]);
    assert_eq!(resumed.status, 200);
    assert_eq!(resumed.body["complete"], true);
}

#[test]
fn bytes_that_do_not_hash_to_the_declared_sha256_are_422_and_discarded() {
    let srv = TestServer::start();
    let bytes = photo(50_000);
    let (device, sha) = declared(&srv, &bytes);
    let mut forged = bytes.clone();
    forged[49_999] ^= 0xff;
    assert_eq!(put(&srv, &device, &sha, 0, &forged[..25_000]).status, 200);

    let reply = put(&srv, &device, &sha, 25_000, &forged[25_000..]);
    assert_eq!((reply.status, reply.code()), (422, "hash_mismatch"));
    let status = srv.get(&format!("/v1/attachments/{sha}"), device.token());
    assert_eq!(status.body["received_bytes"], 0);
    assert_eq!(status.body["complete"], false);
}

#[test]
fn a_chunk_over_8_mib_is_413_and_nothing_of_it_is_kept() {
    let srv = TestServer::start();
    let bytes = photo(9 * MIB);
    let (device, sha) = declared(&srv, &bytes);
    let reply = put(&srv, &device, &sha, 0, &bytes[..8 * MIB + 1]);
    assert_eq!((reply.status, reply.code()), (413, "too_large"));
    let status = srv.get(&format!("/v1/attachments/{sha}"), device.token());
    assert_eq!(status.body["received_bytes"], 0);
}

#[test]
fn a_chunk_running_past_the_declared_size_is_a_bad_request() {
    let srv = TestServer::start();
    let bytes = photo(1000);
    let (device, sha) = declared(&srv, &bytes);
    let mut longer = bytes.clone();
    longer.push(0);
    let reply = put(&srv, &device, &sha, 0, &longer);
    assert_eq!((reply.status, reply.code()), (400, "bad_request"));
    let status = srv.get(&format!("/v1/attachments/{sha}"), device.token());
    assert_eq!(status.body["received_bytes"], 0);
}

#[test]
fn a_chunk_for_a_complete_attachment_is_answered_complete_and_changes_nothing() {
    let srv = TestServer::start();
    let bytes = photo(4096);
    let (device, sha) = declared(&srv, &bytes);
    assert_eq!(put(&srv, &device, &sha, 0, &bytes).body["complete"], true);
    let again = put(&srv, &device, &sha, 0, &bytes);
    assert_eq!(again.status, 200);
    assert_eq!(again.body["complete"], true);
    assert_eq!(again.body["received_bytes"], 4096);
}

#[test]
fn an_empty_attachment_completes_with_one_empty_chunk() {
    let srv = TestServer::start();
    let (device, sha) = declared(&srv, b"");
    let reply = put(&srv, &device, &sha, 0, b"");
    assert_eq!(reply.body["complete"], true);
}

#[test]
fn another_organisation_can_neither_see_nor_upload_an_attachment() {
    let srv = TestServer::start();
    let bytes = photo(2048);
    let (_, sha) = declared(&srv, &bytes);
    let outsider = srv.device("globex", "G-1");
    let status = srv.get(&format!("/v1/attachments/{sha}"), outsider.token());
    assert_eq!((status.status, status.code()), (404, "not_found"));
    let upload = put(&srv, &outsider, &sha, 0, &bytes);
    assert_eq!((upload.status, upload.code()), (404, "not_found"));
    assert!(!admin::attachments(&srv.server).unwrap()[0].complete);
}

#[test]
fn the_status_of_an_undeclared_sha256_is_404_and_a_malformed_one_400() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let undeclared = srv.get(&format!("/v1/attachments/{}", sha256(b"x")), device.token());
    assert_eq!(undeclared.status, 404);
    let malformed = srv.get("/v1/attachments/not-a-hash", device.token());
    assert_eq!((malformed.status, malformed.code()), (400, "bad_request"));
    let (owner, sha) = declared(&srv, b"abc");
    let no_offset = srv.put(
        &format!("/v1/attachments/{sha}"),
        owner.token(),
        b"abc".to_vec(),
    );
    assert_eq!((no_offset.status, no_offset.code()), (400, "bad_request"));
}

#[test]
fn an_upload_resumes_after_the_server_restarts() {
    let srv = TestServer::start();
    let bytes = photo(300_000);
    let (device, sha) = declared(&srv, &bytes);
    assert_eq!(put(&srv, &device, &sha, 0, &bytes[..100_000]).status, 200);

    let srv = srv.restart();
    let status = srv.get(&format!("/v1/attachments/{sha}"), device.token());
    assert_eq!(status.body["received_bytes"], 100_000);
    let done = put(&srv, &device, &sha, 100_000, &bytes[100_000..]);
    assert_eq!(done.body["complete"], true);
}
