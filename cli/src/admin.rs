//! `cordon admin --db PATH ...`: the office's side, against a server database.
//!
//! Safe to run while `cordon serve` serves the same database: each command is one
//! transaction, and SQLite's busy timeout waits for a push in progress.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use cordon_core::{Assignment, ReportIntegrity, ReviewOutcome, Timestamp};
use cordon_server::admin::{
    self, PostOrdersStanding, Receipt, ReceivedAttachment, ReceivedCheckIn, ReceivedMovementLeg,
    ReceivedReport,
};
use cordon_server::alarms;
use cordon_server::messages::{self, NewMessage};
use cordon_server::operators::{self, Role};
use cordon_server::Server;
use serde::Serialize;

use crate::args::{table, CliResult, DatabaseArgs};

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Make a one-time enrolment code for an officer and print it.
    Enrol {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        officer: String,
        /// Hours until the code expires (at most 720, 30 days).
        #[arg(long, default_value_t = 72, allow_negative_numbers = true)]
        valid_hours: u64,
    },
    /// Create or update an assignment from a JSON file and put officers on it.
    Assignment {
        /// An assignment as JSON (server_version is set by the server).
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        organisation: String,
        /// An officer to put on the assignment (repeat for several).
        #[arg(long = "officer", required = true)]
        officers: Vec<String>,
    },
    /// Record the office's review of a submitted report; the officer receives it.
    Review {
        #[arg(long)]
        report: String,
        /// The report's organisation; needed only when reports of several organisations
        /// have this id (ids are made on phones, and each organisation's are its own).
        #[arg(long)]
        organisation: Option<String>,
        #[arg(long)]
        /// accepted or returned.
        #[arg(long, value_parser = crate::args::parse_enum::<ReviewOutcome>)]
        outcome: ReviewOutcome,
        #[arg(long)]
        reviewer: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Control-room operators: `operator add` makes one (or sets a new password).
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Set how long an organisation's alarms may stay unacknowledged before they are
    /// escalated (default 120 s).
    Escalation {
        #[arg(long)]
        organisation: String,
        /// Seconds, 10 to 86400.
        #[arg(long)]
        after_secs: u64,
    },
    /// Messages from the control room to an officer: `message send`, `message list`.
    Message {
        #[command(subcommand)]
        command: MessageCommand,
    },
    /// An operator's step on an alarm, as in the console: `alarm acknowledge`.
    Alarm {
        #[command(subcommand)]
        command: AlarmCommand,
    },
    /// Enrolled devices: `device list`, and `device revoke` for a phone lost or seized.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// The BOLO list: `bolo add`, `bolo update`, `bolo withdraw`, `bolo list`.
    Bolo {
        #[command(subcommand)]
        command: crate::sightings::BoloCommand,
    },
    /// Set how far apart sightings of one registration may be and still be repeats
    /// (default 24 h).
    RepeatWindow {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        hours: u64,
    },
    /// List what devices sent (everything if no kind is given; sightings and repeat
    /// sightings only when asked for, with `--organisation`).
    /// The duty rota: `rota set`, `rota call-in`, `rota stand-down`, `rota list`.
    Rota {
        #[command(subcommand)]
        command: crate::office_rota::RotaCommand,
    },
    /// Handover notes: `handover list [--unacknowledged]`.
    Handover {
        #[command(subcommand)]
        command: crate::office_rota::HandoverCommand,
    },
    /// Who reviews reports: `reviewer team-leader`, `reviewer designated`.
    Reviewer {
        #[command(subcommand)]
        command: crate::office_rota::ReviewerCommand,
    },
    /// List what devices sent (everything if no kind is given).
    List {
        what: Option<Listing>,
        /// Repeat sightings: this window instead of the organisation's.
        #[arg(long)]
        window_hours: Option<u64>,
        /// Only this organisation's records (every organisation's if not given).
        #[arg(long)]
        organisation: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Make an operator account. The password is read from stdin with
    /// `--password-stdin`; otherwise one is made and printed once on stdout.
    Add {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        username: String,
        /// operator or supervisor.
        #[arg(long, default_value = "operator", value_parser = crate::args::parse_enum::<Role>)]
        role: Role,
        /// Read the password from the first line of stdin (never from the command line,
        /// where other users of the machine can see it).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the operators of every organisation.
    List,
}

#[derive(Debug, Subcommand)]
enum MessageCommand {
    /// Send a message to an officer as an operator of the organisation; prints its id.
    Send {
        #[arg(long)]
        organisation: String,
        /// The operator who writes it (an existing operator of the organisation).
        #[arg(long = "from")]
        sender: String,
        #[arg(long)]
        officer: String,
        /// The text (at most 2,000 characters).
        #[arg(long)]
        body: String,
        /// The alarm it is about.
        #[arg(long)]
        alarm: Option<String>,
    },
    /// The organisation's messages, newest first, with when each was delivered and read.
    List {
        #[arg(long)]
        organisation: String,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// Revoke a device (audited): its token stops working at once; at its next contact
    /// it names what it had not sent and destroys what it holds. What the office
    /// received stays.
    Revoke {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        device: String,
        /// Why (kept with the revocation and in the audit log).
        #[arg(long)]
        reason: String,
        /// Who revokes it, for the audit log.
        #[arg(long)]
        by: String,
    },
    /// The organisation's devices, with each revocation and what the device had not sent.
    List {
        #[arg(long)]
        organisation: String,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AlarmCommand {
    /// Acknowledge an alarm as an operator of its organisation (audited).
    Acknowledge {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        alarm: String,
        /// The operator who acknowledges it (an existing operator of the organisation).
        #[arg(long)]
        operator: String,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Listing {
    CheckIns,
    Reports,
    Attachments,
    Receipts,
    /// Who has acknowledged which version of which assignment's post orders.
    PostOrders,
    /// Sightings, BOLO matches first.
    Sightings,
    /// The same registration seen by different officers or at different places.
    RepeatSightings,
    /// Movements of the principal: every leg's plan and events, as a timeline.
    Movements,
}

pub fn run(args: AdminArgs) -> CliResult {
    let (server, _) = args.database.open()?;
    match args.command {
        AdminCommand::Enrol {
            organisation,
            officer,
            valid_hours,
        } => {
            let max_hours = admin::MAX_CODE_VALIDITY.as_secs() / 3600;
            if valid_hours == 0 || valid_hours > max_hours {
                return Err(format!(
                    "--valid-hours {valid_hours}: a code is valid for 1 to {max_hours} hours (30 days)"
                )
                .into());
            }
            let valid_for = Duration::from_secs(valid_hours * 3600);
            let code = admin::create_enrolment_code(&server, &organisation, &officer, valid_for)?;
            // The code alone on stdout, so a script can capture it.
            println!("{}", code.code);
            eprintln!(
                "enrolment code for {} of {}, valid until {}",
                code.officer_id, code.organisation_id, code.expires_at
            );
        }
        AdminCommand::Assignment {
            file,
            organisation,
            officers,
        } => {
            let assignment = read_assignment(&file)?;
            let stored = admin::upsert_assignment(&server, &organisation, &officers, assignment)?;
            println!(
                "assignment {} ({}) is at version {} for {}",
                stored.id,
                stored.reference,
                stored.server_version,
                officers.join(", ")
            );
        }
        AdminCommand::Review {
            report,
            organisation,
            outcome,
            reviewer,
            note,
        } => {
            let organisation = match organisation {
                Some(o) => o,
                None => report_organisation(&server, &report)?,
            };
            let review = admin::record_review(
                &server,
                &organisation,
                &report,
                outcome,
                &reviewer,
                note.as_deref(),
            )?;
            println!(
                "report {} {} by {}",
                review.report_id,
                review.outcome.as_str(),
                review.reviewer
            );
        }
        AdminCommand::List {
            what: Some(Listing::Sightings),
            organisation,
            json,
            ..
        } => crate::sightings::list_sightings(&server, organisation.as_deref(), json)?,
        AdminCommand::List {
            what: Some(Listing::RepeatSightings),
            organisation,
            json,
            window_hours,
        } => crate::sightings::list_repeats(&server, organisation.as_deref(), window_hours, json)?,
        AdminCommand::List {
            what,
            organisation,
            json,
            ..
        } => list(&server, what, organisation.as_deref(), json)?,
        AdminCommand::Bolo { command } => crate::sightings::bolo(&server, command)?,
        AdminCommand::RepeatWindow {
            organisation,
            hours,
        } => crate::sightings::set_repeat_window(&server, &organisation, hours)?,
        AdminCommand::Operator { command } => operator(&server, command)?,
        AdminCommand::Message { command } => message(&server, command)?,
        AdminCommand::Alarm { command } => alarm(&server, command)?,
        AdminCommand::Device { command } => device(&server, command)?,
        AdminCommand::Rota { command } => crate::office_rota::rota(&server, command)?,
        AdminCommand::Handover { command } => crate::office_rota::handover(&server, command)?,
        AdminCommand::Reviewer { command } => crate::office_rota::reviewer(&server, command)?,
        AdminCommand::Escalation {
            organisation,
            after_secs,
        } => {
            alarms::set_escalation_limit(&server, &organisation, Duration::from_secs(after_secs))?;
            println!("alarms of {organisation} are escalated after {after_secs} s unacknowledged");
        }
    }
    Ok(())
}

/// The operator `username` of `organisation`, who must exist: the tool acts as one.
fn existing_operator(
    server: &Server,
    organisation: &str,
    username: &str,
) -> CliResult<operators::Operator> {
    operators::operators(server)?
        .into_iter()
        .find(|o| o.organisation_id == organisation && o.username == username)
        .ok_or_else(|| {
            format!("no operator {username} in {organisation}: make one with `operator add`").into()
        })
}

fn message(server: &Server, command: MessageCommand) -> CliResult {
    match command {
        MessageCommand::Send {
            organisation,
            sender,
            officer,
            body,
            alarm,
        } => {
            let operator = existing_operator(server, &organisation, &sender)?;
            let sent = messages::send(
                server,
                &NewMessage {
                    organisation_id: &organisation,
                    sender: &operator.username,
                    officer_id: &officer,
                    alarm_id: alarm.as_deref(),
                    body: &body,
                },
            );
            let outcome = if sent.is_ok() { "ok" } else { "refused" };
            let subject = sent.as_ref().map_or(officer.as_str(), |m| m.id.as_str());
            operators::audit_refusal(server, &operator, "message.send", Some(subject), outcome)?;
            // The id alone on stdout, so a script can capture it.
            println!("{}", sent?.id);
        }
        MessageCommand::List { organisation, json } => {
            let rows = messages::messages_of(server, &organisation, usize::MAX >> 1)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            let when = |t: Option<cordon_core::Timestamp>| t.map_or("-".into(), |t| t.to_string());
            print!(
                "{}",
                table(
                    &["id", "officer", "from", "sent", "delivered", "read"],
                    rows.iter()
                        .map(|m| vec![
                            m.id.clone(),
                            m.officer_id.clone(),
                            m.sender.clone(),
                            m.sent_at.to_string(),
                            when(m.delivered_at),
                            when(m.read_at),
                        ])
                        .collect(),
                )
            );
        }
    }
    Ok(())
}

fn alarm(server: &Server, command: AlarmCommand) -> CliResult {
    match command {
        AlarmCommand::Acknowledge {
            organisation,
            alarm,
            operator,
            note,
        } => {
            let operator = existing_operator(server, &organisation, &operator)?;
            let actor = alarms::Actor {
                organisation_id: &organisation,
                username: &operator.username,
            };
            let done = alarms::acknowledge(server, &actor, &alarm, note.as_deref());
            let outcome = if done.is_ok() { "ok" } else { "refused" };
            operators::audit_refusal(
                server,
                &operator,
                "alarm.acknowledge",
                Some(&alarm),
                outcome,
            )?;
            let done = done?;
            println!("alarm {} is {}", done.id, done.state);
        }
    }
    Ok(())
}

fn device(server: &Server, command: DeviceCommand) -> CliResult {
    match command {
        DeviceCommand::Revoke {
            organisation,
            device,
            reason,
            by,
        } => {
            let r = admin::revoke_device(server, &organisation, &device, &by, &reason)?;
            println!(
                "device {} of {} revoked at {} by {}",
                r.device_id, r.officer_id, r.revoked_at, r.revoked_by
            );
        }
        DeviceCommand::List { organisation, json } => {
            let rows = admin::devices_of(server, &organisation)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            let state = |d: &admin::EnrolledDevice| match &d.revocation {
                None => "enrolled".to_owned(),
                Some(r) => match (r.confirmed_at, r.unsent_total) {
                    (Some(at), Some(n)) => format!("revoked; destroyed {at}, {n} unsent"),
                    _ => format!("revoked {} (not yet told)", r.revoked_at),
                },
            };
            print!(
                "{}",
                table(
                    &["device", "officer", "enrolled", "state"],
                    rows.iter()
                        .map(|d| vec![
                            d.device_id.clone(),
                            d.officer_id.clone(),
                            d.enrolled_at.to_string(),
                            state(d),
                        ])
                        .collect(),
                )
            );
        }
    }
    Ok(())
}

/// The one organisation holding a report with this id. None: the report is not found
/// (as the review itself would say); several: the office must name one.
fn report_organisation(server: &Server, report: &str) -> CliResult<String> {
    let mut holders = admin::organisations_with_report(server, report)?;
    match holders.len() {
        0 => Err(cordon_server::Error::NotFound {
            record: "report".into(),
            id: report.to_owned(),
        }
        .into()),
        1 => Ok(holders.remove(0)),
        _ => Err(format!(
            "reports of several organisations have the id {report} ({}); name one with --organisation",
            holders.join(", ")
        )
        .into()),
    }
}

fn operator(server: &Server, command: OperatorCommand) -> CliResult {
    match command {
        OperatorCommand::Add {
            organisation,
            username,
            role,
            password_stdin,
        } => {
            let (password, made) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (new_password(), true)
            };
            let op = operators::add_operator(
                server,
                &organisation,
                &username,
                role,
                &password,
                "admin",
            )?;
            if made {
                // The password alone on stdout, so a script can capture it.
                println!("{password}");
            }
            eprintln!(
                "{} {} of {} can sign in at /console",
                op.role.as_str(),
                op.username,
                op.organisation_id
            );
        }
        OperatorCommand::List => {
            let rows = operators::operators(server)?
                .into_iter()
                .map(|o| vec![o.organisation_id, o.username, o.role.as_str().to_owned()])
                .collect();
            print!("{}", table(&["ORGANISATION", "USERNAME", "ROLE"], rows));
        }
    }
    Ok(())
}

/// A new password: 24 characters from 32 without look-alikes (120 bits).
pub(crate) fn new_password() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789X";
    let bytes: [u8; 24] = rand::random();
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Reads an assignment file. `server_version` may be left out: the server sets it.
fn read_assignment(path: &Path) -> CliResult<Assignment> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    if let Some(object) = value.as_object_mut() {
        object
            .entry("server_version")
            .or_insert(serde_json::Value::from(1));
    }
    Ok(serde_json::from_value(value)
        .map_err(|e| format!("{} is not an assignment: {e}", path.display()))?)
}

#[derive(Serialize)]
struct Everything {
    check_ins: Vec<ReceivedCheckIn>,
    reports: Vec<ReceivedReport>,
    attachments: Vec<ReceivedAttachment>,
    receipts: Vec<Receipt>,
    post_orders: Vec<PostOrdersStanding>,
    movements: Vec<ReceivedMovementLeg>,
}

fn list(
    server: &Server,
    what: Option<Listing>,
    organisation: Option<&str>,
    json: bool,
) -> CliResult {
    let wants = |l: Listing| what.is_none_or(|w| w == l);
    // Sightings are listed per organisation, on request only (see `crate::sightings`).
    let everything = Everything {
        check_ins: match (wants(Listing::CheckIns), organisation) {
            (false, _) => vec![],
            (true, None) => admin::check_ins(server)?,
            (true, Some(o)) => admin::check_ins_of(server, o)?,
        },
        reports: match (wants(Listing::Reports), organisation) {
            (false, _) => vec![],
            (true, None) => admin::reports(server)?,
            (true, Some(o)) => admin::reports_of(server, o)?,
        },
        attachments: match (wants(Listing::Attachments), organisation) {
            (false, _) => vec![],
            (true, None) => admin::attachments(server)?,
            (true, Some(o)) => admin::attachments_of(server, o)?,
        },
        receipts: match (wants(Listing::Receipts), organisation) {
            (false, _) => vec![],
            (true, None) => admin::receipts(server)?,
            (true, Some(o)) => admin::receipts_of(server, o)?,
        },
        post_orders: match (wants(Listing::PostOrders), organisation) {
            (false, _) => vec![],
            (true, None) => admin::post_orders_standing(server)?,
            (true, Some(o)) => admin::post_orders_standing_of(server, o)?,
        },
        movements: match (wants(Listing::Movements), organisation) {
            (false, _) => vec![],
            (true, None) => admin::movement_legs(server, None)?,
            (true, Some(o)) => admin::movement_legs_of(server, o, None)?,
        },
    };
    if json {
        let text = match what {
            None => serde_json::to_string_pretty(&everything)?,
            Some(Listing::CheckIns) => serde_json::to_string_pretty(&everything.check_ins)?,
            Some(Listing::Reports) => serde_json::to_string_pretty(&everything.reports)?,
            Some(Listing::Attachments) => serde_json::to_string_pretty(&everything.attachments)?,
            Some(Listing::Receipts) => serde_json::to_string_pretty(&everything.receipts)?,
            Some(Listing::PostOrders) => serde_json::to_string_pretty(&everything.post_orders)?,
            Some(Listing::Sightings | Listing::RepeatSightings) => return Ok(()),
            Some(Listing::Movements) => serde_json::to_string_pretty(&everything.movements)?,
        };
        println!("{text}");
        return Ok(());
    }
    let mut sections = Vec::new();
    if wants(Listing::CheckIns) {
        sections.push(("check-ins", check_in_table(&everything.check_ins)));
    }
    if wants(Listing::Reports) {
        sections.push(("reports", report_table(&everything.reports)));
    }
    if wants(Listing::Attachments) {
        sections.push(("attachments", attachment_table(&everything.attachments)));
    }
    if wants(Listing::Receipts) {
        sections.push(("receipts", receipt_table(&everything.receipts)));
    }
    if wants(Listing::PostOrders) {
        sections.push(("post orders", post_orders_table(&everything.post_orders)));
    }
    if wants(Listing::Movements) {
        sections.push(("movements", movements_table(&everything.movements)));
    }
    let titled = sections.len() > 1;
    for (i, (title, table)) in sections.iter().enumerate() {
        if titled {
            if i > 0 {
                println!();
            }
            println!("== {title}");
        }
        print!("{table}");
    }
    Ok(())
}

/// Every leg's plan and events as one timeline (UTC), oldest first.
fn movements_table(rows: &[ReceivedMovementLeg]) -> String {
    let mut lines: Vec<(Timestamp, Vec<String>)> = Vec::new();
    for r in rows {
        let log = cordon_core::movement_log(
            std::slice::from_ref(&r.state),
            Timestamp::from_millis(0),
            Timestamp::from_millis(i64::MAX),
            "UTC",
        );
        for entry in log {
            lines.push((
                entry.at,
                vec![
                    entry.at.to_string(),
                    r.organisation_id.clone(),
                    r.state.leg.assignment_id.clone(),
                    r.officer_id.clone(),
                    r.state.status.as_str().to_owned(),
                    entry.text,
                ],
            ));
        }
    }
    lines.sort_by_key(|(at, _)| *at);
    table(
        &[
            "AT",
            "ORGANISATION",
            "ASSIGNMENT",
            "OFFICER",
            "LEG_NOW",
            "LOG",
        ],
        lines.into_iter().map(|(_, row)| row).collect(),
    )
}

fn post_orders_table(rows: &[PostOrdersStanding]) -> String {
    table(
        &[
            "ORGANISATION",
            "ASSIGNMENT",
            "OFFICER",
            "CURRENT",
            "ACKNOWLEDGED",
            "ACKNOWLEDGED_AT",
        ],
        rows.iter()
            .map(|r| {
                let acknowledged = match r.acknowledged_version {
                    None => "no".to_owned(),
                    Some(v) if r.current_acknowledged => format!("v{v}"),
                    Some(v) => format!("v{v} (not current)"),
                };
                vec![
                    r.organisation_id.clone(),
                    r.assignment_id.clone(),
                    r.officer_id.clone(),
                    format!("v{}", r.current_version),
                    acknowledged,
                    r.acknowledged_at
                        .map_or_else(|| "-".to_owned(), |t| t.to_string()),
                ]
            })
            .collect(),
    )
}

fn check_in_table(rows: &[ReceivedCheckIn]) -> String {
    table(
        &[
            "OCCURRED_AT",
            "KIND",
            "ORGANISATION",
            "OFFICER",
            "ASSIGNMENT",
            "RECEIVED_AT",
            "ID",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.check_in.occurred_at.to_string(),
                    r.check_in.kind.as_str().to_owned(),
                    r.provenance.organisation_id.clone(),
                    r.provenance.officer_id.clone(),
                    r.check_in
                        .assignment_id
                        .clone()
                        .unwrap_or_else(|| "-".into()),
                    r.provenance.received_at.to_string(),
                    r.check_in.id.clone(),
                ]
            })
            .collect(),
    )
}

fn report_table(rows: &[ReceivedReport]) -> String {
    table(
        &[
            "ID",
            "ORGANISATION",
            "OFFICER",
            "STATE",
            "VERSION",
            "AMENDMENTS",
            "ATTACHMENTS",
            "INTEGRITY",
            "REVIEWER",
            "REVIEW",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.provenance.organisation_id.clone(),
                    r.provenance.officer_id.clone(),
                    r.state.as_str().to_owned(),
                    r.provenance.server_version.to_string(),
                    r.amendments.len().to_string(),
                    r.attachments.len().to_string(),
                    match &r.integrity {
                        ReportIntegrity::Draft => "-".to_owned(),
                        ReportIntegrity::Intact { head_hash, .. } => {
                            format!("intact {}", short(head_hash))
                        }
                        ReportIntegrity::Broken { link, reason } => {
                            format!("BROKEN at {link}: {reason}")
                        }
                    },
                    match &r.route {
                        None => "-".to_owned(),
                        Some(route) => route
                            .reviewer
                            .clone()
                            .unwrap_or_else(|| "(supervisors)".to_owned()),
                    },
                    r.reviews.last().map_or_else(
                        || "-".to_owned(),
                        |v| format!("{} by {}", v.outcome.as_str(), v.reviewer),
                    ),
                ]
            })
            .collect(),
    )
}

fn attachment_table(rows: &[ReceivedAttachment]) -> String {
    table(
        &[
            "ID", "REPORT", "KIND", "MIME", "SIZE", "RECEIVED", "COMPLETE", "SHA256",
        ],
        rows.iter()
            .map(|r| {
                let a = &r.attachment;
                vec![
                    a.id.clone(),
                    a.report_id.clone(),
                    a.kind.as_str().to_owned(),
                    a.mime_type.clone(),
                    a.size_bytes.to_string(),
                    r.received_bytes.to_string(),
                    if r.complete { "yes" } else { "no" }.to_owned(),
                    short(&a.sha256),
                ]
            })
            .collect(),
    )
}

fn receipt_table(rows: &[Receipt]) -> String {
    table(
        &[
            "RECEIVED_AT",
            "DEVICE",
            "SEQ",
            "KIND",
            "RECORD",
            "STATUS",
            "VERSION",
            "REASON",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.received_at.to_string(),
                    short(&r.device_id),
                    r.seq.to_string(),
                    r.kind.clone(),
                    r.record_id.clone(),
                    r.status.clone(),
                    r.server_version
                        .map_or_else(|| "-".into(), |v| v.to_string()),
                    r.reason.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
    )
}

/// The first 12 characters, enough to tell hashes and device ids apart on screen.
fn short(s: &str) -> String {
    s.chars().take(12).collect()
}
