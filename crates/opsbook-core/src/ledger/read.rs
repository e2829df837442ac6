//! Reading a ledger's events ([`read`], [`read_bytes`]).

use std::path::Path;

use super::*;

/// Reads a whole log after verifying its chain. A missing log is empty.
///
/// # Errors
/// [`LedgerError::Broken`] naming the first bad line (a torn last line
/// included), I/O errors.
pub fn read(path: &Path) -> Result<Vec<Event>, LedgerError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path)(e)),
    };
    read_bytes(path, &bytes)
}

/// [`read`] over bytes already read (`path` names them in errors).
///
/// # Errors
/// [`LedgerError::Broken`] naming the first bad line.
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<Vec<Event>, LedgerError> {
    let v = verify_bytes(&path.display().to_string(), bytes);
    if let Some(b) = v.first_break {
        if b.damage == Damage::Torn {
            return Err(LedgerError::Torn {
                path: path.to_path_buf(),
            });
        }
        return Err(LedgerError::Broken {
            path: path.to_path_buf(),
            line: b.line,
            message: b.message,
        });
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    body.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_slice::<Event>(l.strip_suffix(b"\r").unwrap_or(l)).map_err(|e| {
                LedgerError::Broken {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: format!("not a ledger event: {e}"),
                }
            })
        })
        .collect()
}
