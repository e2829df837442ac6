//! Repairs that never drop a complete event: a torn last line set aside in
//! `<log>.torn` and recorded ([`repair`]), a damaged log set aside whole
//! ([`set_aside`]).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use super::*;
use serde::Serialize;
use sha2::Digest;

/// What [`repair`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// Bytes moved out of the log (0: nothing to repair).
    pub set_aside_bytes: u64,
    /// Where they went (`<log>.torn`).
    pub set_aside_to: Option<String>,
    /// The event that records the repair.
    pub event_seq: Option<u64>,
}

/// Repairs a torn last line: moves the incomplete bytes to `<log>.torn`
/// (appended, fsynced), cuts the log after its last complete line, and
/// appends a `ledger_repaired` event with the size and SHA-256 of what was
/// set aside. Complete events are never touched.
///
/// # Errors
/// [`LedgerError::NotRepairable`] when the chain is broken elsewhere
/// (tampering is not repaired), I/O errors.
pub fn repair(path: &Path, actor: &Actor, ts: jiff::Timestamp) -> Result<Repair, LedgerError> {
    let _lock = Lock::take(path)?;
    let bytes = std::fs::read(path).map_err(io(path))?;
    let v = verify_bytes(&path.display().to_string(), &bytes);
    match &v.first_break {
        None => {
            return Ok(Repair {
                set_aside_bytes: 0,
                set_aside_to: None,
                event_seq: None,
            });
        }
        Some(b) if b.damage == Damage::Torn => {}
        Some(b) => {
            return Err(LedgerError::NotRepairable {
                path: path.to_path_buf(),
                message: format!(
                    "line {}: {} (only a torn last line is repaired; anything else is evidence)",
                    b.line, b.message
                ),
            });
        }
    }
    let cut = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn = &bytes[cut..];
    let mut aside_name = path
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    aside_name.push(".torn");
    let aside = path.with_file_name(aside_name);
    {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&aside)
            .map_err(io(&aside))?;
        f.write_all(torn).map_err(io(&aside))?;
        f.write_all(b"\n").map_err(io(&aside))?;
        f.sync_all().map_err(io(&aside))?;
    }
    {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(path))?;
        f.set_len(cut as u64).map_err(io(path))?;
        f.sync_all().map_err(io(path))?;
    }
    let sha: String = sha2::Sha256::digest(torn)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let aside_shown = aside
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ev = append_locked(
        path,
        actor,
        "ledger_repaired",
        serde_json::json!({"set_aside_to": aside_shown, "bytes": torn.len(), "sha256": sha}),
        ts,
    )?;
    Ok(Repair {
        set_aside_bytes: torn.len() as u64,
        set_aside_to: Some(aside.display().to_string()),
        event_seq: Some(ev.seq),
    })
}

/// What [`set_aside`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetAside {
    /// Where the broken log went (`<log>.broken-<UTC yyyymmddThhmmssZ>`).
    pub set_aside_to: String,
    /// Its size, bytes.
    pub bytes: u64,
    /// Its SHA-256 (lower-case hex): the new chain's first event names it.
    pub sha256: String,
    /// Complete events that chained before the first break.
    pub verified_events: u64,
    /// The first bad line.
    pub first_break_line: usize,
    /// The new chain's first event (`ledger_restarted`, seq 1).
    pub event: Event,
}

/// Recovers a log whose chain is broken (not torn: an edited, removed,
/// reordered or foreign line): the whole file is kept, untouched, as
/// evidence beside it (`<log>.broken-<UTC>`), and a new chain starts with a
/// `ledger_restarted` event that names the old file, its size, SHA-256,
/// how many events verified and where it broke, and `reason`. Nothing is
/// ever rewritten; the old file still verifies up to its break.
///
/// # Errors
/// The chain holds or is only torn (a torn tail is [`repair`]ed instead):
/// [`LedgerError::NotRepairable`]; an empty reason; I/O.
pub fn set_aside(
    path: &Path,
    actor: &Actor,
    ts: jiff::Timestamp,
    reason: &str,
) -> Result<SetAside, LedgerError> {
    let reason = reason.trim();
    let refuse = |message: String| LedgerError::NotRepairable {
        path: path.to_path_buf(),
        message,
    };
    if reason.is_empty() {
        return Err(refuse("say why the chain is set aside (a reason)".into()));
    }
    let _lock = Lock::take(path)?;
    let bytes = std::fs::read(path).map_err(io(path))?;
    let v = verify_bytes(&path.display().to_string(), &bytes);
    let b = match v.first_break {
        None => return Err(refuse("the chain holds: nothing to set aside".into())),
        Some(b) if b.damage == Damage::Torn => {
            return Err(refuse(format!(
                "line {}: only the last line is torn; repair it instead (every complete event is kept in place)",
                b.line
            )));
        }
        Some(b) => b,
    };
    let stamp = ts.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut name = path
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(format!(".broken-{stamp}"));
    let aside = path.with_file_name(&name);
    if aside.exists() {
        return Err(refuse(format!(
            "`{}` exists already: try again in a second",
            aside.display()
        )));
    }
    std::fs::rename(path, &aside).map_err(io(&aside))?;
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let shown = name.to_string_lossy().into_owned();
    let event = append_locked(
        path,
        actor,
        "ledger_restarted",
        serde_json::json!({
            "set_aside_to": shown,
            "bytes": bytes.len(),
            "sha256": sha,
            "verified_events": v.events,
            "first_break_line": b.line,
            "damage": b.message,
            "reason": reason,
        }),
        ts,
    )?;
    Ok(SetAside {
        set_aside_to: aside.display().to_string(),
        bytes: bytes.len() as u64,
        sha256: sha,
        verified_events: v.events,
        first_break_line: b.line,
        event,
    })
}
