//! Attachment files sealed at rest: an AEAD over fixed-size chunks in the STREAM
//! construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): each chunk's nonce is the
//! file's random nonce prefix, the chunk's index and a flag marking the last chunk, so a
//! chunk moved, dropped or cut off fails to open.
//!
//! Two format versions, told apart by the header's version byte. New files are written
//! in version 2; version 1 files (written before 2026-12-07) are still read, and are
//! sealed again in version 2 only when the store is rekeyed.
//!
//! ```text
//! header (72 bytes)  magic "CRDNSEAL" | version | log2(chunk) | 0 0
//!                    | key id (8) | salt (32) | nonce prefix (19 in v1, 7 then 12 zeros in v2)
//! chunk i            ciphertext (one chunk; the last 0..=one chunk) | tag (16)
//!
//! v1: XChaCha20-Poly1305, 64 KiB chunks,
//!     nonce of chunk i (24 bytes) = prefix (19) | i as u32 big-endian | 1 if last else 0
//! v2: AES-256-GCM, 256 KiB chunks (measured against 64 KiB: docs/PERFORMANCE.md),
//!     nonce of chunk i (12 bytes) = prefix (7) | i as u32 big-endian | 1 if last else 0
//! ```
//!
//! - The key of a file is HKDF-SHA256(store's attachment subkey, salt, "cordon/v1/
//!   attachment-file") with a random 32-byte salt: every file has its own key, wiped when
//!   the file is closed. That is what makes AES-GCM's 96-bit nonce safe here: a key seals
//!   one file only, and within it the chunk index never repeats, so no (key, nonce) pair
//!   is ever used twice, whatever the number of files (no birthday bound on random
//!   nonces). The 7-byte prefix is defence in depth, not needed for uniqueness.
//! - The whole header is the associated data of every chunk, so no byte of it can change
//!   unnoticed. The key id (HKDF of the attachment subkey) tells a wrong key (`WrongKey`)
//!   from a damaged file (`CorruptAttachment`), and which of two keys a file is under
//!   while the store is being rekeyed.
//! - A plaintext of `n` bytes has `max(1, ceil(n / chunk))` chunks: only an empty file
//!   has an empty chunk. The plaintext's length follows from the file's, and plaintext
//!   offset `o` lives in chunk `o / chunk`: a resumed upload starts there, not at 0.
//! - Every chunk is authenticated before one byte of it is handed out; the caller that
//!   needs the whole file to be good (an export) checks its SHA-256 before using it.
//!
//! A file that does not start with the magic is a plain attachment (written before the
//! store had a key, or by a store without one): [`AttachmentReader`] reads both.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use aes_gcm::Aes256Gcm;
use chacha20poly1305::aead::{self, consts::U16, AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;
use sha2::{Digest, Sha256};

use super::key::derive;
use crate::error::{CordonError, Result};

/// The first bytes of every sealed file.
pub(crate) const MAGIC: [u8; 8] = *b"CRDNSEAL";
const TAG_LEN: usize = 16;
/// Bytes before the first chunk.
pub const HEADER_LEN: usize = 72;
/// Where the nonce prefix starts in the header.
const PREFIX_AT: usize = 52;

/// A version of the file format: its cipher and chunk size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// XChaCha20-Poly1305, 64 KiB chunks: read, no longer written.
    V1,
    /// AES-256-GCM, 256 KiB chunks: what new files are written in.
    V2,
}

impl Format {
    /// The format new files are written in.
    pub(crate) const CURRENT: Format = Format::V2;

    fn version(self) -> u8 {
        match self {
            Format::V1 => 1,
            Format::V2 => 2,
        }
    }

    fn chunk_log2(self) -> u8 {
        match self {
            Format::V1 => 16,
            Format::V2 => 18,
        }
    }

    fn prefix_len(self) -> usize {
        match self {
            Format::V1 => 19,
            Format::V2 => 7,
        }
    }

    /// The format a header names, if it is one this build reads.
    fn of(header: &[u8; HEADER_LEN]) -> Option<Format> {
        let format = match header[8] {
            1 => Format::V1,
            2 => Format::V2,
            _ => return None,
        };
        (header[9] == format.chunk_log2() && header[10..12] == [0, 0]).then_some(format)
    }

    /// Plaintext bytes per chunk.
    fn chunk(self) -> usize {
        1 << self.chunk_log2()
    }
}

/// Plaintext bytes per chunk of the files written now.
pub const CHUNK: usize = 1 << 18;

/// An attachment subkey's identifier: which key a file is under, without revealing it.
pub(crate) fn key_id(attachment_key: &[u8; 32]) -> [u8; 8] {
    let full = derive(attachment_key, None, b"cordon/v1/attachment-key-id");
    let mut id = [0u8; 8];
    id.copy_from_slice(&full[..8]);
    id
}

/// A file's AEAD, keyed with the file's own key.
enum Aead {
    XChaCha(Box<XChaCha20Poly1305>),
    AesGcm(Box<Aes256Gcm>),
}

/// One sealed file's cipher: its own key, its format and its header.
struct FileCipher {
    aead: Aead,
    format: Format,
    header: [u8; HEADER_LEN],
}

impl FileCipher {
    /// A new file's header (fresh random salt and nonce prefix) and cipher.
    fn fresh(attachment_key: &[u8; 32], format: Format) -> Self {
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(&MAGIC);
        header[8] = format.version();
        header[9] = format.chunk_log2();
        header[12..20].copy_from_slice(&key_id(attachment_key));
        // ThreadRng: a CSPRNG seeded from the operating system.
        header[20..52].copy_from_slice(&rand::random::<[u8; 32]>());
        let prefix = rand::random::<[u8; 19]>();
        let len = format.prefix_len();
        header[PREFIX_AT..PREFIX_AT + len].copy_from_slice(&prefix[..len]);
        Self::with_header(attachment_key, format, header)
    }

    fn with_header(attachment_key: &[u8; 32], format: Format, header: [u8; HEADER_LEN]) -> Self {
        let file_key = derive(
            attachment_key,
            Some(&header[20..52]),
            b"cordon/v1/attachment-file",
        );
        let key: &[u8; 32] = &file_key;
        let aead = match format {
            Format::V1 => Aead::XChaCha(Box::new(XChaCha20Poly1305::new(key.into()))),
            Format::V2 => Aead::AesGcm(Box::new(Aes256Gcm::new(key.into()))),
        };
        FileCipher {
            aead,
            format,
            header,
        }
    }

    /// Chunk `index`'s nonce (prefix, index, last flag) in `out`, which is the cipher's
    /// nonce size; `None` past 2^32 chunks.
    fn nonce(&self, index: u64, last: bool, out: &mut [u8]) -> Option<()> {
        let index = u32::try_from(index).ok()?;
        let len = self.format.prefix_len();
        out[..len].copy_from_slice(&self.header[PREFIX_AT..PREFIX_AT + len]);
        out[len..len + 4].copy_from_slice(&index.to_be_bytes());
        out[len + 4] = u8::from(last);
        Some(())
    }

    /// Encrypts `chunk` in place and returns its tag.
    fn seal(&self, index: u64, last: bool, chunk: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        let tag = match &self.aead {
            Aead::XChaCha(aead) => self.seal_with(aead.as_ref(), index, last, chunk),
            Aead::AesGcm(aead) => self.seal_with(aead.as_ref(), index, last, chunk),
        };
        tag.ok_or_else(|| CordonError::Storage {
            detail: "attachment too large to seal (more than 2^32 chunks)".into(),
        })
    }

    /// Decrypts `chunk` in place if `tag` authenticates it at `index`.
    fn open(&self, index: u64, last: bool, chunk: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        match &self.aead {
            Aead::XChaCha(aead) => self.open_with(aead.as_ref(), index, last, chunk, tag),
            Aead::AesGcm(aead) => self.open_with(aead.as_ref(), index, last, chunk, tag),
        }
    }

    fn seal_with<A: AeadInOut<TagSize = U16>>(
        &self,
        aead: &A,
        index: u64,
        last: bool,
        chunk: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        let mut nonce = aead::Nonce::<A>::default();
        self.nonce(index, last, &mut nonce)?;
        let tag = aead
            .encrypt_inout_detached(&nonce, &self.header, chunk.into())
            .ok()?;
        Some(tag.into())
    }

    fn open_with<A: AeadInOut<TagSize = U16>>(
        &self,
        aead: &A,
        index: u64,
        last: bool,
        chunk: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        let mut nonce = aead::Nonce::<A>::default();
        self.nonce(index, last, &mut nonce).is_some()
            && aead
                .decrypt_inout_detached(&nonce, &self.header, chunk.into(), tag.into())
                .is_ok()
    }
}

/// Where plaintext comes from while sealing: [`fill`](Self::fill) fills `buf` and
/// returns fewer bytes only at the end.
pub(crate) trait PlainSource {
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize>;
}

/// A file read from its start.
pub(crate) struct FileSource<'a> {
    pub(crate) file: File,
    pub(crate) path: &'a Path,
}

impl PlainSource for FileSource<'_> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        read_full(&mut self.file, buf).map_err(|e| CordonError::io(self.path, e))
    }
}

/// Reads until `buf` is full or the end of the file.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Seals everything `source` holds into `output` (at its current position) under
/// `attachment_key`, in the current format, two chunks in memory at a time; returns the
/// plaintext's size and hex SHA-256.
pub(crate) fn seal(
    attachment_key: &[u8; 32],
    source: &mut dyn PlainSource,
    output: &mut File,
    output_path: &Path,
) -> Result<(u64, String)> {
    seal_as(Format::CURRENT, attachment_key, source, output, output_path)
}

/// [`seal`] in `format` (the tests write old versions with it).
pub(crate) fn seal_as(
    format: Format,
    attachment_key: &[u8; 32],
    source: &mut dyn PlainSource,
    output: &mut File,
    output_path: &Path,
) -> Result<(u64, String)> {
    let cipher = FileCipher::fresh(attachment_key, format);
    let chunk = format.chunk();
    let write = |out: &mut File, bytes: &[u8]| {
        out.write_all(bytes)
            .map_err(|e| CordonError::io(output_path, e))
    };
    write(output, &cipher.header)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    // Each buffer holds a chunk and room for its tag, so the chunk is hashed, encrypted
    // in place and written with its tag in one call: no copy of the bytes.
    let mut current = vec![0u8; chunk + TAG_LEN];
    let mut next = vec![0u8; chunk + TAG_LEN];
    let mut n = source.fill(&mut current[..chunk])?;
    let mut index = 0u64;
    loop {
        // A full chunk is the last only if nothing follows it.
        let following = if n < chunk {
            0
        } else {
            source.fill(&mut next[..chunk])?
        };
        let last = following == 0;
        hasher.update(&current[..n]);
        size += n as u64;
        let tag = cipher.seal(index, last, &mut current[..n])?;
        current[n..n + TAG_LEN].copy_from_slice(&tag);
        write(output, &current[..n + TAG_LEN])?;
        if last {
            return Ok((size, crate::model::hex(&hasher.finalize())));
        }
        std::mem::swap(&mut current, &mut next);
        n = following;
        index += 1;
    }
}

/// What the first bytes of a file say it is.
pub(crate) fn is_sealed(file: &mut File) -> std::io::Result<bool> {
    let mut magic = [0u8; 8];
    file.seek(SeekFrom::Start(0))?;
    let n = read_full(file, &mut magic)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(n == magic.len() && magic == MAGIC)
}

/// The format a sealed file's header names (`None` for one too short or unknown).
#[cfg(test)]
pub(crate) fn header_format(file: &mut File) -> std::io::Result<Option<Format>> {
    let mut header = [0u8; HEADER_LEN];
    file.seek(SeekFrom::Start(0))?;
    let n = read_full(file, &mut header)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(if n == HEADER_LEN {
        Format::of(&header)
    } else {
        None
    })
}

/// The key id a sealed file's header names (`None` for a file too short to have one).
pub(crate) fn header_key_id(file: &mut File) -> std::io::Result<Option<[u8; 8]>> {
    let mut header = [0u8; HEADER_LEN];
    file.seek(SeekFrom::Start(0))?;
    let n = read_full(file, &mut header)?;
    file.seek(SeekFrom::Start(0))?;
    Ok((n == HEADER_LEN).then(|| header[12..20].try_into().unwrap_or([0; 8])))
}

/// A sealed file opened for reading plaintext at any offset. Holds one decrypted chunk.
pub(crate) struct SealedReader {
    file: File,
    path: PathBuf,
    cipher: FileCipher,
    /// Plaintext bytes per chunk, and sealed bytes per chunk (with its tag).
    chunk: usize,
    sealed_chunk: u64,
    plain_len: u64,
    chunks: u64,
    /// The chunk held in `buf` (decrypted and authenticated), if any.
    held: Option<u64>,
    buf: Vec<u8>,
    held_len: usize,
}

impl SealedReader {
    /// Opens a sealed file: a key other than the one it was sealed under is `WrongKey`;
    /// a header or first chunk that does not authenticate is `CorruptAttachment`.
    pub(crate) fn open(mut file: File, path: &Path, attachment_key: &[u8; 32]) -> Result<Self> {
        let io = |e| CordonError::io(path, e);
        let mut header = [0u8; HEADER_LEN];
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        if read_full(&mut file, &mut header).map_err(io)? < HEADER_LEN || header[..8] != MAGIC {
            return Err(corrupt(path, "the header is cut short"));
        }
        let Some(format) = Format::of(&header) else {
            return Err(corrupt(
                path,
                format!(
                    "unknown format version {} (chunk 2^{})",
                    header[8], header[9]
                ),
            ));
        };
        if header[12..20] != key_id(attachment_key) {
            return Err(CordonError::WrongKey {
                path: path.display().to_string(),
            });
        }
        let chunk = format.chunk();
        let sealed_chunk = (chunk + TAG_LEN) as u64;
        let file_len = file.metadata().map_err(io)?.len();
        let body = file_len.saturating_sub(HEADER_LEN as u64);
        let chunks = body.div_ceil(sealed_chunk);
        let last_len = body - chunks.saturating_sub(1) * sealed_chunk;
        if chunks == 0 || last_len < TAG_LEN as u64 {
            return Err(corrupt(path, "the file is cut short"));
        }
        let plain_len = (chunks - 1) * chunk as u64 + (last_len - TAG_LEN as u64);
        let mut reader = SealedReader {
            file,
            path: path.to_path_buf(),
            cipher: FileCipher::with_header(attachment_key, format, header),
            chunk,
            sealed_chunk,
            plain_len,
            chunks,
            held: None,
            buf: vec![0u8; chunk],
            held_len: 0,
        };
        // The first chunk authenticates the header with the key: a damaged header shows
        // now rather than mid-upload.
        reader.load(0)?;
        Ok(reader)
    }

    /// The plaintext length of chunk `index`.
    fn plain_len_of(&self, index: u64) -> usize {
        if index + 1 == self.chunks {
            (self.plain_len - index * self.chunk as u64) as usize
        } else {
            self.chunk
        }
    }

    /// Decrypts chunk `index` into `buf` (unless it is there already).
    fn load(&mut self, index: u64) -> Result<()> {
        if self.held == Some(index) {
            return Ok(());
        }
        self.held = None;
        let plain = self.plain_len_of(index);
        let mut buf = std::mem::take(&mut self.buf);
        let opened = self.open_into(index, &mut buf[..plain]);
        self.buf = buf;
        opened?;
        self.held = Some(index);
        self.held_len = plain;
        Ok(())
    }

    /// Reads chunk `index` and decrypts it into `out`, which is its plaintext's length.
    fn open_into(&mut self, index: u64, out: &mut [u8]) -> Result<()> {
        let io = |e| CordonError::io(&self.path, e);
        self.file
            .seek(SeekFrom::Start(
                HEADER_LEN as u64 + index * self.sealed_chunk,
            ))
            .map_err(io)?;
        let mut tag = [0u8; TAG_LEN];
        if read_full(&mut self.file, out).map_err(io)? < out.len()
            || read_full(&mut self.file, &mut tag).map_err(io)? < TAG_LEN
        {
            return Err(corrupt(&self.path, "the file changed length while read"));
        }
        let last = index + 1 == self.chunks;
        if !self.cipher.open(index, last, out, &tag) {
            return Err(corrupt(
                &self.path,
                format!(
                    "chunk {index} of {} does not authenticate (altered, moved or cut)",
                    self.chunks
                ),
            ));
        }
        Ok(())
    }

    /// Copies plaintext from `offset` into `out` until it is full or the plaintext ends;
    /// returns how many bytes were copied (0 at or past the end). A whole chunk that fits
    /// in `out` is decrypted there directly (an upload's 1 MiB buffer takes four);
    /// only a chunk read in part goes through the held one.
    pub(crate) fn read_at(&mut self, offset: u64, out: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled < out.len() {
            let at = offset + filled as u64;
            if at >= self.plain_len {
                break;
            }
            let index = at / self.chunk as u64;
            let within = (at - index * self.chunk as u64) as usize;
            let whole = self.plain_len_of(index);
            if within == 0 && whole <= out.len() - filled && self.held != Some(index) {
                self.open_into(index, &mut out[filled..filled + whole])?;
                filled += whole;
                continue;
            }
            self.load(index)?;
            let n = (self.held_len - within).min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&self.buf[within..within + n]);
            filled += n;
        }
        Ok(filled)
    }
}

/// An attachment's plaintext read from its start (to seal it again under another key).
pub(crate) struct Sequential {
    pub(crate) reader: AttachmentReader,
    pub(crate) offset: u64,
}

impl PlainSource for Sequential {
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.reader.read_at(self.offset, buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// A damaged sealed file, named by its attachment id (the file's name).
fn corrupt(path: &Path, detail: impl Into<String>) -> CordonError {
    CordonError::CorruptAttachment {
        attachment_id: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        detail: detail.into(),
    }
}

/// An attachment's plaintext, from a sealed file or a plain one.
pub(crate) enum AttachmentReader {
    Plain { file: File, path: PathBuf },
    Sealed(SealedReader),
}

impl AttachmentReader {
    /// Opens the attachment file at `path`: a sealed file with `attachment_key` (none is
    /// `WrongKey`), any other file as plain bytes.
    pub(crate) fn open(path: &Path, attachment_key: Option<&[u8; 32]>) -> Result<Self> {
        let mut file = File::open(path).map_err(|e| CordonError::io(path, e))?;
        if !is_sealed(&mut file).map_err(|e| CordonError::io(path, e))? {
            return Ok(AttachmentReader::Plain {
                file,
                path: path.to_path_buf(),
            });
        }
        let key = attachment_key.ok_or_else(|| CordonError::WrongKey {
            path: path.display().to_string(),
        })?;
        SealedReader::open(file, path, key).map(AttachmentReader::Sealed)
    }

    /// Plaintext from `offset` into `out`, until `out` is full or the plaintext ends.
    pub(crate) fn read_at(&mut self, offset: u64, out: &mut [u8]) -> Result<usize> {
        match self {
            AttachmentReader::Plain { file, path } => file
                .seek(SeekFrom::Start(offset))
                .and_then(|_| read_full(file, out))
                .map_err(|e| CordonError::io(path, e)),
            AttachmentReader::Sealed(r) => r.read_at(offset, out),
        }
    }

    /// Hands the plaintext to `f` chunk by chunk from the start; returns its size.
    pub(crate) fn for_each_chunk(&mut self, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<u64> {
        let mut buf = vec![0u8; CHUNK];
        let mut offset = 0u64;
        loop {
            let n = self.read_at(offset, &mut buf)?;
            if n == 0 {
                return Ok(offset);
            }
            f(&buf[..n])?;
            offset += n as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn pattern(len: u32) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect()
    }

    fn read_all(path: &Path, key: &[u8; 32]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        AttachmentReader::open(path, Some(key))?.for_each_chunk(|c| {
            out.extend_from_slice(c);
            Ok(())
        })?;
        Ok(out)
    }

    /// Seals `plain` in `format` into a file of `dir`; returns its path.
    fn sealed(dir: &Path, format: Format, plain: &[u8]) -> PathBuf {
        let source = dir.join("plain");
        std::fs::write(&source, plain).unwrap();
        let path = dir.join(format!("sealed-{format:?}"));
        let mut output = File::create(&path).unwrap();
        let file = File::open(&source).unwrap();
        let mut source = FileSource {
            file,
            path: &source,
        };
        seal_as(format, &KEY, &mut source, &mut output, &path).unwrap();
        path
    }

    #[test]
    fn a_version_1_file_written_by_the_previous_build_still_reads() {
        // Sealed by the XChaCha20-Poly1305 build (2026-12-06) under [7; 32]: 70,000
        // bytes of `pattern`, two chunks.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0193aaaa-0000-7000-8000-000000000001");
        std::fs::write(
            &path,
            include_bytes!("testdata/v1-xchacha20poly1305.sealed"),
        )
        .unwrap();
        let mut file = File::open(&path).unwrap();
        assert_eq!(header_format(&mut file).unwrap(), Some(Format::V1));
        assert_eq!(read_all(&path, &KEY).unwrap(), pattern(70_000));
        let mut reader = AttachmentReader::open(&path, Some(&KEY)).unwrap();
        let mut mid = [0u8; 10];
        assert_eq!(reader.read_at(65_530, &mut mid).unwrap(), 10);
        assert_eq!(mid[..], pattern(70_000)[65_530..65_540]);
        // A flipped bit in its second chunk is damage, found when that chunk is read.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[HEADER_LEN + 65_536 + 16 + 100] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(
            read_all(&path, &KEY),
            Err(CordonError::CorruptAttachment { .. })
        ));
    }

    #[test]
    fn new_files_are_version_2_aes_gcm_and_read_back_at_any_offset() {
        let dir = tempfile::tempdir().unwrap();
        let plain = pattern(3 * CHUNK as u32 + 5);
        let path = sealed(dir.path(), Format::CURRENT, &plain);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[8], 2, "version byte");
        assert_eq!(bytes[9], 18, "256 KiB chunks");
        // The 7-byte prefix is random, the rest of the prefix field zero.
        assert_eq!(bytes[PREFIX_AT + 7..HEADER_LEN], [0u8; 13]);
        assert_eq!(
            bytes.len(),
            HEADER_LEN + plain.len() + 4 * TAG_LEN,
            "four chunks, each with its tag"
        );
        assert_eq!(read_all(&path, &KEY).unwrap(), plain);
        let mut reader = AttachmentReader::open(&path, Some(&KEY)).unwrap();
        // Straddling chunks, whole chunks directly into the buffer, and the tail.
        for (offset, len) in [
            (0, 10),
            (CHUNK - 3, 7),
            (CHUNK, 2 * CHUNK),
            (100, 3 * CHUNK),
        ] {
            let mut out = vec![0u8; len];
            let n = reader.read_at(offset as u64, &mut out).unwrap();
            let end = (offset + len).min(plain.len());
            assert_eq!(n, end - offset);
            assert_eq!(out[..n], plain[offset..end], "{offset}+{len}");
        }
    }

    #[test]
    fn a_version_2_chunk_moved_or_marked_last_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let plain = pattern(2 * CHUNK as u32);
        let path = sealed(dir.path(), Format::V2, &plain);
        let bytes = std::fs::read(&path).unwrap();
        let sealed_chunk = CHUNK + TAG_LEN;
        // The two chunks swapped: each is authenticated at its own index only.
        let mut swapped = bytes[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&bytes[HEADER_LEN + sealed_chunk..]);
        swapped.extend_from_slice(&bytes[HEADER_LEN..HEADER_LEN + sealed_chunk]);
        std::fs::write(&path, &swapped).unwrap();
        assert!(matches!(
            AttachmentReader::open(&path, Some(&KEY)),
            Err(CordonError::CorruptAttachment { .. })
        ));
        // Cut after the first chunk: it was not sealed as the last, so it does not open.
        std::fs::write(&path, &bytes[..HEADER_LEN + sealed_chunk]).unwrap();
        assert!(matches!(
            AttachmentReader::open(&path, Some(&KEY)),
            Err(CordonError::CorruptAttachment { .. })
        ));
        // The version byte changed to 1: the header is associated data, nothing opens.
        let mut relabelled = bytes.clone();
        relabelled[8] = 1;
        std::fs::write(&path, &relabelled).unwrap();
        assert!(matches!(
            AttachmentReader::open(&path, Some(&KEY)),
            Err(CordonError::CorruptAttachment { .. })
        ));
    }

    #[test]
    fn no_two_files_share_a_key_or_a_chunk_a_nonce() {
        let dir = tempfile::tempdir().unwrap();
        let a = FileCipher::fresh(&KEY, Format::V2);
        let b = FileCipher::fresh(&KEY, Format::V2);
        assert_ne!(a.header[20..52], b.header[20..52], "salts differ");
        let mut nonces = std::collections::HashSet::new();
        for index in 0..300u64 {
            for last in [false, true] {
                let mut nonce = [0u8; 12];
                a.nonce(index, last, &mut nonce).unwrap();
                assert!(nonces.insert(nonce), "{index} {last}");
            }
        }
        let mut nonce = [0u8; 12];
        assert!(a.nonce(1 << 32, false, &mut nonce).is_none(), "no wrap");
        drop(dir);
    }
}
