//! The console's movements of the principal: `GET /console/api/movements?day=YYYY-MM-DD`,
//! each assignment of the operator's organisation that has legs, with its legs (status
//! now, at the server's clock) and the day's movement log (today in the assignment's zone
//! when no day is given). The overdue-leg alarm itself is in the alarm queue, with its leg.

use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::read_own;
use crate::admin::{self, AssignmentMovements};
use crate::http::{ApiError, ApiQuery, Reply};
use crate::state::Server;
use cordon_core::Timestamp;

#[derive(Deserialize)]
pub(super) struct Day {
    day: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Movements {
    server_time: Timestamp,
    assignments: Vec<AssignmentMovements>,
}

/// `GET /console/api/movements`.
pub(super) async fn movements(
    State(server): State<Server>,
    super::Signed(session): super::Signed,
    ApiQuery(Day { day }): ApiQuery<Day>,
) -> Result<Reply<Movements>, ApiError> {
    let assignments = read_own(&server, session, move |s, org: &str| {
        admin::movements_by_assignment_of(s, org, day.as_deref())
    })
    .await?;
    Ok(Reply(Movements {
        server_time: server.now(),
        assignments,
    }))
}
