//! The surveillance log's part of the evening: the office puts a grey Transit on the BOLO
//! list; underground, the officer logs a sighting of it (its registration typed as it was
//! read, `ab 12-cde`), which the phone flags at once with no signal and queues in the
//! urgent lane; after the sync the control room's list shows the match first, matched by
//! the phone and by the office.

use cordon_core::{BoloPriority, NewSighting};
use cordon_fixtures::ORGANISATION_ID;
use cordon_server::admin::{self, BoloInput};

use super::{Evening, Scene};
use crate::args::CliResult;

#[derive(Default)]
pub(super) struct Sightings {
    bolo_id: Option<String>,
    matched: Option<String>,
}

impl Scene for Sightings {
    fn minutes(&self) -> u64 {
        4
    }

    fn office_prepares(&mut self, evening: &Evening) -> CliResult {
        let entry = admin::issue_bolo(
            evening.office,
            ORGANISATION_ID,
            &BoloInput {
                registration: Some("AB12 CDE".into()),
                description: Some("Grey Ford Transit, two men".into()),
                reason: "Photographed the residence from the street on Tuesday".into(),
                priority: BoloPriority::High,
            },
        )?;
        evening.log(&format!(
            "office issues a BOLO for {} ({} priority); the phone pulls it with the assignment",
            entry.registration.as_deref().unwrap_or("-"),
            entry.priority.as_str()
        ));
        self.bolo_id = Some(entry.id);
        Ok(())
    }

    fn offline(&mut self, evening: &Evening) -> CliResult {
        evening.minutes(4);
        let mut seen = NewSighting {
            assignment_id: Some(evening.assignment.id.clone()),
            ..cordon_fixtures::sighting()
        };
        if let Some(v) = seen.vehicle.as_mut() {
            v.registration = Some("ab 12-cde".into()); // as the officer read it
        }
        let s = evening.store.record_sighting(seen)?;
        let Some(m) = &s.bolo_match else {
            return Err("the sighting of the BOLO car was not flagged on the phone".into());
        };
        evening.log(&format!(
            "sighting logged: {} -> BOLO MATCH ({}): {}; queued urgent",
            s.registration().unwrap_or("-"),
            m.priority.as_str(),
            m.reason
        ));
        self.matched = Some(s.id);
        Ok(())
    }

    fn urgent(&self) -> Vec<String> {
        self.matched.iter().cloned().collect()
    }

    fn office_sees(&mut self, evening: &Evening) -> CliResult {
        let list = admin::sightings_of(evening.office, ORGANISATION_ID)?;
        let first = list.first().ok_or("the office received no sighting")?;
        let office_match = first.office_match.as_ref().map(|m| m.bolo_id.clone());
        println!(
            "  sightings: {}; first on the control room's list: {} {} (phone's match {}, office's match {})",
            list.len(),
            if first.matched() { "BOLO MATCH" } else { "no match" },
            first.sighting.registration().unwrap_or("-"),
            if first.sighting.bolo_match.is_some() { "yes" } else { "no" },
            if office_match.is_some() { "yes" } else { "no" },
        );
        if Some(&first.sighting.id) != self.matched.as_ref() || office_match != self.bolo_id {
            return Err("the control room does not see the BOLO match first".into());
        }
        Ok(())
    }
}
