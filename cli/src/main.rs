//! `cordon`: the command-line tool of Cordon.
//!
//! - `cordon serve` runs the reference sync server ([`serve`]);
//! - `cordon admin` does the office's side against a server database: enrolment codes,
//!   assignments, review outcomes, and listings of what devices sent ([`admin`]);
//! - `cordon device` is a headless officer's device over the core ([`device`]);
//! - `cordon demo` is the main job: a shift written offline, then synced ([`demo`]).
//!
//! Every failure is one line `error: ...` on stderr and a non-zero exit code. Logs go to
//! stderr too, one line per event, filtered by `--log-level` (or `RUST_LOG`; `info` when
//! neither is given); stdout carries only what a command prints for scripts.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin;
mod args;
mod demo;
mod device;
mod load;
mod movements;
mod office_rota;
mod serve;
mod sightings;

#[derive(Debug, Parser)]
#[command(
    name = "cordon",
    version,
    about = "Cordon: offline-first field records for close protection officers"
)]
struct Cli {
    /// What to log on stderr: error, warn, info, debug or trace, or a filter such as
    /// `cordon_server=debug,warn`. Without it, `RUST_LOG` if set, else info (warn for
    /// the demo).
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
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
    /// A load generator: N phones with a realistic mix against its own server, with
    /// throughput, latencies, the server's CPU and memory, and SQLite's own limit.
    Load(load::LoadArgs),
}

/// Sends log events to stderr through the filter the user chose (`--log-level`, else
/// `RUST_LOG`, else `default`); returns the filter, for a child process to log alike.
fn init_logging(log_level: Option<&str>, default: &str) -> args::CliResult<String> {
    use tracing_subscriber::EnvFilter;
    let (source, directives) = match (log_level, std::env::var("RUST_LOG")) {
        (Some(level), _) => ("--log-level", level.to_owned()),
        (None, Ok(env)) if !env.trim().is_empty() => ("RUST_LOG", env),
        _ => ("the default", default.to_owned()),
    };
    let filter = EnvFilter::builder()
        .parse(&directives)
        .map_err(|e| format!("invalid {source} {directives:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    Ok(directives)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo's story is its output: its logs (and its server's) only when asked for.
    let default_level = match cli.command {
        Command::Demo(_) | Command::Load(_) => "warn",
        _ => "info",
    };
    let result = init_logging(cli.log_level.as_deref(), default_level).and_then(|log_filter| {
        match cli.command {
            Command::Serve(args) => serve::run(args),
            Command::Admin(args) => admin::run(args),
            Command::Device(args) => device::run(args),
            Command::Demo(args) => demo::run(args, &log_filter),
            Command::Load(args) => load::run(args),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
