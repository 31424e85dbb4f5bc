//! `cordon device --db PATH movement ...`: movements of the principal as the officer
//! records them on the phone: plan a leg, record what happens on it, and read the legs,
//! the overdue ones (offline, at the device's clock) and the day's log.

use clap::Subcommand;
use cordon_core::*;

use crate::args::CliResult;

#[derive(Debug, Subcommand)]
pub(crate) enum MovementCommand {
    /// Plan a leg; prints its id (queued for the office).
    Plan {
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Planned departure, RFC 3339.
        #[arg(long, value_parser = parse_time)]
        depart: Timestamp,
        /// Planned arrival, RFC 3339; after the departure.
        #[arg(long, value_parser = parse_time)]
        eta: Timestamp,
        #[arg(long)]
        route: Option<String>,
        /// A vehicle's call sign (repeat for each vehicle).
        #[arg(long = "vehicle")]
        vehicles: Vec<String>,
        /// The call sign of the officer in charge.
        #[arg(long)]
        in_charge: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record what happened on a leg: departed, arrived, delayed (with --new-eta),
    /// route_changed (with --route), aborted, handed_over (with --handed-to).
    Event {
        #[arg(long)]
        leg: String,
        #[arg(long, value_parser = crate::args::parse_enum::<MovementEventKind>)]
        kind: MovementEventKind,
        /// When it happened, RFC 3339; default now.
        #[arg(long, value_parser = parse_time)]
        at: Option<Timestamp>,
        #[arg(long, value_parser = parse_time)]
        new_eta: Option<Timestamp>,
        #[arg(long)]
        route: Option<String>,
        #[arg(long)]
        handed_to: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// An assignment's legs with their status now.
    List {
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        json: bool,
    },
    /// The open legs past their ETA plus the assignment's grace (the device's clock).
    Overdue {
        #[arg(long)]
        json: bool,
    },
    /// An assignment's movement log for a day (YYYY-MM-DD, in its site's zone).
    Timeline {
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        day: String,
    },
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(s).map_err(|e| e.to_string())
}

/// One line per leg: id, status, path, ETA now.
pub(crate) fn leg_line(l: &MovementLegState) -> String {
    format!(
        "{}  {}  {} → {}  ETA {}",
        l.leg.id,
        l.status.as_str(),
        l.leg.origin,
        l.leg.destination,
        l.eta
    )
}

fn print_legs(legs: &[MovementLegState], json: bool) -> CliResult {
    if json {
        println!("{}", serde_json::to_string_pretty(legs)?);
    } else {
        for l in legs {
            println!("{}", leg_line(l));
        }
    }
    Ok(())
}

pub(crate) fn run(store: &Store, command: MovementCommand) -> CliResult {
    match command {
        MovementCommand::Plan {
            assignment,
            from,
            to,
            depart,
            eta,
            route,
            vehicles,
            in_charge,
            note,
        } => {
            let leg = store.plan_movement_leg(NewMovementLeg {
                assignment_id: assignment,
                origin: from,
                destination: to,
                planned_departure: depart,
                eta,
                route,
                vehicles: vehicles
                    .into_iter()
                    .map(|call_sign| ConvoyVehicle {
                        call_sign,
                        description: None,
                    })
                    .collect(),
                officer_in_charge: in_charge,
                note,
            })?;
            println!("{}", leg.id);
        }
        MovementCommand::Event {
            leg,
            kind,
            at,
            new_eta,
            route,
            handed_to,
            note,
        } => {
            let state = store.record_movement_event(NewMovementEvent {
                leg_id: leg,
                kind,
                occurred_at: at,
                new_eta,
                route,
                handed_to,
                note,
            })?;
            println!("{}", leg_line(&state));
        }
        MovementCommand::List { assignment, json } => {
            print_legs(&store.movement_legs(&assignment)?, json)?
        }
        MovementCommand::Overdue { json } => print_legs(&store.overdue_legs()?, json)?,
        MovementCommand::Timeline { assignment, day } => {
            for entry in store.movement_timeline(&assignment, &day)? {
                println!("{}", entry.text);
            }
        }
    }
    Ok(())
}
