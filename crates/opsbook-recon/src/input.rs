//! Opening an input file: its SHA-256 while it streams, BOM, UTF-16 and gzip.
//!
//! Every reconciliation input is hashed as stored on disk (the bytes an
//! operator's `Get-FileHash` sees), while it is read — never in a second
//! pass. UTF-8 with or without BOM streams as is; UTF-16 (what Windows
//! PowerShell 5.1 writes) is decoded whole by [`opsbook_core::text`] first;
//! a gzip file (`1f 8b`) is decompressed as it streams.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

/// What was read of one input: where, how much, and its hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputDigest {
    /// SHA-256 of the file as stored, lowercase hex.
    pub sha256: String,
    /// Size of the file as stored, in bytes.
    pub bytes: u64,
}

#[derive(Debug, Default)]
struct HashState {
    sha: Option<Sha256>,
    bytes: u64,
    done: Option<InputDigest>,
}

/// A reader that hashes the bytes it passes on and publishes the digest at EOF.
pub(crate) struct HashingReader<R> {
    inner: R,
    state: Arc<Mutex<HashState>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if n == 0 {
            if st.done.is_none()
                && let Some(sha) = st.sha.take()
            {
                let sha256 = hex(&sha.finalize());
                let bytes = st.bytes;
                st.done = Some(InputDigest { sha256, bytes });
            }
        } else if let Some(sha) = st.sha.as_mut() {
            sha.update(&buf[..n]);
            st.bytes += n as u64;
        }
        Ok(n)
    }
}

/// SHA-256 (lowercase hex) and size of a file as stored, read in 1 MiB
/// chunks (never whole in memory).
///
/// # Errors
/// The I/O error.
pub fn hash_file(path: &Path) -> io::Result<InputDigest> {
    let mut f = File::open(path)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(InputDigest {
        sha256: hex(&sha.finalize()),
        bytes,
    })
}

/// Lowercase hex of bytes.
#[must_use]
pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// How the text of an input was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    Utf8,
    Utf8Bom,
    Utf16,
    Gzip,
}

/// An input opened for streaming: text bytes (UTF-8, no BOM) and its digest.
pub(crate) struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub stored: Stored,
    state: Arc<Mutex<HashState>>,
}

impl Opened {
    /// The digest, once the reader reached EOF (drains the rest if needed).
    pub fn digest(state: &DigestHandle) -> Option<InputDigest> {
        state
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .done
            .clone()
    }

    /// A handle to read the digest after the reader has been consumed.
    pub fn handle(&self) -> DigestHandle {
        DigestHandle(Arc::clone(&self.state))
    }
}

/// Reads the digest of an [`Opened`] input after it was read to the end.
#[derive(Clone)]
pub(crate) struct DigestHandle(Arc<Mutex<HashState>>);

impl DigestHandle {
    /// The digest, if the input was read to EOF.
    pub fn get(&self) -> Option<InputDigest> {
        Opened::digest(self)
    }
}

/// Opens `path` for streaming.
///
/// # Errors
/// The I/O error of opening or of reading the first bytes; a UTF-16 file that
/// does not decode (with its line).
pub(crate) fn open(path: &Path) -> Result<Opened, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let state = Arc::new(Mutex::new(HashState {
        sha: Some(Sha256::new()),
        ..HashState::default()
    }));
    let mut hr = HashingReader {
        inner: file,
        state: Arc::clone(&state),
    };
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        let n = hr
            .read(&mut head[got..])
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let head = &head[..got];
    let chained = io::Cursor::new(head.to_vec()).chain(hr);
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::read::MultiGzDecoder::new(chained);
        return Ok(Opened {
            reader: Box::new(StripBom::new(gz)),
            stored: Stored::Gzip,
            state,
        });
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        let mut all = Vec::new();
        let mut chained = chained;
        chained
            .read_to_end(&mut all)
            .map_err(|e| format!("cannot read: {e}"))?;
        let decoded = opsbook_core::text::decode(&all).map_err(|e| format!("{e}"))?;
        return Ok(Opened {
            reader: Box::new(io::Cursor::new(decoded.text.into_bytes())),
            stored: Stored::Utf16,
            state,
        });
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let mut chained = chained;
    if bom {
        let mut skip = [0u8; 3];
        chained
            .read_exact(&mut skip)
            .map_err(|e| format!("cannot read: {e}"))?;
    }
    Ok(Opened {
        reader: Box::new(chained),
        stored: if bom { Stored::Utf8Bom } else { Stored::Utf8 },
        state,
    })
}

/// Drops a UTF-8 BOM at the start of a decompressed stream.
struct StripBom<R> {
    inner: R,
    started: bool,
    pending: Vec<u8>,
}

impl<R: Read> StripBom<R> {
    fn new(inner: R) -> Self {
        StripBom {
            inner,
            started: false,
            pending: Vec::new(),
        }
    }
}

impl<R: Read> Read for StripBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            self.started = true;
            let mut head = [0u8; 3];
            let mut got = 0;
            while got < 3 {
                let n = self.inner.read(&mut head[got..])?;
                if n == 0 {
                    break;
                }
                got += n;
            }
            if head[..got] != [0xEF, 0xBB, 0xBF] {
                self.pending.extend_from_slice(&head[..got]);
            }
        }
        if !self.pending.is_empty() {
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(p: &Path) -> (String, Stored, InputDigest) {
        let mut o = open(p).expect("open");
        let h = o.handle();
        let mut s = String::new();
        o.reader.read_to_string(&mut s).expect("read");
        let stored = o.stored;
        drop(o);
        (s, stored, h.get().expect("digest at EOF"))
    }

    #[test]
    fn bom_utf16_and_gzip_read_as_the_same_text_with_the_stored_hash() {
        let dir = tempfile::tempdir().expect("tmp");
        let text = "a,b\r\n1,2\r\n";
        let plain = dir.path().join("plain.csv");
        std::fs::write(&plain, text).expect("w");
        let bom = dir.path().join("bom.csv");
        std::fs::write(&bom, [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()).expect("w");
        let u16 = dir.path().join("u16.csv");
        let mut b = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(&u16, &b).expect("w");
        let gz = dir.path().join("x.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).expect("gz");
        std::fs::write(&gz, enc.finish().expect("gz")).expect("w");

        let (t, s, d) = read_all(&plain);
        assert_eq!((t.as_str(), s), (text, Stored::Utf8));
        assert_eq!(d.bytes, text.len() as u64);
        assert_eq!(
            d.sha256,
            hex(&Sha256::digest(text.as_bytes())),
            "hash of the stored bytes"
        );
        let (t, s, d) = read_all(&bom);
        assert_eq!((t.as_str(), s), (text, Stored::Utf8Bom));
        assert_eq!(d.bytes, text.len() as u64 + 3);
        let (t, s, d) = read_all(&u16);
        // opsbook_core::text normalises line endings to `\n`.
        assert_eq!((t.as_str(), s), ("a,b\n1,2\n", Stored::Utf16));
        assert_eq!(d.sha256, hex(&Sha256::digest(&b)));
        let (t, s, _) = read_all(&gz);
        assert_eq!((t.as_str(), s), (text, Stored::Gzip));
    }
}
