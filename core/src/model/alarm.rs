//! Alarms as the office handles them: what raised one and where it stands. The office's
//! control room owns an alarm's life (raised, acknowledged, resolved, escalated); the
//! phone learns its state. One definition for both ends, like every wire type.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// What raised an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// A duress check-in: the officer is being made to act. Covert on the phone.
    Duress,
    /// A panic check-in.
    Panic,
    /// The officer's welfare check-in deadline passed with none received (the office's
    /// dead-man timer).
    Overdue,
    /// A leg of a movement of the principal passed its ETA plus the assignment's grace
    /// with no arrival, abort or handover received (the office's dead-man timer).
    OverdueLeg,
}

impl AlarmKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmKind::Duress => "duress",
            AlarmKind::Panic => "panic",
            AlarmKind::Overdue => "overdue",
            AlarmKind::OverdueLeg => "overdue_leg",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AlarmKind::Duress,
            AlarmKind::Panic,
            AlarmKind::Overdue,
            AlarmKind::OverdueLeg,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Lower is more urgent: duress, then panic, then an overdue officer or an overdue
    /// leg (alike: someone the office cannot account for; the older first).
    pub fn urgency(self) -> u8 {
        match self {
            AlarmKind::Duress => 0,
            AlarmKind::Panic => 1,
            AlarmKind::Overdue | AlarmKind::OverdueLeg => 2,
        }
    }
}

/// Where an alarm stands in its life: raised, then acknowledged by an operator, then
/// resolved. (Escalation and a late check-in's explanation are events beside the state.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    Raised,
    Acknowledged,
    Resolved,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Raised => "raised",
            AlarmState::Acknowledged => "acknowledged",
            AlarmState::Resolved => "resolved",
        }
    }
}

impl std::fmt::Display for AlarmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an alarm the officer raised stands at the office, as the pull feed tells the
/// device. Duress stays covert: the core only keeps the state; the app decides what, if
/// anything, to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AlarmStatus {
    /// The office's id for the alarm.
    pub alarm_id: String,
    /// The device's duress or panic check-in that raised it.
    pub check_in_id: String,
    pub kind: AlarmKind,
    pub state: AlarmState,
    /// The operator's note when acknowledging (for example "Police on the way").
    pub note: Option<String>,
    /// The office's clock at this step.
    pub updated_at: Timestamp,
}

impl AlarmState {
    /// Raised before acknowledged before resolved: a state never goes back.
    pub fn rank(self) -> u8 {
        match self {
            AlarmState::Raised => 0,
            AlarmState::Acknowledged => 1,
            AlarmState::Resolved => 2,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AlarmState::Raised,
            AlarmState::Acknowledged,
            AlarmState::Resolved,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_name_and_duress_is_most_urgent() {
        for k in [
            AlarmKind::Duress,
            AlarmKind::Panic,
            AlarmKind::Overdue,
            AlarmKind::OverdueLeg,
        ] {
            assert_eq!(AlarmKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AlarmKind::parse("fire"), None);
        assert!(AlarmKind::Duress.urgency() < AlarmKind::Panic.urgency());
        assert!(AlarmKind::Panic.urgency() < AlarmKind::Overdue.urgency());
    }
}
