//! `cordon device --db PATH ...`: a headless device over the core, as an officer's phone
//! would use it: enrol, record check-ins (duress included) and incidents with
//! attachments, look at the outbox, and sync with the built-in HTTP transport.
//!
//! Enumerated values (check-in kinds, categories, ...) are parsed by the core's own
//! serde names, so the tool accepts exactly what the protocol carries
//! (`--kind duress`, `--category hostile_surveillance`).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use cordon_core::sync::HttpTransport;
use cordon_core::*;
use serde::Serialize;

use crate::args::CliResult;

#[derive(Debug, Args)]
pub struct DeviceArgs {
    /// The device's database (created on first use; attachments go beside it).
    #[arg(long)]
    db: PathBuf,
    #[command(subcommand)]
    command: DeviceCommand,
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// Redeem a one-time enrolment code; remembers the server and the token.
    Enrol {
        #[arg(long)]
        server: String,
        #[arg(long)]
        code: String,
    },
    /// Set the bearer token directly (and the server, if given); resumes a paused sync.
    SetToken {
        #[arg(long)]
        token: String,
        #[arg(long)]
        server: Option<String>,
    },
    /// Record a check-in: clock_on, welfare, checkpoint, clock_off, panic or duress.
    CheckIn(CheckInArgs),
    /// Incident reports: create, update, submit, amend, verify, show.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Copy a file into the store and attach it to a draft report.
    Attach {
        report: String,
        file: PathBuf,
        /// photo, audio, video, document or signature.
        #[arg(long, value_parser = crate::args::parse_enum::<AttachmentKind>)]
        kind: AttachmentKind,
        #[arg(long)]
        mime: String,
    },
    /// Assignments received from the office.
    Assignments {
        #[arg(long)]
        json: bool,
    },
    /// The welfare clock of an assignment: off duty, on time, due or overdue.
    Welfare { assignment: String },
    /// Where the alarms this officer raised stand in the control room (as last pulled).
    Alarms {
        #[arg(long)]
        json: bool,
    },
    /// Messages from the control room, newest first (as last pulled), with read state.
    Messages {
        #[arg(long)]
        json: bool,
    },
    /// Mark a message from the control room read; the receipt goes with the next sync.
    Read { message: String },
    /// Where an assignment's post orders stand (the version held, acknowledged or not);
    /// with `--acknowledge VERSION`, acknowledge that version (sent with the next sync).
    PostOrders {
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        acknowledge: Option<i32>,
        #[arg(long)]
        json: bool,
    },
    /// The surveillance log: `sighting add`, `sighting list`, `sighting bolo`.
    #[command(subcommand)]
    Sighting(crate::sightings::SightingCommand),
    /// Movements of the principal: plan a leg, record its events, list, overdue, timeline.
    #[command(subcommand)]
    Movement(crate::movements::MovementCommand),
    /// Write a handover note to the incoming officer (sent with the next sync); prints
    /// its id.
    Handover {
        #[arg(long)]
        assignment: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        principal_state: String,
        #[arg(long)]
        open_issues: Option<String>,
        #[arg(long)]
        equipment_and_keys: Option<String>,
        #[arg(long)]
        watch_for: Option<String>,
    },
    /// Handover notes on the phone (newest first); with `--acknowledge ID`, the incoming
    /// officer acknowledges that note (sent with the next sync).
    Handovers {
        #[arg(long)]
        acknowledge: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The officer's duty now (called in, on duty, on call, off duty), from the rota the
    /// office last sent.
    Duty {
        #[arg(long)]
        json: bool,
    },
    /// Outbox and sync status.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Run a sync pass (or passes until nothing due is left).
    Sync {
        #[arg(long)]
        until_drained: bool,
        #[arg(long)]
        json: bool,
    },
    /// Operations the server refused, with its reasons.
    DeadLetters {
        #[arg(long)]
        json: bool,
    },
    /// Send a dead letter again (under a new operation id).
    Requeue {
        #[arg(allow_negative_numbers = true)]
        seq: i64,
    },
    /// Give up on a dead letter (it is archived, not erased).
    Discard {
        #[arg(allow_negative_numbers = true)]
        seq: i64,
    },
    /// Load generator for reliability tests: write check-ins one after another,
    /// printing `ok <id>` as each is stored, and sync every so often.
    Stress {
        #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
        count: u32,
        #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
        sync_every: u32,
    },
}

#[derive(Debug, Args)]
struct CheckInArgs {
    #[arg(long, value_parser = crate::args::parse_enum::<CheckInKind>)]
    kind: CheckInKind,
    #[arg(long)]
    assignment: Option<String>,
    /// The officer's IANA time zone.
    #[arg(long, default_value = "Europe/London")]
    zone: String,
    // Southern latitudes and western longitudes are negative: `--lat -33.92` is a value.
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    lat: Option<f64>,
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    lon: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    accuracy: Option<f64>,
    /// When it happened, RFC 3339 (a check-in written down after the fact); default now.
    #[arg(long, value_parser = parse_time)]
    occurred_at: Option<Timestamp>,
    /// The scanned tag (checkpoints).
    #[arg(long)]
    tag: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, Subcommand)]
enum IncidentCommand {
    /// Start a draft; prints its id.
    Create(ContentArgs),
    /// Replace a draft's content.
    Update {
        id: String,
        #[command(flatten)]
        content: ContentArgs,
    },
    /// Submit a draft: it is sealed and locked.
    Submit { id: String },
    /// Amend a submitted report.
    Amend {
        id: String,
        #[arg(long)]
        author: String,
        #[arg(long)]
        reason: String,
        #[arg(long, value_parser = crate::args::parse_enum::<Severity>)]
        severity: Option<Severity>,
        #[arg(long)]
        narrative: Option<String>,
        #[arg(long)]
        police_reference: Option<String>,
        #[arg(long)]
        actions_taken: Option<String>,
        #[arg(long)]
        injuries: Option<String>,
    },
    /// Check the report's hash chain.
    Verify { id: String },
    /// Print a report as JSON.
    Show { id: String },
}

/// An incident's content as flags. Creating, a flag left out takes its default; updating
/// a draft, it keeps what the draft says.
#[derive(Debug, Args)]
struct ContentArgs {
    #[arg(long, value_parser = crate::args::parse_enum::<IncidentCategory>)]
    category: IncidentCategory,
    #[arg(long, value_parser = crate::args::parse_enum::<Severity>)]
    severity: Severity,
    /// Default empty (a draft may have none yet; submitting needs one).
    #[arg(long)]
    narrative: Option<String>,
    #[arg(long)]
    assignment: Option<String>,
    /// RFC 3339; default now.
    #[arg(long, value_parser = parse_time)]
    occurred_at: Option<Timestamp>,
    /// IANA zone; default Europe/London.
    #[arg(long)]
    zone: Option<String>,
    #[arg(long)]
    police_reference: Option<String>,
    #[arg(long)]
    actions_taken: Option<String>,
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(s).map_err(|e| e.to_string())
}

fn print_json<T: Serialize>(value: &T) -> CliResult {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// The store and a sync engine over HTTP to the remembered server.
fn engine(store: Arc<Store>) -> CliResult<SyncEngine> {
    let url = store
        .server_url()?
        .ok_or("no server yet: run `cordon device enrol --server URL --code CODE` first")?;
    Ok(SyncEngine::new(
        store,
        Arc::new(HttpTransport::new()),
        SyncConfig::new(url),
    )?)
}

pub fn run(args: DeviceArgs) -> CliResult {
    let store = Arc::new(Store::open(&args.db)?);
    match args.command {
        DeviceCommand::Enrol { server, code } => {
            store.set_server_url(&server)?;
            let enrolled = engine(store)?.enrol(&code)?;
            println!(
                "enrolled device {} for officer {} of {}",
                enrolled.device_id, enrolled.officer_id, enrolled.organisation_id
            );
        }
        DeviceCommand::SetToken { token, server } => {
            if let Some(url) = server {
                store.set_server_url(&url)?;
            }
            engine(store)?.set_token(&token)?;
        }
        DeviceCommand::CheckIn(a) => {
            let location = match (a.lat, a.lon) {
                (Some(latitude), Some(longitude)) => Some(Location {
                    latitude,
                    longitude,
                    accuracy_m: a.accuracy,
                    fix_time: None,
                }),
                _ => None,
            };
            let c = store.record_check_in(NewCheckIn {
                kind: a.kind,
                assignment_id: a.assignment,
                occurred_at: a.occurred_at,
                time_zone: a.zone,
                location,
                tag_id: a.tag,
                note: a.note,
            })?;
            println!("{}", c.id);
        }
        DeviceCommand::Incident(cmd) => incident(&store, cmd)?,
        DeviceCommand::Attach {
            report,
            file,
            kind,
            mime,
        } => {
            let a = store.attach_file(&report, &file, kind, &mime)?;
            println!("{} {} bytes sha256 {}", a.id, a.size_bytes, a.sha256);
        }
        DeviceCommand::Assignments { json } => {
            let all = store.assignments()?;
            if json {
                print_json(&all)?;
            } else {
                for a in all {
                    println!(
                        "{}  {}  {}  {:?}  {} → {}  post orders v{}",
                        a.id,
                        a.reference,
                        a.title,
                        a.status,
                        a.starts_at,
                        a.ends_at,
                        a.post_orders.version
                    );
                }
            }
        }
        DeviceCommand::Welfare { assignment } => {
            print_json(&store.welfare_status(&assignment)?)?;
        }
        DeviceCommand::Messages { json } => {
            let messages = store.messages()?;
            if json {
                print_json(&messages)?;
            } else if messages.is_empty() {
                println!("(none)");
            } else {
                for m in messages {
                    let read = m
                        .read_at
                        .map_or("unread".to_owned(), |t| format!("read {t}"));
                    println!(
                        "{} from {} at {} ({read}): {}",
                        m.message.message_id, m.message.sender, m.message.sent_at, m.message.body
                    );
                }
            }
        }
        DeviceCommand::Sighting(command) => crate::sightings::device(&store, command)?,
        DeviceCommand::Read { message } => {
            let read = store.mark_message_read(&message)?;
            let at = read.read_at.map(|t| t.to_string()).unwrap_or_default();
            println!("message {} read at {at}", read.message.message_id);
        }
        DeviceCommand::PostOrders {
            assignment,
            acknowledge,
            json,
        } => {
            let status = match acknowledge {
                Some(version) => store.acknowledge_post_orders(&assignment, version)?,
                None => store.post_orders_acknowledgement(&assignment)?,
            };
            if json {
                print_json(&status)?;
            } else {
                let state = status
                    .acknowledged_at
                    .map_or("not acknowledged".to_owned(), |t| {
                        format!("acknowledged {t}")
                    });
                println!(
                    "post orders v{} of {}: {state}",
                    status.version, status.assignment_id
                );
            }
        }
        DeviceCommand::Movement(command) => crate::movements::run(&store, command)?,
        DeviceCommand::Handover {
            assignment,
            to,
            principal_state,
            open_issues,
            equipment_and_keys,
            watch_for,
        } => {
            let h = store.write_handover(NewHandover {
                assignment_id: assignment,
                to_officer_id: to,
                principal_state,
                open_issues,
                equipment_and_keys,
                watch_for,
            })?;
            // The id alone on stdout, so a script can capture it.
            println!("{}", h.id);
        }
        DeviceCommand::Handovers { acknowledge, json } => {
            if let Some(id) = acknowledge {
                let h = store.acknowledge_handover(&id)?;
                let at = h.acknowledged_at.map(|t| t.to_string()).unwrap_or_default();
                println!("handover {} acknowledged at {at}", h.id);
                return Ok(());
            }
            let notes = store.handovers()?;
            if json {
                print_json(&notes)?;
            } else {
                for h in notes {
                    let state = h
                        .acknowledged_at
                        .map_or("not acknowledged".to_owned(), |t| {
                            format!("acknowledged {t}")
                        });
                    println!(
                        "{} {} -> {} on {}: {state}",
                        h.id, h.from_officer_id, h.note.to_officer_id, h.note.assignment_id
                    );
                }
            }
        }
        DeviceCommand::Duty { json } => {
            let duty = store.my_duty()?;
            if json {
                print_json(&duty)?;
            } else {
                let state = serde_json::to_value(duty.state)?;
                match duty.shift {
                    Some(s) => println!(
                        "{} ({} shift on {} until {})",
                        state.as_str().unwrap_or_default(),
                        s.role.as_str(),
                        s.assignment_id,
                        s.ends_at
                    ),
                    None => println!("{}", state.as_str().unwrap_or_default()),
                }
            }
        }
        DeviceCommand::Alarms { json } => {
            let alarms = store.alarm_statuses()?;
            if json {
                print_json(&alarms)?;
            } else if alarms.is_empty() {
                println!("(none)");
            } else {
                for a in alarms {
                    // The officer's own screen: the operator's note is theirs to read.
                    println!(
                        "{} {} {} at {}{}",
                        a.check_in_id,
                        a.kind.as_str(),
                        a.state.as_str(),
                        a.updated_at,
                        a.note.map(|n| format!(": {n}")).unwrap_or_default()
                    );
                }
            }
        }
        DeviceCommand::Status { json } => {
            let status = engine_or_offline_status(store)?;
            if json {
                print_json(&status)?;
            } else {
                let o = &status.outbox;
                println!(
                    "pending {} (urgent {}, normal {}, bulk {}), in flight {}, dead {}",
                    o.pending.total(),
                    o.pending.urgent,
                    o.pending.normal,
                    o.pending.bulk,
                    o.in_flight.total(),
                    o.dead.total()
                );
                println!(
                    "enrolled {}, paused for auth {}, last success {:?}, last error {:?}",
                    status.enrolled, status.auth_paused, status.last_success_at, status.last_error
                );
            }
        }
        DeviceCommand::Sync {
            until_drained,
            json,
        } => {
            let engine = engine(store.clone())?;
            let reports = if until_drained {
                engine.sync_until_drained(1000)?
            } else {
                vec![engine.sync_once()?]
            };
            if json {
                print_json(&reports)?;
            } else {
                for r in &reports {
                    println!(
                        "{:?}: {} requests, {} applied, {} duplicates, {} rejected, {} assignments, {} attachments ({} bytes)",
                        r.outcome, r.requests, r.applied, r.duplicates, r.rejected,
                        r.assignments_received, r.attachments_completed, r.bytes_uploaded
                    );
                }
            }
            match reports.last().map(|r| &r.outcome) {
                Some(PassOutcome::AuthPaused { error }) => {
                    return Err(format!("sync stopped: {error}").into());
                }
                Some(PassOutcome::Revoked {
                    unsent,
                    office_told,
                    files_removed,
                }) => {
                    return Err(format!(
                        "the office revoked this device: its data was erased ({files_removed} files; \
                         {unsent} operations not sent, {})",
                        if *office_told {
                            "the office was told which"
                        } else {
                            "the office could not be told which"
                        }
                    )
                    .into());
                }
                Some(PassOutcome::Interrupted { error }) => {
                    // A failure only if something was left undelivered: with the outbox
                    // empty (the server asked to wait, say), there is nothing to retry.
                    let status = store.outbox_status()?;
                    if status.pending.total() + status.in_flight.total() > 0 {
                        return Err(format!("sync stopped: {error}").into());
                    }
                    eprintln!("nothing left to send; {error}");
                }
                _ => {}
            }
        }
        DeviceCommand::DeadLetters { json } => {
            let dead = store.dead_letters()?;
            if json {
                print_json(&dead)?;
            } else {
                for op in dead {
                    println!(
                        "#{} {} {} — {}",
                        op.seq,
                        op.kind.as_str(),
                        op.record_id,
                        op.last_error.unwrap_or_default()
                    );
                }
            }
        }
        DeviceCommand::Requeue { seq } => store.requeue_dead(seq)?,
        DeviceCommand::Discard { seq } => store.discard_dead(seq)?,
        DeviceCommand::Stress { count, sync_every } => stress(store, count, sync_every)?,
    }
    Ok(())
}

/// Status works before enrolment too (no server remembered yet).
fn engine_or_offline_status(store: Arc<Store>) -> CliResult<SyncStatus> {
    let url = store
        .server_url()?
        .unwrap_or_else(|| "http://unset.invalid".into());
    let engine = SyncEngine::new(store, Arc::new(HttpTransport::new()), SyncConfig::new(url))?;
    Ok(engine.status()?)
}

fn incident(store: &Store, cmd: IncidentCommand) -> CliResult {
    match cmd {
        IncidentCommand::Create(a) => {
            let now = store.now();
            let at = a.occurred_at.unwrap_or(now);
            let content = IncidentContent {
                assignment_id: a.assignment,
                category: a.category,
                severity: a.severity,
                occurred_at: at,
                discovered_at: now.max(at),
                time_zone: a.zone.unwrap_or_else(|| "Europe/London".into()),
                location: None,
                narrative: a.narrative.unwrap_or_default(),
                persons: vec![],
                police_reference: a.police_reference,
                control_room_reference: None,
                actions_taken: a.actions_taken,
                injuries: None,
            };
            println!("{}", store.create_report(content)?.id);
        }
        IncidentCommand::Update { id, content: a } => {
            // What the flags do not name stays as the draft has it (its times included).
            let mut content = store.report(&id)?.content;
            content.category = a.category;
            content.severity = a.severity;
            if let Some(n) = a.narrative {
                content.narrative = n;
            }
            if let Some(assignment) = a.assignment {
                content.assignment_id = Some(assignment);
            }
            if let Some(at) = a.occurred_at {
                content.occurred_at = at;
                content.discovered_at = content.discovered_at.max(at);
            }
            if let Some(zone) = a.zone {
                content.time_zone = zone;
            }
            if let Some(r) = a.police_reference {
                content.police_reference = Some(r);
            }
            if let Some(t) = a.actions_taken {
                content.actions_taken = Some(t);
            }
            store.update_report(&id, content)?;
        }
        IncidentCommand::Submit { id } => {
            let r = store.submit_report(&id)?;
            println!("sealed {}", r.content_hash.unwrap_or_default());
        }
        IncidentCommand::Amend {
            id,
            author,
            reason,
            severity,
            narrative,
            police_reference,
            actions_taken,
            injuries,
        } => {
            let r = store.amend_report(
                &id,
                NewAmendment {
                    author,
                    reason,
                    patch: IncidentPatch {
                        severity,
                        narrative,
                        police_reference,
                        actions_taken,
                        injuries,
                        ..Default::default()
                    },
                },
            )?;
            println!("amendment {} {}", r.sequence, r.hash);
        }
        IncidentCommand::Verify { id } => {
            let integrity = store.verify_report(&id)?;
            print_json(&integrity)?;
            if let ReportIntegrity::Broken { reason, .. } = integrity {
                return Err(format!("report {id} fails verification: {reason}").into());
            }
        }
        IncidentCommand::Show { id } => print_json(&store.report(&id)?)?,
    }
    Ok(())
}

fn stress(store: Arc<Store>, count: u32, sync_every: u32) -> CliResult {
    let engine = engine(store.clone())?;
    // Printed, and flushed, only after a write returned: what the caller was told is
    // stored.
    let say = |what: &str, id: &str| -> CliResult {
        let mut out = std::io::stdout().lock();
        writeln!(out, "ok {what} {id}")?;
        Ok(out.flush()?)
    };
    for i in 0..count {
        let kind = if i % 7 == 3 {
            CheckInKind::Duress
        } else {
            CheckInKind::Panic
        };
        let c = store.record_check_in(NewCheckIn {
            kind,
            assignment_id: None,
            occurred_at: None,
            time_zone: "Europe/London".into(),
            location: None,
            tag_id: None,
            note: Some(format!("stress {i}")),
        })?;
        say("check-in", &c.id)?;
        if i % 5 == 4 {
            // A report: several operations on one record, to exercise their order.
            let now = store.now();
            let r = store.create_report(IncidentContent {
                assignment_id: None,
                category: IncidentCategory::SuspiciousActivity,
                severity: Severity::Low,
                occurred_at: now,
                discovered_at: now,
                time_zone: "Europe/London".into(),
                location: None,
                narrative: format!("stress report {i}"),
                persons: vec![],
                police_reference: None,
                control_room_reference: None,
                actions_taken: None,
                injuries: None,
            })?;
            say("report", &r.id)?;
            store.submit_report(&r.id)?;
            say("submit", &r.id)?;
        }
        if sync_every > 0 && (i + 1) % sync_every == 0 {
            engine.sync_once()?;
        }
    }
    Ok(())
}
