//! Time as the core sees it: UTC instants at millisecond precision, an injectable clock,
//! and IANA zone names.
//!
//! Instants are stored as integer milliseconds since the Unix epoch (what SQLite indexes
//! cheaply and what every platform's `Instant`/`Date` round-trips exactly) and travel in
//! JSON as RFC 3339 strings. The officer's zone is kept beside an instant, never folded
//! into it, so the office sees both "when" and "what the officer's watch said".

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{CordonError, Result};

/// A UTC instant with millisecond precision.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch (negative: before it).
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant moved forward by `d` (saturating at the end of time).
    pub fn plus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }

    /// How long after `earlier` this instant is; zero if it is not after it.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-28T09:15:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Parses an RFC 3339 instant with any offset; sub-millisecond digits are dropped.
    pub fn parse_rfc3339(s: &str) -> Result<Self> {
        DateTime::parse_from_rfc3339(s)
            .map(|dt| Timestamp(dt.timestamp_millis()))
            .map_err(|e| CordonError::invalid("timestamp", format!("{s:?} is not RFC 3339: {e}")))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(dt: DateTime<Utc>) -> Self {
        Timestamp(dt.timestamp_millis())
    }
}

impl From<SystemTime> for Timestamp {
    /// Rounds to the nearest millisecond: a platform instant that went through a
    /// floating-point number of seconds (Swift's `Date`) comes back as the same
    /// millisecond rather than the one before.
    fn from(t: SystemTime) -> Self {
        let round = |d: Duration| {
            let ms = d.as_nanos().saturating_add(500_000) / 1_000_000;
            i64::try_from(ms).unwrap_or(i64::MAX)
        };
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(round(d)),
            Err(e) => Timestamp(-round(e.duration())),
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        let magnitude = Duration::from_millis(t.0.unsigned_abs());
        if t.0 >= 0 {
            UNIX_EPOCH + magnitude
        } else {
            UNIX_EPOCH - magnitude
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

impl rusqlite::ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.0.into())
    }
}

impl rusqlite::types::FromSql for Timestamp {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        i64::column_result(v).map(Timestamp)
    }
}

// Across the FFI a timestamp is the platform's instant (`java.time.Instant`, `Date`).
#[cfg(feature = "uniffi")]
uniffi::custom_type!(Timestamp, SystemTime, {
    lower: |t| t.into(),
    try_lift: |t| Ok(t.into()),
});

/// Where the core reads "now". Apps use [`SystemClock`]; tests and simulations inject
/// their own so that due times and backoff are deterministic.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The device's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        SystemTime::now().into()
    }
}

/// A clock that only moves when told to. Shareable across threads.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(AtomicI64::new(start.as_millis()))
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.as_millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// The earliest instant the model accepts: the Unix epoch.
pub const EARLIEST: Timestamp = Timestamp(0);
/// The latest instant the model accepts: 2200-01-01T00:00:00Z. Anything later is a bug
/// or garbage, and could not be written back as RFC 3339 on every platform.
pub const LATEST: Timestamp = Timestamp(7_258_118_400_000);

/// Checks that `t` lies between [`EARLIEST`] and [`LATEST`].
pub fn validate_timestamp(field: &str, t: Timestamp) -> Result<()> {
    if t < EARLIEST || t > LATEST {
        return Err(CordonError::invalid(
            field,
            format!("{} ms since the epoch is outside 1970..2200", t.as_millis()),
        ));
    }
    Ok(())
}

/// Checks that `zone` names a zone in the IANA time zone database (e.g. `Europe/London`).
pub fn validate_time_zone(field: &str, zone: &str) -> Result<()> {
    zone.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| CordonError::invalid(field, format!("{zone:?} is not an IANA time zone")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_at_millisecond_precision() {
        let t = Timestamp::from_millis(1_795_000_123_456);
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
    }

    #[test]
    fn rfc3339_with_offset_is_normalised_to_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-28T10:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-28T09:00:00.000Z");
    }

    #[test]
    fn system_time_round_trips_before_and_after_epoch() {
        for ms in [-86_400_000, 0, 1_795_000_123_456] {
            let t = Timestamp::from_millis(ms);
            assert_eq!(Timestamp::from(SystemTime::from(t)), t);
        }
    }

    #[test]
    fn a_system_time_just_short_of_a_millisecond_rounds_to_it() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_795_000_000_122_999_999);
        assert_eq!(Timestamp::from(t).as_millis(), 1_795_000_000_123);
    }

    #[test]
    fn timestamps_outside_1970_to_2200_are_rejected() {
        assert!(validate_timestamp("t", EARLIEST).is_ok());
        assert!(validate_timestamp("t", LATEST).is_ok());
        assert!(validate_timestamp("t", Timestamp::from_millis(-1)).is_err());
        assert!(validate_timestamp("t", LATEST.plus(Duration::from_millis(1))).is_err());
    }

    #[test]
    fn unknown_zone_is_rejected_and_known_zone_accepted() {
        assert!(validate_time_zone("zone", "Europe/London").is_ok());
        let err = validate_time_zone("zone", "Mars/Olympus_Mons").unwrap_err();
        assert!(matches!(err, CordonError::InvalidInput { field, .. } if field == "zone"));
    }
}
