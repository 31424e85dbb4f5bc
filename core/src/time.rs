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

use crate::error::{CordonError, InputRule, Result};

pub mod zone;

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
        DateTime::from_timestamp_millis(self.0).unwrap_or(if self.0 < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
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
            .map_err(|e| {
                CordonError::invalid(
                    "timestamp",
                    InputRule::BadFormat,
                    format!("{s:?} is not RFC 3339: {e}"),
                )
            })
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(dt: DateTime<Utc>) -> Self {
        Timestamp(dt.timestamp_millis())
    }
}

impl From<SystemTime> for Timestamp {
    /// Truncates to the millisecond at or before `t`, so that a time read back is never
    /// later than the instant it stands for (a record stored "now" never reads as after
    /// a clock reading taken once the call returned).
    fn from(t: SystemTime) -> Self {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(ms(d)),
            // Before the epoch, the millisecond at or before is further from it.
            Err(e) => {
                let d = e.duration();
                let whole = ms(d);
                let partial = d.subsec_nanos() % 1_000_000 != 0;
                Timestamp(-whole - i64::from(partial))
            }
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

// Across the FFI a timestamp is a signed count of milliseconds, which every value of the
// host's instant type can be turned into without failing: the conversions to and from
// `java.time.Instant` and `Date` live in bindings/bindgen.toml. A host value that is no
// time at all (a `Date` of NaN or infinity, or beyond the range of milliseconds) arrives
// as `i64::MIN` or `i64::MAX`, which `validate_timestamp` refuses and an alarm repairs.
#[cfg(feature = "uniffi")]
uniffi::custom_type!(Timestamp, i64, {
    lower: |t| t.0,
    try_lift: |ms| Ok(Timestamp(ms)),
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
    if t.0 == i64::MIN || t.0 == i64::MAX {
        return Err(CordonError::invalid(
            field,
            InputRule::NotATime,
            "is not a time (the app passed a date that is not a number, infinite, or beyond any calendar)",
        ));
    }
    if t < EARLIEST || t > LATEST {
        return Err(CordonError::invalid(
            field,
            InputRule::OutOfRange,
            format!("{} ms since the epoch is outside 1970..2200", t.as_millis()),
        ));
    }
    Ok(())
}

/// Checks that `zone` names a zone in the IANA time zone database (e.g. `Europe/London`):
/// the build's database ([`zone`]: the phone's own on phones). A name the database does
/// not hold is refused. A well-formed name that cannot be checked because the device's
/// database cannot be read is accepted (with a warning logged): an officer's record is
/// never refused for the phone's broken time-zone data; the office checks the name
/// against its own database, and the phone reads that zone in UTC meanwhile.
pub fn validate_time_zone(field: &str, zone: &str) -> Result<()> {
    judge_time_zone(field, zone, zone::Zone::named(zone).map(|_| ()))
}

fn judge_time_zone(
    field: &str,
    zone: &str,
    found: std::result::Result<(), zone::ZoneError>,
) -> Result<()> {
    match found {
        Ok(()) => Ok(()),
        Err(zone::ZoneError::Unknown { .. }) => Err(CordonError::invalid(
            field,
            InputRule::UnknownTimeZone,
            format!("{zone:?} is not an IANA time zone"),
        )),
        Err(unreadable) => {
            tracing::warn!(error = %unreadable, "time zone not checked: the database is unreadable");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zone the database does not hold is refused; one that cannot be checked for want
    /// of a readable database is not (an officer's check-in is never refused for it).
    #[test]
    fn a_zone_is_refused_only_when_the_database_says_it_is_unknown() {
        let unknown = judge_time_zone(
            "time_zone",
            "Mars/Olympus",
            Err(zone::ZoneError::unknown("Mars/Olympus")),
        );
        assert!(
            matches!(
                &unknown,
                Err(CordonError::InvalidInput {
                    rule: InputRule::UnknownTimeZone,
                    ..
                })
            ),
            "{unknown:?}"
        );
        for unreadable in [
            zone::ZoneError::NoDatabase {
                looked: "/usr/share/zoneinfo".into(),
            },
            zone::ZoneError::Unreadable {
                path: "/usr/share/zoneinfo/Europe/London".into(),
                reason: "permission denied".into(),
            },
            zone::ZoneError::Corrupt {
                path: "/usr/share/zoneinfo/Europe/London".into(),
                reason: "truncated".into(),
            },
        ] {
            assert!(judge_time_zone("time_zone", "Europe/London", Err(unreadable)).is_ok());
        }
        assert!(validate_time_zone("time_zone", "Europe/London").is_ok());
        assert!(validate_time_zone("time_zone", "Europe/Londres").is_err());
        assert!(validate_time_zone("time_zone", "../../etc/passwd").is_err());
    }

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
    fn a_system_time_is_never_read_back_later_than_it_was() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_795_000_000_122_999_999);
        assert_eq!(Timestamp::from(t).as_millis(), 1_795_000_000_122);
        assert!(SystemTime::from(Timestamp::from(t)) <= t);
        let before_epoch = UNIX_EPOCH - Duration::from_nanos(1_500_000);
        assert_eq!(Timestamp::from(before_epoch).as_millis(), -2);
        assert!(SystemTime::from(Timestamp::from(before_epoch)) <= before_epoch);
    }

    #[test]
    fn the_host_values_that_are_no_time_are_refused_with_their_field() {
        for ms in [i64::MIN, i64::MAX] {
            let err = validate_timestamp("occurred_at", Timestamp::from_millis(ms)).unwrap_err();
            assert!(
                matches!(&err, CordonError::InvalidInput { reason, .. } if reason.starts_with("is not a time")),
                "{err:?}"
            );
        }
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
