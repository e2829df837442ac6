//! Appending: the cross-process lock on `<log>.lock`, the last event
//! (`tail`), one event or a batch written and `fsync`ed under the lock
//! ([`append`], [`Writer`] for read-decide-append transactions) and the
//! [`Seam`] every event passes just before it is written.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::*;
use serde_json::Value;

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
pub(crate) struct Lock {
    file: File,
}

impl Lock {
    pub(crate) fn take(log: &Path) -> Result<Lock, LedgerError> {
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

/// The last complete event of a log: `(seq, hash, ts)`, or `None` for an
/// empty or missing log.
pub(crate) fn tail(
    path: &Path,
) -> Result<Option<(u64, String, Option<jiff::Timestamp>)>, LedgerError> {
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

pub(crate) fn count_lines(path: &Path) -> Result<usize, LedgerError> {
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

pub(crate) fn append_locked(
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
pub(crate) fn append_locked_batch(
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
