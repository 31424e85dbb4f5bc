//! Messages from the control room: kept from the pull feed (`Change::Message`), listed
//! newest first with their read state, and marked read by the officer: one local write
//! and its receipt (`message.read`, normal lane) in one transaction, queued only the
//! first time, so the office hears of each read once.

use rusqlite::{OptionalExtension, Transaction};

use super::outbox::enqueue;
use super::{Durability, Store};
use crate::error::{CordonError, Result};
use crate::model::validate::{required_text, MAX_SHORT_TEXT};
use crate::model::{ControlRoomMessage, MessageReceipt, ReceivedMessage};
use crate::protocol::Payload;
use crate::time::Timestamp;

/// Keeps a message from the feed; one the device already holds stays as it is (a feed
/// that starts over repeats entries, and the read time must survive that).
pub(super) fn store_message(
    tx: &Transaction<'_>,
    m: &ControlRoomMessage,
    now: Timestamp,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO message (id, body, sender, alarm_id, sent_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        m.message_id,
        m.body,
        m.sender,
        m.alarm_id,
        m.sent_at,
        now
    ])?;
    Ok(())
}

/// A `message` row as read: id, body, sender, alarm id, sent, received, read.
type MessageRow = (
    String,
    String,
    String,
    Option<String>,
    Timestamp,
    Timestamp,
    Option<Timestamp>,
);

fn received(
    (message_id, body, sender, alarm_id, sent_at, received_at, read_at): MessageRow,
) -> ReceivedMessage {
    ReceivedMessage {
        message: ControlRoomMessage {
            message_id,
            body,
            sender,
            alarm_id,
            sent_at,
        },
        received_at,
        read_at,
    }
}

const COLUMNS: &str = "id, body, sender, alarm_id, sent_at, received_at, read_at";

fn one(c: &rusqlite::Connection, message_id: &str) -> Result<Option<ReceivedMessage>> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM message WHERE id = ?1"))?
            .query_row([message_id], |r| MessageRow::try_from(r))
            .optional()?
            .map(received),
    )
}

impl Store {
    /// The control room's messages to the officer, newest first, each with when the
    /// officer read it (none: unread).
    pub fn messages(&self) -> Result<Vec<ReceivedMessage>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM message ORDER BY sent_at DESC, id DESC"
            ))?
            .query_map([], |r| MessageRow::try_from(r))?
            .map(|row| row.map(received))
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One message, if the device holds it.
    pub fn message(&self, message_id: &str) -> Result<Option<ReceivedMessage>> {
        self.read(|c| one(c, message_id))
    }

    /// The officer read the message: its read time is set and a receipt queued for the
    /// office (normal lane), in one transaction. Reading it again changes nothing and
    /// queues nothing: the first read time is kept. An unknown message is `NotFound`.
    pub fn mark_message_read(&self, message_id: &str) -> Result<ReceivedMessage> {
        required_text("message_id", message_id, MAX_SHORT_TEXT)?;
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let held = one(tx, message_id)?
                .ok_or_else(|| CordonError::not_found("message", message_id))?;
            if held.read_at.is_some() {
                return Ok(held);
            }
            tx.prepare_cached("UPDATE message SET read_at = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![message_id, now])?;
            let receipt = Payload::MessageRead(MessageReceipt {
                message_id: message_id.to_owned(),
                read_at: now,
            });
            enqueue(tx, &receipt, None, now)?;
            Ok(ReceivedMessage {
                read_at: Some(now),
                ..held
            })
        })
    }

    /// How many messages the officer has not read yet.
    pub fn unread_message_count(&self) -> Result<i64> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT count(*) FROM message WHERE read_at IS NULL")?
                    .query_row([], |r| r.get(0))?,
            )
        })
    }
}
