//! Check-ins: the append-only log of an officer's shift, and the welfare clock it drives.
//!
//! A check-in is written once and never changed. Duress and panic are the most
//! important records the app ever writes: they go to the urgent lane of the outbox and
//! commit with `synchronous=FULL`, and they need no assignment, so that an officer whose
//! phone has not yet downloaded one can still raise the alarm.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::validate::{
    is_noncharacter, optional_text, required_text, MAX_NOTE_TEXT, MAX_SHORT_TEXT,
};
use super::{AssignmentStatus, CheckInPolicy, Location};
use crate::error::{CordonError, InputRule, Result};
use crate::time::{validate_time_zone, validate_timestamp, Timestamp};

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

    /// Duress and panic: raised without an assignment if need be, and never refused.
    pub fn is_alarm(self) -> bool {
        matches!(self, CheckInKind::Panic | CheckInKind::Duress)
    }
}

/// What the app passes to record a check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewCheckIn {
    pub kind: CheckInKind,
    /// Required for every kind but panic and duress.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub assignment_id: Option<String>,
    /// When it happened; `None` means now, by the store's clock.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub occurred_at: Option<Timestamp>,
    /// The officer's IANA zone at the time, e.g. `Europe/London` (apps pass the device's
    /// zone: `ZoneId.systemDefault().id`, `TimeZone.current.identifier`); `Etc/UTC` when
    /// the bindings are given none.
    #[cfg_attr(feature = "uniffi", uniffi(default = "Etc/UTC"))]
    pub time_zone: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub location: Option<Location>,
    /// Required for a checkpoint: the scanned tag's id.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub tag_id: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub note: Option<String>,
}

/// How far ahead of the device clock an `occurred_at` may be before it is refused as a
/// mistake (a minute covers clocks that disagree slightly between app and core).
const MAX_FUTURE_SKEW: Duration = Duration::from_secs(60);

impl NewCheckIn {
    /// Checks every field against the model's rules, `now` being the device's clock.
    pub fn validate(&self, now: Timestamp) -> Result<()> {
        if !self.kind.is_alarm() && self.assignment_id.is_none() {
            return Err(CordonError::invalid(
                "assignment_id",
                InputRule::Required,
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
            validate_timestamp("occurred_at", at)?;
            if at > now.plus(MAX_FUTURE_SKEW) {
                return Err(CordonError::invalid(
                    "occurred_at",
                    InputRule::InTheFuture,
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
                    InputRule::Required,
                    "a checkpoint needs the tag id",
                ))
            }
            (CheckInKind::Checkpoint, Some(tag)) => required_text("tag_id", tag, MAX_SHORT_TEXT)?,
            (_, Some(_)) => {
                return Err(CordonError::invalid(
                    "tag_id",
                    InputRule::NotAllowed,
                    "only a checkpoint check-in carries a tag id",
                ))
            }
            (_, None) => {}
        }
        optional_text("note", self.note.as_deref(), MAX_NOTE_TEXT)
    }
}

impl NewCheckIn {
    /// A blank note is no note (what an empty text field gives).
    pub fn normalise(&mut self) {
        if self.note.as_deref().is_some_and(|n| n.trim().is_empty()) {
            self.note = None;
        }
    }

    /// Makes an alarm acceptable whatever is wrong with the rest of the input: a duress
    /// or panic is the one record that must never be refused. Each field that breaks a
    /// rule is dropped or replaced, and what was changed is appended to the note so the
    /// control room sees it. Returns the repairs made (empty for valid input).
    pub fn repair_alarm(&mut self, now: Timestamp) -> Vec<String> {
        let mut repairs = Vec::new();
        if validate_time_zone("time_zone", &self.time_zone).is_err() {
            repairs.push(format!(
                "time zone {:?} unknown, recorded as Etc/UTC",
                truncate_chars(&self.time_zone, 64)
            ));
            self.time_zone = "Etc/UTC".into();
        }
        if let Some(at) = self.occurred_at {
            if validate_timestamp("occurred_at", at).is_err() || at > now.plus(MAX_FUTURE_SKEW) {
                repairs.push(format!("occurred_at {at:?} replaced by the device clock"));
                self.occurred_at = None;
            }
        }
        // A fix time that is no time loses the fix time, not the position.
        if let Some(loc) = &mut self.location {
            if let Some(t) = loc.fix_time.filter(|t| validate_timestamp("", *t).is_err()) {
                repairs.push(format!("location fix time {t:?} dropped"));
                loc.fix_time = None;
            }
        }
        if let Some(Err(e)) = self.location.as_ref().map(|l| l.validate("location")) {
            repairs.push(format!("location dropped: {e}"));
            self.location = None;
        }
        if self.tag_id.take().is_some() {
            repairs.push("tag id dropped (alarms carry none)".into());
        }
        if let Some(Err(e)) = self
            .assignment_id
            .as_deref()
            .map(|a| required_text("assignment_id", a, MAX_SHORT_TEXT))
        {
            repairs.push(format!("assignment id dropped: {e}"));
            self.assignment_id = None;
        }
        if !repairs.is_empty() {
            // A repaired value quoted here must not bring back what it was repaired for.
            let suffix = clean_text(&format!("[cordon: {}]", repairs.join("; ")));
            let keep = MAX_NOTE_TEXT.saturating_sub(suffix.chars().count() + 1);
            let original = self.note.as_deref().map(clean_text).unwrap_or_default();
            let original = truncate_chars(original.trim(), keep);
            self.note = Some(if original.is_empty() {
                truncate_chars(&suffix, MAX_NOTE_TEXT)
            } else {
                format!("{original} {suffix}")
            });
        } else if let Some(note) = &self.note {
            if optional_text("note", Some(note), MAX_NOTE_TEXT).is_err() {
                let cleaned = truncate_chars(clean_text(note).trim(), MAX_NOTE_TEXT);
                repairs.push("note shortened or cleaned".into());
                self.note = (!cleaned.is_empty()).then_some(cleaned);
            }
        }
        repairs
    }
}

/// `s` without control characters other than line breaks and tabs, and with U+FFFD in
/// place of each noncharacter (a lone surrogate from Kotlin arrives as one).
fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .map(|c| if is_noncharacter(c) { '\u{FFFD}' } else { c })
        .collect()
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi::export(Debug))]
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

    fn alarm() -> NewCheckIn {
        NewCheckIn {
            kind: CheckInKind::Duress,
            assignment_id: None,
            occurred_at: None,
            time_zone: "Europe/London".into(),
            location: None,
            tag_id: None,
            note: None,
        }
    }

    #[test]
    fn a_valid_alarm_needs_no_repair() {
        let mut a = alarm();
        a.note = Some("Behind the garage".into());
        assert!(a.repair_alarm(T0).is_empty());
        assert_eq!(a.note.as_deref(), Some("Behind the garage"));
    }

    #[test]
    fn a_broken_alarm_is_repaired_into_a_valid_one_and_says_what_changed() {
        let mut a = alarm();
        a.time_zone = "GMT+05:30".into();
        a.occurred_at = Some(T0.plus(Duration::from_secs(7200)));
        a.location = Some(Location {
            latitude: 51.5,
            longitude: -0.1,
            accuracy_m: Some(250_000.0),
            fix_time: None,
        });
        a.tag_id = Some("NFC-1".into());
        a.note = Some(format!("help\u{0}{}", "x".repeat(5000)));

        let repairs = a.repair_alarm(T0);

        assert_eq!(repairs.len(), 4, "{repairs:?}");
        assert!(a.validate(T0).is_ok(), "{:?}", a.validate(T0));
        assert_eq!(a.time_zone, "Etc/UTC");
        assert_eq!(
            (a.occurred_at, &a.location, &a.tag_id),
            (None, &None, &None)
        );
        let note = a.note.unwrap();
        assert!(
            note.starts_with("helpxxx") && note.contains("[cordon: time zone"),
            "{note}"
        );
        assert!(note.chars().count() <= MAX_NOTE_TEXT);
    }

    #[test]
    fn an_alarm_with_only_a_bad_note_keeps_the_cleaned_note() {
        let mut a = alarm();
        a.note = Some("bell\u{7}".into());
        assert_eq!(a.repair_alarm(T0).len(), 1);
        assert_eq!(a.note.as_deref(), Some("bell"));
        assert!(a.validate(T0).is_ok());
    }

    #[test]
    fn an_alarm_with_text_the_app_could_not_encode_is_stored_with_replacement_characters() {
        // What the Kotlin bindings send for lone surrogates (half an emoji).
        let mut a = alarm();
        a.note = Some("help \u{FDD0}".into());
        a.time_zone = "Europe/Lon\u{FDD0}".into();
        a.assignment_id = Some("A-\u{FDD0}".into());

        let repairs = a.repair_alarm(T0);

        assert_eq!(repairs.len(), 2, "{repairs:?}");
        assert_eq!(a.validate(T0), Ok(()));
        assert_eq!(a.assignment_id, None);
        let note = a.note.unwrap();
        assert!(
            note.starts_with("help \u{FFFD} [cordon: time zone"),
            "{note}"
        );
        assert!(!note.chars().any(is_noncharacter), "{note}");
    }

    #[test]
    fn an_alarm_whose_time_is_no_time_is_stored_at_the_device_clock() {
        for ms in [i64::MIN, i64::MAX] {
            let mut a = alarm();
            a.occurred_at = Some(Timestamp::from_millis(ms));
            a.location = Some(Location {
                latitude: 51.5,
                longitude: -0.1,
                accuracy_m: None,
                fix_time: Some(Timestamp::from_millis(ms)),
            });
            assert_eq!(a.repair_alarm(T0).len(), 2);
            assert_eq!(a.occurred_at, None);
            let kept = a
                .location
                .as_ref()
                .map(|l| (l.latitude, l.longitude, l.fix_time));
            assert_eq!(kept, Some((51.5, -0.1, None)));
            assert_eq!(a.validate(T0), Ok(()));
        }
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
