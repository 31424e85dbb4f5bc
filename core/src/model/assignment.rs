//! Assignments: the details, posts and escorts the office sends to the device.
//!
//! The device never edits an assignment. It stores what the office sent, replacing its
//! copy only with a higher `server_version`, so a late or replayed download can never
//! roll an assignment back.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::validate::{optional_text, required_text, MAX_LONG_TEXT, MAX_SHORT_TEXT};
use super::Location;
use crate::error::{CordonError, InputRule, Result};
use crate::time::{validate_time_zone, validate_timestamp, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    ProtectiveDetail,
    StaticPost,
    Escort,
}

/// The officer's role on this assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OfficerRole {
    TeamLeader,
    PersonalProtectionOfficer,
    /// Protective escort section.
    ProtectiveEscortSection,
    AdvanceParty,
    Driver,
    ResidentialSecurityTeam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ThreatLevel {
    Low,
    Moderate,
    Substantial,
    Severe,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Scheduled,
    Active,
    StoodDown,
    Cancelled,
}

/// A place the assignment covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Site {
    pub name: String,
    pub address: String,
    /// Centre of the geofence, if the office drew one.
    pub centre: Option<Location>,
    pub geofence_radius_m: Option<f64>,
    /// IANA zone of the site, e.g. `Europe/London`.
    pub time_zone: String,
}

/// A member of the team, known on the device only by call sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TeamMember {
    pub call_sign: String,
    pub role: OfficerRole,
}

/// The standing instructions for the assignment. The office bumps `version` each time it
/// reissues them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PostOrders {
    pub version: i32,
    pub text: String,
    pub issued_at: Timestamp,
}

/// How often the officer must check in while on duty, and how late a check-in may be
/// before the officer counts as overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckInPolicy {
    pub interval_secs: i32,
    pub grace_secs: i32,
}

impl CheckInPolicy {
    // Signed for Kotlin and Swift; `Assignment::validate` refuses negative values, and
    // one that got past it counts as zero here.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_secs.max(0).unsigned_abs().into())
    }

    pub fn grace(&self) -> Duration {
        Duration::from_secs(self.grace_secs.max(0).unsigned_abs().into())
    }
}

/// An assignment as the office sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Assignment {
    /// The office's id for the assignment.
    pub id: String,
    /// Human reference, e.g. `OP-HALCYON-03`.
    pub reference: String,
    pub title: String,
    pub kind: AssignmentKind,
    /// The principal's codename. Real names and medical data stay off the device unless
    /// the office chooses to send them in the post orders.
    pub principal_codename: Option<String>,
    pub sites: Vec<Site>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub role: OfficerRole,
    pub team: Vec<TeamMember>,
    pub post_orders: PostOrders,
    pub check_in_policy: CheckInPolicy,
    pub threat_level: ThreatLevel,
    pub status: AssignmentStatus,
    /// The office's version of this assignment; higher replaces lower.
    pub server_version: i64,
}

/// Shortest welfare interval accepted: anything tighter is a misconfiguration that would
/// have the officer permanently overdue.
const MIN_INTERVAL_SECS: i32 = 60;
/// Longest welfare interval accepted (a day).
const MAX_INTERVAL_SECS: i32 = 86_400;

impl Assignment {
    pub fn validate(&self) -> Result<()> {
        required_text("id", &self.id, MAX_SHORT_TEXT)?;
        required_text("reference", &self.reference, MAX_SHORT_TEXT)?;
        required_text("title", &self.title, MAX_SHORT_TEXT)?;
        optional_text(
            "principal_codename",
            self.principal_codename.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        validate_timestamp("starts_at", self.starts_at)?;
        validate_timestamp("ends_at", self.ends_at)?;
        validate_timestamp("post_orders.issued_at", self.post_orders.issued_at)?;
        if self.ends_at <= self.starts_at {
            return Err(CordonError::invalid(
                "ends_at",
                InputRule::OutOfOrder,
                "must be after starts_at",
            ));
        }
        if self.sites.is_empty() {
            return Err(CordonError::invalid(
                "sites",
                InputRule::Required,
                "at least one site is required",
            ));
        }
        for (i, site) in self.sites.iter().enumerate() {
            let f = |name: &str| format!("sites[{i}].{name}");
            required_text(&f("name"), &site.name, MAX_SHORT_TEXT)?;
            required_text(&f("address"), &site.address, MAX_SHORT_TEXT * 4)?;
            validate_time_zone(&f("time_zone"), &site.time_zone)?;
            if let Some(centre) = &site.centre {
                centre.validate(&f("centre"))?;
            }
            if let Some(r) = site.geofence_radius_m {
                super::validate::number_in_range(&f("geofence_radius_m"), r, 1.0, 100_000.0)?;
            }
        }
        for (i, member) in self.team.iter().enumerate() {
            required_text(
                &format!("team[{i}].call_sign"),
                &member.call_sign,
                MAX_SHORT_TEXT,
            )?;
        }
        required_text("post_orders.text", &self.post_orders.text, MAX_LONG_TEXT)?;
        if self.post_orders.version < 0 {
            return Err(CordonError::invalid(
                "post_orders.version",
                InputRule::OutOfRange,
                format!("{} is negative", self.post_orders.version),
            ));
        }
        let interval = self.check_in_policy.interval_secs;
        if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&interval) {
            return Err(CordonError::invalid(
                "check_in_policy.interval_secs",
                InputRule::OutOfRange,
                format!("{interval} is outside {MIN_INTERVAL_SECS}..={MAX_INTERVAL_SECS}"),
            ));
        }
        if self.check_in_policy.grace_secs < 0 {
            return Err(CordonError::invalid(
                "check_in_policy.grace_secs",
                InputRule::OutOfRange,
                format!("{} is negative", self.check_in_policy.grace_secs),
            ));
        }
        if self.check_in_policy.grace_secs > interval {
            return Err(CordonError::invalid(
                "check_in_policy.grace_secs",
                InputRule::OutOfOrder,
                "must not exceed the interval",
            ));
        }
        if self.server_version < 1 {
            return Err(CordonError::invalid(
                "server_version",
                InputRule::OutOfRange,
                "must be at least 1",
            ));
        }
        Ok(())
    }
}
