//! Read receipts: the officer read a message from the control room (`message.read`).

use crate::store::Conn;
use cordon_core::model::validate::MAX_SHORT_TEXT;
use cordon_core::protocol::WireOperation;
use cordon_core::{MessageReceipt, Timestamp};

use super::{reject, same_record, text, Refusal};
use crate::http::Caller;
use crate::messages::{self, ReceiptRefusal};

/// `message.read`: the message must be one of the officer's own; the first read time is
/// kept, and a repeated receipt is applied without changing anything.
pub(super) fn read(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    receipt: &MessageReceipt,
    now: Timestamp,
) -> Result<(), Refusal> {
    text("message_id", &receipt.message_id, MAX_SHORT_TEXT)?;
    same_record("message_id", &receipt.message_id, op)?;
    match messages::read_receipt(
        tx,
        &caller.organisation_id,
        &caller.officer_id,
        &caller.device_id,
        receipt,
        now,
    )? {
        Ok(()) => Ok(()),
        Err(ReceiptRefusal::UnknownMessage) => reject("unknown message"),
    }
}
