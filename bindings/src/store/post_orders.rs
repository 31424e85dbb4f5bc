//! Post orders acknowledged: the officer acknowledges the version of an assignment's post
//! orders the phone holds; a new version from the office needs a new acknowledgement.

use cordon_core::{CordonError, PostOrdersStatus};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Where the post orders of an assignment stand: the version the phone holds
    /// (`version`) and when the officer acknowledged it (`acknowledgedAt`, `null`/`nil`
    /// until they do, and again after a new version arrives). An assignment not on the
    /// phone is `CordonException.NotFound` / `CordonError.NotFound`.
    pub fn post_orders_acknowledgement(
        &self,
        assignment_id: &str,
    ) -> Result<PostOrdersStatus, CordonError> {
        self.core().post_orders_acknowledgement(assignment_id)
    }

    /// The officer acknowledges version `version` of the assignment's post orders: stored
    /// at once (offline) and queued for the office (delivered once by the next sync).
    /// `version` must be the one the phone holds (`postOrders.version` of the assignment
    /// as last read), else `PostOrdersNotCurrent` naming the current one; acknowledging it
    /// again keeps the first time and queues nothing.
    pub fn acknowledge_post_orders(
        &self,
        assignment_id: &str,
        version: i32,
    ) -> Result<PostOrdersStatus, CordonError> {
        self.core().acknowledge_post_orders(assignment_id, version)
    }
}
