//! Messages from the control room to an officer: written by an operator, sent down the
//! officer's pull feed, and followed to the phone: delivered (the first pull that carried
//! it) and read (the device's read receipt, `message.read`).
//!
//! - **Append-only**: a message row is written once; its delivery and its read are rows of
//!   their own, each written once (the first time kept; a repeated receipt or a second
//!   pull changes nothing), and triggers refuse UPDATE and DELETE on all three.
//! - **Scope**: an operator writes only to an officer of their organisation (one with an
//!   enrolled device or an assignment there), about an alarm of their organisation; an
//!   officer's device pulls only that officer's messages and can send a receipt only for
//!   one of them. Anything else is `NotFound`, as if it did not exist.
//! - **Text**: the body is the core's rule for a message ([`validate_body`]); the console
//!   shows it as text, never as markup, and it never goes in a log or the audit.

use crate::store::{Conn, OptionalExtension};
use cordon_core::model::validate::{optional_text, required_text, MAX_SHORT_TEXT};
use cordon_core::model::{validate_body, ControlRoomMessage, MessageReceipt};
use cordon_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::Server;

/// A message as the office holds it, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub id: String,
    pub organisation_id: String,
    pub officer_id: String,
    /// The operator who wrote it.
    pub sender: String,
    pub alarm_id: Option<String>,
    pub body: String,
    /// The server's clock when it was written.
    pub sent_at: Timestamp,
    /// The server's clock when a device of the officer first pulled it.
    pub delivered_at: Option<Timestamp>,
    /// When the officer first read it (the device's clock, from the read receipt).
    pub read_at: Option<Timestamp>,
    /// The server's clock when that receipt arrived.
    pub read_received_at: Option<Timestamp>,
}

/// What an operator writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage<'a> {
    pub organisation_id: &'a str,
    /// The operator's username.
    pub sender: &'a str,
    pub officer_id: &'a str,
    pub alarm_id: Option<&'a str>,
    pub body: &'a str,
}

impl NewMessage<'_> {
    pub fn validate(&self) -> Result<()> {
        required_text("officer_id", self.officer_id, MAX_SHORT_TEXT)?;
        optional_text("alarm_id", self.alarm_id, MAX_SHORT_TEXT)?;
        required_text("sender", self.sender, MAX_SHORT_TEXT)?;
        validate_body(self.body)?;
        Ok(())
    }
}

/// Whether `officer_id` is an officer of the organisation: one with a device enrolled or
/// an assignment there.
fn officer_known(c: &Conn, organisation_id: &str, officer_id: &str) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM device WHERE organisation_id = ?1 AND officer_id = ?2)
             OR EXISTS (SELECT 1 FROM assignment_officer
                        WHERE organisation_id = ?1 AND officer_id = ?2)",
    )?
    .query_row([organisation_id, officer_id], |r| r.get(0))?)
}

/// Writes the message and appends it to the officer's feed, in the caller's transaction.
pub fn send_in(tx: &Conn, m: &NewMessage<'_>, now: Timestamp) -> Result<SentMessage> {
    m.validate()?;
    if !officer_known(tx, m.organisation_id, m.officer_id)? {
        return Err(Error::not_found("officer", m.officer_id));
    }
    if let Some(alarm_id) = m.alarm_id {
        let known = tx
            .prepare_cached("SELECT 1 FROM alarm WHERE organisation_id = ?1 AND id = ?2")?
            .exists([m.organisation_id, alarm_id])?;
        if !known {
            return Err(Error::not_found("alarm", alarm_id));
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    tx.prepare_cached(
        "INSERT INTO message (organisation_id, id, officer_id, sender, alarm_id, body, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(rusqlite::params![
        m.organisation_id,
        id,
        m.officer_id,
        m.sender,
        m.alarm_id,
        m.body,
        now
    ])?;
    let wire = ControlRoomMessage {
        message_id: id.clone(),
        body: m.body.to_owned(),
        sender: m.sender.to_owned(),
        alarm_id: m.alarm_id.map(str::to_owned),
        sent_at: now,
    };
    crate::feed::append_message(tx, m.organisation_id, m.officer_id, &wire)?;
    tracing::info!(message_id = %id, "message sent");
    read_message(tx, m.organisation_id, &id)
}

/// [`send_in`] in its own transaction, on the server's clock.
pub fn send(server: &Server, m: &NewMessage<'_>) -> Result<SentMessage> {
    let now = server.now();
    server.write(|tx| send_in(tx, m, now))
}

const COLUMNS: &str = "m.id, m.organisation_id, m.officer_id, m.sender, m.alarm_id, m.body,
    m.sent_at, d.delivered_at, r.read_at, r.received_at";
const JOINS: &str = "message m
    LEFT JOIN message_delivery d ON d.organisation_id = m.organisation_id AND d.message_id = m.id
    LEFT JOIN message_read r ON r.organisation_id = m.organisation_id AND r.message_id = m.id";

fn row(r: &crate::store::Row<'_>) -> rusqlite::Result<SentMessage> {
    Ok(SentMessage {
        id: r.get(0)?,
        organisation_id: r.get(1)?,
        officer_id: r.get(2)?,
        sender: r.get(3)?,
        alarm_id: r.get(4)?,
        body: r.get(5)?,
        sent_at: r.get(6)?,
        delivered_at: r.get(7)?,
        read_at: r.get(8)?,
        read_received_at: r.get(9)?,
    })
}

fn read_message(c: &Conn, organisation_id: &str, id: &str) -> Result<SentMessage> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {JOINS} WHERE m.organisation_id = ?1 AND m.id = ?2"
    ))?
    .query_row([organisation_id, id], row)
    .optional()?
    .ok_or_else(|| Error::not_found("message", id))
}

/// One message of the organisation (another organisation's is `NotFound`).
pub fn message(server: &Server, organisation_id: &str, id: &str) -> Result<SentMessage> {
    server.read(|c| read_message(c, organisation_id, id))
}

/// The organisation's messages, newest first (at most `limit`).
pub fn messages_of(
    server: &Server,
    organisation_id: &str,
    limit: usize,
) -> Result<Vec<SentMessage>> {
    server.read(|c| {
        Ok(c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {JOINS} WHERE m.organisation_id = ?1
             ORDER BY m.sent_at DESC, m.id DESC LIMIT ?2"
        ))?
        .query_map(rusqlite::params![organisation_id, limit as i64], row)?
        .collect::<rusqlite::Result<_>>()?)
    })
}

/// Why a read receipt was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReceiptRefusal {
    /// No message of the officer has this id (or one of another officer or organisation).
    UnknownMessage,
}

/// A device's read receipt: the officer read the message. The first read time is kept;
/// a repeated receipt (another device of the officer, a reinstalled app) changes nothing.
/// A receipt implies delivery, which is recorded too if no pull was seen.
pub(crate) fn read_receipt(
    tx: &Conn,
    organisation_id: &str,
    officer_id: &str,
    device_id: &str,
    receipt: &MessageReceipt,
    now: Timestamp,
) -> Result<Result<(), ReceiptRefusal>> {
    let mine = tx
        .prepare_cached(
            "SELECT 1 FROM message WHERE organisation_id = ?1 AND id = ?2 AND officer_id = ?3",
        )?
        .exists([organisation_id, &receipt.message_id, officer_id])?;
    if !mine {
        return Ok(Err(ReceiptRefusal::UnknownMessage));
    }
    crate::feed::record_delivery(tx, organisation_id, device_id, &[&receipt.message_id], now)?;
    tx.prepare_cached(
        "INSERT INTO message_read (organisation_id, message_id, device_id, read_at,
                                             received_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?
    .execute(rusqlite::params![
        organisation_id,
        receipt.message_id,
        device_id,
        receipt.read_at,
        now
    ])?;
    tracing::info!(message_id = %receipt.message_id, "message read");
    Ok(Ok(()))
}
