//! The outbox: what is waiting, what the server refused, and what to do about it.

use cordon_core::{CordonError, OutboxOperation, OutboxStatus};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Counts by state and lane, the oldest undelivered operation and the next due time.
    pub fn outbox_status(&self) -> Result<OutboxStatus, CordonError> {
        self.store.outbox_status()
    }

    /// Operations the server refused for good, each with the server's reason.
    pub fn dead_letters(&self) -> Result<Vec<OutboxOperation>, CordonError> {
        self.store.dead_letters()
    }

    /// Every operation not yet delivered (pending or in flight), in `seq` order.
    pub fn queued_operations(&self) -> Result<Vec<OutboxOperation>, CordonError> {
        self.store.queued_operations()
    }

    /// Sends a dead operation again (after the cause was fixed on the server).
    pub fn requeue_dead(&self, seq: i64) -> Result<(), CordonError> {
        self.store.requeue_dead(seq)
    }

    /// Gives up on a dead operation. It is archived on the device, never silently lost.
    pub fn discard_dead(&self, seq: i64) -> Result<(), CordonError> {
        self.store.discard_dead(seq)
    }
}
