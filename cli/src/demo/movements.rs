//! The movement of the principal in `cordon demo`: while the phone has no signal, the
//! principal's car leaves the residence for the embassy, is held up and the officer
//! records a delay with a new ETA, then arrives; after the sync, the office prints the
//! day's movement log as it received it, which must read as the phone wrote it.

use cordon_core::*;
use cordon_fixtures::ORGANISATION_ID;
use cordon_server::admin;

use super::{Evening, Scene};
use crate::args::CliResult;

/// The leg the scene plans (set while offline, read after the sync).
#[derive(Default)]
pub(super) struct Movement {
    leg: Option<MovementLeg>,
}

fn event(
    leg: &MovementLeg,
    kind: MovementEventKind,
    new_eta: Option<Timestamp>,
) -> NewMovementEvent {
    NewMovementEvent {
        new_eta,
        ..NewMovementEvent::new(leg.id.clone(), kind)
    }
}

impl Scene for Movement {
    fn minutes(&self) -> u64 {
        5 + 20 + 45
    }

    fn offline(&mut self, e: &Evening) -> CliResult {
        let departure = e.clock.now().plus(std::time::Duration::from_secs(5 * 60));
        let leg = e
            .store
            .plan_movement_leg(cordon_fixtures::movement_leg_departing(
                &e.assignment.id,
                departure,
            ))?;
        e.log(&format!(
            "movement planned: {} → {}, ETA {}",
            leg.origin,
            leg.destination,
            super::local(leg.eta)
        ));
        e.minutes(5);
        e.store
            .record_movement_event(event(&leg, MovementEventKind::Departed, None))?;
        e.log("the principal's car (CHARLIE-1) departs");
        e.minutes(20);
        let new_eta = leg.eta.plus(std::time::Duration::from_secs(25 * 60));
        let state = e.store.record_movement_event(event(
            &leg,
            MovementEventKind::Delayed,
            Some(new_eta),
        ))?;
        e.log(&format!(
            "delayed: road closed, new ETA {} (leg {})",
            super::local(state.eta),
            state.status.as_str().replace('_', " ")
        ));
        e.minutes(45);
        let state = e
            .store
            .record_movement_event(event(&leg, MovementEventKind::Arrived, None))?;
        e.log(&format!(
            "arrived at the embassy (leg {})",
            state.status.as_str()
        ));
        self.leg = Some(leg);
        Ok(())
    }

    fn office_sees(&mut self, e: &Evening) -> CliResult {
        let leg = self
            .leg
            .as_ref()
            .ok_or("the movement scene planned no leg")?;
        let zone = e
            .assignment
            .sites
            .first()
            .map_or("UTC", |s| s.time_zone.as_str());
        let day = local_day(leg.planned_departure, zone);
        let office = admin::movement_log_of(e.office, ORGANISATION_ID, &e.assignment.id, &day)?;
        println!("  movement log for {day}, as the office received it:");
        for entry in &office {
            println!("    {}", entry.text);
        }
        if office != e.store.movement_timeline(&e.assignment.id, &day)? {
            return Err("the office's movement log does not read as the phone's".into());
        }
        let kinds: Vec<_> = office.iter().map(|l| l.event).collect();
        let told = [
            None,
            Some(MovementEventKind::Departed),
            Some(MovementEventKind::Delayed),
            Some(MovementEventKind::Arrived),
        ];
        if kinds != told {
            return Err(format!("the office's movement log is {kinds:?}, not {told:?}").into());
        }
        Ok(())
    }
}
