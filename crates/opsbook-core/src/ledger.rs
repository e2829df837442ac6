//! The append-only, hash-chained ledger (D-INC-LEDGER, D-EVD-BUNDLE).
//!
//! One JSON object per line (JSON Lines): `{seq, ts, actor, type, data,
//! prev_hash, hash}`. `seq` counts from 1; `ts` is UTC RFC 3339 with
//! milliseconds; `prev_hash` is the previous event's `hash` (`null` for the
//! first); `hash` is the SHA-256 (lower-case hex) of the RFC 8785 (JCS)
//! canonical encoding of the event without `hash`. Any edited, removed,
//! reordered or foreign line breaks the chain at that line.
//!
//! Appends take a cross-process lock on a sidecar file (`<log>.lock`: on
//! Windows a locked byte range cannot be read by others, so the log itself is
//! never locked), write one line and `fsync` it. A crash can leave at most a
//! torn last line; [`verify`] names it and [`repair`] sets it aside in
//! `<log>.torn`, records that as a new event, and never drops a complete
//! event. Corrections are new events (`type: correction`, `data.supersedes`),
//! never edits.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;

/// Who wrote an event: the OS user and host, and optionally a configured name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// OS user (`%USERNAME%` on Windows, `$USER` elsewhere).
    pub user: String,
    /// Host name (`%COMPUTERNAME%` on Windows, `$HOSTNAME` or the system's elsewhere).
    pub host: String,
    /// A configured display name (e.g. the incident commander's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Actor {
    /// The current OS user and host, with an optional display name.
    #[must_use]
    pub fn current(name: Option<String>) -> Actor {
        let env = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        };
        let host = env(&["COMPUTERNAME", "HOSTNAME"])
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
            })
            .unwrap_or_else(|| "unknown-host".to_string());
        Actor {
            user: env(&["USERNAME", "USER", "LOGNAME"])
                .unwrap_or_else(|| "unknown-user".to_string()),
            host,
            name,
        }
    }
}

/// One ledger event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// UTC RFC 3339 with milliseconds, e.g. `2026-11-29T23:08:50.123Z`.
    pub ts: String,
    /// Who wrote it.
    pub actor: Actor,
    /// Event type (`opened`, `decision`, `safety_set`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Type-specific payload.
    pub data: Value,
    /// The previous event's hash; `None` for `seq` 1.
    pub prev_hash: Option<String>,
    /// SHA-256 hex of the JCS encoding of this event without `hash`.
    pub hash: String,
}

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// I/O on the log or its lock.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The log ends with an incomplete line: appending would hide it.
    #[error(
        "{path}: the last line is incomplete (a write was interrupted): set it aside before appending"
    )]
    Torn {
        /// The log.
        path: PathBuf,
    },
    /// The last complete line is not a ledger event.
    #[error("{path}:{line}: the last event cannot be read ({message})")]
    BadTail {
        /// The log.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Why.
        message: String,
    },
    /// `data` or the event could not be encoded.
    #[error("cannot encode the event: {0}")]
    Encode(String),
    /// The chain is broken before the end: nothing is appended to it.
    #[error("{path}:{line}: {message}")]
    Broken {
        /// The log.
        path: PathBuf,
        /// 1-based line of the first break.
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// The operation's seam refused the event (text too long, …): nothing written.
    #[error("{path}: {message}")]
    Rejected {
        /// The log.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Repair refused: the damage is not a torn tail.
    #[error("{path}: not repairable: {message}")]
    NotRepairable {
        /// The log.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl LedgerError {
    /// The step that would help: set a torn line aside, or see where a
    /// chain breaks.
    #[must_use]
    pub fn next(&self) -> Option<crate::next::NextStep> {
        use crate::next::NextStep;
        match self {
            LedgerError::Torn { path } => Some(NextStep::RepairLedger {
                path: path.display().to_string(),
            }),
            LedgerError::BadTail { path, .. } | LedgerError::Broken { path, .. } => {
                Some(NextStep::VerifyLedger {
                    path: path.display().to_string(),
                })
            }
            _ => None,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The lock file beside a log: `events.jsonl` → `events.jsonl.lock`.
#[must_use]
pub fn lock_path(log: &Path) -> PathBuf {
    let mut name = log
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(".lock");
    log.with_file_name(name)
}

/// Holds the cross-process lock of a log while alive.
struct Lock {
    file: File,
}

impl Lock {
    fn take(log: &Path) -> Result<Lock, LedgerError> {
        if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let p = lock_path(log);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(io(&p))?;
        file.lock().map_err(io(&p))?;
        Ok(Lock { file })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The hash of an event value (its `hash` member, if any, is ignored).
///
/// # Errors
/// [`LedgerError::Encode`] if the value cannot be canonicalised.
pub fn hash_of(event: &Value) -> Result<String, LedgerError> {
    let mut v = event.clone();
    if let Value::Object(o) = &mut v {
        o.remove("hash");
    }
    let bytes = serde_jcs::to_vec(&v).map_err(|e| LedgerError::Encode(e.to_string()))?;
    Ok(sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// UTC RFC 3339 with milliseconds.
#[must_use]
pub fn format_ts(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The last complete event of a log: `(seq, hash, ts)`, or `None` for an
/// empty or missing log.
fn tail(path: &Path) -> Result<Option<(u64, String, Option<jiff::Timestamp>)>, LedgerError> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LedgerError::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    let len = f.metadata().map_err(io(path))?.len();
    if len == 0 {
        return Ok(None);
    }
    // Read backwards in growing chunks until the last full line is inside.
    let mut chunk = 64 * 1024u64;
    loop {
        let start = len.saturating_sub(chunk);
        f.seek(SeekFrom::Start(start)).map_err(io(path))?;
        let mut buf = Vec::new();
        Read::by_ref(&mut f)
            .take(len - start)
            .read_to_end(&mut buf)
            .map_err(io(path))?;
        if buf.last() != Some(&b'\n') {
            return Err(LedgerError::Torn {
                path: path.to_path_buf(),
            });
        }
        let body = &buf[..buf.len() - 1];
        let line_start = body.iter().rposition(|&b| b == b'\n').map(|i| i + 1);
        if line_start.is_none() && start > 0 {
            chunk *= 4;
            continue;
        }
        let last = &body[line_start.unwrap_or(0)..];
        // The line number is only for the error message: count the file's
        // lines then, not on every append (that would make appends O(n)).
        let bad = |message: String| match count_lines(path) {
            Ok(line) => LedgerError::BadTail {
                path: path.to_path_buf(),
                line,
                message,
            },
            Err(e) => e,
        };
        let v: Value = serde_json::from_slice(last).map_err(|e| bad(e.to_string()))?;
        let seq = v.get("seq").and_then(Value::as_u64);
        let hash = v.get("hash").and_then(Value::as_str).map(str::to_string);
        let ts = v
            .get("ts")
            .and_then(Value::as_str)
            .and_then(|t| t.parse().ok());
        return match (seq, hash) {
            (Some(s), Some(h)) => Ok(Some((s, h, ts))),
            _ => Err(bad("no `seq` or `hash`".into())),
        };
    }
}

fn count_lines(path: &Path) -> Result<usize, LedgerError> {
    let mut f = File::open(path).map_err(io(path))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0;
    loop {
        let k = f.read(&mut buf).map_err(io(path))?;
        if k == 0 {
            return Ok(n);
        }
        n += buf[..k].iter().filter(|&&b| b == b'\n').count();
    }
}

/// Appends one event under the cross-process lock and fsyncs it, stamped
/// with [`crate::host::clock::now`] read *after* the lock is taken, so concurrent
/// writers always record increasing times.
///
/// # Errors
/// [`LedgerError::Torn`] when the log ends with an incomplete line (repair
/// first), [`LedgerError::BadTail`] when its last event is unreadable, I/O
/// errors. A clock that reads earlier than the last event does not fail the
/// append: the event is stamped with the last event's time and its `data`
/// gets `clock_behind_ms` and `clock_observed` (timestamps never go backwards).
pub fn append(path: &Path, actor: &Actor, kind: &str, data: Value) -> Result<Event, LedgerError> {
    let _lock = Lock::take(path)?;
    append_locked(path, actor, kind, data, crate::host::clock::now())
}

/// [`append`] with an explicit time (imports, tests).
///
/// # Errors
/// As [`append`].
pub fn append_at(
    path: &Path,
    actor: &Actor,
    kind: &str,
    data: Value,
    ts: jiff::Timestamp,
) -> Result<Event, LedgerError> {
    let _lock = Lock::take(path)?;
    append_locked(path, actor, kind, data, ts)
}

/// What every event passes through just before a [`Writer`] writes it: the
/// operations layer redacts free text and caps its length there (one place
/// for every ledger), and tests inject a failure at a chosen write.
///
/// [`Seam::prepare`] runs over every event of a batch before anything of it
/// is written; [`Seam::before_write`] runs once per batch, just before the
/// bytes go to the file: an error from either leaves the log as it was.
pub trait Seam: Send + Sync {
    /// Rewrites `data` of an event of type `kind` bound for `path` (redaction),
    /// or refuses it ([`LedgerError::Rejected`]).
    ///
    /// # Errors
    /// The event must not be written as it is.
    fn prepare(&self, path: &Path, kind: &str, data: &mut Value) -> Result<(), LedgerError>;

    /// Called once per batch of events (`kinds`), before it is written.
    ///
    /// # Errors
    /// The batch must not be written (a test's injected failure).
    fn before_write(&self, path: &Path, kinds: &[String]) -> Result<(), LedgerError>;
}

/// A [`Seam`] shared by every writer of an operation.
pub type SharedSeam = std::sync::Arc<dyn Seam>;

/// A log opened for a read-decide-append transaction: the cross-process lock
/// is held until it is dropped, so what [`Writer::events`] returned is still
/// the whole log when [`Writer::append`] runs (guards cannot race).
pub struct Writer {
    path: PathBuf,
    _lock: Lock,
    seam: Option<SharedSeam>,
}

impl Writer {
    /// Takes the lock of `path` (creating its directory).
    ///
    /// # Errors
    /// I/O errors.
    pub fn open(path: &Path) -> Result<Writer, LedgerError> {
        Writer::open_with(path, None)
    }

    /// [`Writer::open`] with a [`Seam`] every append goes through.
    ///
    /// # Errors
    /// I/O errors.
    pub fn open_with(path: &Path, seam: Option<SharedSeam>) -> Result<Writer, LedgerError> {
        Ok(Writer {
            path: path.to_path_buf(),
            _lock: Lock::take(path)?,
            seam,
        })
    }

    /// Every event of the log, after verifying the whole chain.
    ///
    /// # Errors
    /// [`LedgerError::Broken`] naming the first bad line, I/O errors.
    pub fn events(&self) -> Result<Vec<Event>, LedgerError> {
        read(&self.path)
    }

    /// Appends one event stamped now (see [`append`]).
    ///
    /// # Errors
    /// As [`append`].
    pub fn append(&mut self, actor: &Actor, kind: &str, data: Value) -> Result<Event, LedgerError> {
        self.append_at(actor, kind, data, crate::host::clock::now())
    }

    /// Appends one event stamped `ts` (a clock read under the lock).
    ///
    /// # Errors
    /// As [`append`].
    pub fn append_at(
        &mut self,
        actor: &Actor,
        kind: &str,
        data: Value,
        ts: jiff::Timestamp,
    ) -> Result<Event, LedgerError> {
        let mut v = self.append_batch(actor, vec![(kind.to_string(), data)], ts)?;
        v.pop()
            .ok_or_else(|| LedgerError::Encode("nothing appended".into()))
    }

    /// Appends several events as one write (one `write` and one `fsync`):
    /// every event goes through the seam first, so a refusal or an injected
    /// failure leaves none of them written.
    ///
    /// # Errors
    /// As [`append`]; the seam's refusal.
    pub fn append_batch(
        &mut self,
        actor: &Actor,
        parts: Vec<(String, Value)>,
        ts: jiff::Timestamp,
    ) -> Result<Vec<Event>, LedgerError> {
        let mut parts = parts;
        if let Some(seam) = &self.seam {
            for (kind, data) in &mut parts {
                seam.prepare(&self.path, kind, data)?;
            }
            let kinds: Vec<String> = parts.iter().map(|(k, _)| k.clone()).collect();
            seam.before_write(&self.path, &kinds)?;
        }
        append_locked_batch(&self.path, actor, parts, ts)
    }

    /// The log's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

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

fn append_locked(
    path: &Path,
    actor: &Actor,
    kind: &str,
    data: Value,
    ts: jiff::Timestamp,
) -> Result<Event, LedgerError> {
    let mut v = append_locked_batch(path, actor, vec![(kind.to_string(), data)], ts)?;
    v.pop()
        .ok_or_else(|| LedgerError::Encode("nothing appended".into()))
}

/// Appends `parts` as consecutive events in one write and one `fsync`
/// (the caller holds the lock).
fn append_locked_batch(
    path: &Path,
    actor: &Actor,
    parts: Vec<(String, Value)>,
    ts: jiff::Timestamp,
) -> Result<Vec<Event>, LedgerError> {
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let (mut seq, mut prev_hash, last) = match tail(path)? {
        Some((s, h, last)) => (s + 1, Some(h), last),
        None => (1, None, None),
    };
    let mut out = Vec::with_capacity(parts.len());
    let mut buf = String::new();
    for (kind, data) in parts {
        let mut data = data;
        let mut ts = ts;
        // Timestamps never go backwards. A clock behind the last event (a
        // host that ran ahead and was resynced, or skew between hosts)
        // must not make the log unwritable at 3 a.m.: the event takes
        // the last event's time and says by how much the clock was behind.
        if let Some(last) = last.filter(|l| ts < *l) {
            let behind = last.as_millisecond() - ts.as_millisecond();
            if let Value::Object(o) = &mut data {
                o.insert("clock_behind_ms".into(), Value::from(behind));
                o.insert("clock_observed".into(), Value::from(format_ts(ts)));
            }
            ts = last;
        }
        let mut ev = Event {
            seq,
            ts: format_ts(ts),
            actor: actor.clone(),
            kind,
            data,
            prev_hash: prev_hash.clone(),
            hash: String::new(),
        };
        let v = serde_json::to_value(&ev).map_err(|e| LedgerError::Encode(e.to_string()))?;
        ev.hash = hash_of(&v)?;
        buf.push_str(&serde_json::to_string(&ev).map_err(|e| LedgerError::Encode(e.to_string()))?);
        buf.push('\n');
        seq += 1;
        prev_hash = Some(ev.hash.clone());
        out.push(ev);
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(buf.as_bytes()).map_err(io(path))?;
    f.sync_data().map_err(io(path))?;
    Ok(out)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn actor() -> Actor {
        Actor {
            user: "op".into(),
            host: "trade-01".into(),
            name: None,
        }
    }

    fn ts(s: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_796_000_000 + s).unwrap()
    }

    fn three(dir: &Path) -> PathBuf {
        let p = dir.join("events.jsonl");
        for i in 0..3 {
            append_at(
                &p,
                &actor(),
                "note",
                json!({"text": format!("n{i}")}),
                ts(i),
            )
            .unwrap();
        }
        p
    }

    #[test]
    fn chain_appends_and_verifies() {
        let t = tempfile::tempdir().unwrap();
        let p = three(t.path());
        let v = verify(&p).unwrap();
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.events, 3);
        let text = std::fs::read_to_string(&p).unwrap();
        let first: Event = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first.seq, 1);
        assert_eq!(first.prev_hash, None);
        assert_eq!(first.ts.len(), "2026-11-29T23:08:50.123Z".len());
        assert!(first.ts.ends_with('Z'));
        assert_eq!(first.hash.len(), 64);
    }

    #[test]
    fn hash_is_sha256_of_jcs_without_hash() {
        let v = json!({"seq": 1, "ts": "t", "actor": {"user": "u", "host": "h"}, "type": "x", "data": {"b": 1, "a": 2}, "prev_hash": null, "hash": "ignored"});
        // JCS: keys sorted, no whitespace.
        let jcs = r#"{"actor":{"host":"h","user":"u"},"data":{"a":2,"b":1},"prev_hash":null,"seq":1,"ts":"t","type":"x"}"#;
        let expected: String = sha2::Sha256::digest(jcs.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hash_of(&v).unwrap(), expected);
    }

    #[test]
    fn tampering_is_named_by_line() {
        let t = tempfile::tempdir().unwrap();
        let p = three(t.path());
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // One changed byte in line 2.
        let edited = text.replacen("n1", "m1", 1);
        let v = verify_bytes("x", edited.as_bytes());
        assert_eq!(
            v.first_break.as_ref().map(|b| (b.line, b.damage)),
            Some((2, Damage::Edited))
        );
        // A removed line.
        let removed = format!("{}\n{}\n", lines[0], lines[2]);
        let v = verify_bytes("x", removed.as_bytes());
        assert_eq!(
            v.first_break.as_ref().map(|b| (b.line, b.damage)),
            Some((2, Damage::Removed))
        );
        // Two swapped lines.
        let swapped = format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1]);
        let v = verify_bytes("x", swapped.as_bytes());
        assert_eq!(
            v.first_break.as_ref().map(|b| (b.line, b.damage)),
            Some((2, Damage::Reordered))
        );
        // A line from another ledger with the right seq.
        let t2 = tempfile::tempdir().unwrap();
        let other = three(t2.path());
        let o = std::fs::read_to_string(&other).unwrap();
        let mut olines = o.lines();
        let _ = olines.next();
        // Same seq 2 event but chained to a different seq 1 (different actor host).
        let foreign_first = append_at(
            &t2.path().join("f.jsonl"),
            &Actor {
                host: "other".into(),
                ..actor()
            },
            "note",
            json!({}),
            ts(0),
        )
        .unwrap();
        let f2 = append_at(
            &t2.path().join("f.jsonl"),
            &actor(),
            "note",
            json!({"text": "n1"}),
            ts(1),
        )
        .unwrap();
        let _ = foreign_first;
        let spliced = format!("{}\n{}\n", lines[0], serde_json::to_string(&f2).unwrap());
        let v = verify_bytes("x", spliced.as_bytes());
        assert_eq!(
            v.first_break.as_ref().map(|b| (b.line, b.damage)),
            Some((2, Damage::Foreign))
        );
        // Reordered: a duplicate of line 1 at line 3.
        let dup = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[0]);
        let v = verify_bytes("x", dup.as_bytes());
        assert_eq!(
            v.first_break.as_ref().map(|b| (b.line, b.damage)),
            Some((3, Damage::Reordered))
        );
    }

    #[test]
    fn torn_tail_blocks_appends_and_repair_keeps_every_complete_event() {
        let t = tempfile::tempdir().unwrap();
        let p = three(t.path());
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(br#"{"seq":4,"ts":"2026-"#).unwrap();
        drop(f);
        let v = verify(&p).unwrap();
        assert_eq!(
            v.first_break.as_ref().map(|b| (b.line, b.damage)),
            Some((4, Damage::Torn))
        );
        assert_eq!(v.events, 3);
        assert!(matches!(
            append_at(&p, &actor(), "note", json!({}), ts(9)),
            Err(LedgerError::Torn { .. })
        ));
        let r = repair(&p, &actor(), ts(10)).unwrap();
        assert_eq!(r.set_aside_bytes, 20);
        assert_eq!(r.event_seq, Some(4));
        let v = verify(&p).unwrap();
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.events, 4);
        let aside = std::fs::read_to_string(t.path().join("events.jsonl.torn")).unwrap();
        assert_eq!(aside, "{\"seq\":4,\"ts\":\"2026-\n");
        // Nothing left to repair; tampering is not "repaired".
        assert_eq!(repair(&p, &actor(), ts(11)).unwrap().set_aside_bytes, 0);
        let text = std::fs::read_to_string(&p).unwrap().replacen("n1", "m1", 1);
        std::fs::write(&p, text).unwrap();
        assert!(matches!(
            repair(&p, &actor(), ts(12)),
            Err(LedgerError::NotRepairable { .. })
        ));
    }

    #[test]
    fn unreadable_last_event_is_named_with_its_line() {
        let t = tempfile::tempdir().unwrap();
        let p = three(t.path());
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"note\": \"no seq\"}\n").unwrap();
        drop(f);
        match append_at(&p, &actor(), "note", json!({}), ts(5)) {
            Err(LedgerError::BadTail { line, .. }) => assert_eq!(line, 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let t = tempfile::tempdir().unwrap();
        let p = three(t.path());
        let text = std::fs::read_to_string(&p).unwrap().replace('\n', "\r\n");
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(text.as_bytes());
        assert!(verify_bytes("x", &bytes).ok());
    }

    #[test]
    fn time_never_goes_backwards() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("events.jsonl");
        append_at(&p, &actor(), "note", json!({}), ts(10)).unwrap();
        append_at(&p, &actor(), "note", json!({}), ts(10)).unwrap();
        let e = append_at(&p, &actor(), "note", json!({"text": "x"}), ts(9)).unwrap();
        assert_eq!(
            e.ts,
            format_ts(ts(10)),
            "stamped with the last event's time"
        );
        assert_eq!(e.data["clock_behind_ms"], 1000);
        assert_eq!(e.data["clock_observed"], format_ts(ts(9)));
        assert!(verify(&p).unwrap().ok());
        assert_eq!(read(&p).unwrap().len(), 3);
        // A forged line dated before its predecessor, hashed correctly,
        // still breaks verification.
        let events = read(&p).unwrap();
        let mut forged = serde_json::to_value(&events[2]).unwrap();
        forged["seq"] = json!(4);
        forged["prev_hash"] = json!(events[2].hash);
        forged["ts"] = json!(format_ts(ts(1)));
        forged["hash"] = json!(hash_of(&forged).unwrap());
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.extend_from_slice(format!("{forged}\n").as_bytes());
        let v = verify_bytes("x", &bytes);
        let b = v.first_break.unwrap();
        assert_eq!((b.line, b.damage), (4, Damage::Reordered));
        assert!(
            b.message.contains("timestamps never go backwards"),
            "{}",
            b.message
        );
    }

    #[test]
    fn writer_reads_and_appends_under_one_lock() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("sub").join("events.jsonl");
        let mut w = Writer::open(&p).unwrap();
        assert!(w.events().unwrap().is_empty());
        let e = w.append(&actor(), "opened", json!({"title": "t"})).unwrap();
        assert_eq!(e.seq, 1);
        assert_eq!(w.events().unwrap()[0].hash, e.hash);
        drop(w);
        // A broken chain is refused for reading, naming the line.
        let mut text = std::fs::read_to_string(&p).unwrap();
        text = text.replace("\"t\"", "\"T\"");
        std::fs::write(&p, text).unwrap();
        match read(&p) {
            Err(LedgerError::Broken { line, .. }) => assert_eq!(line, 1),
            other => panic!("expected Broken, got {other:?}"),
        }
    }
}
