//! Where something happened, as the phone's location services report it.

use serde::{Deserialize, Serialize};

use super::validate::number_in_range;
use crate::error::Result;
use crate::time::{validate_timestamp, Timestamp};

/// A position fix. Latitude and longitude in WGS 84 degrees; accuracy as the radius in
/// metres of the 68% confidence circle that both platforms report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub accuracy_m: Option<f64>,
    /// When the fix was taken, which may be well before the record that carries it.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub fix_time: Option<Timestamp>,
}

/// The largest accuracy radius accepted: a fix worse than 100 km is no fix at all.
const MAX_ACCURACY_M: f64 = 100_000.0;

impl Location {
    /// Checks ranges; `field` prefixes the names in errors (`location.latitude`).
    pub fn validate(&self, field: &str) -> Result<()> {
        number_in_range(&format!("{field}.latitude"), self.latitude, -90.0, 90.0)?;
        number_in_range(&format!("{field}.longitude"), self.longitude, -180.0, 180.0)?;
        if let Some(acc) = self.accuracy_m {
            number_in_range(&format!("{field}.accuracy_m"), acc, 0.0, MAX_ACCURACY_M)?;
        }
        if let Some(t) = self.fix_time {
            validate_timestamp(&format!("{field}.fix_time"), t)?;
        }
        Ok(())
    }
}
