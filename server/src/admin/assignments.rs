//! Assignments as the office issues them.

use crate::store::OptionalExtension;
use cordon_core::{Assignment, OfficerRole};

use crate::error::{Error, Result};
use crate::feed;
use crate::state::Server;
use cordon_core::model::validate::{required_text, MAX_SHORT_TEXT};

/// Creates or replaces an assignment of `organisation_id` and puts `officer_ids` on it
/// (officers already on it stay on it). The server sets `server_version` (1, then one
/// more per upsert; the value given is ignored) and appends the new version to the pull
/// feed of every officer on the assignment, each with their own role: the role given
/// for the officers named now, the role they had for the others.
pub fn upsert_assignment(
    server: &Server,
    organisation_id: &str,
    officer_ids: &[String],
    mut assignment: Assignment,
) -> Result<Assignment> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    for officer in officer_ids {
        required_text("officer", officer, MAX_SHORT_TEXT)?;
    }
    let now = server.now();
    server.write(|tx| {
        let current: Option<i64> = tx
            .query_row(
                "SELECT server_version FROM assignment WHERE organisation_id = ?1 AND id = ?2",
                [organisation_id, &assignment.id],
                |r| r.get(0),
            )
            .optional()?;
        assignment.server_version = current.map_or(1, |v| v + 1);
        assignment.validate()?;
        tx.execute(
            "INSERT INTO assignment (organisation_id, id, server_version, body, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (organisation_id, id) DO UPDATE SET
                 server_version = excluded.server_version, body = excluded.body,
                 updated_at = excluded.updated_at",
            rusqlite::params![
                organisation_id,
                assignment.id,
                assignment.server_version,
                serde_json::to_string(&assignment)?,
                now
            ],
        )?;
        let role = serde_json::to_string(&assignment.role)?;
        for officer in officer_ids {
            tx.execute(
                "INSERT INTO assignment_officer (organisation_id, assignment_id, officer_id, role)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (organisation_id, assignment_id, officer_id)
                 DO UPDATE SET role = excluded.role",
                [organisation_id, &assignment.id, officer, &role],
            )?;
        }
        let on_it: Vec<(String, String)> = tx
            .prepare(
                "SELECT officer_id, role FROM assignment_officer
                 WHERE organisation_id = ?1 AND assignment_id = ?2 ORDER BY officer_id",
            )?
            .query_map([organisation_id, &assignment.id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if on_it.is_empty() {
            return Err(Error::invalid(
                "officer",
                "an assignment needs at least one officer",
            ));
        }
        for (officer, role) in on_it {
            let role: OfficerRole = serde_json::from_str(&role)?;
            let mut theirs = assignment.clone();
            theirs.role = role;
            feed::append_assignment(tx, organisation_id, &officer, &theirs)?;
        }
        Ok(assignment.clone())
    })
}
