//! Handover notes: the outgoing officer writes, offline, what the incoming officer must
//! know (the principal's state, open issues, equipment and keys, anything to watch); the
//! incoming officer acknowledges it on their own phone, offline too.
//!
//! The note is the outgoing officer's record (`handover.create`, normal lane); the office
//! checks that both officers are on the assignment and sends the note down the incoming
//! officer's feed (`Change::Handover`). The acknowledgement is an operation of the
//! incoming officer's device about a record that is not its own (`handover.acknowledge`,
//! normal lane, like a message's read receipt); the office keeps the first and sends the
//! acknowledged note down the outgoing officer's feed, so the outgoing phone learns that
//! the responsibility has passed. Every field is text, shown as text.

use serde::{Deserialize, Serialize};

use super::validate::{optional_text, required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};
use crate::error::{CordonError, InputRule, Result};
use crate::time::{validate_timestamp, Timestamp};

/// What the outgoing officer writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewHandover {
    pub assignment_id: String,
    /// The incoming officer.
    pub to_officer_id: String,
    /// How the principal is: where, mood, health as far as the officer may say.
    pub principal_state: String,
    pub open_issues: Option<String>,
    pub equipment_and_keys: Option<String>,
    /// Anything to watch: a person, a vehicle, a door that does not lock.
    pub watch_for: Option<String>,
}

impl NewHandover {
    /// The rules of a note: the assignment and the incoming officer named, the
    /// principal's state said, every text within [`MAX_NOTE_TEXT`].
    pub fn validate(&self) -> Result<()> {
        required_text("assignment_id", &self.assignment_id, MAX_SHORT_TEXT)?;
        required_text("to_officer_id", &self.to_officer_id, MAX_SHORT_TEXT)?;
        required_text("principal_state", &self.principal_state, MAX_NOTE_TEXT)?;
        optional_text("open_issues", self.open_issues.as_deref(), MAX_NOTE_TEXT)?;
        optional_text(
            "equipment_and_keys",
            self.equipment_and_keys.as_deref(),
            MAX_NOTE_TEXT,
        )?;
        optional_text("watch_for", self.watch_for.as_deref(), MAX_NOTE_TEXT)
    }
}

/// A handover note: the payload of `handover.create`, what the feed carries to both
/// officers, and what each device keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Handover {
    /// Made on the outgoing device (a UUID): the operation's `record_id`.
    pub id: String,
    pub from_officer_id: String,
    #[serde(flatten)]
    pub note: NewHandover,
    /// The outgoing device's clock when the note was written.
    pub written_at: Timestamp,
    /// When the incoming officer acknowledged it (their device's clock); none until then.
    #[serde(default)]
    pub acknowledged_at: Option<Timestamp>,
}

impl Handover {
    /// The note's rules, an id, the outgoing officer, and an incoming officer who is
    /// someone else.
    pub fn validate(&self) -> Result<()> {
        required_text("id", &self.id, MAX_SHORT_TEXT)?;
        required_text("from_officer_id", &self.from_officer_id, MAX_SHORT_TEXT)?;
        self.note.validate()?;
        validate_timestamp("written_at", self.written_at)?;
        if self.note.to_officer_id == self.from_officer_id {
            return Err(CordonError::invalid(
                "to_officer_id",
                InputRule::NotAllowed,
                "a handover goes to another officer",
            ));
        }
        Ok(())
    }

    /// Whether the incoming officer acknowledged it.
    pub fn is_acknowledged(&self) -> bool {
        self.acknowledged_at.is_some()
    }
}

/// The payload of `handover.acknowledge`: the incoming officer acknowledged the note at
/// `acknowledged_at` (their device's clock). The office keeps the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverAcknowledgement {
    pub handover_id: String,
    pub acknowledged_at: Timestamp,
}

impl HandoverAcknowledgement {
    pub fn validate(&self) -> Result<()> {
        required_text("handover_id", &self.handover_id, MAX_SHORT_TEXT)?;
        validate_timestamp("acknowledged_at", self.acknowledged_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note() -> NewHandover {
        NewHandover {
            assignment_id: "ASG-1042".into(),
            to_officer_id: "OFC-9".into(),
            principal_state: "Asleep in the east suite since 23:10.".into(),
            open_issues: Some("Press outside the gate.".into()),
            equipment_and_keys: Some("Radio 3, car keys, suite key card.".into()),
            watch_for: None,
        }
    }

    fn sample() -> Handover {
        Handover {
            id: "0193a1b2-0000-7000-8000-00000000000b".into(),
            from_officer_id: "OFC-7".into(),
            note: note(),
            written_at: Timestamp::from_millis(1_790_000_000_000),
            acknowledged_at: None,
        }
    }

    fn rule_of(r: Result<()>) -> (String, InputRule) {
        match r {
            Err(CordonError::InvalidInput { field, rule, .. }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn a_note_with_the_principals_state_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn a_blank_principal_state_is_refused_naming_it() {
        let n = NewHandover {
            principal_state: "  ".into(),
            ..note()
        };
        assert_eq!(
            rule_of(n.validate()),
            ("principalState".into(), InputRule::Blank)
        );
    }

    #[test]
    fn a_control_character_in_the_equipment_is_refused() {
        let n = NewHandover {
            equipment_and_keys: Some("keys\u{0}".into()),
            ..note()
        };
        assert_eq!(
            rule_of(n.validate()),
            ("equipmentAndKeys".into(), InputRule::ControlCharacter)
        );
    }

    #[test]
    fn a_handover_to_oneself_is_refused() {
        let h = Handover {
            from_officer_id: "OFC-9".into(),
            ..sample()
        };
        assert_eq!(
            rule_of(h.validate()),
            ("toOfficerId".into(), InputRule::NotAllowed)
        );
    }

    #[test]
    fn the_payload_reads_as_the_protocol_spells_it() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": "0193a1b2-0000-7000-8000-00000000000b",
                "from_officer_id": "OFC-7", "assignment_id": "ASG-1042",
                "to_officer_id": "OFC-9",
                "principal_state": "Asleep in the east suite since 23:10.",
                "open_issues": "Press outside the gate.",
                "equipment_and_keys": "Radio 3, car keys, suite key card.",
                "watch_for": null,
                "written_at": "2026-09-21T14:13:20.000Z", "acknowledged_at": null})
        );
    }
}
