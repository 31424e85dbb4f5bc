//! Incident reports: an editable draft, a submission that locks it, and append-only
//! amendments chained by SHA-256.
//!
//! The chain: at submission the core hashes the report's content together with its
//! attachments' hashes (`content_hash`). Amendment `n` hashes its own content together
//! with the hash before it (`previous_hash`), the first one chaining from
//! `content_hash`. Altering the submitted content, an attachment's recorded hash, or any
//! amendment changes a hash that [`verify`](crate::Store::verify_report) recomputes, so
//! the alteration is detected. The device also refuses such edits with SQLite triggers;
//! the hashes are what make an edit that bypassed the core visible. The office receives
//! the same hashes, which anchors the chain off the device.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::validate::{optional_text, required_text, MAX_LONG_TEXT, MAX_NOTE_TEXT, MAX_SHORT_TEXT};
use super::{Attachment, Location};
use crate::error::{CordonError, InputRule, Result};
use crate::time::{validate_time_zone, validate_timestamp, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum IncidentCategory {
    SuspiciousActivity,
    HostileSurveillance,
    Trespass,
    Threat,
    Assault,
    Theft,
    Damage,
    Medical,
    Fire,
    Traffic,
    PrincipalIncident,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    Subject,
    Victim,
    Witness,
    Officer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PersonInvolved {
    pub role: PersonRole,
    pub description: String,
}

/// Most persons one report may list (beyond that, a list belongs in an attachment).
pub const MAX_PERSONS: usize = 100;

/// What a report says. A draft's content is replaced whole on each edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncidentContent {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub assignment_id: Option<String>,
    pub category: IncidentCategory,
    pub severity: Severity,
    pub occurred_at: Timestamp,
    pub discovered_at: Timestamp,
    /// The officer's IANA zone when writing the report.
    #[cfg_attr(feature = "uniffi", uniffi(default = "Etc/UTC"))]
    pub time_zone: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub location: Option<Location>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub narrative: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub persons: Vec<PersonInvolved>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub police_reference: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub control_room_reference: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub actions_taken: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub injuries: Option<String>,
}

impl IncidentContent {
    /// The rules every version of a report meets, draft or submitted. A draft's narrative
    /// may still be empty; [`validate_for_submission`](Self::validate_for_submission)
    /// requires it.
    pub fn validate(&self) -> Result<()> {
        optional_text(
            "assignment_id",
            self.assignment_id.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        validate_time_zone("time_zone", &self.time_zone)?;
        validate_timestamp("occurred_at", self.occurred_at)?;
        validate_timestamp("discovered_at", self.discovered_at)?;
        if self.discovered_at < self.occurred_at {
            return Err(CordonError::invalid(
                "discovered_at",
                InputRule::OutOfOrder,
                "cannot be before occurred_at",
            ));
        }
        if let Some(loc) = &self.location {
            loc.validate("location")?;
        }
        if !self.narrative.is_empty() {
            required_text("narrative", &self.narrative, MAX_LONG_TEXT)?;
        }
        if self.persons.len() > MAX_PERSONS {
            return Err(CordonError::invalid(
                "persons",
                InputRule::TooLong,
                format!(
                    "{} persons; at most {MAX_PERSONS} per report",
                    self.persons.len()
                ),
            ));
        }
        for (i, p) in self.persons.iter().enumerate() {
            required_text(
                &format!("persons[{i}].description"),
                &p.description,
                MAX_NOTE_TEXT,
            )?;
        }
        optional_text(
            "police_reference",
            self.police_reference.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        optional_text(
            "control_room_reference",
            self.control_room_reference.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        optional_text(
            "actions_taken",
            self.actions_taken.as_deref(),
            MAX_LONG_TEXT,
        )?;
        optional_text("injuries", self.injuries.as_deref(), MAX_LONG_TEXT)
    }

    pub fn validate_for_submission(&self, now: Timestamp) -> Result<()> {
        self.validate()?;
        required_text("narrative", &self.narrative, MAX_LONG_TEXT)?;
        if self.occurred_at > now.plus(std::time::Duration::from_secs(60)) {
            return Err(CordonError::invalid(
                "occurred_at",
                InputRule::InTheFuture,
                "is in the future",
            ));
        }
        Ok(())
    }

    /// The report as it reads after `amendments`, applied in order to this content (as
    /// sealed at submission).
    pub fn amended(mut self, amendments: &[Amendment]) -> Self {
        for a in amendments {
            self.apply(&a.patch);
        }
        self
    }

    /// Applies an amendment's patch, returning the names of the fields it changed (in
    /// declaration order). A field set to the value it already has is not a change.
    pub fn apply(&mut self, patch: &IncidentPatch) -> Vec<String> {
        let mut changed = Vec::new();
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(v) = &patch.$field {
                    if self.$field != *v {
                        self.$field = v.clone();
                        changed.push(stringify!($field).to_owned());
                    }
                }
            )*};
        }
        macro_rules! set_opt {
            ($($field:ident),*) => {$(
                if let Some(v) = &patch.$field {
                    if self.$field.as_ref() != Some(v) {
                        self.$field = Some(v.clone());
                        changed.push(stringify!($field).to_owned());
                    }
                }
            )*};
        }
        set!(
            category,
            severity,
            occurred_at,
            discovered_at,
            narrative,
            persons
        );
        set_opt!(
            location,
            police_reference,
            control_room_reference,
            actions_taken,
            injuries
        );
        changed
    }
}

/// The fields an amendment may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncidentPatch {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub category: Option<IncidentCategory>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub severity: Option<Severity>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub occurred_at: Option<Timestamp>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub discovered_at: Option<Timestamp>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub location: Option<Location>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub narrative: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub persons: Option<Vec<PersonInvolved>>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub police_reference: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub control_room_reference: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub actions_taken: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub injuries: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    Draft,
    Submitted,
}

impl ReportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Draft => "draft",
            ReportState::Submitted => "submitted",
        }
    }
}

/// A change to a submitted report, kept for ever beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Amendment {
    pub id: String,
    pub report_id: String,
    /// 1 for the first amendment of a report, then 2, 3, ...
    pub sequence: i32,
    pub author: String,
    pub reason: String,
    pub changed_fields: Vec<String>,
    pub patch: IncidentPatch,
    pub created_at: Timestamp,
    /// Hex SHA-256 of the link before this one (the submission's `content_hash` for
    /// the first amendment).
    pub previous_hash: String,
    /// Hex SHA-256 of this amendment chained to `previous_hash`.
    pub hash: String,
}

/// An incident report as the device holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncidentReport {
    pub id: String,
    pub state: ReportState,
    /// The report as it reads now: the submitted content with every amendment applied.
    pub content: IncidentContent,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    /// Hex SHA-256 of the content and attachments at submission.
    pub content_hash: Option<String>,
    pub attachments: Vec<Attachment>,
    pub amendments: Vec<Amendment>,
}

/// What the office decided about a submitted report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    Accepted,
    /// Sent back to the officer, who should amend it.
    Returned,
}

impl ReviewOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Accepted => "accepted",
            ReviewOutcome::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ReviewOutcome::Accepted, ReviewOutcome::Returned]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// A review outcome, delivered to the device through the pull feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReportReview {
    pub report_id: String,
    pub outcome: ReviewOutcome,
    pub reviewer: String,
    pub note: Option<String>,
    pub reviewed_at: Timestamp,
}

/// The outcome of checking a report's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi::export(Debug))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReportIntegrity {
    /// A draft has nothing to verify yet.
    Draft,
    /// Every hash recomputes; `head_hash` is the last link (to compare with the office).
    Intact { head_hash: String, amendments: i32 },
    /// The chain breaks at `link` (0: the submission itself; n: amendment n).
    Broken { link: i32, reason: String },
}

/// What the submission hash covers. Field order is fixed by this struct, so the JSON,
/// and so the hash, is the same on every platform and every run.
#[derive(Serialize)]
struct SubmissionLink<'a> {
    report_id: &'a str,
    submitted_at: Timestamp,
    content: &'a IncidentContent,
    /// Every field of every attachment, sorted by id: what it is, what it is called,
    /// when it was captured and the SHA-256 of its bytes.
    attachments: Vec<&'a Attachment>,
}

#[derive(Serialize)]
struct AmendmentLink<'a> {
    previous_hash: &'a str,
    report_id: &'a str,
    sequence: i32,
    author: &'a str,
    reason: &'a str,
    changed_fields: &'a [String],
    patch: &'a IncidentPatch,
    created_at: Timestamp,
}

/// The hash sealed at submission.
pub fn submission_hash(
    report_id: &str,
    submitted_at: Timestamp,
    content: &IncidentContent,
    attachments: &[Attachment],
) -> String {
    let mut sorted: Vec<&Attachment> = attachments.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let link = SubmissionLink {
        report_id,
        submitted_at,
        content,
        attachments: sorted,
    };
    sha256_json(&link)
}

/// The hash of an amendment chained to the one before it.
pub fn amendment_hash(a: &Amendment) -> String {
    sha256_json(&AmendmentLink {
        previous_hash: &a.previous_hash,
        report_id: &a.report_id,
        sequence: a.sequence,
        author: &a.author,
        reason: &a.reason,
        changed_fields: &a.changed_fields,
        patch: &a.patch,
        created_at: a.created_at,
    })
}

fn sha256_json<T: Serialize>(value: &T) -> String {
    // Serialising these borrowed structs cannot fail: no maps with non-string keys.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex(&Sha256::digest(&bytes))
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Recomputes the chain of a submitted report. `submitted` is the content as sealed at
/// submission (not the amended view).
pub fn verify_chain(
    report_id: &str,
    submitted_at: Timestamp,
    submitted: &IncidentContent,
    attachments: &[Attachment],
    content_hash: &str,
    amendments: &[Amendment],
) -> ReportIntegrity {
    if submission_hash(report_id, submitted_at, submitted, attachments) != content_hash {
        return ReportIntegrity::Broken {
            link: 0,
            reason: "the submitted content or its attachments no longer match the sealed hash"
                .into(),
        };
    }
    let mut previous = content_hash.to_owned();
    for (i, a) in amendments.iter().enumerate() {
        let link = i32::try_from(i + 1).unwrap_or(i32::MAX);
        if a.sequence != link {
            return ReportIntegrity::Broken {
                link,
                reason: format!(
                    "amendment {link} is missing (found sequence {})",
                    a.sequence
                ),
            };
        }
        if a.previous_hash != previous {
            return ReportIntegrity::Broken {
                link,
                reason: format!("amendment {link} does not chain from the link before it"),
            };
        }
        if amendment_hash(a) != a.hash {
            return ReportIntegrity::Broken {
                link,
                reason: format!("amendment {link} was altered after it was written"),
            };
        }
        previous = a.hash.clone();
    }
    ReportIntegrity::Intact {
        head_hash: previous,
        amendments: i32::try_from(amendments.len()).unwrap_or(i32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> IncidentContent {
        IncidentContent {
            assignment_id: None,
            category: IncidentCategory::HostileSurveillance,
            severity: Severity::Medium,
            occurred_at: Timestamp::from_millis(1_000),
            discovered_at: Timestamp::from_millis(2_000),
            time_zone: "Europe/London".into(),
            location: None,
            narrative: "Grey van parked opposite the residence for 40 minutes.".into(),
            persons: vec![],
            police_reference: None,
            control_room_reference: None,
            actions_taken: None,
            injuries: None,
        }
    }

    #[test]
    fn patch_reports_only_fields_whose_value_changes() {
        let mut c = content();
        let patch = IncidentPatch {
            severity: Some(Severity::High),
            category: Some(IncidentCategory::HostileSurveillance),
            police_reference: Some("CAD 1234".into()),
            ..Default::default()
        };
        assert_eq!(c.apply(&patch), vec!["severity", "police_reference"]);
        assert_eq!(c.severity, Severity::High);
        assert_eq!(c.police_reference.as_deref(), Some("CAD 1234"));
    }

    #[test]
    fn submission_hash_depends_on_content_and_is_stable() {
        let t = Timestamp::from_millis(5_000);
        let a = submission_hash("r1", t, &content(), &[]);
        assert_eq!(a, submission_hash("r1", t, &content(), &[]));
        let mut changed = content();
        changed.narrative.push('.');
        assert_ne!(a, submission_hash("r1", t, &changed, &[]));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn discovered_before_occurred_is_invalid() {
        let mut c = content();
        c.discovered_at = Timestamp::from_millis(500);
        assert!(
            matches!(c.validate(), Err(CordonError::InvalidInput { field, .. }) if field == "discoveredAt")
        );
    }
}
