//! Assignments: the office's orders for a protection detail, pulled by sync.

use cordon_core::{Assignment, CordonError};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Stores an assignment unless the device already holds this version or a newer one
    /// (returns whether it was stored). Assignments normally arrive from the office
    /// through sync; this is for provisioning, demos and tests.
    pub fn upsert_assignment(&self, assignment: Assignment) -> Result<bool, CordonError> {
        self.store.upsert_assignment(&assignment)
    }

    pub fn assignment(&self, id: &str) -> Result<Assignment, CordonError> {
        self.store.assignment(id)
    }

    /// Every assignment on the device, soonest first.
    pub fn assignments(&self) -> Result<Vec<Assignment>, CordonError> {
        self.store.assignments()
    }
}
