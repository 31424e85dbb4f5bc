//! Post orders acknowledged, as the office reads them: for each officer on each
//! assignment, the version the office issued last and the newest version the officer
//! acknowledged (the acknowledgements themselves are append-only rows).

use cordon_core::{Assignment, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::state::Server;

/// Where one officer stands with one assignment's post orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostOrdersStanding {
    pub organisation_id: String,
    pub assignment_id: String,
    /// The assignment's title, as the office wrote it.
    pub title: String,
    pub officer_id: String,
    /// The post orders version the office issued last.
    pub current_version: i32,
    /// The newest version the officer acknowledged (none: never).
    pub acknowledged_version: Option<i32>,
    /// When the officer acknowledged it (the device's clock).
    pub acknowledged_at: Option<Timestamp>,
    /// When the office received that acknowledgement (the server's clock).
    pub received_at: Option<Timestamp>,
    /// Whether the officer acknowledged the current version.
    pub current_acknowledged: bool,
}

/// Every officer on every assignment of every organisation, by organisation, assignment
/// and officer.
pub fn post_orders_standing(server: &Server) -> Result<Vec<PostOrdersStanding>> {
    standing_in(server, None)
}

/// Every officer on every assignment of `organisation_id`, by assignment and officer.
pub fn post_orders_standing_of(
    server: &Server,
    organisation_id: &str,
) -> Result<Vec<PostOrdersStanding>> {
    standing_in(server, Some(organisation_id))
}

type Row = (
    String,
    String,
    String,
    String,
    Option<i32>,
    Option<Timestamp>,
    Option<Timestamp>,
);

fn standing_in(server: &Server, organisation_id: Option<&str>) -> Result<Vec<PostOrdersStanding>> {
    server.read(|c| {
        let rows: Vec<Row> = c
            .prepare(
                "SELECT o.organisation_id, o.assignment_id, o.officer_id, a.body,
                        k.version, k.acknowledged_at, k.received_at
                 FROM assignment_officer o
                 JOIN assignment a ON a.organisation_id = o.organisation_id
                                  AND a.id = o.assignment_id
                 LEFT JOIN post_orders_ack k
                   ON k.organisation_id = o.organisation_id
                  AND k.assignment_id = o.assignment_id AND k.officer_id = o.officer_id
                  AND k.version = (SELECT max(version) FROM post_orders_ack m
                                   WHERE m.organisation_id = o.organisation_id
                                     AND m.assignment_id = o.assignment_id
                                     AND m.officer_id = o.officer_id)
                 WHERE CAST(?1 AS TEXT) IS NULL OR o.organisation_id = ?1
                 ORDER BY o.organisation_id, o.assignment_id, o.officer_id",
            )?
            .query_map([organisation_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(
                |(organisation_id, assignment_id, officer_id, body, version, at, received)| {
                    let assignment: Assignment = serde_json::from_str(&body)?;
                    let current_version = assignment.post_orders.version;
                    Ok(PostOrdersStanding {
                        organisation_id,
                        assignment_id,
                        title: assignment.title,
                        officer_id,
                        current_version,
                        acknowledged_version: version,
                        acknowledged_at: at,
                        received_at: received,
                        current_acknowledged: version == Some(current_version),
                    })
                },
            )
            .collect()
    })
}
