//! Time zones: an IANA name (`Europe/London`) and the rules that turn a UTC instant into
//! what the officer's watch said there.
//!
//! Every use of a zone in the core goes through [`Zone`]. Its rules come from one of two
//! sources, chosen when the crate is built:
//! - with the `bundled-tz` feature (on by default: the server, the CLI, desktop apps and
//!   the tests), chrono-tz's copy of the IANA database compiled into the binary;
//! - without it (the phone library: `cordon-ffi --no-default-features`), the device's own
//!   database, read by [`SystemDatabase`]: TZif files under `/usr/share/zoneinfo` on Linux,
//!   macOS and iOS, or Android's packed `tzdata` file. The compiled-in copy costs about
//!   1.9 MB of the library (docs/PERFORMANCE.md), and the phone's copy is kept up to date
//!   by the phone's vendor.
//!
//! The system reader is compiled into every build (its tests compare it with chrono-tz on
//! this machine whatever the features); only the default source depends on the feature.
//! A zone is read once per process and cached ([`Zone::named`]). A database that is
//! missing or corrupt is a [`ZoneError`], never a panic; each caller decides what an
//! unusable zone means (the movement log reads in UTC, validation refuses the record).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{FixedOffset, NaiveDateTime};

use super::Timestamp;

mod system;

pub use system::{SystemDatabase, ANDROID_BUNDLES, ZONEINFO_DIRECTORIES};

/// Why a zone could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// The name is not a zone of the database (or not a zone name at all).
    #[error("{name:?} is not an IANA time zone")]
    Unknown { name: String },
    /// The device has no time-zone database where one was looked for.
    #[error("no time-zone database on this device (looked in {looked})")]
    NoDatabase { looked: String },
    /// The database is there but could not be read (permissions, I/O).
    #[error("the time-zone database {path} could not be read: {reason}")]
    Unreadable { path: String, reason: String },
    /// The database, or the zone's entry in it, is not what the format says it must be.
    #[error("the time-zone data {path} is corrupt: {reason}")]
    Corrupt { path: String, reason: String },
}

impl ZoneError {
    pub(crate) fn unknown(name: &str) -> Self {
        ZoneError::Unknown {
            name: name.chars().take(64).collect(),
        }
    }
}

/// A time zone: its IANA name and its rules. Cheap to clone.
#[derive(Clone)]
pub struct Zone {
    name: Arc<str>,
    rules: Rules,
}

#[derive(Clone)]
enum Rules {
    Utc,
    #[cfg(feature = "bundled-tz")]
    Bundled(chrono_tz::Tz),
    /// Parsed from a TZif file: transitions, then the POSIX TZ rule for later instants.
    System(Arc<tz::TimeZone>),
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl Zone {
    /// UTC, named `UTC`.
    pub fn utc() -> Zone {
        Zone {
            name: Arc::from("UTC"),
            rules: Rules::Utc,
        }
    }

    /// The zone named `name` from the build's source (see the module docs), read once per
    /// process. `UTC` and `Etc/UTC` need no database.
    pub fn named(name: &str) -> Result<Zone, ZoneError> {
        if !is_zone_name(name) {
            return Err(ZoneError::unknown(name));
        }
        if name == "UTC" || name == "Etc/UTC" {
            return Ok(Zone {
                name: Arc::from(name),
                rules: Rules::Utc,
            });
        }
        let hit = cache().get(name).cloned();
        if let Some(zone) = hit {
            return Ok(zone);
        }
        // Read outside the lock; two threads racing for one zone both read it, once.
        let zone = load(name)?;
        cache().insert(name.to_owned(), zone.clone());
        Ok(zone)
    }

    /// The zone named `name`, or UTC if it cannot be had (unknown, or no database: then
    /// a warning is logged).
    pub fn named_or_utc(name: &str) -> Zone {
        Zone::named(name).unwrap_or_else(|e| {
            if !matches!(e, ZoneError::Unknown { .. }) {
                tracing::warn!(error = %e, "time zone unavailable, reading in UTC");
            }
            Zone::utc()
        })
    }

    pub(crate) fn from_tzif(name: &str, tz: tz::TimeZone) -> Zone {
        Zone {
            name: Arc::from(name),
            rules: Rules::System(Arc::new(tz)),
        }
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset from UTC in force at `t`.
    pub fn offset_at(&self, t: Timestamp) -> FixedOffset {
        let seconds = match &self.rules {
            Rules::Utc => 0,
            #[cfg(feature = "bundled-tz")]
            Rules::Bundled(tz) => {
                use chrono::{Offset, TimeZone};
                return tz
                    .offset_from_utc_datetime(&t.to_datetime().naive_utc())
                    .fix();
            }
            // Out of the TZif data's range (never for 1970..2200 in a database that
            // parsed): UTC rather than a panic.
            Rules::System(tz) => tz
                .find_local_time_type(t.as_millis().div_euclid(1000))
                .map_or(0, |l| l.ut_offset()),
        };
        FixedOffset::east_opt(seconds).unwrap_or(FixedOffset::east_opt(0).expect("zero"))
    }

    /// `t` as the zone's local time, for formatting (`%H:%M`, `%d %b %H:%M`, `%Y-%m-%d`).
    pub fn local(&self, t: Timestamp) -> chrono::DateTime<FixedOffset> {
        t.to_datetime().with_timezone(&self.offset_at(t))
    }

    /// The earliest instant whose local time is `local`; `None` if the zone skips it (the
    /// hour a clock springs forward over).
    pub fn earliest_from_local(&self, local: NaiveDateTime) -> Option<Timestamp> {
        #[cfg(feature = "bundled-tz")]
        if let Rules::Bundled(tz) = &self.rules {
            use chrono::TimeZone;
            return tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| Timestamp::from(t.with_timezone(&chrono::Utc)));
        }
        let ms = local.and_utc().timestamp_millis();
        // Every offset in force within 30 hours either side (offsets lie within -12..+14
        // hours; no zone changes twice within 6 hours); a candidate is right if the
        // offset in force at the instant it gives is itself.
        let offset_ms = |at: i64| {
            i64::from(self.offset_at(Timestamp::from_millis(at)).local_minus_utc()) * 1000
        };
        (-5..=5)
            .map(|k| offset_ms(ms + k * 6 * 3_600_000))
            .map(|o| ms - o)
            .filter(|&utc| ms - offset_ms(utc) == utc)
            .min()
            .map(Timestamp::from_millis)
    }
}

/// The zones read so far in this process, by name (a few hundred at most: only names
/// that are zones get in).
fn cache() -> MutexGuard<'static, HashMap<String, Zone>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Zone>>> = OnceLock::new();
    // A panic elsewhere while the lock was held leaves the map whole: use it.
    CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The default source's zone `name`.
#[cfg(feature = "bundled-tz")]
fn load(name: &str) -> Result<Zone, ZoneError> {
    let tz = name
        .parse::<chrono_tz::Tz>()
        .map_err(|_| ZoneError::unknown(name))?;
    Ok(Zone {
        name: Arc::from(name),
        rules: Rules::Bundled(tz),
    })
}

/// The default source's zone `name`.
#[cfg(not(feature = "bundled-tz"))]
fn load(name: &str) -> Result<Zone, ZoneError> {
    SystemDatabase::device()?.zone(name)
}

/// Whether `name` reads as an IANA zone name: `/`-separated parts of letters, digits and
/// `_ - +`, none empty, at most 64 bytes; not one of the files a zoneinfo directory keeps
/// beside its zones (`localtime`, `posixrules`, the `posix/` and `right/` copies). Checked
/// before any file is opened, so no name reaches outside the database.
fn is_zone_name(name: &str) -> bool {
    name.len() <= 64
        && !matches!(name, "localtime" | "posixrules")
        && !name.starts_with("posix/")
        && !name.starts_with("right/")
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_is_read_once_and_then_served_from_the_cache() {
        let name = "Australia/Lord_Howe";
        let first = Zone::named(name).unwrap();
        assert!(cache().contains_key(name));
        let again = Zone::named(name).unwrap();
        // The same parsed rules, not a second read.
        if let (Rules::System(a), Rules::System(b)) = (&first.rules, &again.rules) {
            assert!(Arc::ptr_eq(a, b));
        }
        assert!(Arc::ptr_eq(&first.name, &again.name));
    }

    #[test]
    fn the_build_reads_zones_from_its_features_source() {
        let london = Zone::named("Europe/London").unwrap();
        #[cfg(feature = "bundled-tz")]
        assert!(matches!(
            london.rules,
            Rules::Bundled(chrono_tz::Europe::London)
        ));
        #[cfg(not(feature = "bundled-tz"))]
        assert!(matches!(london.rules, Rules::System(_)));
    }

    #[test]
    fn names_that_are_no_zone_never_reach_the_cache() {
        for name in ["Mars/Olympus_Mons", "../etc/passwd", "Europe"] {
            assert!(Zone::named(name).is_err());
            assert!(!cache().contains_key(name), "{name}");
        }
    }

    #[test]
    fn zone_names_are_checked_before_any_file_is_opened() {
        for good in [
            "Europe/London",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "UTC",
        ] {
            assert!(is_zone_name(good), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "Europe/../../etc",
            "a//b",
            "Europe/London ",
            "é",
            "right/UTC",
        ] {
            assert!(!is_zone_name(bad), "{bad}");
        }
        assert!(!is_zone_name(&"A".repeat(65)));
        // No zone chrono-tz knows (all that validation took before) is refused by name.
        for tz in chrono_tz::TZ_VARIANTS {
            assert!(is_zone_name(tz.name()), "{}", tz.name());
        }
    }
}
