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

/// Every check-in received, in the order they occurred.
pub fn check_ins(server: &Server) -> Result<Vec<ReceivedCheckIn>> {
    server.read(|c| {
        let bodies: Vec<(String, String)> = c
            .prepare("SELECT id, body FROM check_in ORDER BY occurred_at, id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        bodies
            .into_iter()
            .map(|(id, body)| {
                Ok(ReceivedCheckIn {
                    check_in: serde_json::from_str(&body)?,
                    provenance: provenance(c, &id)?,
                })
            })
            .collect()
    })
}
