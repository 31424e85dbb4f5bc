//! Check-ins and the welfare clock.

use cordon_core::{CheckIn, CordonError, NewCheckIn, WelfareStatus};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Records a check-in and queues it for the office. Duress and panic need no
    /// assignment, go to the urgent lane and are synced to disk before this returns.
    pub fn record_check_in(&self, check_in: NewCheckIn) -> Result<CheckIn, CordonError> {
        self.store.record_check_in(check_in)
    }

    /// Check-ins, oldest first: of one assignment, or (with `null`/`nil`) all of them.
    pub fn check_ins(&self, assignment_id: Option<String>) -> Result<Vec<CheckIn>, CordonError> {
        self.store.check_ins(assignment_id.as_deref())
    }

    /// The welfare clock of an assignment, now: off duty, on time, due or overdue, with
    /// when the next check-in is due. Computed offline.
    pub fn welfare_status(&self, assignment_id: &str) -> Result<WelfareStatus, CordonError> {
        self.store.welfare_status(assignment_id)
    }
}
