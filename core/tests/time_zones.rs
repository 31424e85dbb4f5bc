//! The device's own time-zone database (the phone library's source of zones) against
//! chrono-tz's compiled-in copy: the same offsets for every zone, DST edges included,
//! from the zoneinfo directory and from an Android `tzdata` bundle built here out of the
//! same files; and typed errors, never a panic, for what is missing or corrupt.
//!
//! Reads this machine's `/usr/share/zoneinfo` (Debian's `tzdata`, which scripts/test.sh
//! installs when it is missing). Runs whatever the crate's features: the system reader is
//! always compiled.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use cordon_core::zone::{SystemDatabase, Zone, ZoneError, ANDROID_BUNDLES, ZONEINFO_DIRECTORIES};
use cordon_core::Timestamp;

/// Zones with something to get wrong: both hemispheres' DST, half- and quarter-hour
/// offsets, 30-minute DST (Lord Howe), negative DST and Ramadan rules (Casablanca,
/// Dublin), DST at midnight (Havana, Beirut, São Paulo until 2019), a skipped day (Apia),
/// rules dropped (Moscow, Istanbul, Cairo's return), +14 h (Kiritimati), a two-hour DST
/// (Troll), and the POSIX footer after the last transition (all of them past 2037).
const ZONES: [&str; 24] = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
    "Pacific/Chatham",
    "Europe/Dublin",
    "America/St_Johns",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "America/Havana",
    "Asia/Beirut",
    "Pacific/Apia",
    "Europe/Moscow",
    "Europe/Istanbul",
    "Africa/Cairo",
    "Pacific/Kiritimati",
    "Antarctica/Troll",
    "America/Santiago",
    "Asia/Tehran",
    "Australia/Adelaide",
    "America/Nuuk",
    "Asia/Gaza",
];

/// 1970-01-01 to 2100-01-01 (chrono-tz computes rules up to the end of 2099).
const FROM: i64 = 0;
const TO: i64 = 4_102_444_800;

fn zoneinfo() -> SystemDatabase {
    SystemDatabase::first_directory(&ZONEINFO_DIRECTORIES)
        .expect("a zoneinfo directory on this machine (Debian: apt-get install tzdata)")
}

fn zoneinfo_dir() -> PathBuf {
    match zoneinfo() {
        SystemDatabase::Directory(dir) => dir,
        other => panic!("{other:?}"),
    }
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millis(seconds * 1000)
}

/// chrono-tz's offset at `seconds`, in seconds east of UTC.
fn bundled(tz: Tz, seconds: i64) -> i32 {
    tz.timestamp_opt(seconds, 0)
        .unwrap()
        .offset()
        .fix()
        .local_minus_utc()
}

fn system(zone: &Zone, seconds: i64) -> i32 {
    zone.offset_at(at(seconds)).local_minus_utc()
}

/// Every instant within `[FROM, TO)` where chrono-tz's offset for `tz` changes, found by a
/// daily scan and narrowed to the second.
fn transitions(tz: Tz) -> Vec<i64> {
    let mut found = Vec::new();
    let mut t = FROM;
    while t < TO {
        let next = (t + 86_400).min(TO);
        if bundled(tz, t) != bundled(tz, next) {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if bundled(tz, mid) == bundled(tz, t) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            found.push(hi);
        }
        t = next;
    }
    found
}

/// Asserts that `zone` (read from a device database) has chrono-tz's offsets at each DST
/// edge (a second either side too) and at instants spread over 1970..2100.
fn assert_same_offsets(zone: &Zone, edges: &[i64]) {
    let tz: Tz = zone.name().parse().unwrap();
    let spread = (FROM..TO).step_by(863_137); // about 10 days, drifting through the hours
    let edges = edges.iter().flat_map(|&e| [e - 1, e, e + 1]);
    let compared = assert_same_at(zone, tz, spread.chain(edges));
    assert!(compared > 4_000, "{compared} instants");
}

/// Asserts that `zone` has `tz`'s offset at each of `instants`; returns how many.
fn assert_same_at(zone: &Zone, tz: Tz, instants: impl Iterator<Item = i64>) -> usize {
    let mut compared = 0;
    for t in instants {
        assert_eq!(
            system(zone, t),
            bundled(tz, t),
            "{} at {} ({t})",
            zone.name(),
            at(t)
        );
        compared += 1;
    }
    compared
}

#[test]
fn the_device_database_is_the_zoneinfo_directory_here() {
    let db = SystemDatabase::device().unwrap();
    let SystemDatabase::Directory(dir) = &db else {
        panic!("{db:?}")
    };
    assert!(dir.join("Europe/London").is_file(), "{db:?}");
    // Not an Android device: none of its bundles is here.
    assert!(matches!(
        SystemDatabase::first_bundle(&ANDROID_BUNDLES),
        Err(ZoneError::NoDatabase { looked }) if looked.contains("/apex/com.android.tzdata/etc/tz/tzdata")
    ));
}

#[test]
fn the_zoneinfo_directory_has_chrono_tz_offsets_at_every_dst_edge_1970_to_2100() {
    let db = zoneinfo();
    let mut all_edges = 0;
    for name in ZONES {
        let tz: Tz = name.parse().unwrap();
        let edges = transitions(tz);
        all_edges += edges.len();
        assert_same_offsets(&db.zone(name).unwrap(), &edges);
    }
    // London alone changes twice a year from 1972 to 2099.
    assert!(all_edges > 2_000, "{all_edges} edges");
}

/// The old POSIX-style names that tzdata 2024b turned into links to a city's zone (EET is
/// Europe/Athens since): chrono-tz follows that, Debian's package keeps their old rules
/// (EET without Athens's 1975 summer time). A difference of data, not of reading.
const LEGACY_RULE_ZONES: [&str; 8] = [
    "CET", "EET", "MET", "WET", "CST6CDT", "EST5EDT", "MST7MDT", "PST8PDT",
];

#[test]
fn every_zone_of_chrono_tz_reads_the_same_from_the_zoneinfo_directory() {
    let db = zoneinfo();
    let mut compared = 0;
    for tz in chrono_tz::TZ_VARIANTS {
        if LEGACY_RULE_ZONES.contains(&tz.name()) {
            continue;
        }
        // The few names only chrono-tz knows (none in Debian's 2025b) are skipped, named.
        let zone = match db.zone(tz.name()) {
            Ok(zone) => zone,
            Err(ZoneError::Unknown { name }) => {
                eprintln!("not in the zoneinfo directory: {name}");
                continue;
            }
            Err(e) => panic!("{}: {e}", tz.name()),
        };
        assert_same_at(&zone, tz, (FROM..TO).step_by(3_888_007));
        compared += 1;
    }
    assert!(compared > 550, "{compared} zones compared");
}

#[test]
fn local_midnight_maps_to_the_same_instant_as_chrono_tz_including_skipped_midnights() {
    let db = zoneinfo();
    for name in ZONES {
        let tz: Tz = name.parse().unwrap();
        let zone = db.zone(name).unwrap();
        let mut day = NaiveDate::from_ymd_opt(1971, 1, 1).unwrap();
        while day.year() < 2099 {
            for hour in [0, 1, 2, 3] {
                let local = day.and_hms_opt(hour, 30, 0).unwrap();
                let expected = tz
                    .from_local_datetime(&local)
                    .earliest()
                    .map(|t| t.timestamp_millis());
                let got = zone.earliest_from_local(local).map(Timestamp::as_millis);
                assert_eq!(got, expected, "{name} {local}");
            }
            day = day.succ_opt().unwrap();
        }
    }
    // The hour London skips has no instant; the hour it repeats, its first.
    let london = db.zone("Europe/London").unwrap();
    let local = |d, h| {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, 30, 0)
            .unwrap()
    };
    assert_eq!(london.earliest_from_local(local(29, 1)), None);
    let october = NaiveDate::from_ymd_opt(2026, 10, 25)
        .unwrap()
        .and_hms_opt(1, 30, 0)
        .unwrap();
    assert_eq!(
        london.earliest_from_local(october).unwrap().to_rfc3339(),
        "2026-10-25T00:30:00.000Z"
    );
}

/// An Android `tzdata` bundle of `zones`, built from the zoneinfo directory's TZif files
/// the way Android's ZoneCompactor lays it out.
fn android_bundle(zones: &[&str]) -> Vec<u8> {
    let dir = zoneinfo_dir();
    let mut names: Vec<&str> = zones.to_vec();
    names.sort_unstable();
    let mut index = Vec::new();
    let mut data = Vec::new();
    for name in names {
        let tzif = std::fs::read(dir.join(name)).unwrap();
        let mut entry = [0u8; 52];
        entry[..name.len()].copy_from_slice(name.as_bytes());
        entry[40..44].copy_from_slice(&(data.len() as u32).to_be_bytes());
        entry[44..48].copy_from_slice(&(tzif.len() as u32).to_be_bytes());
        entry[48..52].copy_from_slice(&0u32.to_be_bytes());
        index.extend_from_slice(&entry);
        data.extend_from_slice(&tzif);
    }
    let zonetab = b"GB\tEurope/London\n";
    let index_offset = 24u32;
    let data_offset = index_offset + index.len() as u32;
    let zonetab_offset = data_offset + data.len() as u32;
    let mut bundle = b"tzdata2025b\0".to_vec();
    for n in [index_offset, data_offset, zonetab_offset] {
        bundle.extend_from_slice(&n.to_be_bytes());
    }
    bundle.extend_from_slice(&index);
    bundle.extend_from_slice(&data);
    bundle.extend_from_slice(zonetab);
    bundle
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn an_android_tzdata_bundle_reads_the_same_as_chrono_tz() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "tzdata", &android_bundle(&ZONES));
    // Android's own order: the first of its places that exists.
    let places = ["/nonexistent/apex/tzdata", path.to_str().unwrap()];
    let db = SystemDatabase::first_bundle(&places).unwrap();
    assert_eq!(db, SystemDatabase::AndroidBundle(path.clone()));
    for name in ZONES {
        let zone = db.zone(name).unwrap();
        assert_eq!(zone.name(), name);
        assert_same_offsets(&zone, &transitions(name.parse().unwrap()));
    }
    assert!(matches!(
        db.zone("Europe/Paris"),
        Err(ZoneError::Unknown { name }) if name == "Europe/Paris"
    ));
}

fn assert_corrupt(result: Result<Zone, ZoneError>, what: &str) {
    assert!(
        matches!(result, Err(ZoneError::Corrupt { .. })),
        "{what}: {result:?}"
    );
}

#[test]
fn truncated_or_garbled_tzif_files_are_corrupt_not_a_panic() {
    let london = std::fs::read(zoneinfo_dir().join("Europe/London")).unwrap();
    assert!(london.starts_with(b"TZif"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("Europe")).unwrap();
    let db = SystemDatabase::Directory(dir.path().to_owned());
    // Cut anywhere, even just the footer's closing newline: corrupt.
    for len in 0..london.len() {
        write(dir.path(), "Europe/London", &london[..len]);
        assert_corrupt(db.zone("Europe/London"), &format!("first {len} bytes"));
    }
    // Any byte flipped: an error or a zone, never a panic; a flipped magic is an error.
    let mut flipped_ok = 0;
    for i in 0..london.len() {
        let mut bytes = london.clone();
        bytes[i] ^= 0xA5;
        write(dir.path(), "Europe/London", &bytes);
        match db.zone("Europe/London") {
            Ok(zone) => {
                // Whatever it parsed answers without panicking.
                zone.offset_at(at(1_795_000_000));
                flipped_ok += 1;
            }
            Err(e) => assert!(matches!(e, ZoneError::Corrupt { .. }), "byte {i}: {e:?}"),
        }
        if i < 4 {
            assert_corrupt(db.zone("Europe/London"), "magic");
        }
    }
    assert!(flipped_ok < london.len(), "every flip parsed");
    write(dir.path(), "Europe/London", b"GB\tEurope/London\n");
    assert_corrupt(db.zone("Europe/London"), "zone.tab text");
}

#[test]
fn truncated_or_garbled_android_bundles_are_corrupt_not_a_panic() {
    let bundle = android_bundle(&["Europe/London", "Pacific/Chatham"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tzdata");
    let db = SystemDatabase::AndroidBundle(path.clone());
    // Cut anywhere before the zone table's end: the last zone's data (or the header or
    // the index) is missing. Pacific/Chatham sorts last.
    let zonetab = u32::from_be_bytes(bundle[20..24].try_into().unwrap()) as usize;
    for len in 0..zonetab {
        std::fs::write(&path, &bundle[..len]).unwrap();
        assert_corrupt(db.zone("Pacific/Chatham"), &format!("first {len} bytes"));
    }
    let garbled = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = bundle.clone();
        edit(&mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        db.zone("Pacific/Chatham")
    };
    assert_corrupt(garbled(&|b| b[..6].copy_from_slice(b"TZif2\0")), "magic");
    assert_corrupt(
        garbled(&|b| b[12..16].copy_from_slice(&u32::MAX.to_be_bytes())),
        "index past the end",
    );
    assert_corrupt(
        garbled(&|b| b[12..16].copy_from_slice(&25u32.to_be_bytes())),
        "index of part entries",
    );
    assert_corrupt(
        garbled(&|b| b[16..20].copy_from_slice(&u32::MAX.to_be_bytes())),
        "data past the end",
    );
    // Chatham's entry (the second) says its data is longer than the file.
    assert_corrupt(
        garbled(&|b| b[24 + 52 + 44..24 + 52 + 48].copy_from_slice(&u32::MAX.to_be_bytes())),
        "entry past the end",
    );
    // Chatham's entry points at London's data shifted by one byte: not TZif.
    assert_corrupt(
        garbled(&|b| b[24 + 52 + 40..24 + 52 + 44].copy_from_slice(&1u32.to_be_bytes())),
        "entry at garbage",
    );
    // Bytes flipped anywhere in the header and index: an error or a zone, never a panic.
    for i in 0..24 + 2 * 52 {
        match garbled(&|b| b[i] ^= 0x5A) {
            Ok(zone) => assert_eq!(zone.name(), "Pacific/Chatham"),
            Err(e) => assert!(
                matches!(e, ZoneError::Corrupt { .. } | ZoneError::Unknown { .. }),
                "byte {i}: {e:?}"
            ),
        }
    }
}

#[test]
fn a_missing_database_or_a_name_that_is_no_zone_is_a_typed_error() {
    let missing = SystemDatabase::Directory("/nonexistent/zoneinfo".into());
    assert!(matches!(
        missing.zone("Europe/London"),
        Err(ZoneError::NoDatabase { .. })
    ));
    let missing = SystemDatabase::AndroidBundle("/nonexistent/tzdata".into());
    assert!(matches!(
        missing.zone("Europe/London"),
        Err(ZoneError::NoDatabase { .. })
    ));
    assert!(matches!(
        SystemDatabase::first_directory(&["/nonexistent/a", "/nonexistent/b"]),
        Err(ZoneError::NoDatabase { looked }) if looked == "/nonexistent/a, /nonexistent/b"
    ));
    let db = zoneinfo();
    // Names never opened (outside the database, or its side files), a directory, no zone.
    for name in [
        "../../../etc/passwd",
        "/etc/passwd",
        "Europe/../Europe/London",
        "right/Europe/London",
        "posix/Europe/London",
        "localtime",
        "posixrules",
        "Europe",
        "Europe/",
        "",
        "Mars/Olympus_Mons",
        "Europe/London\0",
    ] {
        assert!(
            matches!(db.zone(name), Err(ZoneError::Unknown { .. })),
            "{name:?}: {:?}",
            db.zone(name)
        );
    }
}

#[test]
fn the_builds_zones_are_cached_and_fall_back_to_utc() {
    let london = Zone::named("Europe/London").unwrap();
    // Summer time in London: 10:15 UTC is 11:15 there.
    let july = Timestamp::parse_rfc3339("2026-07-01T10:15:00Z").unwrap();
    assert_eq!(london.local(july).format("%H:%M").to_string(), "11:15");
    assert_eq!(Zone::named_or_utc("Mars/Olympus_Mons").name(), "UTC");
    assert_eq!(
        Zone::named_or_utc("Etc/UTC")
            .offset_at(july)
            .local_minus_utc(),
        0
    );
    assert!(matches!(
        Zone::named("Mars/Olympus_Mons"),
        Err(ZoneError::Unknown { name }) if name == "Mars/Olympus_Mons"
    ));
}
