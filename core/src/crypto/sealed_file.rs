//! Attachment files sealed at rest: XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`)
//! over fixed 64 KiB chunks, in the STREAM construction (Hoang, Reyhanitabar, Rogaway,
//! Vizár 2015): each chunk's nonce is the file's random nonce prefix, the chunk's index
//! and a flag marking the last chunk, so a chunk moved, dropped or cut off fails to open.
//!
//! ```text
//! header (72 bytes)  magic "CRDNSEAL" | version 1 | log2(chunk) = 16 | 0 0
//!                    | key id (8) | salt (32) | nonce prefix (19) | 0
//! chunk i            ciphertext (64 KiB; the last 0..=64 KiB) | Poly1305 tag (16)
//! nonce of chunk i   nonce prefix (19) | i as u32 big-endian | 1 if last else 0
//! ```
//!
//! - The key of a file is HKDF-SHA256(store's attachment subkey, salt, "cordon/v1/
//!   attachment-file"): every file has its own key, wiped when the file is closed.
//! - The whole header is the associated data of every chunk, so no byte of it can change
//!   unnoticed. The key id (HKDF of the attachment subkey) tells a wrong key (`WrongKey`)
//!   from a damaged file (`CorruptAttachment`), and which of two keys a file is under
//!   while the store is being rekeyed.
//! - A plaintext of `n` bytes has `max(1, ceil(n / 64 KiB))` chunks: only an empty file
//!   has an empty chunk. The plaintext's length follows from the file's, and plaintext
//!   offset `o` lives in chunk `o / 64 KiB`: a resumed upload starts there, not at 0.
//! - Every chunk is authenticated before one byte of it is handed out; the caller that
//!   needs the whole file to be good (an export) checks its SHA-256 before using it.
//!
//! A file that does not start with the magic is a plain attachment (written before the
//! store had a key, or by a store without one): [`AttachmentReader`] reads both.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use super::key::derive;
use crate::error::{CordonError, Result};

/// The first bytes of every sealed file.
pub(crate) const MAGIC: [u8; 8] = *b"CRDNSEAL";
const VERSION: u8 = 1;
const CHUNK_LOG2: u8 = 16;
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 1 << CHUNK_LOG2;
const TAG_LEN: usize = 16;
const SEALED_CHUNK: u64 = (CHUNK + TAG_LEN) as u64;
const PREFIX_LEN: usize = 19;
/// Bytes before the first chunk.
pub const HEADER_LEN: usize = 72;

/// An attachment subkey's identifier: which key a file is under, without revealing it.
pub(crate) fn key_id(attachment_key: &[u8; 32]) -> [u8; 8] {
    let full = derive(attachment_key, None, b"cordon/v1/attachment-key-id");
    let mut id = [0u8; 8];
    id.copy_from_slice(&full[..8]);
    id
}

/// One sealed file's cipher: its own key, its nonce prefix and its header.
struct FileCipher {
    aead: XChaCha20Poly1305,
    header: [u8; HEADER_LEN],
}

impl FileCipher {
    /// A new file's header (fresh random salt and nonce prefix) and cipher.
    fn fresh(attachment_key: &[u8; 32]) -> Self {
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(&MAGIC);
        header[8] = VERSION;
        header[9] = CHUNK_LOG2;
        header[12..20].copy_from_slice(&key_id(attachment_key));
        // ThreadRng: a CSPRNG seeded from the operating system.
        header[20..52].copy_from_slice(&rand::random::<[u8; 32]>());
        header[52..52 + PREFIX_LEN].copy_from_slice(&rand::random::<[u8; PREFIX_LEN]>());
        Self::with_header(attachment_key, header)
    }

    fn with_header(attachment_key: &[u8; 32], header: [u8; HEADER_LEN]) -> Self {
        let file_key = derive(
            attachment_key,
            Some(&header[20..52]),
            b"cordon/v1/attachment-file",
        );
        let aead = XChaCha20Poly1305::new(file_key.as_slice().try_into().unwrap_or_else(|_| {
            unreachable!("a derived key is 32 bytes, XChaCha20-Poly1305's key size")
        }));
        FileCipher { aead, header }
    }

    fn nonce(&self, index: u64, last: bool) -> Option<XNonce> {
        let index = u32::try_from(index).ok()?;
        let mut nonce = XNonce::default();
        nonce[..PREFIX_LEN].copy_from_slice(&self.header[52..52 + PREFIX_LEN]);
        nonce[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&index.to_be_bytes());
        nonce[23] = u8::from(last);
        Some(nonce)
    }

    /// Encrypts `chunk` in place and returns its tag.
    fn seal(&self, index: u64, last: bool, chunk: &mut [u8]) -> Result<Tag> {
        let too_long = || CordonError::Storage {
            detail: "attachment too large to seal (more than 2^32 chunks)".into(),
        };
        let nonce = self.nonce(index, last).ok_or_else(too_long)?;
        self.aead
            .encrypt_inout_detached(&nonce, &self.header, chunk.into())
            .map_err(|_| too_long())
    }

    /// Decrypts `chunk` in place if `tag` authenticates it at `index`.
    fn open(&self, index: u64, last: bool, chunk: &mut [u8], tag: &[u8]) -> bool {
        let (Some(nonce), Ok(tag)) = (self.nonce(index, last), Tag::try_from(tag)) else {
            return false;
        };
        self.aead
            .decrypt_inout_detached(&nonce, &self.header, chunk.into(), &tag)
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
/// `attachment_key`, two chunks in memory at a time; returns the plaintext's size and
/// hex SHA-256.
pub(crate) fn seal(
    attachment_key: &[u8; 32],
    source: &mut dyn PlainSource,
    output: &mut File,
    output_path: &Path,
) -> Result<(u64, String)> {
    let cipher = FileCipher::fresh(attachment_key);
    let write = |out: &mut File, bytes: &[u8]| {
        out.write_all(bytes)
            .map_err(|e| CordonError::io(output_path, e))
    };
    write(output, &cipher.header)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut current = vec![0u8; CHUNK + TAG_LEN];
    let mut next = vec![0u8; CHUNK + TAG_LEN];
    let mut n = source.fill(&mut current[..CHUNK])?;
    let mut index = 0u64;
    loop {
        // A full chunk is the last only if nothing follows it.
        let following = if n < CHUNK {
            0
        } else {
            source.fill(&mut next[..CHUNK])?
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
        if header[8] != VERSION || header[9] != CHUNK_LOG2 || header[10..12] != [0, 0] {
            return Err(corrupt(
                path,
                format!(
                    "unknown format version {} (chunk 2^{})",
                    header[8], header[9]
                ),
            ));
        }
        if header[12..20] != key_id(attachment_key) {
            return Err(CordonError::WrongKey {
                path: path.display().to_string(),
            });
        }
        let file_len = file.metadata().map_err(io)?.len();
        let body = file_len.saturating_sub(HEADER_LEN as u64);
        let chunks = body.div_ceil(SEALED_CHUNK);
        let last_len = body - chunks.saturating_sub(1) * SEALED_CHUNK;
        if chunks == 0 || last_len < TAG_LEN as u64 {
            return Err(corrupt(path, "the file is cut short"));
        }
        let plain_len = (chunks - 1) * CHUNK as u64 + (last_len - TAG_LEN as u64);
        let mut reader = SealedReader {
            file,
            path: path.to_path_buf(),
            cipher: FileCipher::with_header(attachment_key, header),
            plain_len,
            chunks,
            held: None,
            buf: vec![0u8; CHUNK + TAG_LEN],
            held_len: 0,
        };
        // The first chunk authenticates the header with the key: a damaged header shows
        // now rather than mid-upload.
        reader.load(0)?;
        Ok(reader)
    }

    /// Decrypts chunk `index` into `buf` (unless it is there already).
    fn load(&mut self, index: u64) -> Result<()> {
        if self.held == Some(index) {
            return Ok(());
        }
        self.held = None;
        let last = index + 1 == self.chunks;
        let plain = if last {
            (self.plain_len - index * CHUNK as u64) as usize
        } else {
            CHUNK
        };
        let io = |e| CordonError::io(&self.path, e);
        self.file
            .seek(SeekFrom::Start(HEADER_LEN as u64 + index * SEALED_CHUNK))
            .map_err(io)?;
        let sealed = &mut self.buf[..plain + TAG_LEN];
        if read_full(&mut self.file, sealed).map_err(io)? < sealed.len() {
            return Err(corrupt(&self.path, "the file changed length while read"));
        }
        let (chunk, tag) = sealed.split_at_mut(plain);
        if !self.cipher.open(index, last, chunk, tag) {
            return Err(corrupt(
                &self.path,
                format!(
                    "chunk {index} of {} does not authenticate (altered, moved or cut)",
                    self.chunks
                ),
            ));
        }
        self.held = Some(index);
        self.held_len = plain;
        Ok(())
    }

    /// Copies plaintext from `offset` into `out` until it is full or the plaintext ends;
    /// returns how many bytes were copied (0 at or past the end).
    pub(crate) fn read_at(&mut self, offset: u64, out: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled < out.len() {
            let at = offset + filled as u64;
            if at >= self.plain_len {
                break;
            }
            let index = at / CHUNK as u64;
            self.load(index)?;
            let within = (at - index * CHUNK as u64) as usize;
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
