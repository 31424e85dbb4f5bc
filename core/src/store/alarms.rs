//! Where the alarms the officer raised stand at the office: kept from the pull feed
//! (`Change::AlarmStatus`), read by the app (`alarm_statuses`) and by the scheduler
//! (`awaiting_control_room`). The core keeps state only; what the app shows (nothing on
//! screen for duress unless the officer opens it) is the app's decision.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::Store;
use crate::error::{CordonError, Result};
use crate::model::{AlarmKind, AlarmState, AlarmStatus};
use crate::time::Timestamp;

/// Keeps an alarm's state from the feed, unless the device already holds a later one (the
/// feed may repeat an entry, and a state never goes back).
pub(super) fn store_status(
    tx: &Transaction<'_>,
    alarm: &AlarmStatus,
    now: Timestamp,
) -> Result<()> {
    let held: Option<String> = tx
        .prepare_cached("SELECT state FROM alarm_status WHERE check_in_id = ?1")?
        .query_row([&alarm.check_in_id], |r| r.get(0))
        .optional()?;
    let later = held
        .as_deref()
        .and_then(AlarmState::parse)
        .is_some_and(|h| h.rank() >= alarm.state.rank());
    if later {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO alarm_status (check_in_id, alarm_id, kind, state, note, updated_at,
                                   received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (check_in_id) DO UPDATE SET
             alarm_id = excluded.alarm_id, kind = excluded.kind, state = excluded.state,
             note = coalesce(excluded.note, alarm_status.note),
             updated_at = excluded.updated_at, received_at = excluded.received_at",
    )?
    .execute(rusqlite::params![
        alarm.check_in_id,
        alarm.alarm_id,
        alarm.kind.as_str(),
        alarm.state.as_str(),
        alarm.note,
        alarm.updated_at,
        now
    ])?;
    Ok(())
}

/// An `alarm_status` row as read: check-in id, alarm id, kind, state, note, updated at.
type StatusRow = (String, String, String, String, Option<String>, Timestamp);

fn status(
    (check_in_id, alarm_id, kind, state, note, updated_at): StatusRow,
) -> Result<AlarmStatus> {
    let damaged = |what: &str| CordonError::Storage {
        detail: format!("alarm status {check_in_id}: {what}"),
    };
    Ok(AlarmStatus {
        kind: AlarmKind::parse(&kind).ok_or_else(|| damaged("unknown kind"))?,
        state: AlarmState::parse(&state).ok_or_else(|| damaged("unknown state"))?,
        alarm_id,
        check_in_id,
        note,
        updated_at,
    })
}

const COLUMNS: &str = "check_in_id, alarm_id, kind, state, note, updated_at";

impl Store {
    /// Where each alarm the officer raised stands at the office, newest step first. An
    /// alarm the office has not reported on yet (not delivered, or no feed since) is not
    /// listed: the app shows it as sent or waiting.
    pub fn alarm_statuses(&self) -> Result<Vec<AlarmStatus>> {
        self.read(|c| {
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM alarm_status ORDER BY updated_at DESC, check_in_id"
                ))?
                .query_map([], |r| StatusRow::try_from(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(status).collect()
        })
    }

    /// Where the alarm raised by the duress or panic check-in `check_in_id` stands at the
    /// office, if the office has said.
    pub fn alarm_status(&self, check_in_id: &str) -> Result<Option<AlarmStatus>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM alarm_status WHERE check_in_id = ?1"
            ))?
            .query_row([check_in_id], |r| StatusRow::try_from(r))
            .optional()?
            .map(status)
            .transpose()
        })
    }
}

/// Whether a duress or panic check-in recorded since `since` has not been acknowledged by
/// the office yet (none received, or only `raised`). Reads only the recent alarms.
pub(crate) fn awaiting_control_room(c: &Connection, since: Timestamp) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM check_in c
         WHERE c.kind IN ('duress', 'panic') AND c.recorded_at >= ?1
           AND NOT EXISTS (SELECT 1 FROM alarm_status s WHERE s.check_in_id = c.id
                           AND s.state IN ('acknowledged', 'resolved'))",
    )?
    .exists([since])?)
}

/// How long after recording it an unacknowledged alarm keeps the device syncing often: a
/// control room that has not answered in an hour is not hurried by a phone that polls.
pub const ALARM_WATCH: Duration = Duration::from_secs(3600);

impl Store {
    /// Whether an alarm the officer raised in the last [`ALARM_WATCH`] still waits for
    /// the control room to acknowledge it.
    pub fn alarm_awaits_control_room(&self) -> Result<bool> {
        let since = Timestamp::from_millis(self.now().as_millis() - ALARM_WATCH.as_millis() as i64);
        self.read(|c| awaiting_control_room(c, since))
    }
}
