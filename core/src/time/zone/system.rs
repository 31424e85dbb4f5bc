//! The device's own time-zone database.
//!
//! Two layouts hold the same TZif data (RFC 8536: versions 1 to 4, each zone's
//! transitions and, from version 2, a POSIX TZ rule for the instants after the last one):
//! - a directory of one file per zone, `<dir>/Europe/London`: Linux and macOS at
//!   `/usr/share/zoneinfo` (or `$TZDIR`), iOS too (there a link to
//!   `/var/db/timezone/zoneinfo`);
//! - Android's packed `tzdata` file: a header (`tzdata2024a\0`, then the big-endian
//!   offsets of the index, the data and the zone table), an index of 52-byte entries (the
//!   name NUL-padded to 40 bytes, the zone's offset from the data and its length, its raw
//!   UTC offset), then the zones' TZif data one after another. Android 10 and later keep
//!   it in the time-zone APEX; updates and older releases elsewhere ([`ANDROID_BUNDLES`]).
//!
//! The TZif itself is parsed by the `tz-rs` crate (no dependencies; it checks the data's
//! consistency, footer rule included, and returns errors rather than panicking). Reads are
//! bounded: no zone's data is taken past [`MAX_ZONE_BYTES`].

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{Zone, ZoneError};

/// Where Android keeps its packed database, the one to use first: the time-zone APEX
/// (Android 10 and later), an update installed over the system's copy, the system's copy.
pub const ANDROID_BUNDLES: [&str; 3] = [
    "/apex/com.android.tzdata/etc/tz/tzdata",
    "/data/misc/zoneinfo/current/tzdata",
    "/system/usr/share/zoneinfo/tzdata",
];

/// Where other systems keep one file per zone, looked at in order after `$TZDIR`:
/// Linux, macOS and iOS, iOS's target of that link, then older Unixes.
pub const ZONEINFO_DIRECTORIES: [&str; 4] = [
    "/usr/share/zoneinfo",
    "/var/db/timezone/zoneinfo",
    "/usr/lib/zoneinfo",
    "/usr/share/lib/zoneinfo",
];

/// The most TZif data read for one zone (the largest zone, "fat", is about 10 KB).
pub const MAX_ZONE_BYTES: u64 = 1 << 20;

/// Bytes of one entry of an Android bundle's index.
const INDEX_ENTRY: usize = 52;
/// Bytes of a zone's name in an index entry.
const INDEX_NAME: usize = 40;

/// A time-zone database on the device: where it is and how it is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemDatabase {
    /// One TZif file per zone under this directory.
    Directory(PathBuf),
    /// Android's packed `tzdata` file.
    AndroidBundle(PathBuf),
}

impl SystemDatabase {
    /// This device's database: on Android the first of [`ANDROID_BUNDLES`] that exists,
    /// elsewhere `$TZDIR` if set, else the first of [`ZONEINFO_DIRECTORIES`] that exists.
    pub fn device() -> Result<SystemDatabase, ZoneError> {
        if cfg!(target_os = "android") {
            Self::first_bundle(&ANDROID_BUNDLES)
        } else {
            let tzdir = std::env::var_os("TZDIR").filter(|d| !d.is_empty());
            match tzdir {
                Some(dir) => Ok(SystemDatabase::Directory(dir.into())),
                None => Self::first_directory(&ZONEINFO_DIRECTORIES),
            }
        }
    }

    /// The first of `paths` that is a file, as an Android bundle.
    pub fn first_bundle(paths: &[&str]) -> Result<SystemDatabase, ZoneError> {
        Self::first(paths, Path::is_file, SystemDatabase::AndroidBundle)
    }

    /// The first of `paths` that is a directory, as a zoneinfo directory.
    pub fn first_directory(paths: &[&str]) -> Result<SystemDatabase, ZoneError> {
        Self::first(paths, Path::is_dir, SystemDatabase::Directory)
    }

    fn first(
        paths: &[&str],
        is: fn(&Path) -> bool,
        database: fn(PathBuf) -> SystemDatabase,
    ) -> Result<SystemDatabase, ZoneError> {
        paths
            .iter()
            .map(Path::new)
            .find(|p| is(p))
            .map(|p| database(p.to_owned()))
            .ok_or_else(|| ZoneError::NoDatabase {
                looked: paths.join(", "),
            })
    }

    /// The zone `name` read from this database (not cached: [`Zone::named`] caches).
    pub fn zone(&self, name: &str) -> Result<Zone, ZoneError> {
        if !super::is_zone_name(name) {
            return Err(ZoneError::unknown(name));
        }
        let (path, data) = match self {
            SystemDatabase::Directory(dir) => {
                let path = dir.join(name);
                (path.clone(), read_zone_file(dir, &path, name)?)
            }
            SystemDatabase::AndroidBundle(path) => (path.clone(), read_bundle_entry(path, name)?),
        };
        let corrupt = |reason: String| ZoneError::Corrupt {
            path: format!("{} ({name})", path.display()),
            reason,
        };
        if !has_whole_footer(&data) {
            return Err(corrupt(
                "its TZ rule after the last transition is cut short".into(),
            ));
        }
        let tz = tz::TimeZone::from_tz_data(&data).map_err(|e| corrupt(e.to_string()))?;
        Ok(Zone::from_tzif(name, tz))
    }
}

fn unreadable(path: &Path, e: std::io::Error) -> ZoneError {
    ZoneError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> ZoneError {
    ZoneError::Corrupt {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// The bytes of `<dir>/<name>`; `Unknown` if there is no such file (a directory such as
/// `Europe` is not a zone), `NoDatabase` if `dir` itself is missing.
fn read_zone_file(dir: &Path, path: &Path, name: &str) -> Result<Vec<u8>, ZoneError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(ZoneError::unknown(name)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(if dir.is_dir() {
                ZoneError::unknown(name)
            } else {
                ZoneError::NoDatabase {
                    looked: dir.display().to_string(),
                }
            });
        }
        Err(e) => return Err(unreadable(path, e)),
    }
    let mut data = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_ZONE_BYTES + 1).read_to_end(&mut data))
        .map_err(|e| unreadable(path, e))?;
    if data.len() as u64 > MAX_ZONE_BYTES {
        return Err(corrupt(
            path,
            format!("{name} is larger than {MAX_ZONE_BYTES} bytes"),
        ));
    }
    Ok(data)
}

/// The TZif bytes of zone `name` in the Android bundle at `path`.
fn read_bundle_entry(path: &Path, name: &str) -> Result<Vec<u8>, ZoneError> {
    let mut file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ZoneError::NoDatabase {
            looked: path.display().to_string(),
        },
        _ => unreadable(path, e),
    })?;
    let len = file.metadata().map_err(|e| unreadable(path, e))?.len();
    let mut header = [0u8; 24];
    file.read_exact(&mut header)
        .map_err(|_| corrupt(path, "shorter than a tzdata header (24 bytes)"))?;
    if !header.starts_with(b"tzdata") || header[11] != 0 {
        return Err(corrupt(
            path,
            "does not start with a tzdata version (tzdata2024a)",
        ));
    }
    let (index, data) = (be_u32(&header, 12), be_u32(&header, 16));
    if !(24..=data).contains(&index) || data > len {
        return Err(corrupt(
            path,
            format!("index at {index} and data at {data} do not fit a file of {len} bytes"),
        ));
    }
    if (data - index) % INDEX_ENTRY as u64 != 0 {
        return Err(corrupt(
            path,
            format!(
                "an index of {} bytes is not whole 52-byte entries",
                data - index
            ),
        ));
    }
    let mut entries = vec![0u8; (data - index) as usize];
    file.seek(SeekFrom::Start(index))
        .and_then(|_| file.read_exact(&mut entries))
        .map_err(|e| unreadable(path, e))?;
    let entry = entries.chunks_exact(INDEX_ENTRY).find(|e| {
        let stored = &e[..INDEX_NAME];
        let end = stored.iter().position(|&b| b == 0).unwrap_or(INDEX_NAME);
        &stored[..end] == name.as_bytes()
    });
    let Some(entry) = entry else {
        return Err(ZoneError::unknown(name));
    };
    let (offset, length) = (be_u32(entry, INDEX_NAME), be_u32(entry, INDEX_NAME + 4));
    let start = data + offset;
    if length > MAX_ZONE_BYTES || start + length > len {
        return Err(corrupt(
            path,
            format!("{name}'s {length} bytes at {start} do not fit a file of {len} bytes"),
        ));
    }
    let mut zone = vec![0u8; length as usize];
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut zone))
        .map_err(|e| unreadable(path, e))?;
    Ok(zone)
}

/// Whether TZif `data` of version 2 or later ends in its whole footer: a newline where the
/// second header's data ends, the TZ rule, a newline as the last byte. tz-rs takes a file
/// cut just after the first newline as one with no rule, which would read every instant
/// after the last transition (for a "slim" file, today) in the last transition's offset.
/// Anything else wrong is left for tz-rs to find.
fn has_whole_footer(data: &[u8]) -> bool {
    const HEADER: usize = 44;
    if data.len() < HEADER || !data.starts_with(b"TZif") || data[4] == 0 {
        return true;
    }
    // The data's length after a header, with `time` bytes per transition time and
    // `leap` bytes per leap-second record.
    let block = |at: usize, time: u64, leap: u64| {
        let count = |i: usize| {
            data.get(at + 20 + 4 * i..at + 24 + 4 * i)
                .map(|_| be_u32(data, at + 20 + 4 * i))
        };
        let (isut, isstd, leaps, times, types, chars) = (
            count(0)?,
            count(1)?,
            count(2)?,
            count(3)?,
            count(4)?,
            count(5)?,
        );
        usize::try_from(times * time + times + types * 6 + chars + leaps * leap + isstd + isut).ok()
    };
    let Some(second) = block(0, 4, 8).map(|v1| HEADER + v1) else {
        return false;
    };
    let Some(footer) = block(second, 8, 12).map(|v2| second + HEADER + v2) else {
        return false;
    };
    data.len() >= footer + 2 && data[footer] == b'\n' && data.last() == Some(&b'\n')
}

/// The big-endian 32-bit number at `at` in `bytes` (which holds it).
fn be_u32(bytes: &[u8], at: usize) -> u64 {
    let mut n = [0u8; 4];
    n.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_be_bytes(n))
}
