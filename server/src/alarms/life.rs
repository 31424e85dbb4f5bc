//! An alarm's life as a state machine over its events, with no storage and no clock of
//! its own: the caller passes the time. Stored events fold into a [`Life`]; a step asked
//! for is checked against it, and only a legal one becomes a new event.
//!
//! ```text
//! raised ──acknowledge──▶ acknowledged ──resolve──▶ resolved
//!   │ (unacknowledged past the organisation's limit: escalated, once)
//!   └ (a check-in arriving after an overdue alarm: explained, until resolved)
//! ```

use std::time::Duration;

use cordon_core::{AlarmState, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::AlarmRefusal;

/// What one event of an alarm's log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Raised,
    Acknowledged,
    Escalated,
    Explained,
    Resolved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Raised => "raised",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Escalated => "escalated",
            EventKind::Explained => "explained",
            EventKind::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            EventKind::Raised,
            EventKind::Acknowledged,
            EventKind::Escalated,
            EventKind::Explained,
            EventKind::Resolved,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A step someone asks of an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Acknowledge,
    Resolve,
    /// Escalate if the alarm is still unacknowledged `limit` after `raised_at`, at `now`.
    Escalate {
        raised_at: Timestamp,
        limit: Duration,
        now: Timestamp,
    },
    /// A check-in arrived that accounts for the officer.
    Explain,
}

impl Step {
    /// The event a legal step appends.
    pub fn event(self) -> EventKind {
        match self {
            Step::Acknowledge => EventKind::Acknowledged,
            Step::Resolve => EventKind::Resolved,
            Step::Escalate { .. } => EventKind::Escalated,
            Step::Explain => EventKind::Explained,
        }
    }
}

/// Where an alarm stands, as its events say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Life {
    pub state: AlarmState,
    pub escalated: bool,
    pub explained: bool,
}

impl Life {
    /// A newly raised alarm.
    pub fn raised() -> Life {
        Life {
            state: AlarmState::Raised,
            escalated: false,
            explained: false,
        }
    }

    /// The life that `events` (in their order) describe. Events are only ever written
    /// after [`Life::step`] allowed them, so each is taken as it stands.
    pub fn of(events: impl IntoIterator<Item = EventKind>) -> Life {
        events
            .into_iter()
            .fold(Life::raised(), |life, kind| match kind {
                EventKind::Raised => life,
                EventKind::Acknowledged => Life {
                    state: AlarmState::Acknowledged,
                    ..life
                },
                EventKind::Resolved => Life {
                    state: AlarmState::Resolved,
                    ..life
                },
                EventKind::Escalated => Life {
                    escalated: true,
                    ..life
                },
                EventKind::Explained => Life {
                    explained: true,
                    ..life
                },
            })
    }

    /// The life after `step`, or why the alarm refuses it.
    pub fn step(self, step: Step) -> Result<Life, AlarmRefusal> {
        if self.state == AlarmState::Resolved {
            return Err(AlarmRefusal::AlreadyResolved);
        }
        match step {
            Step::Acknowledge if self.state == AlarmState::Acknowledged => {
                return Err(AlarmRefusal::AlreadyAcknowledged)
            }
            Step::Resolve if self.state == AlarmState::Raised => {
                return Err(AlarmRefusal::NotAcknowledged)
            }
            Step::Escalate { .. } if self.state == AlarmState::Acknowledged => {
                return Err(AlarmRefusal::AlreadyAcknowledged)
            }
            Step::Escalate { .. } if self.escalated => return Err(AlarmRefusal::AlreadyEscalated),
            Step::Escalate {
                raised_at,
                limit,
                now,
            } if now < raised_at.plus(limit) => return Err(AlarmRefusal::NotYetDue),
            _ => {}
        }
        Ok(Life::of([step.event()]).merge(self))
    }

    /// `self` (one step's effect on a raised alarm) laid over `before`.
    fn merge(self, before: Life) -> Life {
        Life {
            state: if self.state == AlarmState::Raised {
                before.state
            } else {
                self.state
            },
            escalated: before.escalated || self.escalated,
            explained: before.explained || self.explained,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);
    const LIMIT: Duration = Duration::from_secs(120);

    fn escalate_at(secs: u64) -> Step {
        Step::Escalate {
            raised_at: T0,
            limit: LIMIT,
            now: T0.plus(Duration::from_secs(secs)),
        }
    }

    #[test]
    fn raised_then_acknowledged_then_resolved() {
        let life = Life::raised().step(Step::Acknowledge).unwrap();
        assert_eq!(life.state, AlarmState::Acknowledged);
        let life = life.step(Step::Resolve).unwrap();
        assert_eq!(life.state, AlarmState::Resolved);
    }

    #[test]
    fn resolving_an_unacknowledged_alarm_is_refused() {
        assert_eq!(
            Life::raised().step(Step::Resolve),
            Err(AlarmRefusal::NotAcknowledged)
        );
    }

    #[test]
    fn acknowledging_twice_is_refused() {
        let life = Life::raised().step(Step::Acknowledge).unwrap();
        assert_eq!(
            life.step(Step::Acknowledge),
            Err(AlarmRefusal::AlreadyAcknowledged)
        );
    }

    #[test]
    fn a_resolved_alarm_takes_no_further_step() {
        let life = Life::of([
            EventKind::Raised,
            EventKind::Acknowledged,
            EventKind::Resolved,
        ]);
        for step in [
            Step::Acknowledge,
            Step::Resolve,
            Step::Explain,
            escalate_at(600),
        ] {
            assert_eq!(
                life.step(step),
                Err(AlarmRefusal::AlreadyResolved),
                "{step:?}"
            );
        }
    }

    #[test]
    fn escalation_waits_for_the_limit_and_happens_once() {
        let life = Life::raised();
        assert_eq!(life.step(escalate_at(119)), Err(AlarmRefusal::NotYetDue));
        let escalated = life.step(escalate_at(120)).unwrap();
        assert!(escalated.escalated);
        assert_eq!(escalated.state, AlarmState::Raised);
        assert_eq!(
            escalated.step(escalate_at(500)),
            Err(AlarmRefusal::AlreadyEscalated)
        );
    }

    #[test]
    fn an_acknowledged_alarm_is_not_escalated() {
        let life = Life::raised().step(Step::Acknowledge).unwrap();
        assert_eq!(
            life.step(escalate_at(600)),
            Err(AlarmRefusal::AlreadyAcknowledged)
        );
    }

    #[test]
    fn an_escalated_alarm_is_still_acknowledged_and_resolved() {
        let life = Life::of([EventKind::Raised, EventKind::Escalated])
            .step(Step::Acknowledge)
            .unwrap()
            .step(Step::Resolve)
            .unwrap();
        assert_eq!(
            life,
            Life {
                state: AlarmState::Resolved,
                escalated: true,
                explained: false
            }
        );
    }

    #[test]
    fn an_explanation_keeps_the_alarm_open() {
        let life = Life::raised().step(Step::Explain).unwrap();
        assert_eq!(life.state, AlarmState::Raised);
        assert!(life.explained);
    }

    #[test]
    fn event_names_round_trip() {
        for k in [
            EventKind::Raised,
            EventKind::Acknowledged,
            EventKind::Escalated,
            EventKind::Explained,
            EventKind::Resolved,
        ] {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
    }
}
