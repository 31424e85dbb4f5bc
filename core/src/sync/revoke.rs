//! The office revoked this device (`403 revoked` on any call): its last contact names
//! what it had not sent (`POST /v1/revoked`, names and times only), then the store
//! destroys what it held, whether or not that answer came back: a phone in the wrong
//! hands must not keep the data because the office could not be reached.

use super::engine::SyncEngine;
use super::{HttpMethod, PassOutcome, RequestKind, LOG_TARGET};
use crate::error::Result;
use crate::protocol::RevocationReport;
use crate::store::sync_state::key;

impl SyncEngine {
    /// Tells the office what was not sent, destroys the store, and says so.
    pub(super) fn revoked(&self, token: &str) -> Result<PassOutcome> {
        let (unsent_total, unsent) = self.store.unsent_operations()?;
        let report = RevocationReport {
            device_id: self.store.device_id().to_owned(),
            unsent_total,
            unsent,
        };
        let body = serde_json::to_vec(&report)?;
        let request = self.request(
            RequestKind::Revoked,
            HttpMethod::Post,
            "/revoked",
            body,
            Some(token),
        );
        let office_told = self.call::<serde_json::Value>(request).is_ok();
        // The token goes first: were the destruction to fail half-way, nothing could be
        // sent with it any more.
        self.store.set_sync_values(&[(key::TOKEN, None)])?;
        let destroyed = self.store.destroy()?;
        tracing::warn!(
            target: LOG_TARGET,
            unsent = unsent_total,
            office_told,
            files = destroyed.files_removed,
            "the office revoked this device; its data was destroyed"
        );
        Ok(PassOutcome::Revoked {
            unsent: unsent_total,
            office_told,
            files_removed: destroyed.files_removed,
        })
    }
}
