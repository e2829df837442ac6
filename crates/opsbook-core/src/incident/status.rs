//! The incident status machine: the statuses, which transitions are allowed
//! (`OPEN → ACKED → MITIGATING → MONITORING → RESOLVED → CLOSED`, the watch's
//! re-trigger, `CANCELLED`/`MERGED` before RESOLVED), and severity ranks.

use std::fmt;

use serde::Serialize;

/// Incident status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Declared, nobody has taken it yet.
    Open,
    /// Someone (the incident commander) has taken it.
    Acked,
    /// Acting on it: a safety decision has been made.
    Mitigating,
    /// Impact contained; watching for a re-trigger.
    Monitoring,
    /// Impact ended and recovery acceptance passed.
    Resolved,
    /// Done: (P0/P1) postmortem attached.
    Closed,
    /// Opened by mistake; terminal.
    Cancelled,
    /// A duplicate merged into another incident; terminal.
    Merged,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 8] = [
        Status::Open,
        Status::Acked,
        Status::Mitigating,
        Status::Monitoring,
        Status::Resolved,
        Status::Closed,
        Status::Cancelled,
        Status::Merged,
    ];

    /// `OPEN`, `ACKED`, …
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Acked => "ACKED",
            Status::Mitigating => "MITIGATING",
            Status::Monitoring => "MONITORING",
            Status::Resolved => "RESOLVED",
            Status::Closed => "CLOSED",
            Status::Cancelled => "CANCELLED",
            Status::Merged => "MERGED",
        }
    }

    /// Parses a status name, case-insensitively.
    #[must_use]
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The statuses the machine allows next (guards aside). `MERGED` is
    /// reached only by a merge, so it is not listed.
    #[must_use]
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Open => &[Status::Acked, Status::Cancelled],
            Status::Acked => &[Status::Mitigating, Status::Cancelled],
            Status::Mitigating => &[Status::Monitoring, Status::Cancelled],
            Status::Monitoring => &[Status::Resolved, Status::Mitigating, Status::Cancelled],
            Status::Resolved => &[Status::Closed],
            Status::Closed | Status::Cancelled | Status::Merged => &[],
        }
    }

    /// Whether no transition leaves this status.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled | Status::Merged)
    }

    /// Whether the incident still needs work (not RESOLVED or beyond).
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Open | Status::Acked | Status::Mitigating | Status::Monitoring
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity rank: P0 is 0 (most severe).
#[must_use]
pub fn severity_rank(s: &str) -> u8 {
    match s {
        "P0" => 0,
        "P1" => 1,
        _ => 2,
    }
}
