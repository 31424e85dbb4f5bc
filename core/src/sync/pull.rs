//! Pulling what the office sends (assignments, review outcomes), page by page; each page
//! and its cursor commit together, so a pass cut short resumes where it stopped.

use super::client::percent_encode;
use super::engine::{Flow, SyncEngine};
use super::policy::{self, Sent, Settlement, Verdict};
use super::{HttpMethod, PassSummary, RequestKind};
use crate::error::Result;
use crate::protocol::{Change, PullResponse};
use crate::store::sync_state::key;

impl SyncEngine {
    pub(super) fn pull(&self, token: &str, summary: &mut PassSummary) -> Result<Flow> {
        loop {
            let cursor = self.store.sync_value(key::PULL_CURSOR)?;
            let mut path = format!("/pull?limit={}", self.config.pull_limit.max(1));
            if let Some(c) = &cursor {
                path.push_str("&cursor=");
                path.push_str(&percent_encode(c));
            }
            let request = self.request(
                RequestKind::Pull,
                HttpMethod::Get,
                &path,
                Vec::new(),
                Some(token),
            );
            summary.requests += 1;
            let page: PullResponse = match self.call(request) {
                Ok(p) => p,
                Err(failure) => {
                    return match policy::decide(failure, Sent::Nothing) {
                        Verdict::Settle(settlement) => {
                            self.settle_failed(&[], settlement, summary, token)
                        }
                        Verdict::Resend(_) => self.settle_failed(
                            &[],
                            Settlement::retry("the server answered a pull as if it were an upload"),
                            summary,
                            token,
                        ),
                    };
                }
            };
            summary.reviews_received += i32::try_from(
                page.changes
                    .iter()
                    .filter(|c| matches!(c, Change::ReportReview { .. }))
                    .count(),
            )
            .unwrap_or(i32::MAX);
            summary.assignments_received += self.store.apply_pull(&page, &mut summary.warnings)?;
            if page.restarted {
                tracing::info!(
                    target: super::LOG_TARGET,
                    "the office did not know this device's feed cursor; pulling from the start"
                );
            }
            let moved =
                page.next_cursor.is_some() && (page.next_cursor != cursor || page.restarted);
            if !page.has_more || !moved {
                return Ok(Flow::Continue);
            }
            // A safe point: the page and its cursor are committed, so a pass cancelled
            // (or out of time) while the feed has many pages stops here and the next one
            // resumes from this cursor.
            if let Some(o) = self.must_stop() {
                return Ok(Flow::Stop(o));
            }
        }
    }
}
