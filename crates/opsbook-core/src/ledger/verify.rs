//! Verifying the chain ([`verify`]): the first edited, missing, reordered,
//! foreign or torn line, named with its line ([`Break`], [`Damage`]).

use std::path::Path;

use super::*;
use serde::Serialize;
use serde_json::Value;

/// What is wrong at the first bad line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Damage {
    /// The line's content does not match its hash.
    Edited,
    /// Events are missing before this line (seq jumps forward).
    Removed,
    /// This line's seq is not after the previous one.
    Reordered,
    /// The line does not chain to the previous event (another ledger's event).
    Foreign,
    /// The last line is incomplete (interrupted write).
    Torn,
    /// The line is not a ledger event at all.
    Malformed,
}

/// The first problem found in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// 1-based line.
    pub line: usize,
    /// What kind of damage.
    pub damage: Damage,
    /// Explanation for people.
    pub message: String,
}

/// The result of verifying one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The log.
    pub path: String,
    /// Complete events that chain correctly before the first break.
    pub events: u64,
    /// The first break, if any.
    pub first_break: Option<Break>,
}

impl Verification {
    /// Whether the whole chain holds.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Verifies a log's chain from the first line to the last (D-INC-LEDGER):
/// each line is a well-formed event whose hash matches its content, whose
/// `seq` follows the previous one and whose `prev_hash` is the previous hash.
/// Accepts UTF-8 with or without BOM and CRLF line ends.
///
/// # Errors
/// I/O errors only; damage is reported in the [`Verification`].
pub fn verify(path: &Path) -> Result<Verification, LedgerError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(LedgerError::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    Ok(verify_bytes(&path.display().to_string(), &bytes))
}

/// [`verify`] over bytes already read.
#[must_use]
pub fn verify_bytes(name: &str, bytes: &[u8]) -> Verification {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let mut out = Verification {
        path: name.to_string(),
        events: 0,
        first_break: None,
    };
    let head = &bytes[..bytes.len().min(512)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) || head.contains(&0) {
        out.first_break = Some(Break {
            line: 1,
            damage: Damage::Malformed,
            message: "the ledger is UTF-16 (re-saved by PowerShell `Out-File`/`Set-Content`?): ledgers are UTF-8 and their hashes cover UTF-8; restore it from git or backup".into(),
        });
        return out;
    }
    let brk = |line: usize, damage: Damage, message: String| {
        Some(Break {
            line,
            damage,
            message,
        })
    };
    let mut prev: Option<String> = None;
    let mut prev_ts: Option<jiff::Timestamp> = None;
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let n = lines.len();
    for (i, raw) in lines.iter().enumerate() {
        let line = i + 1;
        // Every line before this one chained: the next seq is known.
        let expected = out.events + 1;
        let is_last = i + 1 == n;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if is_last {
            if !raw.is_empty() {
                out.first_break = brk(
                    line,
                    Damage::Torn,
                    "the last line is incomplete (no line end: a write was interrupted); repairing sets it aside and keeps every complete event".into(),
                );
            }
            break;
        }
        if raw.iter().all(u8::is_ascii_whitespace) {
            out.first_break = brk(
                line,
                Damage::Malformed,
                "empty line inside the ledger".into(),
            );
            break;
        }
        let v: Value = match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(e) => {
                out.first_break = brk(
                    line,
                    Damage::Edited,
                    format!("not a JSON event ({e}): the line was edited or corrupted"),
                );
                break;
            }
        };
        let (Some(seq), Some(hash)) = (
            v.get("seq").and_then(Value::as_u64),
            v.get("hash").and_then(Value::as_str),
        ) else {
            out.first_break = brk(
                line,
                Damage::Malformed,
                "not a ledger event: `seq` and `hash` are required".into(),
            );
            break;
        };
        match hash_of(&v) {
            Ok(h) if h == hash => {}
            Ok(_) => {
                out.first_break = brk(
                    line,
                    Damage::Edited,
                    format!("event seq {seq} does not match its hash: its content was edited"),
                );
                break;
            }
            Err(e) => {
                out.first_break = brk(line, Damage::Malformed, e.to_string());
                break;
            }
        }
        if seq > expected {
            // Reordered when the missing event is further down; removed otherwise.
            let later = lines[i + 1..].iter().position(|l| {
                serde_json::from_slice::<Value>(l.strip_suffix(b"\r").unwrap_or(l))
                    .ok()
                    .and_then(|v| v.get("seq").and_then(Value::as_u64))
                    == Some(expected)
            });
            if let Some(k) = later {
                out.first_break = brk(
                    line,
                    Damage::Reordered,
                    format!(
                        "event seq {seq} comes before seq {expected} (at line {}): lines were reordered",
                        line + 1 + k
                    ),
                );
                break;
            }
            out.first_break = brk(
                line,
                Damage::Removed,
                if seq == expected + 1 {
                    format!(
                        "event seq {expected} is missing before this line (seq {seq}): a line was removed"
                    )
                } else {
                    format!(
                        "events seq {expected}..{} are missing before this line (seq {seq}): lines were removed",
                        seq - 1
                    )
                },
            );
            break;
        }
        if seq < expected {
            out.first_break = brk(
                line,
                Damage::Reordered,
                format!(
                    "event seq {seq} comes after seq {}: lines were reordered or duplicated",
                    expected - 1
                ),
            );
            break;
        }
        let prev_hash = v
            .get("prev_hash")
            .and_then(Value::as_str)
            .map(str::to_string);
        if prev_hash != prev {
            out.first_break = brk(
                line,
                Damage::Foreign,
                format!(
                    "event seq {seq} does not chain to the previous event (prev_hash differs): it comes from another ledger"
                ),
            );
            break;
        }
        let ts = v
            .get("ts")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        if let (Some(t), Some(p)) = (ts, prev_ts)
            && t < p
        {
            out.first_break = brk(
                line,
                Damage::Reordered,
                format!(
                    "event seq {seq} is dated {}, before the previous event ({}): timestamps never go backwards",
                    format_ts(t),
                    format_ts(p)
                ),
            );
            break;
        }
        prev_ts = ts.or(prev_ts);
        prev = Some(hash.to_string());
        out.events += 1;
    }
    out
}
