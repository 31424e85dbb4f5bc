//! The duty rota: who is on duty and on call for an assignment, and the officer's own
//! duty now, computed on the phone from the rota the office last sent.

use cordon_core::{CordonError, Duty, Shift, Timestamp};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// The assignment's rota as the office last sent it: every officer's shifts, by start
    /// (empty until the office sends one).
    pub fn rota(&self, assignment_id: &str) -> Result<Vec<Shift>, CordonError> {
        self.core().rota(assignment_id)
    }

    /// The officer's duty now, offline: `CalledIn` (come in now), `OnDuty`, `OnCall` or
    /// `OffDuty`, with the shift that says so.
    pub fn my_duty(&self) -> Result<Duty, CordonError> {
        self.core().my_duty()
    }

    /// The officer's duty at `at` (to show the next shift, say).
    pub fn duty_at(&self, at: Timestamp) -> Result<Duty, CordonError> {
        self.core().duty_at(at)
    }

    /// The call-ins the officer has not seen yet: ask after every sync, as for unread
    /// messages, and put them in front of the officer.
    pub fn unseen_call_ins(&self) -> Result<Vec<Shift>, CordonError> {
        self.core().unseen_call_ins()
    }

    /// The officer saw the call-in of `shiftId` (kept on the phone; the office is not
    /// told). An unknown shift is `NotFound`.
    pub fn mark_call_in_seen(&self, shift_id: &str) -> Result<Shift, CordonError> {
        self.core().mark_call_in_seen(shift_id)
    }
}
