//! Where the officer's alarms stand at the office, from the pull feed.

use cordon_core::{AlarmStatus, CordonError};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Where each alarm the officer raised stands at the office (raised, acknowledged with
    /// the operator's note, resolved), newest step first. An alarm the office has not
    /// reported on yet is not listed. Duress is covert: the core only keeps the state;
    /// show nothing on screen for a duress alarm unless the officer opens it.
    pub fn alarm_statuses(&self) -> Result<Vec<AlarmStatus>, CordonError> {
        self.core().alarm_statuses()
    }

    /// Where the alarm raised by the duress or panic check-in `check_in_id` stands, if the
    /// office has said (`null`/`nil` until then).
    pub fn alarm_status(&self, check_in_id: &str) -> Result<Option<AlarmStatus>, CordonError> {
        self.core().alarm_status(check_in_id)
    }
}
