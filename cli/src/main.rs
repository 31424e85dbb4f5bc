//! `cordon`: the command-line tool of Cordon.
//!
//! - `cordon serve` runs the reference sync server ([`serve`]);
//! - `cordon admin` does the office's side against a server database: enrolment codes,
//!   assignments, review outcomes, and listings of what devices sent ([`admin`]);
//! - `cordon device` is a headless officer's device over the core ([`device`]);
//! - `cordon demo` is the main job: a shift written offline, then synced ([`demo`]).
//!
//! Every failure is one line `error: ...` on stderr and a non-zero exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin;
mod demo;
mod device;
mod serve;

/// Parses a value by the core's serde name (`duress`, `hostile_surveillance`,
/// `accepted`), so the tool accepts exactly what the protocol carries and needs no copy
/// of the core's enums.
pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|e| e.to_string())
}

/// What a subcommand returns: any error, shown to the user as one line.
pub(crate) type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Debug, Parser)]
#[command(
    name = "cordon",
    version,
    about = "Cordon: offline-first field records for close protection officers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the reference sync server until SIGTERM or ctrl-c.
    Serve(serve::ServeArgs),
    /// The office's side: enrolment codes, assignments, reviews, listings.
    Admin(admin::AdminArgs),
    /// A headless device: enrol, check in, report incidents, attach files, sync.
    Device(device::DeviceArgs),
    /// The main job: an officer's shift written offline, then synced to a real server.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Admin(args) => admin::run(args),
        Command::Device(args) => device::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
