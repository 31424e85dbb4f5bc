//! Incident reports: drafts, submission, amendments, integrity and the office's reviews.

use cordon_core::{
    Amendment, CordonError, IncidentContent, IncidentReport, NewAmendment, ReportIntegrity,
    ReportReview,
};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
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

    /// Appends an amendment to a submitted report, chained by hash to the one before,
    /// and returns it (read the report as amended with `report`).
    pub fn amend_report(
        &self,
        report_id: &str,
        amendment: NewAmendment,
    ) -> Result<Amendment, CordonError> {
        self.store.amend_report(report_id, amendment)
    }

    /// A report as it reads now (submitted content with every amendment applied).
    pub fn report(&self, report_id: &str) -> Result<IncidentReport, CordonError> {
        self.store.report(report_id)
    }

    /// Every report's id, newest first.
    pub fn report_ids(&self) -> Result<Vec<String>, CordonError> {
        self.store.report_ids()
    }

    /// Every report on the device, newest first, as `report` reads each: what a list
    /// screen shows, in one call instead of one per row.
    pub fn reports(&self) -> Result<Vec<IncidentReport>, CordonError> {
        let ids = self.store.report_ids()?;
        ids.iter().map(|id| self.store.report(id)).collect()
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
}
