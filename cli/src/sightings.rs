//! The surveillance log in the tool: `cordon device sighting` (what the officer writes,
//! matched offline against the BOLO list the device pulled; `sighting list`, `sighting
//! bolo`) and `cordon admin bolo add|update|withdraw|list`, `cordon admin list sightings`,
//! `cordon admin list repeat-sightings`, `cordon admin repeat-window` (the office's side).

use std::time::Duration;

use clap::{Args, Subcommand};
use cordon_core::{
    BoloEntry, BoloPriority, Location, NewSighting, NewSightingPhoto, Store, Vehicle,
};
use cordon_server::admin::{self, BoloInput, ReceivedSighting, RepeatSighting};
use cordon_server::Server;

use crate::args::CliResult;

/// `cordon device sighting ...` (parsed once per run: its size does not matter).
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum SightingCommand {
    /// Log a sighting; prints it, with the BOLO entry it matched (if any).
    Add(SightingArgs),
    /// The sightings written on this device, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// The BOLO list as last pulled (withdrawn entries left out).
    Bolo {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SightingArgs {
    /// Where, in words.
    #[arg(long)]
    place: String,
    #[arg(long)]
    assignment: Option<String>,
    /// The officer's IANA time zone.
    #[arg(long, default_value = "Europe/London")]
    zone: String,
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    lat: Option<f64>,
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    lon: Option<f64>,
    /// Which way the subject went.
    #[arg(long)]
    direction: Option<String>,
    /// The subject's description.
    #[arg(long)]
    subject: Option<String>,
    /// The vehicle's registration, as read (`AB12 CDE`, `ab12cde`: the same car).
    #[arg(long)]
    registration: Option<String>,
    #[arg(long)]
    make: Option<String>,
    #[arg(long)]
    model: Option<String>,
    #[arg(long)]
    colour: Option<String>,
    /// An earlier sighting this one links to (repeat for several).
    #[arg(long = "link")]
    links: Vec<String>,
    /// A photo file, JPEG (repeat for several).
    #[arg(long = "photo")]
    photos: Vec<std::path::PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn device(store: &Store, command: SightingCommand) -> CliResult {
    match command {
        SightingCommand::Add(a) => {
            let vehicle = [&a.registration, &a.make, &a.model, &a.colour]
                .iter()
                .any(|v| v.is_some())
                .then_some(Vehicle {
                    make: a.make,
                    model: a.model,
                    colour: a.colour,
                    registration: a.registration,
                });
            let s = store.record_sighting(NewSighting {
                assignment_id: a.assignment,
                occurred_at: None,
                time_zone: a.zone,
                place: a.place,
                location: a.lat.zip(a.lon).map(|(latitude, longitude)| Location {
                    latitude,
                    longitude,
                    accuracy_m: None,
                    fix_time: None,
                }),
                direction: a.direction,
                subject: a.subject,
                vehicle,
                links: a.links,
                photos: a
                    .photos
                    .iter()
                    .map(|p| NewSightingPhoto {
                        path: p.to_string_lossy().into_owned(),
                        mime_type: "image/jpeg".into(),
                    })
                    .collect(),
            })?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!("sighting {} recorded", s.id);
                match &s.bolo_match {
                    Some(m) => println!(
                        "BOLO MATCH: {} ({} priority): {}; sent urgent",
                        m.registration,
                        m.priority.as_str(),
                        m.reason
                    ),
                    None => println!("no BOLO match"),
                }
            }
        }
        SightingCommand::List { json } => {
            let all = store.sightings()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for s in all {
                    println!(
                        "{}  {}  {}  {}{}",
                        s.occurred_at,
                        s.id,
                        s.registration().unwrap_or("-"),
                        s.place,
                        if s.bolo_match.is_some() {
                            "  BOLO MATCH"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        SightingCommand::Bolo { json } => print_bolo(&store.bolo_entries()?, json)?,
    }
    Ok(())
}

/// `cordon admin bolo ...`
#[derive(Debug, Subcommand)]
pub enum BoloCommand {
    /// Issue an entry (prints its id); it goes to every officer of the organisation.
    Add {
        #[arg(long)]
        organisation: String,
        #[command(flatten)]
        entry: BoloArgs,
    },
    /// Change an entry (its next version).
    Update {
        #[arg(long)]
        organisation: String,
        id: String,
        #[command(flatten)]
        entry: BoloArgs,
    },
    /// Withdraw an entry: phones stop matching it once they pull the withdrawal.
    Withdraw {
        #[arg(long)]
        organisation: String,
        id: String,
    },
    /// The organisation's BOLO list, most urgent first.
    List {
        #[arg(long)]
        organisation: String,
        /// Withdrawn entries too.
        #[arg(long)]
        withdrawn: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct BoloArgs {
    /// As read; normalised by the server.
    #[arg(long)]
    registration: Option<String>,
    #[arg(long)]
    description: Option<String>,
    #[arg(long)]
    reason: String,
    /// high, medium or low.
    #[arg(long, default_value = "high", value_parser = crate::args::parse_enum::<BoloPriority>)]
    priority: BoloPriority,
}

impl From<BoloArgs> for BoloInput {
    fn from(a: BoloArgs) -> Self {
        BoloInput {
            registration: a.registration,
            description: a.description,
            reason: a.reason,
            priority: a.priority,
        }
    }
}

pub fn bolo(server: &Server, command: BoloCommand) -> CliResult {
    let show = |e: BoloEntry| {
        println!(
            "BOLO {} v{} {}{}",
            e.id,
            e.version,
            e.registration.as_deref().unwrap_or("(no registration)"),
            if e.withdrawn { " withdrawn" } else { "" }
        )
    };
    match command {
        BoloCommand::Add {
            organisation,
            entry,
        } => show(admin::issue_bolo(server, &organisation, &entry.into())?),
        BoloCommand::Update {
            organisation,
            id,
            entry,
        } => show(admin::update_bolo(
            server,
            &organisation,
            &id,
            &entry.into(),
        )?),
        BoloCommand::Withdraw { organisation, id } => {
            show(admin::withdraw_bolo(server, &organisation, &id)?)
        }
        BoloCommand::List {
            organisation,
            withdrawn,
            json,
        } => print_bolo(&admin::bolo_list(server, &organisation, withdrawn)?, json)?,
    }
    Ok(())
}

fn print_bolo(entries: &[BoloEntry], json: bool) -> CliResult {
    if json {
        println!("{}", serde_json::to_string_pretty(entries)?);
        return Ok(());
    }
    if entries.is_empty() {
        println!("(none)");
    }
    for e in entries {
        println!(
            "{:<6}  {}  {:<10}  {}{}",
            e.priority.as_str(),
            e.id,
            e.registration.as_deref().unwrap_or("-"),
            e.reason,
            if e.withdrawn { "  (withdrawn)" } else { "" }
        );
    }
    Ok(())
}

/// `cordon admin list sightings --organisation O`: BOLO matches first.
pub fn list_sightings(server: &Server, organisation: Option<&str>, json: bool) -> CliResult {
    let organisation = organisation.ok_or("list sightings: --organisation is required")?;
    let rows = admin::sightings_of(server, organisation)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("(none)");
    }
    for r in &rows {
        println!("{}", sighting_line(r));
    }
    Ok(())
}

fn sighting_line(r: &ReceivedSighting) -> String {
    let m = |b: Option<&cordon_core::BoloMatch>| b.map_or("-".to_owned(), |m| m.bolo_id.clone());
    format!(
        "{}{}  {}  {}  {}  {}  device match {}  office match {}",
        if r.matched() { "BOLO MATCH  " } else { "" },
        r.sighting.occurred_at,
        r.officer_id,
        r.sighting.registration().unwrap_or("-"),
        r.sighting.place,
        r.sighting.id,
        m(r.sighting.bolo_match.as_ref()),
        m(r.office_match.as_ref()),
    )
}

/// `cordon admin list repeat-sightings --organisation O [--window-hours H]`.
pub fn list_repeats(
    server: &Server,
    organisation: Option<&str>,
    window_hours: Option<u64>,
    json: bool,
) -> CliResult {
    let organisation = organisation.ok_or("list repeat-sightings: --organisation is required")?;
    let window = window_hours.map(|h| Duration::from_secs(h * 3600));
    let repeats: Vec<RepeatSighting> = admin::repeat_sightings(server, organisation, window)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&repeats)?);
        return Ok(());
    }
    if repeats.is_empty() {
        println!("(none)");
    }
    for r in &repeats {
        println!(
            "{}  seen {} times by {} at {}",
            r.registration,
            r.sightings.len(),
            r.officers.join(", "),
            r.places.join("; ")
        );
        for s in &r.sightings {
            println!("  {}", sighting_line(s));
        }
    }
    Ok(())
}

/// `cordon admin repeat-window --organisation O --hours H`.
pub fn set_repeat_window(server: &Server, organisation: &str, hours: u64) -> CliResult {
    admin::set_repeat_window(server, organisation, Duration::from_secs(hours * 3600))?;
    println!("sightings of one registration within {hours} h are repeats in {organisation}");
    Ok(())
}
