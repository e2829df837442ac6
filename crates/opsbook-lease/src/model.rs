//! The lease model: names, holders, the stored record, and the expiry rule
//! (pure functions of a record and a time, so every boundary is testable).
//!
//! # The expiry rule (D-SW-SPLITBRAIN)
//!
//! A lease is granted for `ttl` and carries a fencing token that only ever
//! grows. With `margin` the safety margin ([`Timing::margin`], 2 s by
//! default; `ttl` must exceed `2 × margin`):
//!
//! - **The holder** counts on its **monotonic** clock from the instant it
//!   *sent* the acquire or renew: it may write (send orders) only until
//!   `sent + ttl − margin` ([`crate::Lease::is_valid`]). Because it starts
//!   counting before the record is written, it stops no later than anyone
//!   else could think it expired, whatever the wall clock does.
//!   Renewing with the CLI (a new process each time, no monotonic memory)
//!   is refused once the holder's wall clock reaches `expires_at`.
//! - **Everyone else** considers the lease expired, and may take it over,
//!   only at `expires_at + margin` by their own **wall** clock — or, while
//!   waiting (`acquire --wait`), once they have watched the *same* record
//!   version unchanged for `ttl + margin` on their own monotonic clock,
//!   whatever the wall clock says.
//!
//! So a holder has stopped at least `2 × margin` before another host can
//! take over, as long as the two hosts' wall clocks differ by less than
//! `2 × margin` (4 s by default; the time check halts trading at 1 s and
//! `failover check` requires the clock below `warn`). The fencing token
//! covers what is left: an order writer refuses a token lower than the
//! highest it has seen (docs/lease.md).

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The default safety margin.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(2);

/// Timing rules shared by every operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The safety margin (see the module docs).
    pub margin: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            margin: DEFAULT_MARGIN,
        }
    }
}

impl Timing {
    /// Checks a TTL against the margin: `ttl > 2 × margin`, at most 24 h.
    ///
    /// # Errors
    /// A message with the smallest TTL allowed.
    pub fn check_ttl(&self, ttl: Duration) -> Result<(), String> {
        if ttl <= self.margin * 2 {
            return Err(format!(
                "ttl {} ms is too short: it must exceed twice the safety margin ({} ms)",
                ttl.as_millis(),
                (self.margin * 2).as_millis()
            ));
        }
        if ttl > Duration::from_secs(86_400) {
            return Err(format!(
                "ttl {} s is longer than 24 h: a crashed holder would block the standby that long",
                ttl.as_secs()
            ));
        }
        Ok(())
    }

    /// The margin in ms.
    #[must_use]
    pub fn margin_ms(&self) -> i64 {
        i64::try_from(self.margin.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Checks a lease name: 1–64 characters of `a-z 0-9 . _ -`, starting with
/// a letter or digit (names become file names and object keys; lower case
/// only, because Windows file names ignore case and S3 keys do not).
///
/// # Errors
/// A message with the rule.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "lease name `{name}`: use 1-64 characters of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit (e.g. order-gateway)"
        ))
    }
}

/// Checks a holder ID: 1–128 visible characters (spaces inside allowed), no
/// control characters, no leading or trailing space.
///
/// # Errors
/// A message with the rule.
pub fn check_holder(holder: &str) -> Result<(), String> {
    let ok = !holder.is_empty()
        && holder.chars().count() <= 128
        && holder.trim() == holder
        && !holder.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "holder `{}`: use 1-128 visible characters without control characters or surrounding spaces (e.g. trade-01/order-gateway)",
            holder.escape_debug()
        ))
    }
}

/// Whether a stored lease is held or was released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// Granted and not released (it may have expired).
    Held,
    /// Released by its holder; the token stays for the next grant.
    Released,
}

/// The stored lease (`<name>.lease.json` locally, one object on S3). The
/// record is never deleted: its token is the floor of the next grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Record format, 1.
    pub format: u32,
    /// Lease name.
    pub name: String,
    /// Holder ID of the last grant.
    pub holder: String,
    /// Fencing token of the last grant (from 1, strictly increasing).
    pub token: u64,
    /// Held or released.
    pub state: RecordState,
    /// When this token was granted (holder's wall clock, UTC ms).
    pub acquired_at: Timestamp,
    /// Last acquire or renew (holder's wall clock).
    pub renewed_at: Timestamp,
    /// TTL of the last acquire or renew, ms.
    pub ttl_ms: u64,
    /// `renewed_at + ttl_ms`.
    pub expires_at: Timestamp,
    /// When released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<Timestamp>,
    /// Host of the holder's process.
    pub host: String,
    /// Process ID of the writer.
    pub pid: u32,
    /// Unique per write: tells our own write apart after an ambiguous
    /// answer (a timeout, a retried conditional request).
    pub write_id: String,
}

/// A timestamp with millisecond precision.
#[must_use]
pub fn ms(t: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond()).unwrap_or(t)
}

/// `t + d` (saturating at the largest timestamp).
#[must_use]
pub fn plus(t: Timestamp, d: Duration) -> Timestamp {
    let add = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    Timestamp::from_millisecond(t.as_millisecond().saturating_add(add)).unwrap_or(Timestamp::MAX)
}

/// The state of a lease as an observer sees it at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Never granted.
    Free,
    /// Held and before `expires_at`.
    Held,
    /// Past `expires_at` but before `expires_at + margin`: the holder
    /// should have stopped, nobody may take over yet.
    Expiring,
    /// At or past `expires_at + margin`: may be taken over.
    Expired,
    /// Released by its holder.
    Released,
}

impl State {
    /// Whether a new acquire may take the lease now (by the wall-clock rule).
    #[must_use]
    pub fn acquirable(self) -> bool {
        matches!(self, State::Free | State::Expired | State::Released)
    }
}

/// The state of `record` at `now` for an observer (not its holder).
#[must_use]
pub fn classify(record: Option<&Record>, now: Timestamp, t: Timing) -> State {
    match record {
        None => State::Free,
        Some(r) if r.state == RecordState::Released => State::Released,
        Some(r) if now < r.expires_at => State::Held,
        Some(r) if now < plus(r.expires_at, t.margin) => State::Expiring,
        Some(_) => State::Expired,
    }
}

/// The status of one lease: what `opsbook lease status NAME` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Lease name.
    pub name: String,
    /// State at `checked_at`.
    pub state: State,
    /// Holder of the last grant (also after release or expiry).
    pub holder: Option<String>,
    /// Its token (the current highest token of this lease).
    pub token: Option<u64>,
    /// When that token was granted.
    pub since: Option<Timestamp>,
    /// Last renewal.
    pub renewed_at: Option<Timestamp>,
    /// When it expires (or expired).
    pub expires_at: Option<Timestamp>,
    /// When another holder may take it over: `expires_at + margin`.
    pub takeover_at: Option<Timestamp>,
    /// When it was released.
    pub released_at: Option<Timestamp>,
    /// Host of the holder.
    pub host: Option<String>,
    /// Where the lease is stored (`file:…`, `s3://…`).
    pub store: String,
    /// When this status was taken (observer's wall clock).
    pub checked_at: Timestamp,
}

impl Status {
    /// The status of `record` at `now`.
    #[must_use]
    pub fn of(
        name: &str,
        record: Option<&Record>,
        now: Timestamp,
        t: Timing,
        store: String,
    ) -> Status {
        Status {
            name: name.to_string(),
            state: classify(record, now, t),
            holder: record.map(|r| r.holder.clone()),
            token: record.map(|r| r.token),
            since: record.map(|r| r.acquired_at),
            renewed_at: record.map(|r| r.renewed_at),
            expires_at: record.map(|r| r.expires_at),
            takeover_at: record.map(|r| plus(r.expires_at, t.margin)),
            released_at: record.and_then(|r| r.released_at),
            host: record.map(|r| r.host.clone()),
            store,
            checked_at: now,
        }
    }

    /// Milliseconds until `expires_at` (negative once past).
    #[must_use]
    pub fn remaining_ms(&self) -> Option<i64> {
        self.expires_at
            .map(|e| e.as_millisecond() - self.checked_at.as_millisecond())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_796_000_000_000 + ms).unwrap()
    }

    fn rec(expires: i64) -> Record {
        Record {
            format: 1,
            name: "order-gateway".into(),
            holder: "n1".into(),
            token: 7,
            state: RecordState::Held,
            acquired_at: ts(0),
            renewed_at: ts(0),
            ttl_ms: 30_000,
            expires_at: ts(expires),
            released_at: None,
            host: "trade-01".into(),
            pid: 1,
            write_id: "w".into(),
        }
    }

    #[test]
    fn observers_wait_for_expiry_plus_the_margin() {
        let t = Timing::default();
        let r = rec(30_000);
        assert_eq!(classify(Some(&r), ts(29_999), t), State::Held);
        assert_eq!(classify(Some(&r), ts(30_000), t), State::Expiring);
        assert_eq!(classify(Some(&r), ts(31_999), t), State::Expiring);
        assert_eq!(classify(Some(&r), ts(32_000), t), State::Expired);
        assert!(!State::Expiring.acquirable());
        assert!(State::Expired.acquirable());
        let released = Record {
            state: RecordState::Released,
            ..rec(30_000)
        };
        assert_eq!(classify(Some(&released), ts(0), t), State::Released);
        assert_eq!(classify(None, ts(0), t), State::Free);
        let s = Status::of("order-gateway", Some(&r), ts(10_000), t, "file:x".into());
        assert_eq!(s.remaining_ms(), Some(20_000));
        assert_eq!(s.takeover_at, Some(ts(32_000)));
    }

    #[test]
    fn ttl_must_leave_room_for_the_margin() {
        let t = Timing::default();
        assert!(t.check_ttl(Duration::from_secs(30)).is_ok());
        assert!(t.check_ttl(Duration::from_millis(4001)).is_ok());
        let e = t.check_ttl(Duration::from_secs(4)).unwrap_err();
        assert!(e.contains("4000 ms"), "{e}");
        assert!(t.check_ttl(Duration::from_secs(86_401)).is_err());
    }

    #[test]
    fn names_and_holders() {
        for ok in ["order-gateway", "trading-engine.btc", "a", "n1_x"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Order", "-x", "a/b", "a..b", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_holder("trade-01/order-gateway pid 4242").is_ok());
        for bad in ["", " n1", "n1\n", &"x".repeat(129)] {
            assert!(check_holder(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn records_round_trip_as_json_with_ms_timestamps() {
        let r = rec(30_000);
        let j = serde_json::to_string(&r).unwrap();
        assert!(j.contains("\"expires_at\":\"2026-"), "{j}");
        assert!(j.contains("\"state\":\"held\""), "{j}");
        let back: Record = serde_json::from_str(&j).unwrap();
        assert_eq!(back, r);
        assert_eq!(plus(ts(0), Duration::from_millis(1500)), ts(1500));
    }
}
