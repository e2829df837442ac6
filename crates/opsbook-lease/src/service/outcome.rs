//! What the lease operations return ([`Lease`], [`Renewal`], [`Release`],
//! [`Previous`]) and why one did not happen ([`LeaseError`], with its exit
//! code and the next step to print; D-SW-SPLITBRAIN).

use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Serialize;

use opsbook_core::ledger::LedgerError;

use super::MAX_RACES;
use crate::events::ExpiryRule;
use crate::model::{State, Status};
use crate::store::StoreError;

/// A granted lease, as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    /// Lease name.
    pub name: String,
    /// Holder ID.
    pub holder: String,
    /// The fencing token to pass with every write.
    pub token: u64,
    /// TTL, ms.
    pub ttl_ms: u64,
    /// When this token was granted (UTC).
    pub acquired_at: Timestamp,
    /// Last grant or renewal (UTC).
    pub renewed_at: Timestamp,
    /// When others may consider it expired, before the margin (UTC).
    pub expires_at: Timestamp,
    /// How long from the request the holder may write: `ttl − margin`, ms.
    /// Renew well before (every `ttl / 3`); stop sending orders when it runs
    /// out without a successful renewal.
    pub valid_for_ms: u64,
    /// The expired lease this grant took over.
    pub took_over: Option<Previous>,
    /// The store.
    pub store: String,
    #[serde(skip)]
    pub(super) valid_until: Instant,
}

impl Lease {
    /// Whether the holder may still write, by its monotonic clock (see
    /// [`crate::model`]): `false` once `ttl − margin` has passed since the
    /// request that granted or last renewed it.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        Instant::now() < self.valid_until
    }

    /// Time left to write (zero once invalid).
    #[must_use]
    pub fn remaining(&self) -> Duration {
        self.valid_until.saturating_duration_since(Instant::now())
    }
}

/// The previous grant of a lease taken over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Previous {
    /// Its holder.
    pub holder: String,
    /// Its token (now stale).
    pub token: u64,
    /// When it expired.
    pub expires_at: Timestamp,
    /// How the expiry was judged.
    pub rule: ExpiryRule,
}

/// A renewal: serialised as the lease's own fields plus `ledger_warning`,
/// so `acquire` and `renew` print the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renewal {
    /// The renewed lease.
    #[serde(flatten)]
    pub lease: Lease,
    /// The ledger could not record the renewal (it stands anyway).
    pub ledger_warning: Option<String>,
}

/// A release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// Lease name.
    pub name: String,
    /// Holder ID.
    pub holder: String,
    /// The released token.
    pub token: u64,
    /// When (UTC).
    pub released_at: Timestamp,
    /// It had expired before the release.
    pub was_expired: bool,
    /// It was already released (nothing changed, no event).
    pub already_released: bool,
    /// The ledger could not record the release (it stands anyway).
    pub ledger_warning: Option<String>,
}

/// Why a lease operation did not happen. [`LeaseError::exit_code`]: 1 for
/// refusals (held, stale, expired, contended), 2 for errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LeaseError {
    /// Another holder has it (exit 1).
    #[error("{}", held_message(.status, .claimant))]
    Held {
        /// The current holder, token, since when, until when.
        status: Box<Status>,
        /// Who asked.
        claimant: String,
        /// The refusal could not be recorded in the ledger.
        ledger_warning: Option<String>,
    },
    /// The token is not the lease's current token (exit 1): stop writing.
    #[error("{}", stale_message(.token, .holder, .current))]
    Stale {
        /// The token given.
        token: u64,
        /// The holder given.
        holder: String,
        /// The lease now.
        current: Box<Status>,
    },
    /// The holder's lease ran out before it renewed (exit 1): stop writing
    /// and acquire again.
    #[error(
        "lease `{}` token {} expired at {}: stop sending orders, then acquire again (a new token)",
        .status.name, .status.token.unwrap_or(0), fmt_ts(&.status.expires_at)
    )]
    Expired {
        /// The lease now.
        status: Box<Status>,
    },
    /// The compare-and-swap kept losing (exit 1).
    #[error("lease `{name}`: {MAX_RACES} concurrent writers in a row; try again")]
    Contended {
        /// Lease name.
        name: String,
    },
    /// Bad name, holder or TTL (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// The store failed (exit 2).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger failed before anything changed (exit 2).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The lease was granted but the grant could not be recorded (exit 2).
    #[error(
        "lease `{name}` token {token} was granted but cannot be recorded in the ledger: {source}; {}",
        if *.withdrawn { "the grant was withdrawn (released): fix the ledger and acquire again" } else { "the grant could NOT be withdrawn: do not use it; it expires by itself" }
    )]
    Unrecorded {
        /// Lease name.
        name: String,
        /// The token granted.
        token: u64,
        /// Whether the grant was released again.
        withdrawn: bool,
        /// The ledger error.
        source: LedgerError,
    },
}

impl LeaseError {
    /// The step that would help after a ledger failure (set a torn line
    /// aside with `opsbook ledger repair`, or verify the chain); `None`
    /// for refusals that need no repair.
    #[must_use]
    pub fn next(&self) -> Option<opsbook_core::next::NextStep> {
        match self {
            LeaseError::Unrecorded { source, .. } => source.next(),
            _ => None,
        }
    }

    /// The lease's status behind a refusal (held, stale, expired), for
    /// `--format json`: who holds it, its token, since and until when.
    #[must_use]
    pub fn status(&self) -> Option<&Status> {
        match self {
            LeaseError::Held { status, .. }
            | LeaseError::Stale {
                current: status, ..
            }
            | LeaseError::Expired { status } => Some(status),
            _ => None,
        }
    }

    /// 1 for a refusal (held, stale, expired, contended), 2 for an error.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self {
            LeaseError::Held { .. }
            | LeaseError::Stale { .. }
            | LeaseError::Expired { .. }
            | LeaseError::Contended { .. } => 1,
            _ => 2,
        }
    }
}

fn fmt_ts(t: &Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_string(), opsbook_core::ledger::format_ts)
}

fn held_message(s: &Status, claimant: &str) -> String {
    let holder = s.holder.as_deref().unwrap_or("?");
    let same = if holder == claimant {
        " — the same holder ID as yours: is a second instance starting? Never run two"
    } else {
        ""
    };
    format!(
        "lease `{}` is held by {holder} (host {}) since {} with token {}{same}; it expires at {} and can be taken over from {} if not renewed",
        s.name,
        s.host.as_deref().unwrap_or("?"),
        fmt_ts(&s.since),
        s.token.unwrap_or(0),
        fmt_ts(&s.expires_at),
        fmt_ts(&s.takeover_at),
    )
}

fn stale_message(token: &u64, holder: &str, c: &Status) -> String {
    // Another holder has the lease: say who, since when, until when — the
    // caller's token is beside the point (it may even equal the current one).
    // (`-`: a check that named no holder.)
    if let (State::Held | State::Expiring | State::Expired, Some(h), Some(t)) =
        (c.state, c.holder.as_deref(), c.token)
        && h != holder
        && holder != "-"
    {
        return format!(
            "lease `{}` {} by {h} (host {}) since {} with token {t}, not by {holder}; it {} at {}. Only {h} can renew or release it: {holder} must not send orders with token {token}",
            c.name,
            if c.state == State::Expired {
                "was held"
            } else {
                "is held"
            },
            c.host.as_deref().unwrap_or("?"),
            fmt_ts(&c.since),
            if c.state == State::Held {
                "expires"
            } else {
                "expired"
            },
            fmt_ts(&c.expires_at),
        );
    }
    let now = match (c.state, c.holder.as_deref(), c.token) {
        (State::Free, _, _) | (_, None, _) | (_, _, None) => "it was never granted".to_string(),
        (State::Released, Some(h), Some(t)) => {
            format!("it was released (last token {t}, holder {h})")
        }
        (s, Some(h), Some(t)) => format!(
            "its current token is {t}, holder {h} ({})",
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
    };
    let of = if holder == "-" {
        String::new()
    } else {
        format!(" of holder {holder}")
    };
    format!(
        "token {token}{of} is stale for lease `{}`: {now}. Stop sending orders with it",
        c.name
    )
}
