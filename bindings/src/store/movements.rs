//! Movements of the principal: the officer plans a leg and records what happens on it,
//! offline; the phone knows when a leg is overdue (its ETA plus the assignment's grace
//! passed with no arrival) from its own clock, and reads the day's movement log.

use cordon_core::{
    CordonError, MovementLeg, MovementLegState, MovementLogEntry, NewMovementEvent, NewMovementLeg,
};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Plans a leg (from, to, planned departure, ETA, route, vehicles, the officer in
    /// charge) on an assignment on the phone: stored at once and queued for the office.
    /// An ETA not after the departure, a blank field or an unknown assignment is
    /// `InvalidInput` naming the field, and nothing is written.
    pub fn plan_movement_leg(&self, leg: NewMovementLeg) -> Result<MovementLeg, CordonError> {
        self.core().plan_movement_leg(leg)
    }

    /// Records what happened on a leg (departed, arrived, delayed with `newEta`, route
    /// changed with `route`, aborted, handed over with `handedTo`) and returns the leg as
    /// it stands. Out of order (arrived before departed, anything after the leg closed, a
    /// new ETA not later than the current one) is `InvalidInput` with rule `OUT_OF_ORDER`
    /// / `.outOfOrder`; an unknown leg is `NotFound`. Nothing is written then.
    pub fn record_movement_event(
        &self,
        event: NewMovementEvent,
    ) -> Result<MovementLegState, CordonError> {
        self.core().record_movement_event(event)
    }

    /// One leg with its events and its status now (the phone's clock).
    pub fn movement_leg(&self, leg_id: &str) -> Result<MovementLegState, CordonError> {
        self.core().movement_leg(leg_id)
    }

    /// An assignment's legs by planned departure, each with its status now.
    pub fn movement_legs(&self, assignment_id: &str) -> Result<Vec<MovementLegState>, CordonError> {
        self.core().movement_legs(assignment_id)
    }

    /// The open legs past their ETA plus the assignment's grace, by the phone's clock:
    /// what to tell the officer, offline.
    pub fn overdue_legs(&self) -> Result<Vec<MovementLegState>, CordonError> {
        self.core().overdue_legs()
    }

    /// The assignment's movement log for `day` (`"2026-11-28"`, in its site's zone): the
    /// legs' planned departures and their events, in time order, each with its line.
    pub fn movement_timeline(
        &self,
        assignment_id: &str,
        day: &str,
    ) -> Result<Vec<MovementLogEntry>, CordonError> {
        self.core().movement_timeline(assignment_id, day)
    }
}
