//! Messages from the control room to an officer, and the officer's read receipt.
//!
//! The office writes a message (append-only on its side) and sends it down the pull feed
//! (`Change::Message`); the device keeps it and, when the officer opens it, records the
//! read locally and queues a receipt (`message.read`, normal lane). A message is text and
//! is shown as text, never as markup, at both ends.

use serde::{Deserialize, Serialize};

use super::validate::{optional_text, required_text, MAX_SHORT_TEXT};
use crate::error::Result;
use crate::time::Timestamp;

/// The longest message body, in characters: a few lines read on a phone under stress.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// A message from the control room to one officer, as the pull feed carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ControlRoomMessage {
    /// The office's id for the message (a UUID).
    pub message_id: String,
    /// The text, shown as text.
    pub body: String,
    /// The operator who wrote it (their username).
    pub sender: String,
    /// The alarm it is about, if any (an [`AlarmStatus::alarm_id`](super::AlarmStatus)).
    pub alarm_id: Option<String>,
    /// The office's clock when it was sent.
    pub sent_at: Timestamp,
}

impl ControlRoomMessage {
    /// The rules both ends hold a message to: a body of 1 to [`MAX_MESSAGE_CHARS`]
    /// characters of text, short ids.
    pub fn validate(&self) -> Result<()> {
        required_text("message_id", &self.message_id, MAX_SHORT_TEXT)?;
        validate_body(&self.body)?;
        required_text("sender", &self.sender, MAX_SHORT_TEXT)?;
        optional_text("alarm_id", self.alarm_id.as_deref(), MAX_SHORT_TEXT)
    }
}

/// A message body: not blank, at most [`MAX_MESSAGE_CHARS`] characters, no control
/// characters but line breaks and tabs.
pub fn validate_body(body: &str) -> Result<()> {
    required_text("body", body, MAX_MESSAGE_CHARS)
}

/// A message as the device holds it: what the office sent, when it arrived, and when the
/// officer read it (none while unread).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReceivedMessage {
    pub message: ControlRoomMessage,
    /// The device's clock when the pull brought it.
    pub received_at: Timestamp,
    /// The device's clock when the officer first read it.
    pub read_at: Option<Timestamp>,
}

/// The payload of `message.read`: the officer read the message at `read_at` (the device's
/// clock). The office keeps the first read time; a repeated receipt changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReceipt {
    pub message_id: String,
    pub read_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CordonError, InputRule};

    fn sample() -> ControlRoomMessage {
        ControlRoomMessage {
            message_id: "0193a1b2-0000-7000-8000-000000000001".into(),
            body: "Police are two minutes out.\nStay with the principal.".into(),
            sender: "op.jones".into(),
            alarm_id: None,
            sent_at: Timestamp::from_millis(1_790_000_000_000),
        }
    }

    fn rule_of(r: Result<()>) -> (String, InputRule) {
        match r {
            Err(CordonError::InvalidInput { field, rule, .. }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn a_message_of_plain_lines_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn a_blank_body_is_refused_naming_the_body() {
        let m = ControlRoomMessage {
            body: " \n".into(),
            ..sample()
        };
        assert_eq!(rule_of(m.validate()), ("body".into(), InputRule::Blank));
    }

    #[test]
    fn a_body_over_the_limit_is_refused_as_too_long() {
        assert!(validate_body(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert_eq!(
            rule_of(validate_body(&"é".repeat(MAX_MESSAGE_CHARS + 1))),
            ("body".into(), InputRule::TooLong)
        );
    }

    #[test]
    fn a_control_character_in_the_body_is_refused() {
        assert_eq!(
            rule_of(validate_body("bell\u{7}")),
            ("body".into(), InputRule::ControlCharacter)
        );
    }
}
