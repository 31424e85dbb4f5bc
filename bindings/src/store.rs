//! [`CordonStore`]: the on-device store as an app sees it. One method per core call.

use std::sync::Arc;

use cordon_core::{
    Assignment, Attachment, AttachmentKind, CheckIn, CordonError, DeviceIdentity, IncidentContent,
    IncidentReport, NewAmendment, NewCheckIn, OutboxOperation, OutboxStatus, ReportIntegrity,
    ReportReview, Store, WelfareStatus,
};

/// Cordon's on-device store: the officer's records and the outbox that delivers them.
///
/// Open one per database file and share it: every method is safe from any thread, and
/// each write is one transaction (success means committed; an error means nothing was
/// written). Methods are short local calls; on Android call them off the main thread as
/// for any disk access. Close it (`close()` / `use {}` in Kotlin, or drop the last
/// reference in Swift) when done; a [`CordonSync`](crate::CordonSync) keeps it open
/// while it lives.
#[derive(uniffi::Object)]
pub struct CordonStore {
    store: Arc<Store>,
}

impl CordonStore {
    pub(crate) fn core(&self) -> &Arc<Store> {
        &self.store
    }
}

#[uniffi::export]
impl CordonStore {
    /// Opens (creating if needed) the store at `path`, with attachments in the directory
    /// `<path>.attachments` beside it. A corrupt file, another application's database or
    /// one from a newer version is refused with a typed error and left untouched.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, CordonError> {
        Ok(Arc::new(CordonStore {
            store: Arc::new(Store::open(path)?),
        }))
    }

    /// The database file this store was opened at.
    pub fn path(&self) -> String {
        self.store.path().to_string_lossy().into_owned()
    }

    /// This device's id (made on first open) and, once enrolled, its officer.
    pub fn device_identity(&self) -> Result<DeviceIdentity, CordonError> {
        self.store.device_identity()
    }

    // --- assignments ------------------------------------------------------------------

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

    // --- check-ins --------------------------------------------------------------------

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

    // --- incident reports ---------------------------------------------------------------

    /// Starts a draft report (queued, so the office knows of it before submission).
    pub fn create_report(&self, content: IncidentContent) -> Result<IncidentReport, CordonError> {
        self.store.create_report(content)
    }

    /// Replaces a draft's content. A submitted report is locked: amend it instead.
    pub fn update_report(
        &self,
        report_id: &str,
        content: IncidentContent,
    ) -> Result<IncidentReport, CordonError> {
        self.store.update_report(report_id, content)
    }

    /// Submits a draft: checks it is complete, seals its content hash and locks it.
    pub fn submit_report(&self, report_id: &str) -> Result<IncidentReport, CordonError> {
        self.store.submit_report(report_id)
    }

    /// Appends an amendment to a submitted report, chained by hash to the one before.
    pub fn amend_report(
        &self,
        report_id: &str,
        amendment: NewAmendment,
    ) -> Result<IncidentReport, CordonError> {
        self.store.amend_report(report_id, amendment)
    }

    /// A report as it reads now (submitted content with every amendment applied).
    pub fn report(&self, report_id: &str) -> Result<IncidentReport, CordonError> {
        self.store.report(report_id)
    }

    pub fn report_ids(&self) -> Result<Vec<String>, CordonError> {
        self.store.report_ids()
    }

    /// Recomputes a submitted report's hash chain: intact (with the head hash to compare
    /// with the office's copy) or broken at a named link.
    pub fn verify_report(&self, report_id: &str) -> Result<ReportIntegrity, CordonError> {
        self.store.verify_report(report_id)
    }

    /// The office's review outcomes for a report, oldest first (they arrive by sync).
    pub fn report_reviews(&self, report_id: &str) -> Result<Vec<ReportReview>, CordonError> {
        self.store.report_reviews(report_id)
    }

    // --- attachments --------------------------------------------------------------------

    /// Copies the file at `source_path` into the store (hashing it on the way) and
    /// attaches it to a draft report; its bytes are queued for upload in the bulk lane.
    /// The app may delete its own copy once this returns.
    pub fn attach_file(
        &self,
        report_id: &str,
        source_path: String,
        kind: AttachmentKind,
        mime_type: &str,
    ) -> Result<Attachment, CordonError> {
        self.store
            .attach_file(report_id, source_path.as_ref(), kind, mime_type)
    }

    /// Where the store keeps an attachment's bytes (to show or play it).
    pub fn attachment_path(&self, attachment_id: &str) -> String {
        self.store
            .attachment_path(attachment_id)
            .to_string_lossy()
            .into_owned()
    }

    // --- outbox -------------------------------------------------------------------------

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
