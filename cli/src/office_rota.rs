//! `cordon admin rota|handover|reviewer ...`: the office's duty rota (shifts, call-in,
//! stand-down), the handover notes it watches, and who reviews reports.

use clap::Subcommand;
use cordon_core::{DutyRole, Shift, Timestamp};
use cordon_server::admin::{self, HandoverAtOffice, NewShift};
use cordon_server::Server;

use crate::args::{table, CliResult};

/// Who the office's tool acts as in the rota's records.
const ACTOR: &str = "admin";

#[derive(Debug, Subcommand)]
pub(crate) enum RotaCommand {
    /// Set a shift: an officer on duty or on call for an assignment, from, until. Prints
    /// the shift's id.
    Set {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        officer: String,
        /// on_duty or on_call.
        #[arg(long, value_parser = crate::args::parse_enum::<DutyRole>)]
        role: DutyRole,
        /// RFC 3339, e.g. 2026-12-06T18:00:00Z.
        #[arg(long, value_parser = parse_time)]
        from: Timestamp,
        #[arg(long, value_parser = parse_time)]
        until: Timestamp,
    },
    /// Call in the on-call officer of a shift (they see it on their next sync).
    CallIn {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        shift: String,
    },
    /// Stand down the called-in officer of a shift.
    StandDown {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        shift: String,
    },
    /// The organisation's rota, by assignment and start.
    List {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        assignment: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum HandoverCommand {
    /// The organisation's handover notes, oldest first.
    List {
        #[arg(long)]
        organisation: String,
        /// Only those the incoming officer has not acknowledged yet.
        #[arg(long)]
        unacknowledged: bool,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReviewerCommand {
    /// Set (or with no --operator clear) the team leader of an assignment: the operator
    /// who reviews the reports submitted on it.
    TeamLeader {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        operator: Option<String>,
    },
    /// Set (or with no --operator clear) the organisation's designated reviewer: the
    /// operator who reviews the reports no team leader takes.
    Designated {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        operator: Option<String>,
    },
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(s).map_err(|e| e.to_string())
}

fn describe(s: &Shift) -> String {
    format!(
        "shift {} of {} on {}: {} from {} until {}",
        s.shift_id,
        s.officer_id,
        s.assignment_id,
        s.role.as_str(),
        s.starts_at,
        s.ends_at
    )
}

pub(crate) fn rota(server: &Server, command: RotaCommand) -> CliResult {
    match command {
        RotaCommand::Set {
            organisation,
            assignment,
            officer,
            role,
            from,
            until,
        } => {
            let shift = admin::set_shift(
                server,
                &NewShift {
                    organisation_id: &organisation,
                    assignment_id: &assignment,
                    officer_id: &officer,
                    role,
                    starts_at: from,
                    ends_at: until,
                },
                ACTOR,
            )?;
            // The id alone on stdout, so a script can capture it.
            println!("{}", shift.shift_id);
            eprintln!("{}", describe(&shift));
        }
        RotaCommand::CallIn {
            organisation,
            shift,
        } => {
            let s = admin::call_in(server, &organisation, &shift, ACTOR)?;
            println!(
                "{} called in at {}",
                s.officer_id,
                s.called_in_at.unwrap_or(s.starts_at)
            );
        }
        RotaCommand::StandDown {
            organisation,
            shift,
        } => {
            let s = admin::stand_down(server, &organisation, &shift, ACTOR)?;
            println!(
                "{} stood down at {}",
                s.officer_id,
                s.stood_down_at.unwrap_or(s.ends_at)
            );
        }
        RotaCommand::List {
            organisation,
            assignment,
            json,
        } => {
            let rows = admin::rota_of(server, &organisation, assignment.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            let when = |t: Option<Timestamp>, by: &Option<String>| match (t, by) {
                (Some(t), Some(by)) => format!("{t} by {by}"),
                _ => "-".to_owned(),
            };
            print!(
                "{}",
                table(
                    &[
                        "SHIFT",
                        "ASSIGNMENT",
                        "OFFICER",
                        "ROLE",
                        "FROM",
                        "UNTIL",
                        "CALLED_IN",
                        "STOOD_DOWN"
                    ],
                    rows.iter()
                        .map(|s| vec![
                            s.shift_id.clone(),
                            s.assignment_id.clone(),
                            s.officer_id.clone(),
                            s.role.as_str().to_owned(),
                            s.starts_at.to_string(),
                            s.ends_at.to_string(),
                            when(s.called_in_at, &s.called_in_by),
                            when(s.stood_down_at, &s.stood_down_by),
                        ])
                        .collect(),
                )
            );
        }
    }
    Ok(())
}

pub(crate) fn handover(server: &Server, command: HandoverCommand) -> CliResult {
    let HandoverCommand::List {
        organisation,
        unacknowledged,
        json,
    } = command;
    let rows: Vec<HandoverAtOffice> = if unacknowledged {
        admin::unacknowledged_handovers(server, &organisation)?
    } else {
        admin::handovers_of(server, &organisation)?
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    // Officer-written text stays out of the table (it may be long, or hold anything);
    // --json carries it.
    print!(
        "{}",
        table(
            &[
                "ID",
                "ASSIGNMENT",
                "FROM",
                "TO",
                "WRITTEN_AT",
                "RECEIVED_AT",
                "ACKNOWLEDGED_AT"
            ],
            rows.iter()
                .map(|h| vec![
                    h.handover.id.clone(),
                    h.handover.note.assignment_id.clone(),
                    h.handover.from_officer_id.clone(),
                    h.handover.note.to_officer_id.clone(),
                    h.handover.written_at.to_string(),
                    h.received_at.to_string(),
                    h.handover
                        .acknowledged_at
                        .map_or_else(|| "not acknowledged".to_owned(), |t| t.to_string()),
                ])
                .collect(),
        )
    );
    Ok(())
}

pub(crate) fn reviewer(server: &Server, command: ReviewerCommand) -> CliResult {
    match command {
        ReviewerCommand::TeamLeader {
            organisation,
            assignment,
            operator,
        } => {
            admin::set_team_leader(server, &organisation, &assignment, operator.as_deref())?;
            match operator {
                Some(o) => println!("reports on {assignment} are reviewed by {o}"),
                None => println!("{assignment} has no team leader"),
            }
        }
        ReviewerCommand::Designated {
            organisation,
            operator,
        } => {
            admin::set_designated_reviewer(server, &organisation, operator.as_deref())?;
            match operator {
                Some(o) => println!("{organisation}'s designated reviewer is {o}"),
                None => println!("{organisation} has no designated reviewer"),
            }
        }
    }
    Ok(())
}
