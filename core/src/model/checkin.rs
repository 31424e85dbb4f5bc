//! Check-ins: the append-only log of an officer's shift, and the welfare clock it drives.
//!
//! A check-in is written once and never changed. Duress and panic are the most
//! important records the app ever writes: they go to the urgent lane of the outbox and
//! commit with `synchronous=FULL`, and they need no assignment, so that an officer whose
//! phone has not yet downloaded one can still raise the alarm.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::validate::{optional_text, required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT};
use super::{AssignmentStatus, CheckInPolicy, Location};
use crate::error::{CordonError, Result};
use crate::outbox::Priority;
use crate::time::{validate_time_zone, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CheckInKind {
    ClockOn,
    Welfare,
    /// A patrol checkpoint, identified by the NFC or QR tag the officer scanned.
    Checkpoint,
    ClockOff,
    /// An open alarm: the officer needs help now.
    Panic,
    /// A covert alarm: the officer is under duress and may be watched. On the device it
    /// must look like an ordinary check-in.
    Duress,
}

impl CheckInKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckInKind::ClockOn => "clock_on",
            CheckInKind::Welfare => "welfare",
            CheckInKind::Checkpoint => "checkpoint",
            CheckInKind::ClockOff => "clock_off",
            CheckInKind::Panic => "panic",
            CheckInKind::Duress => "duress",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            CheckInKind::ClockOn,
            CheckInKind::Welfare,
            CheckInKind::Checkpoint,
            CheckInKind::ClockOff,
            CheckInKind::Panic,
            CheckInKind::Duress,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Duress and panic travel in the urgent lane; everything else is normal.
    pub fn priority(self) -> Priority {
        match self {
            CheckInKind::Panic | CheckInKind::Duress => Priority::Urgent,
            _ => Priority::Normal,
        }
    }

    /// Alarms may be raised without an assignment; duty check-ins belong to one.
    fn needs_assignment(self) -> bool {
        !matches!(self, CheckInKind::Panic | CheckInKind::Duress)
    }
}

/// What the app passes to record a check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewCheckIn {
    pub kind: CheckInKind,
    /// Required for every kind but panic and duress.
    pub assignment_id: Option<String>,
    /// When it happened; `None` means now, by the store's clock.
    pub occurred_at: Option<Timestamp>,
    /// The officer's IANA zone at the time, e.g. `Europe/London`.
    pub time_zone: String,
    pub location: Option<Location>,
    /// Required for a checkpoint: the scanned tag's id.
    pub tag_id: Option<String>,
    pub note: Option<String>,
}

/// How far ahead of the device clock an `occurred_at` may be before it is refused as a
/// mistake (a minute covers clocks that disagree slightly between app and core).
const MAX_FUTURE_SKEW: Duration = Duration::from_secs(60);

impl NewCheckIn {
    /// Checks every field against the model's rules, `now` being the device's clock.
    pub fn validate(&self, now: Timestamp) -> Result<()> {
        if self.kind.needs_assignment() && self.assignment_id.is_none() {
            return Err(CordonError::invalid(
                "assignment_id",
                format!("a {} check-in belongs to an assignment", self.kind.as_str()),
            ));
        }
        optional_text(
            "assignment_id",
            self.assignment_id.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        validate_time_zone("time_zone", &self.time_zone)?;
        if let Some(at) = self.occurred_at {
            if at > now.plus(MAX_FUTURE_SKEW) {
                return Err(CordonError::invalid(
                    "occurred_at",
                    format!("{at} is in the future (device clock {now})"),
                ));
            }
        }
        if let Some(loc) = &self.location {
            loc.validate("location")?;
        }
        match (self.kind, &self.tag_id) {
            (CheckInKind::Checkpoint, None) => {
                return Err(CordonError::invalid(
                    "tag_id",
                    "a checkpoint needs the tag id",
                ))
            }
            (CheckInKind::Checkpoint, Some(tag)) => required_text("tag_id", tag, MAX_SHORT_TEXT)?,
            (_, Some(_)) => {
                return Err(CordonError::invalid(
                    "tag_id",
                    "only a checkpoint check-in carries a tag id",
                ))
            }
            (_, None) => {}
        }
        optional_text("note", self.note.as_deref(), MAX_NOTE_TEXT)
    }
}

/// A recorded check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckIn {
    /// UUIDv7, made on the device.
    pub id: String,
    pub kind: CheckInKind,
    pub assignment_id: Option<String>,
    pub occurred_at: Timestamp,
    pub time_zone: String,
    pub location: Option<Location>,
    pub tag_id: Option<String>,
    pub note: Option<String>,
    /// When the device stored it.
    pub recorded_at: Timestamp,
}

/// Where the officer stands against the welfare clock of an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WelfareStatus {
    /// Not clocked on (or clocked off, or the assignment is stood down or cancelled).
    OffDuty,
    /// On duty and the next check-in is not yet due.
    OnTime {
        due_at: Timestamp,
        overdue_at: Timestamp,
    },
    /// The check-in is due; the grace period is running.
    Due {
        due_at: Timestamp,
        overdue_at: Timestamp,
    },
    /// The grace period has run out: the control room should be worried.
    Overdue {
        due_at: Timestamp,
        overdue_at: Timestamp,
    },
}

impl WelfareStatus {
    /// The welfare clock, computed offline. `last` is the latest check-in on the
    /// assignment (by occurred-at), `now` the device's clock.
    ///
    /// Every kind but clock-off restarts the clock. Duress does too, on purpose: a covert
    /// alarm must leave the device looking exactly as an ordinary check-in would.
    pub fn compute(
        policy: CheckInPolicy,
        status: AssignmentStatus,
        last: Option<(CheckInKind, Timestamp)>,
        now: Timestamp,
    ) -> Self {
        if matches!(
            status,
            AssignmentStatus::StoodDown | AssignmentStatus::Cancelled
        ) {
            return WelfareStatus::OffDuty;
        }
        let Some((kind, at)) = last else {
            return WelfareStatus::OffDuty;
        };
        if kind == CheckInKind::ClockOff {
            return WelfareStatus::OffDuty;
        }
        let due_at = at.plus(policy.interval());
        let overdue_at = due_at.plus(policy.grace());
        if now < due_at {
            WelfareStatus::OnTime { due_at, overdue_at }
        } else if now < overdue_at {
            WelfareStatus::Due { due_at, overdue_at }
        } else {
            WelfareStatus::Overdue { due_at, overdue_at }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: CheckInPolicy = CheckInPolicy {
        interval_secs: 1800,
        grace_secs: 300,
    };
    const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

    fn at_minutes(m: u64) -> Timestamp {
        T0.plus(Duration::from_secs(m * 60))
    }

    fn status(last: Option<CheckInKind>, now_min: u64) -> WelfareStatus {
        WelfareStatus::compute(
            POLICY,
            AssignmentStatus::Active,
            last.map(|k| (k, T0)),
            at_minutes(now_min),
        )
    }

    #[test]
    fn welfare_clock_runs_from_the_last_check_in_through_grace_to_overdue() {
        let due_at = at_minutes(30);
        let overdue_at = at_minutes(35);
        let last = Some(CheckInKind::Welfare);
        assert_eq!(
            status(last, 29),
            WelfareStatus::OnTime { due_at, overdue_at }
        );
        assert_eq!(status(last, 30), WelfareStatus::Due { due_at, overdue_at });
        assert_eq!(
            status(last, 35),
            WelfareStatus::Overdue { due_at, overdue_at }
        );
    }

    #[test]
    fn no_check_in_or_clock_off_means_off_duty() {
        assert_eq!(status(None, 100), WelfareStatus::OffDuty);
        assert_eq!(
            status(Some(CheckInKind::ClockOff), 100),
            WelfareStatus::OffDuty
        );
    }

    #[test]
    fn duress_restarts_the_clock_like_any_check_in() {
        assert_eq!(
            status(Some(CheckInKind::Duress), 10),
            status(Some(CheckInKind::Welfare), 10)
        );
    }

    #[test]
    fn stood_down_assignment_is_off_duty() {
        let s = WelfareStatus::compute(
            POLICY,
            AssignmentStatus::StoodDown,
            Some((CheckInKind::Welfare, T0)),
            at_minutes(60),
        );
        assert_eq!(s, WelfareStatus::OffDuty);
    }

    #[test]
    fn kind_names_round_trip() {
        for k in [
            CheckInKind::ClockOn,
            CheckInKind::Welfare,
            CheckInKind::Checkpoint,
            CheckInKind::ClockOff,
            CheckInKind::Panic,
            CheckInKind::Duress,
        ] {
            assert_eq!(CheckInKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
    }
}
