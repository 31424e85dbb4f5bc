//! Post orders acknowledged: the officer acknowledges the version of an assignment's post
//! orders that the device holds, one local write and its `post_orders.acknowledge`
//! operation (normal lane) in one transaction, queued once per assignment and version.
//! A new version from the office (an assignment pulled through the feed) starts
//! unacknowledged; the older acknowledgements are kept.

use rusqlite::{Connection, OptionalExtension};

use super::assignments::assignment_in;
use super::outbox::enqueue;
use super::{new_id, Durability, Store};
use crate::error::{CordonError, Result};
use crate::model::validate::{required_text, MAX_SHORT_TEXT};
use crate::model::{validate_version, PostOrdersAcknowledgement, PostOrdersStatus};
use crate::protocol::Payload;
use crate::time::Timestamp;

/// The post orders version the device holds for `assignment_id`; `NotFound` if the
/// assignment is not on the device.
fn current_version(c: &Connection, assignment_id: &str) -> Result<i32> {
    Ok(assignment_in(c, assignment_id)?.post_orders.version)
}

fn acknowledged_at(c: &Connection, assignment_id: &str, version: i32) -> Result<Option<Timestamp>> {
    Ok(c.prepare_cached(
        "SELECT acknowledged_at FROM post_orders_ack
             WHERE assignment_id = ?1 AND version = ?2",
    )?
    .query_row(rusqlite::params![assignment_id, version], |r| r.get(0))
    .optional()?)
}

fn status(c: &Connection, assignment_id: &str) -> Result<PostOrdersStatus> {
    let version = current_version(c, assignment_id)?;
    Ok(PostOrdersStatus {
        assignment_id: assignment_id.to_owned(),
        version,
        acknowledged_at: acknowledged_at(c, assignment_id, version)?,
    })
}

impl Store {
    /// The officer acknowledges version `version` of the post orders of `assignment_id`:
    /// the acknowledgement is recorded and queued for the office (normal lane) in one
    /// transaction. `version` must be the one the device holds now, else
    /// `PostOrdersNotCurrent` naming it; an assignment not on the device is `NotFound`.
    /// Acknowledging the same version again changes nothing and queues nothing: the first
    /// time is kept.
    pub fn acknowledge_post_orders(
        &self,
        assignment_id: &str,
        version: i32,
    ) -> Result<PostOrdersStatus> {
        required_text("assignment_id", assignment_id, MAX_SHORT_TEXT)?;
        validate_version(version)?;
        let now = self.now();
        self.write(Durability::Normal, |tx| {
            let current = current_version(tx, assignment_id)?;
            if version != current {
                return Err(CordonError::PostOrdersNotCurrent {
                    assignment_id: assignment_id.to_owned(),
                    version,
                    current,
                });
            }
            if let Some(at) = acknowledged_at(tx, assignment_id, version)? {
                return Ok(PostOrdersStatus {
                    assignment_id: assignment_id.to_owned(),
                    version,
                    acknowledged_at: Some(at),
                });
            }
            let ack = PostOrdersAcknowledgement {
                id: new_id(),
                assignment_id: assignment_id.to_owned(),
                version,
                acknowledged_at: now,
            };
            ack.validate()?;
            tx.prepare_cached(
                "INSERT INTO post_orders_ack (id, assignment_id, version, acknowledged_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(rusqlite::params![ack.id, assignment_id, version, now])?;
            enqueue(tx, &Payload::PostOrdersAcknowledge(ack), None, now)?;
            Ok(PostOrdersStatus {
                assignment_id: assignment_id.to_owned(),
                version,
                acknowledged_at: Some(now),
            })
        })
    }

    /// Where the post orders of `assignment_id` stand: the version the device holds and
    /// whether (when) the officer acknowledged it. `NotFound` if the assignment is not on
    /// the device.
    pub fn post_orders_acknowledgement(&self, assignment_id: &str) -> Result<PostOrdersStatus> {
        self.read(|c| status(c, assignment_id))
    }

    /// Every acknowledgement the officer made on this device, oldest first (older
    /// versions included).
    pub fn post_orders_acknowledgements(&self) -> Result<Vec<PostOrdersAcknowledgement>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, assignment_id, version, acknowledged_at FROM post_orders_ack
                 ORDER BY acknowledged_at, assignment_id, version",
            )?
            .query_map([], |r| {
                Ok(PostOrdersAcknowledgement {
                    id: r.get(0)?,
                    assignment_id: r.get(1)?,
                    version: r.get(2)?,
                    acknowledged_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
