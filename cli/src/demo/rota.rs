//! The evening's duty rota, handover and report routing (issue 12, points 3 and 5): the
//! office rosters the officer on duty and a colleague (OFC-8, a second phone) on call and
//! names the team leader who reviews the assignment's reports; it calls the colleague
//! in, and the second phone says so after its sync. Offline in the car park, the officer
//! writes the handover note for the colleague. After the sync, the second phone receives
//! the note and acknowledges it, the office sees it acknowledged, and the day's incident
//! report waits in the team leader's queue; the team leader returns it, and the outcome
//! reaches the officer's phone.

use std::sync::Arc;
use std::time::Duration;

use cordon_core::sync::HttpTransport;
use cordon_core::*;
use cordon_fixtures::{OFFICER_ID, ORGANISATION_ID};
use cordon_server::admin::{self, NewShift};
use cordon_server::operators::{self, Role};

use super::{Evening, Scene};
use crate::args::CliResult;

/// The incoming officer, on call tonight.
const INCOMING: &str = "OFC-8";
/// The assignment's team leader in the control room.
const TEAM_LEADER: &str = "tl.khan";

/// The second phone: the incoming officer's.
struct Phone {
    store: Arc<Store>,
    engine: SyncEngine,
}

#[derive(Default)]
pub(super) struct DutyAndHandover {
    incoming: Option<Phone>,
    note: Option<Handover>,
}

fn log_on(evening: &Evening, phone: &str, what: &str) {
    evening.log(&format!("[{phone}] {what}"));
}

impl Scene for DutyAndHandover {
    fn minutes(&self) -> u64 {
        3
    }

    fn office_prepares(&mut self, e: &Evening) -> CliResult {
        let org = ORGANISATION_ID;
        admin::upsert_assignment(e.office, org, &[INCOMING.to_owned()], e.assignment.clone())?;
        let now = e.clock.now();
        let night = now.plus(Duration::from_secs(8 * 3600));
        for (officer, role) in [(OFFICER_ID, DutyRole::OnDuty), (INCOMING, DutyRole::OnCall)] {
            admin::set_shift(
                e.office,
                &NewShift {
                    organisation_id: org,
                    assignment_id: &e.assignment.id,
                    officer_id: officer,
                    role,
                    starts_at: now,
                    ends_at: night,
                },
                "admin",
            )?;
        }
        let password = crate::admin::new_password();
        operators::add_operator(
            e.office,
            org,
            TEAM_LEADER,
            Role::Operator,
            &password,
            "admin",
        )?;
        admin::set_team_leader(e.office, org, &e.assignment.id, Some(TEAM_LEADER))?;
        println!(
            "  rota: {OFFICER_ID} on duty, {INCOMING} on call; {TEAM_LEADER} reviews the assignment's reports"
        );

        // The incoming officer's phone, on the same story clock.
        let store = Arc::new(Store::open_with_clock(
            e.dir.join("incoming.db"),
            e.clock.clone(),
        )?);
        let engine = SyncEngine::new(
            store.clone(),
            Arc::new(HttpTransport::new()),
            SyncConfig::new(e.url),
        )?;
        let code =
            admin::create_enrolment_code(e.office, org, INCOMING, admin::DEFAULT_CODE_VALIDITY)?;
        engine.enrol(&code.code)?;
        engine.sync_once()?;
        let on_call = store.my_duty()?;
        log_on(e, INCOMING, &format!("duty: {}", state_name(on_call.state)));

        let shift = on_call.shift.ok_or("the on-call officer has no shift")?;
        let called = admin::call_in(e.office, org, &shift.shift_id, "op.duty")?;
        println!("  office calls {INCOMING} in (by op.duty)");
        engine.sync_once()?;
        let duty = store.my_duty()?;
        let unseen = store.unseen_call_ins()?;
        if duty.state != DutyState::CalledIn || unseen.len() != 1 {
            return Err(format!("the call-in did not reach {INCOMING}'s phone: {duty:?}").into());
        }
        store.mark_call_in_seen(&called.shift_id)?;
        log_on(
            e,
            INCOMING,
            &format!(
                "duty: {}, by {}",
                state_name(duty.state),
                called.called_in_by.unwrap_or_default()
            ),
        );
        self.incoming = Some(Phone { store, engine });
        Ok(())
    }

    fn offline(&mut self, e: &Evening) -> CliResult {
        e.minutes(3);
        let note = e.store.write_handover(NewHandover {
            assignment_id: e.assignment.id.clone(),
            to_officer_id: INCOMING.to_owned(),
            principal_state: "KESTREL in the east suite, settled; next move 07:30.".into(),
            open_issues: Some("Press photographer at the north gate.".into()),
            equipment_and_keys: Some("Radio 3, car keys, suite key card.".into()),
            watch_for: Some("The grey van from tonight's report.".into()),
        })?;
        e.log(&format!("handover note for {INCOMING} written offline"));
        self.note = Some(note);
        Ok(())
    }

    fn office_sees(&mut self, e: &Evening) -> CliResult {
        let org = ORGANISATION_ID;
        let (Some(phone), Some(note)) = (&self.incoming, &self.note) else {
            return Err("the handover scene was not set up".into());
        };
        let waiting = admin::unacknowledged_handovers(e.office, org)?;
        println!("  handovers not yet acknowledged: {}", waiting.len());
        phone.engine.sync_once()?;
        let received = phone.store.handovers_to_acknowledge()?;
        if received.iter().map(|h| &h.id).collect::<Vec<_>>() != [&note.id] {
            return Err(format!("the handover did not reach {INCOMING}'s phone once").into());
        }
        log_on(
            e,
            INCOMING,
            &format!(
                "handover from {OFFICER_ID}: \"{}\"",
                received[0].note.principal_state
            ),
        );
        phone.store.acknowledge_handover(&note.id)?;
        phone.engine.sync_once()?;
        log_on(e, INCOMING, "handover acknowledged");
        let left = admin::unacknowledged_handovers(e.office, org)?;
        let held = admin::handover(e.office, org, &note.id)?;
        println!(
            "  handover acknowledged by {INCOMING}; not yet acknowledged: {}",
            left.len()
        );
        e.engine.sync_once()?;
        let back = e.store.handover(&note.id)?.and_then(|h| h.acknowledged_at);
        if !left.is_empty() || held.handover.acknowledged_at.is_none() || back.is_none() {
            return Err(
                "the handover's acknowledgement did not reach the office and the outgoing phone"
                    .into(),
            );
        }
        e.log("the office has the acknowledgement: the handover is complete");

        // The day's report, routed to the team leader.
        let queue = admin::for_review_by(e.office, org, TEAM_LEADER)?;
        let Some(report) = queue.first() else {
            return Err(format!("no report in {TEAM_LEADER}'s review queue").into());
        };
        println!(
            "  report {}… routed to {TEAM_LEADER} (team leader)",
            &report.id[..8]
        );
        let leader = operators::operators(e.office)?
            .into_iter()
            .find(|o| o.organisation_id == org && o.username == TEAM_LEADER)
            .ok_or("no team leader")?;
        admin::review_as(
            e.office,
            &leader,
            &report.id,
            ReviewOutcome::Returned,
            Some("Add the van's registration."),
        )?;
        e.engine.sync_once()?;
        let reviews = e.store.report_reviews(&report.id)?;
        match reviews.last() {
            Some(r) if r.reviewer == TEAM_LEADER => e.log(&format!(
                "report returned by {} (\"{}\")",
                r.reviewer,
                r.note.as_deref().unwrap_or_default()
            )),
            _ => return Err("the review outcome did not reach the officer's phone".into()),
        }
        Ok(())
    }
}

fn state_name(state: DutyState) -> &'static str {
    match state {
        DutyState::CalledIn => "called in",
        DutyState::OnDuty => "on duty",
        DutyState::OnCall => "on call",
        DutyState::OffDuty => "off duty",
    }
}
