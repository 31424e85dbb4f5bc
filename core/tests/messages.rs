//! Messages from the control room: kept from the pull feed, listed newest first with their
//! read state, and marked read with one local write and one read receipt in the outbox.

mod common;

use std::time::Duration;

use common::*;
use cordon_core::protocol::Payload;
use cordon_core::*;

const M1: &str = "0193a1b2-0000-7000-8000-000000000001";
const M2: &str = "0193a1b2-0000-7000-8000-000000000002";

/// A fixture whose device pulled two messages: M1 sent at T0, M2 a minute later.
fn with_two_messages() -> Fixture {
    let f = Fixture::new();
    let later = T0.plus(Duration::from_secs(60));
    pass_with_feed(
        &f,
        serde_json::json!([
            message_entry(
                "1.0000000000000001",
                &message(M1, "Call the control room.", T0)
            ),
            message_entry(
                "2.0000000000000002",
                &message(M2, "Police <b>two</b> minutes out.", later)
            ),
        ]),
    );
    f
}

#[test]
fn messages_from_the_feed_are_listed_newest_first_unread_and_as_sent() {
    let f = with_two_messages();

    let messages = f.store.messages().unwrap();

    let ids: Vec<_> = messages
        .iter()
        .map(|m| m.message.message_id.as_str())
        .collect();
    assert_eq!(ids, [M2, M1]);
    assert_eq!(messages[0].message.body, "Police <b>two</b> minutes out.");
    assert!(messages.iter().all(|m| m.read_at.is_none()));
    assert_eq!(f.store.unread_message_count().unwrap(), 2);
}

#[test]
fn marking_a_message_read_stores_the_time_and_queues_one_receipt_in_the_normal_lane() {
    let f = with_two_messages();
    f.advance(30);

    let read = f.store.mark_message_read(M1).unwrap();

    let now = f.store.now();
    assert_eq!(read.read_at, Some(now));
    assert_eq!(f.store.message(M1).unwrap().unwrap().read_at, Some(now));
    let queued = f.store.queued_operations().unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].kind, queued[0].lane, queued[0].record_id.as_str()),
        (OperationKind::MessageRead, Lane::Normal, M1)
    );
    let Payload::MessageRead(receipt) =
        Payload::decode(queued[0].kind, &queued[0].payload).unwrap()
    else {
        panic!("not a receipt")
    };
    assert_eq!(
        receipt,
        MessageReceipt {
            message_id: M1.into(),
            read_at: now
        }
    );
    assert_eq!(f.store.unread_message_count().unwrap(), 1);
}

#[test]
fn reading_a_message_again_keeps_the_first_time_and_queues_nothing() {
    let f = with_two_messages();
    let first = f.store.mark_message_read(M1).unwrap().read_at;
    f.advance(600);

    let again = f.store.mark_message_read(M1).unwrap();

    assert_eq!(again.read_at, first);
    assert_eq!(f.store.queued_operations().unwrap().len(), 1);
}

#[test]
fn an_unknown_or_blank_message_id_is_refused_and_nothing_is_written() {
    let f = with_two_messages();

    let unknown = f.store.mark_message_read("no-such-message").unwrap_err();
    let blank = f.store.mark_message_read(" ").unwrap_err();

    assert!(
        matches!(unknown, CordonError::NotFound { ref record, .. } if record == "message"),
        "{unknown:?}"
    );
    assert!(
        matches!(blank, CordonError::InvalidInput { ref field, rule: InputRule::Blank, .. } if field == "messageId"),
        "{blank:?}"
    );
    assert!(f.store.queued_operations().unwrap().is_empty());
    assert_eq!(f.store.unread_message_count().unwrap(), 2);
}

#[test]
fn the_receipt_is_delivered_by_the_next_pass_and_the_read_state_survives_the_feed_repeating_the_message(
) {
    let f = with_two_messages();
    let read_at = f.store.mark_message_read(M1).unwrap().read_at;

    // The feed starts over and carries M1 again: the read time is kept.
    let summary = pass_with_feed(
        &f,
        serde_json::json!([message_entry(
            "1.0000000000000001",
            &message(M1, "Call the control room.", T0)
        )]),
    );

    assert_eq!(summary.applied, 1, "the receipt went out");
    assert!(f.store.queued_operations().unwrap().is_empty());
    assert_eq!(f.store.message(M1).unwrap().unwrap().read_at, read_at);
    assert_eq!(f.store.messages().unwrap().len(), 2);
}

#[test]
fn a_message_that_breaks_the_rules_is_skipped_and_the_feed_moves_on() {
    let f = Fixture::new();
    let blank = message(M1, "  ", T0);

    let summary = pass_with_feed(
        &f,
        serde_json::json!([
            message_entry("1.0000000000000001", &blank),
            message_entry("2.0000000000000002", &message(M2, "Stand down.", T0)),
        ]),
    );

    let ids: Vec<_> = f
        .store
        .messages()
        .unwrap()
        .into_iter()
        .map(|m| m.message.message_id)
        .collect();
    assert_eq!(ids, [M2]);
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.contains(M1) && w.contains("body")),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn messages_and_their_read_state_survive_reopening_the_store() {
    let f = with_two_messages();
    let read_at = f.store.mark_message_read(M2).unwrap().read_at;

    let f = f.reopen();

    let messages = f.store.messages().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].read_at, read_at);
    assert_eq!(messages[1].read_at, None);
}
