//! Reports routed to their reviewers.
//!
//! Who reviews a submitted report is decided once, when the office applies its
//! submission ([`route_report`], called in the push's transaction): the team leader of
//! the report's assignment (an operator's username the office sets on the assignment,
//! [`set_team_leader`]), else the organisation's designated reviewer
//! ([`set_designated_reviewer`]), else nobody (then any supervisor reviews it). The route
//! is written once: a later change of team leader does not move reports already routed.
//!
//! The reviewer sees the report in the console's "for my review" queue
//! ([`for_review_by`]) and records the outcome ([`review_as`]). Someone else may review
//! it only as a supervisor standing in: allowed, and recorded as such (the review names
//! its reviewer, the route names the designated one, and the audit line says
//! `ok_stand_in`); an operator who is not the routed reviewer is refused (`Forbidden`).
//! The outcome reaches the author's phone through the feed, as every review does.

use crate::store::{Conn, OptionalExtension};
use cordon_core::model::validate::{required_text, MAX_SHORT_TEXT};
use cordon_core::{ReportReview, ReportState, ReviewOutcome, Timestamp};
use serde::{Deserialize, Serialize};

use super::reports::{load_report, record_review, ReceivedReport};
use crate::error::{Error, Result};
use crate::operators::{Operator, Role};
use crate::state::Server;

/// Why a report went to its reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutedBy {
    /// The team leader of the report's assignment.
    TeamLeader,
    /// The organisation's designated reviewer (no team leader on the assignment, or no
    /// assignment on the report).
    DesignatedReviewer,
    /// Nobody was designated: a supervisor reviews it.
    Nobody,
}

impl RoutedBy {
    fn as_str(self) -> &'static str {
        match self {
            RoutedBy::TeamLeader => "team_leader",
            RoutedBy::DesignatedReviewer => "designated_reviewer",
            RoutedBy::Nobody => "nobody",
        }
    }

    fn parse(s: &str) -> RoutedBy {
        match s {
            "team_leader" => RoutedBy::TeamLeader,
            "designated_reviewer" => RoutedBy::DesignatedReviewer,
            _ => RoutedBy::Nobody,
        }
    }
}

/// Where a submitted report was routed, when the office applied its submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The reviewer's operator username (none: nobody designated).
    pub reviewer: Option<String>,
    pub routed_by: RoutedBy,
    pub routed_at: Timestamp,
}

fn operator_exists(c: &Conn, organisation_id: &str, username: &str) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM operator WHERE organisation_id = ?1 AND username = ?2")?
            .exists([organisation_id, username])?,
    )
}

fn check_operator(c: &Conn, organisation_id: &str, username: &str) -> Result<()> {
    required_text("username", username, MAX_SHORT_TEXT)?;
    if !operator_exists(c, organisation_id, username)? {
        return Err(Error::not_found("operator", username));
    }
    Ok(())
}

/// Sets (or with `None` clears) the team leader of `organisation_id`'s assignment: an
/// operator of the organisation, who reviews the reports submitted on it from now on.
pub fn set_team_leader(
    server: &Server,
    organisation_id: &str,
    assignment_id: &str,
    username: Option<&str>,
) -> Result<()> {
    required_text("assignment", assignment_id, MAX_SHORT_TEXT)?;
    let now = server.now();
    server.write(|tx| {
        let known = tx
            .prepare_cached("SELECT 1 FROM assignment WHERE organisation_id = ?1 AND id = ?2")?
            .exists([organisation_id, assignment_id])?;
        if !known {
            return Err(Error::not_found("assignment", assignment_id));
        }
        match username {
            Some(u) => {
                check_operator(tx, organisation_id, u)?;
                tx.execute(
                    "INSERT INTO team_leader (organisation_id, assignment_id, username, set_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (organisation_id, assignment_id)
                     DO UPDATE SET username = excluded.username,
                                               set_at = excluded.set_at",
                    rusqlite::params![organisation_id, assignment_id, u, now],
                )?;
            }
            None => {
                tx.execute(
                    "DELETE FROM team_leader WHERE organisation_id = ?1 AND assignment_id = ?2",
                    [organisation_id, assignment_id],
                )?;
            }
        }
        Ok(())
    })
}

/// Sets (or with `None` clears) the organisation's designated reviewer: an operator who
/// reviews the reports no team leader takes.
pub fn set_designated_reviewer(
    server: &Server,
    organisation_id: &str,
    username: Option<&str>,
) -> Result<()> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    let now = server.now();
    server.write(|tx| {
        match username {
            Some(u) => {
                check_operator(tx, organisation_id, u)?;
                tx.execute(
                    "INSERT INTO designated_reviewer (organisation_id, username, set_at)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (organisation_id) DO UPDATE SET username = excluded.username,
                                               set_at = excluded.set_at",
                    rusqlite::params![organisation_id, u, now],
                )?;
            }
            None => {
                tx.execute(
                    "DELETE FROM designated_reviewer WHERE organisation_id = ?1",
                    [organisation_id],
                )?;
            }
        }
        Ok(())
    })
}

fn team_leader_in(c: &Conn, organisation_id: &str, assignment_id: &str) -> Result<Option<String>> {
    Ok(c.prepare_cached(
        "SELECT username FROM team_leader WHERE organisation_id = ?1 AND assignment_id = ?2",
    )?
    .query_row([organisation_id, assignment_id], |r| r.get(0))
    .optional()?)
}

fn designated_in(c: &Conn, organisation_id: &str) -> Result<Option<String>> {
    Ok(
        c.prepare_cached("SELECT username FROM designated_reviewer WHERE organisation_id = ?1")?
            .query_row([organisation_id], |r| r.get(0))
            .optional()?,
    )
}

/// The team leader of `organisation_id`'s assignment, if the office set one.
pub fn team_leader(
    server: &Server,
    organisation_id: &str,
    assignment_id: &str,
) -> Result<Option<String>> {
    server.read(|c| team_leader_in(c, organisation_id, assignment_id))
}

/// The organisation's designated reviewer, if the office set one.
pub fn designated_reviewer(server: &Server, organisation_id: &str) -> Result<Option<String>> {
    server.read(|c| designated_in(c, organisation_id))
}

/// Routes `organisation_id`'s just-submitted report (in the push's transaction): the
/// team leader of `assignment_id`, else the designated reviewer, else nobody. Once: a
/// report already routed keeps its route.
pub(crate) fn route_report(
    tx: &Conn,
    organisation_id: &str,
    report_id: &str,
    assignment_id: Option<&str>,
    now: Timestamp,
) -> Result<Route> {
    if let Some(route) = route_in(tx, organisation_id, report_id)? {
        return Ok(route);
    }
    let leader = match assignment_id {
        Some(a) => team_leader_in(tx, organisation_id, a)?,
        None => None,
    };
    let (reviewer, routed_by) = match leader {
        Some(l) => (Some(l), RoutedBy::TeamLeader),
        None => match designated_in(tx, organisation_id)? {
            Some(d) => (Some(d), RoutedBy::DesignatedReviewer),
            None => (None, RoutedBy::Nobody),
        },
    };
    tx.prepare_cached(
        "INSERT INTO report_route (organisation_id, report_id, reviewer, routed_by, routed_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        organisation_id,
        report_id,
        reviewer,
        routed_by.as_str(),
        now
    ])?;
    tracing::info!(report_id, routed_by = routed_by.as_str(), "report routed");
    Ok(Route {
        reviewer,
        routed_by,
        routed_at: now,
    })
}

/// The route of `organisation_id`'s report, if it was submitted.
pub(crate) fn route_in(c: &Conn, organisation_id: &str, report_id: &str) -> Result<Option<Route>> {
    Ok(c.prepare_cached(
        "SELECT reviewer, routed_by, routed_at FROM report_route
         WHERE organisation_id = ?1 AND report_id = ?2",
    )?
    .query_row([organisation_id, report_id], |r| {
        Ok(Route {
            reviewer: r.get(0)?,
            routed_by: RoutedBy::parse(&r.get::<_, String>(1)?),
            routed_at: r.get(2)?,
        })
    })
    .optional()?)
}

/// The submitted reports of `organisation_id` routed to `username` that nobody has
/// reviewed yet, oldest routed first: the reviewer's queue.
pub fn for_review_by(
    server: &Server,
    organisation_id: &str,
    username: &str,
) -> Result<Vec<ReceivedReport>> {
    server.read(|c| {
        let ids: Vec<String> = c
            .prepare_cached(
                "SELECT r.report_id FROM report_route r
                 WHERE r.organisation_id = ?1 AND r.reviewer = ?2
                   AND NOT EXISTS (SELECT 1 FROM review v WHERE v.organisation_id = r.organisation_id
                                                           AND v.report_id = r.report_id)
                 ORDER BY r.routed_at, r.report_id",
            )?
            .query_map([organisation_id, username], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| load_report(c, organisation_id, id)).collect()
    })
}

/// Whether the review is the routed reviewer's own or a supervisor's standing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewedAs {
    /// The reviewer the report was routed to (or, with nobody routed, a supervisor).
    Routed,
    /// A supervisor reviewing a report routed to someone else.
    StandIn,
}

/// `operator` reviews `report_id` of their organisation: the routed reviewer may, and a
/// supervisor may stand in for them (returned as [`ReviewedAs::StandIn`]); anyone else is
/// `Forbidden` and nothing is written. A report with no routed reviewer is for
/// supervisors. The outcome goes down the author's feed ([`record_review`]).
pub fn review_as(
    server: &Server,
    operator: &Operator,
    report_id: &str,
    outcome: ReviewOutcome,
    note: Option<&str>,
) -> Result<(ReportReview, ReviewedAs)> {
    let org = &operator.organisation_id;
    let (route, state) = server.read(|c| {
        let state = crate::records::report(c, org, report_id)?.map(|r| r.state);
        Ok((route_in(c, org, report_id)?, state))
    })?;
    if state.is_none() {
        return Err(Error::not_found("report", report_id));
    }
    let routed_to = route.and_then(|r| r.reviewer);
    let supervisor = operator.role == Role::Supervisor;
    let reviewed_as = match routed_to.as_deref() {
        Some(r) if r == operator.username => ReviewedAs::Routed,
        Some(_) if supervisor => ReviewedAs::StandIn,
        None if supervisor || state != Some(ReportState::Submitted) => ReviewedAs::Routed,
        Some(r) => {
            return Err(Error::Forbidden(format!(
                "report {report_id} is routed to {r}; only they or a supervisor review it"
            )))
        }
        None => {
            return Err(Error::Forbidden(
                "reports with no designated reviewer are reviewed by supervisors".into(),
            ))
        }
    };
    let review = record_review(server, org, report_id, outcome, &operator.username, note)?;
    Ok((review, reviewed_as))
}
