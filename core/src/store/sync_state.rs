//! What the sync engine keeps between passes: the pull cursor, the server's clock offset,
//! the last success and error, whether sync is paused for a new token; and the
//! application of a pull page (its changes and its cursor in one transaction).

use rusqlite::OptionalExtension;

use super::assignments::Versions;
use super::{Durability, Store};
use crate::error::{CordonError, Result};
use crate::model::{ReportReview, ReviewOutcome};
use crate::protocol::{Change, PullResponse};
use crate::time::Timestamp;

/// Keys of the `sync_state` table.
pub(crate) mod key {
    pub const PULL_CURSOR: &str = "pull_cursor";
    /// Set while the device walks a feed that started over (see [`PullResponse::restarted`]
    /// (crate::protocol::PullResponse)), until its last page.
    pub const PULL_RESTARTED: &str = "pull_restarted";
    pub const CLOCK_OFFSET_MS: &str = "clock_offset_ms";
    pub const LAST_SUCCESS_AT: &str = "last_success_at";
    pub const LAST_ERROR: &str = "last_error";
    pub const AUTH_PAUSED: &str = "auth_paused";
    pub const SERVER_URL: &str = "server_url";
    pub const TOKEN: &str = "token";
    pub const SERVER_WAIT_UNTIL: &str = "server_wait_until";
}

impl Store {
    pub(crate) fn sync_value(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
                    .query_row([key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// Sets (or with `None` clears) several keys in one transaction.
    pub(crate) fn set_sync_values(&self, values: &[(&str, Option<&str>)]) -> Result<()> {
        self.write(Durability::Normal, |tx| {
            for (key, value) in values {
                put(tx, key, *value)?;
            }
            Ok(())
        })
    }

    /// Applies one page of the pull feed and stores its cursor, all or nothing. Returns
    /// how many assignments were new or newer.
    ///
    /// An entry the device cannot accept (an assignment that fails the model's rules, a
    /// kind this build does not know) is skipped, with its reason in `skipped`, so that
    /// one bad entry cannot stall the feed.
    ///
    /// A feed that started over (`page.restarted`: the office no longer knows the
    /// device's cursor, most often because it restored a backup) is the office's truth:
    /// until its last page, each assignment it carries replaces the device's copy even
    /// where the device holds a higher version (one the office lost), so that the versions
    /// the office issues next are not taken for old ones.
    pub(crate) fn apply_pull(&self, page: &PullResponse, skipped: &mut Vec<String>) -> Result<i32> {
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let restarting = page.restarted
                || tx
                    .prepare_cached("SELECT 1 FROM sync_state WHERE key = ?1")?
                    .exists([key::PULL_RESTARTED])?;
            let versions = if restarting {
                Versions::OfficeWins
            } else {
                Versions::NewerOnly
            };
            let mut stored = 0;
            for change in &page.changes {
                match change {
                    Change::Assignment { assignment, cursor } => match assignment.validate() {
                        Ok(()) => {
                            if super::assignments::upsert(tx, assignment, versions, now)? {
                                stored += 1;
                            }
                        }
                        Err(e) => skipped.push(format!(
                            "feed entry {cursor}: assignment {} skipped: {e}",
                            assignment.id
                        )),
                    },
                    Change::Unknown => skipped.push("feed entry of an unknown kind skipped".into()),
                    Change::ReportReview { cursor, review } => {
                        super::reports::store_review(tx, cursor, review, now)?;
                    }
                    Change::AlarmStatus { alarm, .. } => {
                        super::alarms::store_status(tx, alarm, now)?;
                    }
                    Change::Rota { cursor, rota } => match rota.validate() {
                        Ok(()) => super::rota::store_rota(tx, rota, now)?,
                        Err(e) => skipped.push(format!(
                            "feed entry {cursor}: rota of {} skipped: {e}",
                            rota.assignment_id
                        )),
                    },
                    Change::Handover { cursor, handover } => match handover.validate() {
                        Ok(()) => super::handovers::store_handover(tx, handover, now)?,
                        Err(e) => skipped.push(format!(
                            "feed entry {cursor}: handover {} skipped: {e}",
                            handover.id
                        )),
                    },
                    Change::Message { cursor, message } => match message.validate() {
                        Ok(()) => super::messages::store_message(tx, message, now)?,
                        Err(e) => skipped.push(format!(
                            "feed entry {cursor}: message {} skipped: {e}",
                            message.message_id
                        )),
                    },
                    Change::Bolo { cursor, entry } => match entry.validate() {
                        // Not counted: `stored` is the assignments received.
                        Ok(()) => {
                            super::sightings::store_bolo(tx, entry, now)?;
                        }
                        Err(e) => skipped.push(format!(
                            "feed entry {cursor}: BOLO entry {} skipped: {e}",
                            entry.id
                        )),
                    },
                }
            }
            if page.next_cursor.is_some() || page.restarted {
                // Starting over with nothing to send: the old cursor is forgotten too.
                put(tx, key::PULL_CURSOR, page.next_cursor.as_deref())?;
            }
            put(
                tx,
                key::PULL_RESTARTED,
                (restarting && page.has_more).then_some("1"),
            )?;
            Ok(stored)
        })
    }

    /// The server this device syncs with, as last set.
    pub fn server_url(&self) -> Result<Option<String>> {
        self.sync_value(key::SERVER_URL)
    }

    /// Remembers the server this device syncs with (`http://` or `https://`).
    pub fn set_server_url(&self, url: &str) -> Result<()> {
        crate::model::validate::validate_server_url("server_url", url)?;
        self.set_sync_values(&[(key::SERVER_URL, Some(url))])
    }

    /// The office's review outcomes for a report, oldest first.
    pub fn report_reviews(&self, report_id: &str) -> Result<Vec<ReportReview>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT outcome, reviewer, note, reviewed_at FROM report_review
                 WHERE report_id = ?1 ORDER BY reviewed_at, cursor",
            )?;
            let mut rows = stmt.query([report_id])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let outcome: String = r.get(0)?;
                out.push(ReportReview {
                    report_id: report_id.to_owned(),
                    outcome: ReviewOutcome::parse(&outcome).ok_or_else(|| {
                        CordonError::Storage {
                            detail: format!("unknown review outcome {outcome:?} in the database"),
                        }
                    })?,
                    reviewer: r.get(1)?,
                    note: r.get(2)?,
                    reviewed_at: r.get::<_, Timestamp>(3)?,
                });
            }
            Ok(out)
        })
    }
}

/// Sets `key` to `value`, or with `None` clears it.
fn put(tx: &rusqlite::Transaction<'_>, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) => tx
            .prepare_cached(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, v])?,
        None => tx
            .prepare_cached("DELETE FROM sync_state WHERE key = ?1")?
            .execute([key])?,
    };
    Ok(())
}
