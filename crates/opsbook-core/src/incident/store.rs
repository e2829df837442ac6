//! The incident store: `incidents/<ID>/events.jsonl` under the SSOT, each
//! command a transaction under the log's lock (read, replay, check the
//! guards, append: [`Store::transact`]), listing, and the checks every
//! command shares (a reason, a past time, a status event).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::*;
use crate::event::IncidentEvent;
use crate::ledger::{self, Actor, Event, LedgerError};

/// Why an incident operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IncidentError {
    /// The ledger could not be read or written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// No such incident.
    #[error("no incident `{id}` under {dir}{hint}")]
    NotFound {
        /// The ID asked for.
        id: String,
        /// The incidents directory.
        dir: String,
        /// " (did you mean …?)" or empty.
        hint: String,
    },
    /// The log does not replay.
    #[error("{0}")]
    Replay(String),
    /// A guard refused.
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// Bad input (empty reason, time in the future, …).
    #[error("{0}")]
    Invalid(String),
    /// The incident's state does not allow the step (exit 1 like a guard).
    #[error("{0}")]
    Refused(String),
    /// I/O on the incidents directory.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// The incidents of one SSOT: `ROOT/incidents/<ID>/events.jsonl`.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    ids: IdFormat,
    seam: Option<ledger::SharedSeam>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

/// What [`Store::list`] returns: the rows, and `(id, error)` for incidents
/// whose log does not load.
pub type Listing = (Vec<Summary>, Vec<(String, String)>);

/// One row of [`Store::list`].
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// ID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Status.
    pub status: Status,
    /// Opened (UTC).
    pub opened_at: String,
    /// Last event (UTC).
    pub updated_at: String,
    /// Events.
    pub events: u64,
    /// A drill.
    pub drill: bool,
    /// Events the gate's OB803 rejects ([`Incident::breaks_order`]); 0 for a
    /// log written by the `opsbook incident` commands.
    pub order_violations: usize,
}

impl Store {
    /// The store of the SSOT at `root`, with the ID convention from
    /// `opsbook.toml` (or [`DEFAULT_ID_FORMAT`]).
    ///
    /// # Errors
    /// [`IncidentError::Invalid`] for a bad ID convention.
    pub fn new(root: &Path, id_format: Option<&str>) -> Result<Store, IncidentError> {
        Ok(Store {
            dir: root.join("incidents"),
            ids: IdFormat::parse(id_format.unwrap_or(DEFAULT_ID_FORMAT))
                .map_err(IncidentError::Invalid)?,
            seam: None,
        })
    }

    /// The store with a [`ledger::Seam`] every append goes through.
    #[must_use]
    pub fn with_seam(mut self, seam: Option<ledger::SharedSeam>) -> Store {
        self.seam = seam;
        self
    }

    /// `incidents/`.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `incidents/<ID>/events.jsonl`.
    #[must_use]
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.dir.join(id).join("events.jsonl")
    }

    /// IDs of every incident directory, sorted.
    ///
    /// # Errors
    /// I/O errors reading `incidents/`.
    pub fn ids(&self) -> Result<Vec<String>, IncidentError> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(IncidentError::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut out: Vec<String> = rd
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect();
        out.sort();
        Ok(out)
    }

    fn exists(&self, id: &str) -> Result<(), IncidentError> {
        if self.log_path(id).is_file() {
            return Ok(());
        }
        let ids = self.ids().unwrap_or_default();
        let hint = ids
            .iter()
            .filter(|k| k.ends_with(id) || k.eq_ignore_ascii_case(id))
            .max()
            .map(|k| format!(" (did you mean {k}?)"))
            .unwrap_or_default();
        Err(IncidentError::NotFound {
            id: id.to_string(),
            dir: self.dir.display().to_string(),
            hint,
        })
    }

    /// Resolves a short form: the full ID, or a unique suffix such as `001`
    /// or `20261129-001`.
    ///
    /// # Errors
    /// [`IncidentError::NotFound`] when nothing or more than one matches.
    pub fn resolve(&self, id: &str) -> Result<String, IncidentError> {
        if self.log_path(id).is_file() {
            return Ok(id.to_string());
        }
        let ids = self.ids()?;
        let m: Vec<&String> = ids
            .iter()
            .filter(|k| k.ends_with(&format!("-{id}")) && self.log_path(k).is_file())
            .collect();
        if m.len() == 1 {
            return Ok(m[0].clone());
        }
        if m.len() > 1 {
            return Err(IncidentError::Invalid(format!(
                "`{id}` matches {} incidents ({}): give more of the ID, e.g. {}",
                m.len(),
                m.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                m[m.len() - 1]
            )));
        }
        self.exists(id)?;
        Ok(id.to_string())
    }

    /// Opens a new incident: allocates the next ID of the day by `clock`
    /// (unique also against concurrent `open`s: the directory is created
    /// exclusively under `incidents/.lock`) and writes the `opened` event.
    ///
    /// # Errors
    /// Ledger and I/O errors.
    pub fn open(
        &self,
        clock: &dyn crate::host::clock::Clock,
        actor: &Actor,
        opened: crate::event::incident::Opened,
    ) -> Result<(String, Event), IncidentError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IncidentError::Io { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let lock_path = self.dir.join(".lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let date = crate::host::clock::utc_date(clock.now());
        let mut next = self
            .ids()?
            .iter()
            .filter_map(|id| self.ids.seq_of(date, id))
            .max()
            .unwrap_or(0)
            + 1;
        let id = loop {
            let id = self.ids.format(date, next);
            match std::fs::create_dir(self.dir.join(&id)) {
                Ok(()) => break id,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => next += 1,
                Err(source) => {
                    return Err(IncidentError::Io {
                        path: self.dir.join(&id),
                        source,
                    });
                }
            }
        };
        // The opened event, or nothing: a failed write leaves no directory
        // behind (a retry must not find a half-made incident).
        let written = ledger::Writer::open_with(&self.log_path(&id), self.seam.clone())
            .and_then(|mut w| w.append_event(clock, actor, &IncidentEvent::Opened(opened)));
        let ev = match written {
            Ok(ev) => ev,
            Err(e) => {
                let _ = std::fs::remove_dir_all(self.dir.join(&id));
                let _ = lock.unlock();
                return Err(e.into());
            }
        };
        let _ = lock.unlock();
        Ok((id, ev))
    }

    /// Takes back an incident opened by this very operation when what had
    /// to follow it failed: its directory is removed, but only while its
    /// log holds nothing but the `opened` event `seq` 1 with `hash`.
    ///
    /// # Errors
    /// The log holds more (nothing is removed then), I/O.
    pub fn discard_new(&self, id: &str, hash: &str) -> Result<(), IncidentError> {
        let events = ledger::read(&self.log_path(id))?;
        if events.len() != 1 || events[0].hash != hash {
            return Err(IncidentError::Refused(format!(
                "{id} is not only the incident just opened: it is kept"
            )));
        }
        std::fs::remove_dir_all(self.dir.join(id)).map_err(|source| IncidentError::Io {
            path: self.dir.join(id),
            source,
        })
    }

    /// Loads and replays one incident (the chain is verified first).
    ///
    /// # Errors
    /// [`IncidentError::NotFound`], a broken chain, a log that does not replay.
    pub fn load(&self, id: &str) -> Result<Incident, IncidentError> {
        self.exists(id)?;
        let events = ledger::read(&self.log_path(id))?;
        Incident::replay(id, events).map_err(IncidentError::Replay)
    }

    /// Runs a transaction on one incident: under the log's lock, replays it,
    /// calls `f` with the state, and appends the events `f` returns (in
    /// order, each stamped by `clock`). Nothing is appended when `f` fails.
    ///
    /// # Errors
    /// Whatever `f` returns, a broken chain, ledger errors.
    pub fn transact<F, E>(
        &self,
        clock: &dyn crate::host::clock::Clock,
        id: &str,
        actor: &Actor,
        f: F,
    ) -> Result<Vec<Event>, E>
    where
        F: FnOnce(&Incident) -> Result<Vec<IncidentEvent>, E>,
        E: From<IncidentError>,
    {
        self.exists(id)?;
        let mut w = ledger::Writer::open_with(&self.log_path(id), self.seam.clone())
            .map_err(IncidentError::from)?;
        let inc = Incident::replay(id, w.events().map_err(IncidentError::from)?)
            .map_err(IncidentError::Replay)?;
        let new = f(&inc)?;
        // One batch: every event of the transaction, or none.
        Ok(w.append_events(clock, actor, &new)
            .map_err(IncidentError::from)?)
    }

    /// A summary of every incident; incidents whose log does not load are
    /// returned as errors beside the rows.
    ///
    /// # Errors
    /// I/O errors reading `incidents/`.
    pub fn list(&self) -> Result<Listing, IncidentError> {
        use rayon::prelude::*;
        let ids = self.ids()?;
        let rows: Vec<Result<Summary, (String, String)>> = ids
            .par_iter()
            .map(|id| {
                let inc = self.load(id).map_err(|e| (id.clone(), e.to_string()))?;
                Ok(Summary {
                    id: inc.id.clone(),
                    title: inc.title.clone(),
                    severity: inc.severity.clone(),
                    status: inc.status,
                    opened_at: inc.opened_at.clone(),
                    updated_at: inc.events.last().map(|e| e.ts.clone()).unwrap_or_default(),
                    events: inc.events.len() as u64,
                    drill: inc.drill,
                    order_violations: inc.violations.len(),
                })
            })
            .collect();
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for r in rows {
            match r {
                Ok(s) => ok.push(s),
                Err(e) => bad.push(e),
            }
        }
        Ok((ok, bad))
    }
}

/// The `status_changed` event for a transition, after checking it.
///
/// # Errors
/// [`IncidentError::Guard`] when refused; [`IncidentError::Invalid`] for an empty reason.
pub fn status_event(
    inc: &Incident,
    to: Status,
    reason: &str,
    g: &Guards,
) -> Result<crate::event::incident::StatusChanged, IncidentError> {
    let reason = require_reason(reason, "a status change")?;
    inc.check(to, g)?;
    Ok(crate::event::incident::StatusChanged {
        from: inc.status.as_str().to_string(),
        to: to.as_str().to_string(),
        reason: Some(reason),
        commander: None,
    })
}

/// Trims a reason and refuses an empty one (decision log, D-ORDER).
///
/// # Errors
/// [`IncidentError::Invalid`] naming what needs the reason.
pub fn require_reason(reason: &str, what: &str) -> Result<String, IncidentError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(IncidentError::Invalid(format!(
            "{what} needs a short reason (--reason TEXT): it goes into the decision log"
        )));
    }
    Ok(r.to_string())
}

/// Checks that a user-supplied time is not in the future (a minute of
/// clock slack) nor more than a year before `now`, and returns it as a
/// ledger timestamp string.
///
/// # Errors
/// [`IncidentError::Invalid`] for an unparsable or future time.
pub fn past_time(what: &str, s: &str, now: jiff::Timestamp) -> Result<String, IncidentError> {
    let t = crate::host::clock::parse_time(s)
        .map_err(|e| IncidentError::Invalid(format!("{what}: {e}")))?;
    if t.as_millisecond() < now.as_millisecond() - 366 * 86_400_000 {
        return Err(IncidentError::Invalid(format!(
            "{what} {} is more than a year ago (now {}): check the date",
            ledger::format_ts(t),
            ledger::format_ts(now)
        )));
    }
    if t.as_millisecond() > now.as_millisecond() + 60_000 {
        return Err(IncidentError::Invalid(format!(
            "{what} {} is in the future (now {})",
            ledger::format_ts(t),
            ledger::format_ts(now)
        )));
    }
    Ok(ledger::format_ts(t))
}
