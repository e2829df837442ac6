//! Hex SHA-256 of bytes and of files (streamed): the hashes in manifests,
//! `SHA256SUMS` and the custody ledger.

use std::io::Read;
use std::path::Path;

use sha2::Digest;

use crate::error::{EvidenceError, io};

/// Hex SHA-256.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Hex SHA-256 of a file, streamed.
///
/// # Errors
/// I/O errors.
pub fn file_sha256(p: &Path) -> Result<String, EvidenceError> {
    let mut f = std::fs::File::open(p).map_err(io(p))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(p))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
