//! The duty rota: who is on duty and who is on call for an assignment, and when; the
//! on-call officer called in and stood down.
//!
//! The office writes the rota (`server/src/admin/rota.rs`) and sends the whole rota of an
//! assignment down the feed of every officer on it (`Change::Rota`), a newer rota
//! superseding the older, so the device only ever replaces what it holds. Whether the
//! officer is on duty, on call or called in is computed on the device, offline, from the
//! rota and the injected clock ([`duty_of`]): no network is needed to answer "am I on".

use serde::{Deserialize, Serialize};

use super::validate::{optional_text, required_text, MAX_SHORT_TEXT};
use crate::error::{CordonError, InputRule, Result};
use crate::time::{validate_timestamp, Timestamp};

/// What an officer is rostered for during a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum DutyRole {
    /// Working the assignment for the shift's window.
    OnDuty,
    /// Reachable and ready to come in if the office calls them in.
    OnCall,
}

impl DutyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            DutyRole::OnDuty => "on_duty",
            DutyRole::OnCall => "on_call",
        }
    }

    pub fn parse(s: &str) -> Option<DutyRole> {
        [DutyRole::OnDuty, DutyRole::OnCall]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// One line of an assignment's rota, as the office wrote it and the feed carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Shift {
    /// The office's id for the shift (a UUID).
    pub shift_id: String,
    pub assignment_id: String,
    pub officer_id: String,
    pub role: DutyRole,
    /// The shift's window, the office's instants: from `starts_at` until `ends_at`.
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// When the office called the on-call officer in, and who did (an operator's
    /// username, or `admin` for the office's tool).
    pub called_in_at: Option<Timestamp>,
    pub called_in_by: Option<String>,
    /// When the office stood the called-in officer down again, and who did.
    pub stood_down_at: Option<Timestamp>,
    pub stood_down_by: Option<String>,
}

impl Shift {
    /// The rules both ends hold a shift to: short ids, a window that ends after it
    /// starts, a call-in only on an on-call shift, a stand-down only after a call-in, each
    /// with who did it.
    pub fn validate(&self) -> Result<()> {
        required_text("shift_id", &self.shift_id, MAX_SHORT_TEXT)?;
        validate_window(
            &self.assignment_id,
            &self.officer_id,
            self.starts_at,
            self.ends_at,
        )?;
        optional_text("called_in_by", self.called_in_by.as_deref(), MAX_SHORT_TEXT)?;
        optional_text(
            "stood_down_by",
            self.stood_down_by.as_deref(),
            MAX_SHORT_TEXT,
        )?;
        if self.called_in_at.is_some() != self.called_in_by.is_some() {
            return Err(CordonError::invalid(
                "called_in_by",
                InputRule::Required,
                "a call-in names when and who",
            ));
        }
        if self.stood_down_at.is_some() != self.stood_down_by.is_some() {
            return Err(CordonError::invalid(
                "stood_down_by",
                InputRule::Required,
                "a stand-down names when and who",
            ));
        }
        if self.called_in_at.is_some() && self.role != DutyRole::OnCall {
            return Err(CordonError::invalid(
                "called_in_at",
                InputRule::NotAllowed,
                "only an on-call officer is called in",
            ));
        }
        match (self.called_in_at, self.stood_down_at) {
            (None, Some(_)) => Err(CordonError::invalid(
                "stood_down_at",
                InputRule::NotAllowed,
                "only a called-in officer is stood down",
            )),
            (Some(called), Some(stood)) if stood < called => Err(CordonError::invalid(
                "stood_down_at",
                InputRule::OutOfOrder,
                "a stand-down comes after the call-in",
            )),
            _ => Ok(()),
        }
    }

    /// Whether the officer is called in at `now`: called in, not stood down, and the
    /// shift not over.
    pub fn called_in(&self, now: Timestamp) -> bool {
        self.called_in_at.is_some() && self.stood_down_at.is_none() && now < self.ends_at
    }

    /// Whether `now` falls in the shift's window.
    pub fn covers(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

/// The window of a shift: an assignment, an officer, and an end after the start.
pub fn validate_window(
    assignment_id: &str,
    officer_id: &str,
    starts_at: Timestamp,
    ends_at: Timestamp,
) -> Result<()> {
    required_text("assignment_id", assignment_id, MAX_SHORT_TEXT)?;
    required_text("officer_id", officer_id, MAX_SHORT_TEXT)?;
    validate_timestamp("starts_at", starts_at)?;
    validate_timestamp("ends_at", ends_at)?;
    if ends_at <= starts_at {
        return Err(CordonError::invalid(
            "ends_at",
            InputRule::OutOfOrder,
            "a shift ends after it starts",
        ));
    }
    Ok(())
}

/// An assignment's whole rota, as one feed entry carries it: every shift, by start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Rota {
    pub assignment_id: String,
    pub shifts: Vec<Shift>,
    /// The office's clock when the rota last changed.
    pub updated_at: Timestamp,
}

impl Rota {
    /// Every shift valid and on this rota's assignment.
    pub fn validate(&self) -> Result<()> {
        required_text("assignment_id", &self.assignment_id, MAX_SHORT_TEXT)?;
        for (i, s) in self.shifts.iter().enumerate() {
            s.validate().map_err(|e| match e {
                CordonError::InvalidInput {
                    field,
                    rule,
                    reason,
                } => CordonError::InvalidInput {
                    field: format!("shifts[{i}].{field}"),
                    rule,
                    reason,
                },
                other => other,
            })?;
            if s.assignment_id != self.assignment_id {
                return Err(CordonError::invalid(
                    &format!("shifts[{i}].assignment_id"),
                    InputRule::NotAllowed,
                    "a shift of another assignment",
                ));
            }
        }
        Ok(())
    }
}

/// Where the officer stands at an instant, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum DutyState {
    /// Called in from on call, and not stood down yet: come in now.
    CalledIn,
    /// In an on-duty shift's window.
    OnDuty,
    /// In an on-call shift's window, not called in.
    OnCall,
    /// No shift covers the instant.
    OffDuty,
}

/// The officer's duty at an instant: the state and the shift that puts them in it (none
/// when off duty), and, for a call-in, whether the officer has seen it on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Duty {
    pub state: DutyState,
    pub shift: Option<Shift>,
}

/// The duty of `officer_id` at `now` from `shifts` (any assignments): called in beats on
/// duty beats on call beats off duty; among equals, the shift that started first.
pub fn duty_of(shifts: &[Shift], officer_id: &str, now: Timestamp) -> Duty {
    let state_of = |s: &Shift| {
        if s.called_in(now) {
            Some(DutyState::CalledIn)
        } else if !s.covers(now) {
            None
        } else if s.role == DutyRole::OnDuty {
            Some(DutyState::OnDuty)
        } else if s.stood_down_at.is_some() {
            None // stood down: the rest of the on-call window is off
        } else {
            Some(DutyState::OnCall)
        }
    };
    shifts
        .iter()
        .filter(|s| s.officer_id == officer_id)
        .filter_map(|s| state_of(s).map(|state| (state, s)))
        .min_by_key(|(state, s)| (*state as u8, s.starts_at, s.shift_id.clone()))
        .map_or(
            Duty {
                state: DutyState::OffDuty,
                shift: None,
            },
            |(state, s)| Duty {
                state,
                shift: Some(s.clone()),
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const T0: i64 = 1_790_000_000_000;

    fn shift(id: &str, officer: &str, role: DutyRole, from_h: i64, until_h: i64) -> Shift {
        Shift {
            shift_id: id.into(),
            assignment_id: "ASG-1042".into(),
            officer_id: officer.into(),
            role,
            starts_at: Timestamp::from_millis(T0 + from_h * HOUR),
            ends_at: Timestamp::from_millis(T0 + until_h * HOUR),
            called_in_at: None,
            called_in_by: None,
            stood_down_at: None,
            stood_down_by: None,
        }
    }

    fn at(h: i64) -> Timestamp {
        Timestamp::from_millis(T0 + h * HOUR)
    }

    fn rule_of(r: Result<()>) -> (String, InputRule) {
        match r {
            Err(CordonError::InvalidInput { field, rule, .. }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn a_shift_that_ends_before_it_starts_is_refused_naming_the_end() {
        let s = shift("s", "OFC-1", DutyRole::OnDuty, 8, 8);
        assert_eq!(
            rule_of(s.validate()),
            ("endsAt".into(), InputRule::OutOfOrder)
        );
    }

    #[test]
    fn an_on_duty_shift_cannot_be_called_in() {
        let s = Shift {
            called_in_at: Some(at(1)),
            called_in_by: Some("op.jones".into()),
            ..shift("s", "OFC-1", DutyRole::OnDuty, 0, 8)
        };
        assert_eq!(
            rule_of(s.validate()),
            ("calledInAt".into(), InputRule::NotAllowed)
        );
    }

    #[test]
    fn a_stand_down_without_a_call_in_is_refused() {
        let s = Shift {
            stood_down_at: Some(at(1)),
            stood_down_by: Some("op.jones".into()),
            ..shift("s", "OFC-1", DutyRole::OnCall, 0, 8)
        };
        assert_eq!(
            rule_of(s.validate()),
            ("stoodDownAt".into(), InputRule::NotAllowed)
        );
    }

    #[test]
    fn duty_follows_the_clock_through_a_shift() {
        let shifts = [shift("s", "OFC-1", DutyRole::OnDuty, 8, 20)];
        assert_eq!(duty_of(&shifts, "OFC-1", at(7)).state, DutyState::OffDuty);
        assert_eq!(duty_of(&shifts, "OFC-1", at(8)).state, DutyState::OnDuty);
        assert_eq!(duty_of(&shifts, "OFC-1", at(20)).state, DutyState::OffDuty);
        assert_eq!(
            duty_of(&shifts, "OFC-2", at(9)).state,
            DutyState::OffDuty,
            "another officer's shift is not mine"
        );
    }

    #[test]
    fn a_call_in_beats_on_call_until_the_stand_down() {
        let mut s = shift("s", "OFC-1", DutyRole::OnCall, 0, 12);
        assert_eq!(
            duty_of(&[s.clone()], "OFC-1", at(2)).state,
            DutyState::OnCall
        );
        s.called_in_at = Some(at(3));
        s.called_in_by = Some("op.jones".into());
        let duty = duty_of(&[s.clone()], "OFC-1", at(3));
        assert_eq!(duty.state, DutyState::CalledIn);
        assert_eq!(duty.shift.unwrap().shift_id, "s");
        s.stood_down_at = Some(at(5));
        s.stood_down_by = Some("op.jones".into());
        assert_eq!(
            duty_of(&[s], "OFC-1", at(6)).state,
            DutyState::OffDuty,
            "stood down: the rest of the on-call window is off"
        );
    }

    #[test]
    fn called_in_wins_over_an_overlapping_on_duty_shift() {
        let mut call = shift("b", "OFC-1", DutyRole::OnCall, 0, 12);
        call.called_in_at = Some(at(1));
        call.called_in_by = Some("admin".into());
        let shifts = [shift("a", "OFC-1", DutyRole::OnDuty, 0, 12), call];
        assert_eq!(duty_of(&shifts, "OFC-1", at(2)).state, DutyState::CalledIn);
    }

    #[test]
    fn a_rota_with_a_shift_of_another_assignment_is_refused() {
        let mut s = shift("s", "OFC-1", DutyRole::OnDuty, 0, 8);
        s.assignment_id = "ASG-9".into();
        let rota = Rota {
            assignment_id: "ASG-1042".into(),
            shifts: vec![s],
            updated_at: at(0),
        };
        assert_eq!(
            rule_of(rota.validate()),
            ("shifts[0].assignmentId".into(), InputRule::NotAllowed)
        );
    }
}
