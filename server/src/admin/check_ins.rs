//! Check-ins as the office reads them.

use cordon_core::CheckIn;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::state::Server;

use super::{provenance, Provenance};

/// A check-in as received: the device's record and the server's receipt time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedCheckIn {
    #[serde(flatten)]
    pub check_in: CheckIn,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// Every check-in received, of every organisation, in the order they occurred.
pub fn check_ins(server: &Server) -> Result<Vec<ReceivedCheckIn>> {
    check_ins_in(server, None)
}

/// The check-ins of `organisation_id`, in the order they occurred.
pub fn check_ins_of(server: &Server, organisation_id: &str) -> Result<Vec<ReceivedCheckIn>> {
    check_ins_in(server, Some(organisation_id))
}

fn check_ins_in(server: &Server, organisation_id: Option<&str>) -> Result<Vec<ReceivedCheckIn>> {
    server.read(|c| {
        let bodies: Vec<(String, String, String)> = c
            .prepare(
                "SELECT organisation_id, id, body FROM check_in
                 WHERE CAST(?1 AS TEXT) IS NULL OR organisation_id = ?1
                 ORDER BY occurred_at, organisation_id, id",
            )?
            .query_map([organisation_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        bodies
            .into_iter()
            .map(|(organisation, id, body)| {
                Ok(ReceivedCheckIn {
                    check_in: serde_json::from_str(&body)?,
                    provenance: provenance(c, &organisation, &id)?,
                })
            })
            .collect()
    })
}
