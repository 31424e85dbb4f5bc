//! Post orders acknowledged: the officer acknowledges the version of an assignment's post
//! orders the device holds, with one local write and one operation in the normal lane; a
//! new version from the office needs a new acknowledgement.

mod common;

use common::*;
use cordon_core::protocol::Payload;
use cordon_core::*;

/// The sample assignment A-1 at server version `server_version` with post orders
/// version `orders`.
fn with_orders(server_version: i64, orders: i32) -> Assignment {
    let mut a = assignment("A-1", server_version);
    a.post_orders.version = orders;
    a.post_orders.text = format!("Post orders, version {orders}.");
    a
}

fn uuid_v7(id: &str) -> bool {
    id.len() == 36 && id.as_bytes()[14] == b'7'
}

fn fixture_with_orders(orders: i32) -> Fixture {
    let f = Fixture::new();
    assert!(f.store.upsert_assignment(&with_orders(1, orders)).unwrap());
    f
}

#[test]
fn post_orders_start_unacknowledged_at_the_version_the_device_holds() {
    let f = fixture_with_orders(3);

    let status = f.store.post_orders_acknowledgement("A-1").unwrap();

    assert_eq!(
        status,
        PostOrdersStatus {
            assignment_id: "A-1".into(),
            version: 3,
            acknowledged_at: None
        }
    );
    assert!(!status.is_acknowledged());
}

#[test]
fn acknowledging_records_the_time_and_queues_one_operation_in_the_normal_lane() {
    let f = fixture_with_orders(3);
    f.advance(30);

    let status = f.store.acknowledge_post_orders("A-1", 3).unwrap();

    let now = f.store.now();
    assert_eq!(status.acknowledged_at, Some(now));
    assert_eq!(f.store.post_orders_acknowledgement("A-1").unwrap(), status);
    let queued = f.store.queued_operations().unwrap();
    assert_eq!(queued.len(), 1);
    let op = &queued[0];
    assert_eq!(
        (op.kind, op.lane),
        (OperationKind::PostOrdersAcknowledge, Lane::Normal)
    );
    let ack_id = f.store.post_orders_acknowledgements().unwrap()[0]
        .id
        .clone();
    assert_eq!(op.record_id, ack_id);
    assert!(uuid_v7(&ack_id), "{ack_id}");
    assert_eq!(
        Payload::decode(op.kind, &op.payload).unwrap(),
        Payload::PostOrdersAcknowledge(PostOrdersAcknowledgement {
            id: ack_id.clone(),
            assignment_id: "A-1".into(),
            version: 3,
            acknowledged_at: now
        })
    );
}

#[test]
fn acknowledging_twice_keeps_the_first_time_and_queues_nothing_more() {
    let f = fixture_with_orders(3);
    let first = f.store.acknowledge_post_orders("A-1", 3).unwrap();
    f.advance(60);

    let again = f.store.acknowledge_post_orders("A-1", 3).unwrap();

    assert_eq!(again, first);
    assert_eq!(f.store.queued_operations().unwrap().len(), 1);
    assert_eq!(f.count("post_orders_ack"), 1);
}

#[test]
fn a_version_that_is_not_the_current_one_is_refused_and_nothing_is_written() {
    let f = fixture_with_orders(3);

    let older = f.store.acknowledge_post_orders("A-1", 2).unwrap_err();
    let newer = f.store.acknowledge_post_orders("A-1", 4).unwrap_err();

    assert_eq!(
        older,
        CordonError::PostOrdersNotCurrent {
            assignment_id: "A-1".into(),
            version: 2,
            current: 3
        }
    );
    assert_eq!(
        newer,
        CordonError::PostOrdersNotCurrent {
            assignment_id: "A-1".into(),
            version: 4,
            current: 3
        }
    );
    assert_eq!(f.count("post_orders_ack"), 0);
    assert_eq!(f.count("outbox"), 0);
}

#[test]
fn an_unknown_assignment_or_a_bad_version_is_refused_with_nothing_written() {
    let f = fixture_with_orders(3);

    let unknown = f.store.acknowledge_post_orders("A-9", 3).unwrap_err();
    let zero = f.store.acknowledge_post_orders("A-1", 0).unwrap_err();
    let blank = f.store.acknowledge_post_orders(" ", 3).unwrap_err();

    assert!(
        matches!(&unknown, CordonError::NotFound { record, id } if record == "assignment" && id == "A-9"),
        "{unknown:?}"
    );
    assert!(
        matches!(&zero, CordonError::InvalidInput { field, rule: InputRule::OutOfRange, .. } if field == "version"),
        "{zero:?}"
    );
    assert!(
        matches!(&blank, CordonError::InvalidInput { field, rule: InputRule::Blank, .. } if field == "assignmentId"),
        "{blank:?}"
    );
    assert!(matches!(
        f.store.post_orders_acknowledgement("A-9"),
        Err(CordonError::NotFound { .. })
    ));
    assert_eq!(f.count("post_orders_ack") + f.count("outbox"), 0);
}

#[test]
fn a_new_version_from_the_office_needs_a_new_acknowledgement_and_the_old_one_is_kept() {
    let f = fixture_with_orders(3);
    f.store.acknowledge_post_orders("A-1", 3).unwrap();
    f.advance(60);

    assert!(f.store.upsert_assignment(&with_orders(2, 4)).unwrap());

    let status = f.store.post_orders_acknowledgement("A-1").unwrap();
    assert_eq!((status.version, status.acknowledged_at), (4, None));
    assert!(matches!(
        f.store.acknowledge_post_orders("A-1", 3),
        Err(CordonError::PostOrdersNotCurrent { current: 4, .. })
    ));
    let now = f.store.now();
    assert_eq!(
        f.store
            .acknowledge_post_orders("A-1", 4)
            .unwrap()
            .acknowledged_at,
        Some(now)
    );
    let versions: Vec<_> = f
        .store
        .post_orders_acknowledgements()
        .unwrap()
        .into_iter()
        .map(|a| a.version)
        .collect();
    assert_eq!(versions, [3, 4]);
    assert_eq!(f.store.queued_operations().unwrap().len(), 2);
}

#[test]
fn a_new_version_pulled_through_the_feed_starts_unacknowledged() {
    let f = fixture_with_orders(3);
    f.store.acknowledge_post_orders("A-1", 3).unwrap();

    pass_with_feed(
        &f,
        serde_json::json!([{"kind": "assignment", "cursor": "1.0000000000000001",
                            "assignment": with_orders(2, 4)}]),
    );

    let status = f.store.post_orders_acknowledgement("A-1").unwrap();
    assert_eq!((status.version, status.acknowledged_at), (4, None));
}

#[test]
fn an_acknowledgement_survives_reopening_the_store() {
    let f = fixture_with_orders(3);
    let status = f.store.acknowledge_post_orders("A-1", 3).unwrap();

    let f = f.reopen();

    assert_eq!(f.store.post_orders_acknowledgement("A-1").unwrap(), status);
    assert_eq!(f.store.queued_operations().unwrap().len(), 1);
}

#[test]
fn acknowledgements_are_append_only_in_the_database() {
    let f = fixture_with_orders(3);
    f.store.acknowledge_post_orders("A-1", 3).unwrap();

    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    let update = conn.execute("UPDATE post_orders_ack SET acknowledged_at = 0", []);
    let delete = conn.execute("DELETE FROM post_orders_ack", []);

    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}
