//! The file side of encryption at rest: sealing a store's plain attachment files when it
//! gets a key ([`seal_existing_attachments`]) and sealing them again under a new key
//! ([`reseal_attachments`]). The database side (its key, `Store::rekey`) calls these.
//!
//! Each file is replaced atomically: its sealed copy is written beside it as
//! `<id>.partial` (locked while written, like a copy being attached), synced, renamed over
//! it, and the directory synced. A crash part-way leaves every file whole, either as it
//! was or in its new form, and at worst a `.partial` that the next open or the next run
//! removes or rewrites; running again finishes the work. Nothing changes if one file is
//! under a key that is neither of those given: that is `WrongKey` before the first write.
//!
//! What the store knows of its files is kept in the database (the `attachment_sealing`
//! row, [`Mark`]): the key id every file is under, so that a keyed open reads no file when
//! nothing can have changed, and a rekey under way, so that a rekey cut short between its
//! database step and its file step is finished, never guessed at ([`on_open`]).

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

use super::attachments::{replace_durably, PARTIAL_EXTENSION};
use crate::crypto::sealed_file::{self, AttachmentReader, Sequential};
use crate::crypto::StoreKey;
use crate::error::{CordonError, Result};

/// Seals every plain attachment file in `dir` under `key`'s attachment subkey; files
/// already sealed under it are left alone (idempotent). Returns how many were sealed.
/// A file sealed under another key is `WrongKey`, and then no file was changed.
pub fn seal_existing_attachments(dir: &Path, key: &StoreKey) -> Result<usize> {
    seal_existing(dir, &key.attachment_key())
}

/// Seals every attachment file in `dir` that is under `old`'s attachment subkey (or
/// still plain) again under `new`'s; files already under `new` are left alone, so a run
/// cut short is finished by running it again. Returns how many files were rewritten.
/// A file under neither key is `WrongKey`, and then no file was changed.
pub fn reseal_attachments(dir: &Path, old: &StoreKey, new: &StoreKey) -> Result<usize> {
    reseal(dir, &old.attachment_key(), &new.attachment_key())
}

/// [`seal_existing_attachments`] with the attachment subkey.
pub(crate) fn seal_existing(dir: &Path, key: &[u8; 32]) -> Result<usize> {
    rewrite(dir, None, key, &mut |_, _| false)
}

/// [`reseal_attachments`] with the attachment subkeys.
pub(crate) fn reseal(dir: &Path, old: &[u8; 32], new: &[u8; 32]) -> Result<usize> {
    rewrite(dir, Some(old), new, &mut |_, _| false)
}

/// What the database records about the attachment files (the `attachment_sealing` row),
/// key ids in hex.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Mark {
    /// Every file is sealed under this key id: a keyed open with it reads no file.
    pub(crate) files_key_id: Option<String>,
    /// A rekey under way: (the old key id, the new one). Written before the database is
    /// re-encrypted, cleared when every file is under the new key.
    pub(crate) rekey: Option<(String, String)>,
}

impl Mark {
    pub(crate) fn read(c: &Connection) -> Result<Mark> {
        let row = c
            .query_row(
                "SELECT files_key_id, rekey_from, rekey_to FROM attachment_sealing",
                [],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()?;
        Ok(match row {
            None => Mark::default(),
            Some((files_key_id, from, to)) => Mark {
                files_key_id,
                rekey: from.zip(to),
            },
        })
    }

    /// Writes the mark in its own transaction, synced (`synchronous=FULL` is the
    /// caller's: the store's write does it).
    pub(crate) fn write(&self, c: &Connection) -> Result<()> {
        let (from, to) = self.rekey.clone().unzip();
        c.execute(
            "INSERT INTO attachment_sealing (singleton, files_key_id, rekey_from, rekey_to)
             VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (singleton) DO UPDATE SET files_key_id = ?1, rekey_from = ?2,
                                                   rekey_to = ?3",
            (&self.files_key_id, from, to),
        )?;
        Ok(())
    }

    /// Every file under `key`, no rekey under way.
    pub(crate) fn sealed_under(key: &[u8; 32]) -> Mark {
        Mark {
            files_key_id: Some(id_hex(key)),
            rekey: None,
        }
    }
}

/// An attachment subkey's id, in hex (as the mark keeps it).
pub(crate) fn id_hex(key: &[u8; 32]) -> String {
    crate::model::hex(&sealed_file::key_id(key))
}

/// What a keyed open found of its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OnOpen {
    /// Every file is under the store's key (sealed now if it was plain).
    Sealed,
    /// Files are under the key before a rekey whose database step is done: the old
    /// key (this id, hex) must be given to `Store::finish_rekey`. Nothing was changed.
    RekeyUnfinished { old_key_id: String },
    /// Files under a key no mark names (a rekey cut short by a build before the mark):
    /// left as they are; the store opens and those files read as `WrongKey`.
    Unknown,
}

/// Brings the files in line with the store's key at a keyed open, as the mark says:
/// - the mark says every file is under `key`, no rekey under way: nothing is read;
/// - a rekey from another key to `key` is under way (its database step done): the files
///   are scanned; any still under the old key make the store wait for it
///   ([`OnOpen::RekeyUnfinished`]); none, and the rekey is over;
/// - a rekey from `key` is under way (its database step never happened, since `key`
///   opened the database): the rekey is forgotten, and the files scanned;
/// - otherwise (no mark: after the upgrade to the mark, a migration from a plaintext
///   store, a sealing cut short) the files are scanned and the plain ones sealed.
///
/// Once every file is under `key`, the mark says so.
pub(crate) fn on_open(conn: &Connection, dir: &Path, key: &[u8; 32]) -> Result<OnOpen> {
    let id = id_hex(key);
    let mark = Mark::read(conn)?;
    let settled = Mark::sealed_under(key);
    if mark == settled {
        return Ok(OnOpen::Sealed);
    }
    if let Some((from, to)) = &mark.rekey {
        if *to == id {
            let old = hex_id(from);
            // Without an old key to rewrite from, the old key's files are "others".
            let others = scan(dir, None, &sealed_file::key_id(key))?.others;
            if others.iter().any(|(_, o)| Some(o) == old.as_ref()) {
                return Ok(OnOpen::RekeyUnfinished {
                    old_key_id: from.clone(),
                });
            }
        }
    }
    match seal_existing(dir, key) {
        Ok(_) => {
            settled.write(conn)?;
            Ok(OnOpen::Sealed)
        }
        Err(CordonError::WrongKey { .. }) => {
            if mark.rekey.as_ref().is_some_and(|(from, _)| *from == id) {
                // The database never left `key`: the rekey did not happen.
                Mark {
                    files_key_id: None,
                    rekey: None,
                }
                .write(conn)?;
            }
            Ok(OnOpen::Unknown)
        }
        Err(e) => Err(e),
    }
}

/// A key id from its hex (`None` for text that is not one).
fn hex_id(hex: &str) -> Option<[u8; 8]> {
    if hex.len() != 16 {
        return None;
    }
    let mut id = [0u8; 8];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(id)
}

#[cfg(test)]
thread_local! {
    /// How many files' headers this thread's scans read (the tests' count).
    pub(crate) static HEADERS_READ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What [`scan`] found in an attachment directory.
struct Scan {
    /// The files to rewrite so that they are under the new key: plain ones, and those
    /// under the old key.
    todo: Vec<PathBuf>,
    /// The files under any other key, with its id (none when nothing is in the way).
    others: Vec<(PathBuf, [u8; 8])>,
}

/// Reads the header of every attachment file of `dir` against `old_id` and `new_id`. A
/// header cut short counts as `old_id`'s when there is one (reading it will say it is
/// damaged), else as another key's.
fn scan(dir: &Path, old_id: Option<&[u8; 8]>, new_id: &[u8; 8]) -> Result<Scan> {
    let mut todo = Vec::new();
    let mut others = Vec::new();
    for path in attachment_files(dir)? {
        #[cfg(test)]
        HEADERS_READ.with(|n| n.set(n.get() + 1));
        let mut file = File::open(&path).map_err(|e| CordonError::io(&path, e))?;
        let io = |e| CordonError::io(&path, e);
        if !sealed_file::is_sealed(&mut file).map_err(io)? {
            todo.push(path);
            continue;
        }
        match sealed_file::header_key_id(&mut file).map_err(io)? {
            Some(id) if id == *new_id => {}
            Some(id) if Some(&id) == old_id => todo.push(path),
            None if old_id.is_some() => todo.push(path),
            Some(id) => others.push((path, id)),
            None => others.push((path, [0; 8])),
        }
    }
    Ok(Scan { todo, others })
}

/// Rewrites every file of `dir` that is plain or under `old` so that it is under `new`.
/// `crash(n, partial)` is asked after the `n`th file's copy is written and before it is
/// renamed; `true` stops there as a killed process would (the tests' fault injection).
fn rewrite(
    dir: &Path,
    old: Option<&[u8; 32]>,
    new: &[u8; 32],
    crash: &mut dyn FnMut(usize, &Path) -> bool,
) -> Result<usize> {
    let new_id = sealed_file::key_id(new);
    let old_id = old.map(sealed_file::key_id);
    // First every file's state, so that a wrong key changes nothing.
    let Scan { todo, others } = scan(dir, old_id.as_ref(), &new_id)?;
    if let Some((path, _)) = others.first() {
        return Err(CordonError::WrongKey {
            path: path.display().to_string(),
        });
    }
    for (n, path) in todo.iter().enumerate() {
        let partial = path.with_extension(PARTIAL_EXTENSION);
        let mut output = File::create(&partial).map_err(|e| CordonError::io(&partial, e))?;
        let written = (|| {
            // Held while written: a store opened meanwhile leaves the copy alone.
            output.lock().map_err(|e| CordonError::io(&partial, e))?;
            let reader = AttachmentReader::open(path, old)?;
            let mut source = Sequential { reader, offset: 0 };
            sealed_file::seal(new, &mut source, &mut output, &partial)?;
            if crash(n, &partial) {
                return Err(CordonError::Storage {
                    detail: "injected crash".into(),
                });
            }
            replace_durably(&output, &partial, path)
        })();
        if let Err(e) = written {
            if !matches!(&e, CordonError::Storage { detail } if detail == "injected crash") {
                let _ = std::fs::remove_file(&partial);
            }
            return Err(e);
        }
    }
    if !todo.is_empty() {
        tracing::info!(
            files = todo.len(),
            "attachment files sealed under the store's key"
        );
    }
    Ok(todo.len())
}

/// The attachment files of `dir`, by name: files named by an id the core made (a
/// UUID). Not the copies being written, nor a file someone else left there.
fn attachment_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| CordonError::io(dir, e))? {
        let entry = entry.map_err(|e| CordonError::io(dir, e))?;
        let path = entry.path();
        let is_id = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| uuid::Uuid::try_parse(n).is_ok());
        if is_id && entry.file_type().is_ok_and(|t| t.is_file()) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: [u8; 32] = [1; 32];
    const NEW: [u8; 32] = [2; 32];

    fn plaintext(i: usize) -> Vec<u8> {
        (0..(i * 40_000 + 7))
            .map(|b| (b % 251) as u8 ^ i as u8)
            .collect()
    }

    fn read_all(path: &Path, key: Option<&[u8; 32]>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        AttachmentReader::open(path, key)?.for_each_chunk(|c| {
            out.extend_from_slice(c);
            Ok(())
        })?;
        Ok(out)
    }

    /// A directory of five plain attachments.
    fn plain_dir() -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let files = (0..5)
            .map(|i| {
                let p = dir
                    .path()
                    .join(format!("0193aaaa-0000-7000-8000-00000000000{i}"));
                std::fs::write(&p, plaintext(i)).unwrap();
                p
            })
            .collect();
        (dir, files)
    }

    fn sealed_under(path: &Path) -> Option<[u8; 8]> {
        let mut f = File::open(path).unwrap();
        if sealed_file::is_sealed(&mut f).unwrap() {
            sealed_file::header_key_id(&mut f).unwrap()
        } else {
            None
        }
    }

    fn partials(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == PARTIAL_EXTENSION)
            })
            .count()
    }

    #[test]
    fn a_crash_while_sealing_leaves_each_file_plain_or_sealed_and_the_next_run_finishes() {
        let (dir, files) = plain_dir();
        // Killed while writing the third file's copy: the copy is half there.
        let err = rewrite(dir.path(), None, &OLD, &mut |n, partial| {
            if n == 2 {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(partial)
                    .unwrap();
                f.set_len(1000).unwrap();
                return true;
            }
            false
        })
        .unwrap_err();
        assert!(matches!(err, CordonError::Storage { .. }));
        assert_eq!(
            partials(dir.path()),
            1,
            "the killed copy is left as a crash leaves it"
        );
        let states: Vec<_> = files.iter().map(|f| sealed_under(f)).collect();
        let old_id = Some(sealed_file::key_id(&OLD));
        assert_eq!(states, vec![old_id, old_id, None, None, None]);
        for (i, f) in files.iter().enumerate() {
            // Every file reads whole, sealed or not.
            assert_eq!(read_all(f, Some(&OLD)).unwrap(), plaintext(i));
        }

        assert_eq!(
            seal_existing(dir.path(), &OLD).unwrap(),
            3,
            "the rest, not the done"
        );
        assert_eq!(seal_existing(dir.path(), &OLD).unwrap(), 0, "idempotent");
        assert_eq!(
            partials(dir.path()),
            0,
            "the abandoned copy was written over and renamed"
        );
        for (i, f) in files.iter().enumerate() {
            assert_eq!(sealed_under(f), old_id);
            assert_eq!(read_all(f, Some(&OLD)).unwrap(), plaintext(i));
            let on_disk = std::fs::read(f).unwrap();
            let start = &plaintext(i)[..7];
            assert!(!on_disk.windows(start.len()).any(|w| w == start));
        }
    }

    #[test]
    fn a_crash_while_resealing_leaves_each_file_under_one_key_and_the_next_run_finishes() {
        let (dir, files) = plain_dir();
        seal_existing(dir.path(), &OLD).unwrap();
        let err = rewrite(dir.path(), Some(&OLD), &NEW, &mut |n, _| n == 3).unwrap_err();
        assert!(matches!(err, CordonError::Storage { .. }));
        let (old_id, new_id) = (sealed_file::key_id(&OLD), sealed_file::key_id(&NEW));
        let states: Vec<_> = files.iter().map(|f| sealed_under(f).unwrap()).collect();
        assert_eq!(states, vec![new_id, new_id, new_id, old_id, old_id]);
        // Under the new key the old files are a wrong key, not damage, and the reverse.
        assert!(matches!(
            read_all(&files[4], Some(&NEW)),
            Err(CordonError::WrongKey { .. })
        ));
        assert!(matches!(
            read_all(&files[0], Some(&OLD)),
            Err(CordonError::WrongKey { .. })
        ));

        assert_eq!(reseal(dir.path(), &OLD, &NEW).unwrap(), 2);
        assert_eq!(reseal(dir.path(), &OLD, &NEW).unwrap(), 0);
        assert_eq!(partials(dir.path()), 0);
        for (i, f) in files.iter().enumerate() {
            assert_eq!(sealed_under(f), Some(new_id));
            assert_eq!(read_all(f, Some(&NEW)).unwrap(), plaintext(i));
        }
    }

    #[test]
    fn a_wrong_old_key_changes_no_file() {
        let (dir, files) = plain_dir();
        seal_existing(dir.path(), &OLD).unwrap();
        let before: Vec<_> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        assert!(matches!(
            reseal(dir.path(), &[9; 32], &NEW),
            Err(CordonError::WrongKey { .. })
        ));
        assert!(matches!(
            seal_existing(dir.path(), &NEW),
            Err(CordonError::WrongKey { .. })
        ));
        let after: Vec<_> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        assert_eq!(before, after);
        assert_eq!(partials(dir.path()), 0);
    }

    #[test]
    fn a_version_1_file_stays_as_it_is_on_open_and_is_sealed_in_version_2_by_a_rekey() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0193aaaa-0000-7000-8000-000000000009");
        let source = dir.path().join("source");
        std::fs::write(&source, plaintext(3)).unwrap();
        let mut output = File::create(&path).unwrap();
        let file = File::open(&source).unwrap();
        let mut input = sealed_file::FileSource {
            file,
            path: &source,
        };
        sealed_file::seal_as(
            sealed_file::Format::V1,
            &OLD,
            &mut input,
            &mut output,
            &path,
        )
        .unwrap();
        drop(output);
        std::fs::remove_file(&source).unwrap();
        let format = |p: &Path| sealed_file::header_format(&mut File::open(p).unwrap()).unwrap();
        let before = std::fs::read(&path).unwrap();

        assert_eq!(seal_existing(dir.path(), &OLD).unwrap(), 0);
        assert_eq!(std::fs::read(&path).unwrap(), before, "left as it was");
        assert_eq!(format(&path), Some(sealed_file::Format::V1));

        assert_eq!(reseal(dir.path(), &OLD, &NEW).unwrap(), 1);
        assert_eq!(format(&path), Some(sealed_file::Format::V2));
        assert_eq!(read_all(&path, Some(&NEW)).unwrap(), plaintext(3));
    }
}
