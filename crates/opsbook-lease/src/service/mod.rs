//! The lease operations (`opsbook lease acquire|renew|release|status|check`;
//! D-SW-SPLITBRAIN): one active holder per lease name, a fencing token that
//! only grows, every change an event in the lease ledger.
//!
//! Each operation holds the ledger's cross-process lock from reading the
//! store to appending its event, so on one host the ledger's order is the
//! store's order (a release is never recorded after the next grant). The
//! store decides who wins: a grant is a compare-and-swap against the
//! version read. A grant that cannot be recorded is withdrawn (released)
//! and reported; a renewal or release that cannot be recorded stands — the
//! lease state is what it is — and says so in `ledger_warning`.
//!
//! This file is the service ([`Leases`]); what it returns and its errors
//! are in `outcome`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jiff::Timestamp;

use opsbook_core::ledger::{Actor, LedgerError, Writer};

use crate::events::{self, ExpiryRule, Granted, LeaseEvent};
use crate::model::{
    Record, RecordState, State, Status, Timing, check_holder, check_name, classify, ms, plus,
};
use crate::store::{Store, Stored, Version};

/// Compare-and-swap attempts before giving up on a contended lease.
const MAX_RACES: usize = 5;

mod outcome;
pub use self::outcome::{Lease, LeaseError, Previous, Release, Renewal};

/// A unique ID for one write.
fn write_id(host: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{host}-{:x}-{nanos:x}-{:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// What one acquire attempt found.
enum Attempt {
    Granted(Lease),
    Held {
        status: Box<Status>,
        version: Version,
        ledger_warning: Option<String>,
    },
}

/// The wall clock the service reads.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The lease service over one store and one ledger.
pub struct Leases {
    store: Box<dyn Store>,
    ledger: PathBuf,
    actor: Actor,
    timing: Timing,
    clock: Clock,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leases")
            .field("store", &self.store.describe())
            .field("ledger", &self.ledger)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl Leases {
    /// Leases in `store`, events in the ledger file `ledger`
    /// (`<SSOT>/ledger/lease.jsonl`), written as `actor`.
    #[must_use]
    pub fn new(store: Box<dyn Store>, ledger: PathBuf, actor: Actor, timing: Timing) -> Leases {
        Leases {
            store,
            ledger,
            actor,
            timing,
            clock: Arc::new(Timestamp::now),
        }
    }

    /// Replaces the wall clock (tests and drills that simulate a host whose
    /// clock is off). Never needed in production.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Leases {
        self.clock = clock;
        self
    }

    /// The store's description.
    #[must_use]
    pub fn store(&self) -> String {
        self.store.describe()
    }

    fn now(&self) -> Timestamp {
        ms((self.clock)())
    }

    fn validate(&self, name: &str, holder: &str, ttl: Option<Duration>) -> Result<(), LeaseError> {
        check_name(name).map_err(LeaseError::Invalid)?;
        check_holder(holder).map_err(LeaseError::Invalid)?;
        if let Some(t) = ttl {
            self.timing.check_ttl(t).map_err(LeaseError::Invalid)?;
        }
        Ok(())
    }

    fn status_of(&self, name: &str, s: Option<&Stored>, now: Timestamp) -> Status {
        Status::of(
            name,
            s.map(|x| &x.record),
            now,
            self.timing,
            self.store.describe(),
        )
    }

    fn append(&self, w: &mut Writer, ev: &LeaseEvent) -> Result<(), LedgerError> {
        let data = ev.data().map_err(|e| LedgerError::Encode(e.to_string()))?;
        w.append(&self.actor, ev.kind(), data).map(|_| ())
    }

    fn lease_of(&self, r: &Record, sent: Instant, took_over: Option<Previous>) -> Lease {
        let valid = Duration::from_millis(r.ttl_ms).saturating_sub(self.timing.margin);
        Lease {
            name: r.name.clone(),
            holder: r.holder.clone(),
            token: r.token,
            ttl_ms: r.ttl_ms,
            acquired_at: r.acquired_at,
            renewed_at: r.renewed_at,
            expires_at: r.expires_at,
            valid_for_ms: u64::try_from(valid.as_millis()).unwrap_or(u64::MAX),
            took_over,
            store: self.store.describe(),
            valid_until: sent + valid,
        }
    }

    fn granted(&self, r: &Record) -> Granted {
        Granted {
            name: r.name.clone(),
            holder: r.holder.clone(),
            token: r.token,
            ttl_ms: r.ttl_ms,
            at: r.renewed_at,
            expires_at: r.expires_at,
            store: self.store.describe(),
        }
    }

    /// Acquires `name` for `holder` for `ttl`: granted with the next token
    /// if the lease is free, released, or expired (`expires_at + margin`
    /// passed by this host's wall clock); refused with who holds it
    /// otherwise — also when the holder ID is the caller's own (a second
    /// instance must never share a lease).
    ///
    /// # Errors
    /// [`LeaseError::Held`] (recorded as `lease_refused`), invalid input,
    /// store and ledger errors.
    pub fn acquire(&self, name: &str, holder: &str, ttl: Duration) -> Result<Lease, LeaseError> {
        self.validate(name, holder, Some(ttl))?;
        match self.attempt(name, holder, ttl, None, true)? {
            Attempt::Granted(l) => Ok(l),
            Attempt::Held {
                status,
                ledger_warning,
                ..
            } => Err(LeaseError::Held {
                status,
                claimant: holder.to_string(),
                ledger_warning,
            }),
        }
    }

    /// [`Leases::acquire`], retrying every `poll` for up to `wait`. While
    /// waiting, the lease is also taken over once the same record has been
    /// seen unchanged for `ttl + margin` on the monotonic clock (see
    /// [`crate::model`]). Only the first refusal is recorded.
    ///
    /// # Errors
    /// As [`Leases::acquire`]; [`LeaseError::Held`] when `wait` ran out.
    pub fn acquire_wait(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        wait: Duration,
        poll: Duration,
    ) -> Result<Lease, LeaseError> {
        self.validate(name, holder, Some(ttl))?;
        let deadline = Instant::now() + wait;
        let mut seen: Option<(Version, Instant)> = None;
        let mut first = true;
        loop {
            match self.attempt(name, holder, ttl, seen.as_ref(), first)? {
                Attempt::Granted(l) => return Ok(l),
                Attempt::Held {
                    status,
                    version,
                    ledger_warning,
                } => {
                    first = false;
                    if seen.as_ref().is_none_or(|(v, _)| *v != version) {
                        seen = Some((version, Instant::now()));
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(LeaseError::Held {
                            status,
                            claimant: holder.to_string(),
                            ledger_warning,
                        });
                    }
                    std::thread::sleep(poll.min(deadline - now));
                }
            }
        }
    }

    fn attempt(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        seen: Option<&(Version, Instant)>,
        record_refusal: bool,
    ) -> Result<Attempt, LeaseError> {
        let mut w = Writer::open(&self.ledger)?;
        for _ in 0..MAX_RACES {
            let sent = Instant::now();
            let now = self.now();
            let cur = self.store.load(name)?;
            let state = classify(cur.as_ref().map(|s| &s.record), now, self.timing);
            let watched_out = match (seen, cur.as_ref()) {
                (Some((v, since)), Some(s)) => {
                    *v == s.version
                        && since.elapsed()
                            >= Duration::from_millis(s.record.ttl_ms) + self.timing.margin
                }
                _ => false,
            };
            let rule = match (state, cur.as_ref()) {
                (State::Expired, _) => Some(ExpiryRule::WallClock),
                (State::Held | State::Expiring, Some(_)) if watched_out => {
                    Some(ExpiryRule::Monotonic)
                }
                (State::Held | State::Expiring, Some(s)) => {
                    let status = Box::new(self.status_of(name, Some(s), now));
                    let mut ledger_warning = None;
                    if record_refusal {
                        let ev = LeaseEvent::Refused(events::Refused {
                            name: name.to_string(),
                            claimant: holder.to_string(),
                            holder: s.record.holder.clone(),
                            token: s.record.token,
                            since: s.record.acquired_at,
                            expires_at: s.record.expires_at,
                            store: self.store.describe(),
                        });
                        ledger_warning = self.append(&mut w, &ev).err().map(|e| e.to_string());
                    }
                    return Ok(Attempt::Held {
                        status,
                        version: s.version.clone(),
                        ledger_warning,
                    });
                }
                _ => None,
            };
            // A lost record must not restart the tokens: the ledger keeps
            // the highest one granted.
            let floor = match cur {
                None => events::max_token(&w.events()?, name),
                Some(_) => 0,
            };
            let prev = cur.as_ref().map_or(0, |s| s.record.token);
            let record = Record {
                format: 1,
                name: name.to_string(),
                holder: holder.to_string(),
                token: prev.max(floor) + 1,
                state: RecordState::Held,
                acquired_at: now,
                renewed_at: now,
                ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
                expires_at: plus(now, ttl),
                released_at: None,
                host: self.actor.host.clone(),
                pid: std::process::id(),
                write_id: write_id(&self.actor.host),
            };
            let Some(version) = self
                .store
                .swap(name, cur.as_ref().map(|s| &s.version), &record)?
            else {
                continue;
            };
            let took_over = rule.zip(cur.as_ref()).map(|(rule, s)| Previous {
                holder: s.record.holder.clone(),
                token: s.record.token,
                expires_at: s.record.expires_at,
                rule,
            });
            let events: Vec<LeaseEvent> = match &took_over {
                None => vec![LeaseEvent::Acquired(self.granted(&record))],
                Some(p) => vec![
                    LeaseEvent::Expired(events::Expired {
                        name: name.to_string(),
                        holder: p.holder.clone(),
                        token: p.token,
                        expires_at: p.expires_at,
                        observed_by: holder.to_string(),
                        observed_at: now,
                        rule: p.rule,
                        store: self.store.describe(),
                    }),
                    LeaseEvent::TakenOver(events::TakenOver {
                        granted: self.granted(&record),
                        previous_holder: p.holder.clone(),
                        previous_token: p.token,
                        previous_expires_at: p.expires_at,
                        rule: p.rule,
                    }),
                ],
            };
            if let Err(source) = events.iter().try_for_each(|e| self.append(&mut w, e)) {
                let withdrawn = self.withdraw(name, &record, &version);
                return Err(LeaseError::Unrecorded {
                    name: name.to_string(),
                    token: record.token,
                    withdrawn,
                    source,
                });
            }
            return Ok(Attempt::Granted(self.lease_of(&record, sent, took_over)));
        }
        Err(LeaseError::Contended {
            name: name.to_string(),
        })
    }

    /// Releases a grant that could not be recorded; whether it worked.
    fn withdraw(&self, name: &str, record: &Record, version: &Version) -> bool {
        let now = self.now();
        let back = Record {
            state: RecordState::Released,
            released_at: Some(now),
            write_id: write_id(&self.actor.host),
            ..record.clone()
        };
        matches!(self.store.swap(name, Some(version), &back), Ok(Some(_)))
    }

    /// The stored record if it is `holder`'s grant with `token`; the
    /// matching refusal otherwise.
    fn own(
        &self,
        name: &str,
        holder: &str,
        token: u64,
        cur: Option<Stored>,
        now: Timestamp,
    ) -> Result<Stored, LeaseError> {
        match cur {
            Some(s) if s.record.token == token && s.record.holder == holder => Ok(s),
            other => Err(LeaseError::Stale {
                token,
                holder: holder.to_string(),
                current: Box::new(self.status_of(name, other.as_ref(), now)),
            }),
        }
    }

    /// Replaces `holder`'s own record; a lost race means another holder
    /// took the lease in between: stale.
    fn swap_own(
        &self,
        name: &str,
        holder: &str,
        token: u64,
        version: &Version,
        record: &Record,
        now: Timestamp,
    ) -> Result<(), LeaseError> {
        if self.store.swap(name, Some(version), record)?.is_some() {
            return Ok(());
        }
        let cur = self.store.load(name)?;
        Err(LeaseError::Stale {
            token,
            holder: holder.to_string(),
            current: Box::new(self.status_of(name, cur.as_ref(), now)),
        })
    }

    /// Renews `holder`'s lease `name` with `token` for `ttl` from now.
    /// Refused once the holder's wall clock reached `expires_at` (recorded
    /// as `lease_expired`): the holder must stop and acquire again.
    ///
    /// # Errors
    /// [`LeaseError::Stale`] (another token, another holder, released),
    /// [`LeaseError::Expired`], invalid input, store and ledger errors.
    pub fn renew(
        &self,
        name: &str,
        holder: &str,
        token: u64,
        ttl: Duration,
    ) -> Result<Renewal, LeaseError> {
        self.validate(name, holder, Some(ttl))?;
        let mut w = Writer::open(&self.ledger)?;
        let sent = Instant::now();
        let now = self.now();
        let cur = self.store.load(name)?;
        let s = self.own(name, holder, token, cur, now)?;
        if s.record.state == RecordState::Released {
            return Err(LeaseError::Stale {
                token,
                holder: holder.to_string(),
                current: Box::new(self.status_of(name, Some(&s), now)),
            });
        }
        if now >= s.record.expires_at {
            let ev = LeaseEvent::Expired(events::Expired {
                name: name.to_string(),
                holder: holder.to_string(),
                token,
                expires_at: s.record.expires_at,
                observed_by: holder.to_string(),
                observed_at: now,
                rule: ExpiryRule::Holder,
                store: self.store.describe(),
            });
            // The refusal is the answer; a ledger failure must not hide it.
            let _ = self.append(&mut w, &ev);
            return Err(LeaseError::Expired {
                status: Box::new(self.status_of(name, Some(&s), now)),
            });
        }
        let record = Record {
            renewed_at: now,
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
            expires_at: plus(now, ttl),
            host: self.actor.host.clone(),
            pid: std::process::id(),
            write_id: write_id(&self.actor.host),
            ..s.record.clone()
        };
        self.swap_own(name, holder, token, &s.version, &record, now)?;
        let ledger_warning = self
            .append(&mut w, &LeaseEvent::Renewed(self.granted(&record)))
            .err()
            .map(|e| e.to_string());
        Ok(Renewal {
            lease: self.lease_of(&record, sent, None),
            ledger_warning,
        })
    }

    /// Releases `holder`'s lease `name` with `token`. The token stays in
    /// the record: the next grant gets a higher one. Releasing twice is not
    /// an error (`already_released`).
    ///
    /// # Errors
    /// [`LeaseError::Stale`], invalid input, store and ledger errors.
    pub fn release(&self, name: &str, holder: &str, token: u64) -> Result<Release, LeaseError> {
        self.validate(name, holder, None)?;
        let mut w = Writer::open(&self.ledger)?;
        let now = self.now();
        let cur = self.store.load(name)?;
        let s = self.own(name, holder, token, cur, now)?;
        let mut out = Release {
            name: name.to_string(),
            holder: holder.to_string(),
            token,
            released_at: s.record.released_at.unwrap_or(now),
            was_expired: now >= s.record.expires_at,
            already_released: s.record.state == RecordState::Released,
            ledger_warning: None,
        };
        if out.already_released {
            return Ok(out);
        }
        let record = Record {
            state: RecordState::Released,
            released_at: Some(now),
            write_id: write_id(&self.actor.host),
            ..s.record.clone()
        };
        self.swap_own(name, holder, token, &s.version, &record, now)?;
        let ev = LeaseEvent::Released(events::Released {
            name: name.to_string(),
            holder: holder.to_string(),
            token,
            at: now,
            was_expired: out.was_expired,
            store: self.store.describe(),
        });
        out.ledger_warning = self.append(&mut w, &ev).err().map(|e| e.to_string());
        Ok(out)
    }

    /// The status of `name` now. Reads only: writes nothing, not even to
    /// the ledger.
    ///
    /// # Errors
    /// Invalid name, store errors.
    pub fn status(&self, name: &str) -> Result<Status, LeaseError> {
        check_name(name).map_err(LeaseError::Invalid)?;
        let cur = self.store.load(name)?;
        Ok(self.status_of(name, cur.as_ref(), self.now()))
    }

    /// Whether `token` (and `holder`, when given) is the current grant of
    /// `name` and not past `expires_at` by this host's clock: what an order
    /// writer asks before accepting a write. Reads only.
    ///
    /// # Errors
    /// [`LeaseError::Stale`] or [`LeaseError::Expired`] when the token must
    /// not be used; invalid input, store errors.
    pub fn check(
        &self,
        name: &str,
        token: u64,
        holder: Option<&str>,
    ) -> Result<Status, LeaseError> {
        check_name(name).map_err(LeaseError::Invalid)?;
        let now = self.now();
        let cur = self.store.load(name)?;
        let status = self.status_of(name, cur.as_ref(), now);
        let matches = cur.as_ref().is_some_and(|s| {
            s.record.token == token
                && s.record.state == RecordState::Held
                && holder.is_none_or(|h| h == s.record.holder)
        });
        if !matches {
            return Err(LeaseError::Stale {
                token,
                holder: holder.unwrap_or("-").to_string(),
                current: Box::new(status),
            });
        }
        if status.state != State::Held {
            return Err(LeaseError::Expired {
                status: Box::new(status),
            });
        }
        Ok(status)
    }
}
