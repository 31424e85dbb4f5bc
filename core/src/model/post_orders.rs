//! Post orders acknowledged: the officer confirms, on the phone and offline, that they
//! have read version N of an assignment's post orders.
//!
//! The post orders travel inside the assignment (`Assignment::post_orders`, versioned by
//! the office); a new version pulled through the feed needs a new acknowledgement. The
//! device records one acknowledgement per assignment and version (append-only) and queues
//! it for the office (`post_orders.acknowledge`, normal lane); the office keeps them
//! append-only too, per organisation, officer, assignment and version.

use serde::{Deserialize, Serialize};

use super::validate::{required_text, MAX_SHORT_TEXT};
use crate::error::{CordonError, InputRule, Result};
use crate::time::Timestamp;

/// The payload of `post_orders.acknowledge`, and the device's record of it: the officer
/// acknowledged version `version` of the post orders of `assignment_id` at
/// `acknowledged_at` (the device's clock). `id` (a UUID made on the device) is the
/// operation's `record_id`: the assignment is the office's record, and its ids are not
/// UUIDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PostOrdersAcknowledgement {
    pub id: String,
    pub assignment_id: String,
    pub version: i32,
    pub acknowledged_at: Timestamp,
}

impl PostOrdersAcknowledgement {
    /// The rules both ends hold an acknowledgement to: an id, an assignment id, a version
    /// of at least 1.
    pub fn validate(&self) -> Result<()> {
        required_text("id", &self.id, MAX_SHORT_TEXT)?;
        required_text("assignment_id", &self.assignment_id, MAX_SHORT_TEXT)?;
        validate_version(self.version)
    }
}

/// A post orders version is 1 or more (the office numbers them from 1).
pub fn validate_version(version: i32) -> Result<()> {
    if version < 1 {
        return Err(CordonError::invalid(
            "version",
            InputRule::OutOfRange,
            format!("post orders version {version} is not 1 or more"),
        ));
    }
    Ok(())
}

/// Where the post orders of one assignment stand on the device: the version it holds
/// now and, if the officer acknowledged that version, when. A new version from the office
/// starts unacknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PostOrdersStatus {
    pub assignment_id: String,
    /// The version of the post orders the device holds now.
    pub version: i32,
    /// When the officer acknowledged this version (none: not yet).
    pub acknowledged_at: Option<Timestamp>,
}

impl PostOrdersStatus {
    /// Whether the officer has acknowledged the version the device holds now.
    pub fn is_acknowledged(&self) -> bool {
        self.acknowledged_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PostOrdersAcknowledgement {
        PostOrdersAcknowledgement {
            id: "0193a1b2-0000-7000-8000-00000000000a".into(),
            assignment_id: "ASG-1042".into(),
            version: 3,
            acknowledged_at: Timestamp::from_millis(1_790_000_000_000),
        }
    }

    fn rule_of(r: Result<()>) -> (String, InputRule) {
        match r {
            Err(CordonError::InvalidInput { field, rule, .. }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn an_acknowledgement_of_a_version_of_an_assignment_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn a_version_below_one_is_refused_naming_the_version() {
        let a = PostOrdersAcknowledgement {
            version: 0,
            ..sample()
        };
        assert_eq!(
            rule_of(a.validate()),
            ("version".into(), InputRule::OutOfRange)
        );
    }

    #[test]
    fn a_blank_assignment_is_refused_naming_the_assignment() {
        let a = PostOrdersAcknowledgement {
            assignment_id: " ".into(),
            ..sample()
        };
        assert_eq!(
            rule_of(a.validate()),
            ("assignmentId".into(), InputRule::Blank)
        );
    }

    #[test]
    fn the_payload_reads_as_the_protocol_spells_it() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": "0193a1b2-0000-7000-8000-00000000000a",
                               "assignment_id": "ASG-1042", "version": 3,
                               "acknowledged_at": "2026-09-21T14:13:20.000Z"})
        );
    }
}
