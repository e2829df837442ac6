//! The `no_split_brain` recovery-acceptance check from the lease ledger
//! (spec/recovery-acceptance.md, spec/split-brain-prevention.md rule 7;
//! D-SW-SPLITBRAIN): replays `ledger/lease.jsonl` per lease and reports
//!
//! - `overlap`: a grant while another holder's unreleased lease had not
//!   expired — two active holders (e.g. two hosts each on its own local
//!   store writing one shared ledger);
//! - `token_not_increasing`: a grant whose token is not above every earlier
//!   one;
//! - `stale_writer`: a renewal or release by a holder/token that is not the
//!   current grant;
//! - `not_held`: a lease that must be held (an order-writing component) has
//!   no current holder now;
//! - `unreadable`: a lease event whose data cannot be read.
//!
//! Refused claims are listed as `other_claimants` (a second instance that
//! the lease stopped, or a standby waiting): evidence, not a failure.
//! Orders from a non-holder's clientOrderId prefix are checked by
//! reconciliation, not here.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use opsbook_core::ledger::Event;

use crate::events::LeaseEvent;

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitBrainParams {
    /// Leases that must be held now (the order-writing components).
    pub required: Vec<String>,
    /// Only problems at or after this time count (recovery start); `None`:
    /// the whole ledger.
    pub since: Option<Timestamp>,
    /// Now (UTC).
    pub now: Timestamp,
}

/// The kind of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Two active holders at once.
    Overlap,
    /// A grant whose token is not above every earlier one.
    TokenNotIncreasing,
    /// A renewal or release by a non-current grant.
    StaleWriter,
    /// A required lease has no current holder.
    NotHeld,
    /// A lease event that cannot be read.
    Unreadable,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Kind.
    pub kind: ProblemKind,
    /// Ledger line (= `seq`) of the event; `None` for `not_held`.
    pub seq: Option<u64>,
    /// What happened.
    pub message: String,
}

/// One lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseReport {
    /// Lease name.
    pub name: String,
    /// Whether it must be held.
    pub required: bool,
    /// Current holder (unreleased, unexpired at `now`).
    pub holder: Option<String>,
    /// Current token.
    pub token: Option<u64>,
    /// Current grant's expiry.
    pub expires_at: Option<Timestamp>,
    /// Problems (empty: fine).
    pub problems: Vec<Problem>,
    /// Claimants refused since `since`, with how many times.
    pub other_claimants: BTreeMap<String, usize>,
}

/// The check's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitBrainReport {
    /// No problem on any lease.
    pub ok: bool,
    /// Per lease, sorted by name.
    pub leases: Vec<LeaseReport>,
    /// Lease events read.
    pub events: usize,
}

struct Current {
    holder: String,
    token: u64,
    expires_at: Timestamp,
    released: bool,
}

#[derive(Default)]
struct Replay {
    cur: Option<Current>,
    max_token: u64,
    problems: Vec<Problem>,
    claimants: BTreeMap<String, usize>,
}

/// Replays `events` (a whole verified ledger, oldest first).
#[must_use]
pub fn assess(events: &[Event], p: &SplitBrainParams) -> SplitBrainReport {
    let mut by_name: BTreeMap<String, Replay> = BTreeMap::new();
    for n in &p.required {
        by_name.entry(n.clone()).or_default();
    }
    let mut read = 0;
    let mut unreadable = Vec::new();
    for e in events {
        let Some(parsed) = LeaseEvent::from_event(e) else {
            continue;
        };
        let ts: Option<Timestamp> = e.ts.parse().ok();
        let counts = match (p.since, ts) {
            (Some(s), Some(t)) => t >= s,
            _ => true,
        };
        let ev = match parsed {
            Ok(ev) => ev,
            Err(m) => {
                unreadable.push(Problem {
                    kind: ProblemKind::Unreadable,
                    seq: Some(e.seq),
                    message: m,
                });
                continue;
            }
        };
        read += 1;
        let r = by_name.entry(ev.name().to_string()).or_default();
        let mut problem = |kind, message: String| {
            if counts {
                r.problems.push(Problem {
                    kind,
                    seq: Some(e.seq),
                    message,
                });
            }
        };
        match &ev {
            LeaseEvent::Acquired(g)
            | LeaseEvent::TakenOver(crate::events::TakenOver { granted: g, .. }) => {
                if g.token <= r.max_token {
                    problem(
                        ProblemKind::TokenNotIncreasing,
                        format!(
                            "{} was granted token {} after token {} had been granted",
                            g.holder, g.token, r.max_token
                        ),
                    );
                }
                if let (Some(c), Some(t)) = (&r.cur, ts)
                    && !c.released
                    && t < c.expires_at
                {
                    problem(
                        ProblemKind::Overlap,
                        format!(
                            "{} was granted token {} at {} while {} held token {} until {}: two active holders",
                            g.holder, g.token, e.ts, c.holder, c.token, c.expires_at
                        ),
                    );
                }
                r.max_token = r.max_token.max(g.token);
                r.cur = Some(Current {
                    holder: g.holder.clone(),
                    token: g.token,
                    expires_at: g.expires_at,
                    released: false,
                });
            }
            LeaseEvent::Renewed(g) => match &mut r.cur {
                Some(c) if c.token == g.token && c.holder == g.holder && !c.released => {
                    c.expires_at = g.expires_at;
                }
                other => {
                    let now = describe(other.as_ref());
                    problem(
                        ProblemKind::StaleWriter,
                        format!("{} renewed token {} while {now}", g.holder, g.token),
                    );
                }
            },
            LeaseEvent::Released(x) => match &mut r.cur {
                Some(c) if c.token == x.token && c.holder == x.holder => c.released = true,
                other => {
                    let now = describe(other.as_ref());
                    problem(
                        ProblemKind::StaleWriter,
                        format!("{} released token {} while {now}", x.holder, x.token),
                    );
                }
            },
            LeaseEvent::Refused(x) => {
                if counts {
                    *r.claimants.entry(x.claimant.clone()).or_default() += 1;
                }
            }
            LeaseEvent::Expired(_) => {}
        }
    }
    let mut leases: Vec<LeaseReport> = by_name
        .into_iter()
        .map(|(name, mut r)| {
            let required = p.required.contains(&name);
            let live = r
                .cur
                .as_ref()
                .filter(|c| !c.released && c.expires_at > p.now);
            if required && live.is_none() {
                r.problems.push(Problem {
                    kind: ProblemKind::NotHeld,
                    seq: None,
                    message: format!(
                        "`{name}` must be held by exactly one holder but {}",
                        match &r.cur {
                            None => "was never acquired".to_string(),
                            Some(c) if c.released =>
                                format!("was released by {} (token {})", c.holder, c.token),
                            Some(c) => format!(
                                "expired at {} ({} token {})",
                                c.expires_at, c.holder, c.token
                            ),
                        }
                    ),
                });
            }
            LeaseReport {
                required,
                holder: live.map(|c| c.holder.clone()),
                token: live.map(|c| c.token),
                expires_at: live.map(|c| c.expires_at),
                problems: r.problems,
                other_claimants: r.claimants,
                name,
            }
        })
        .collect();
    if !unreadable.is_empty() {
        leases.push(LeaseReport {
            name: "(unreadable events)".into(),
            required: false,
            holder: None,
            token: None,
            expires_at: None,
            problems: unreadable,
            other_claimants: BTreeMap::new(),
        });
    }
    SplitBrainReport {
        ok: leases.iter().all(|l| l.problems.is_empty()),
        leases,
        events: read,
    }
}

fn describe(c: Option<&Current>) -> String {
    match c {
        None => "nobody held the lease".to_string(),
        Some(c) if c.released => format!(
            "the lease was released (last {} token {})",
            c.holder, c.token
        ),
        Some(c) => format!("{} held token {}", c.holder, c.token),
    }
}
