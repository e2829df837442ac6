//! Events of `ledger/lease.jsonl` (D-SW-SPLITBRAIN; written by
//! `opsbook-lease`, read by the `no_split_brain` recovery check): every
//! grant, renewal, expiry observed, release, takeover and refused claim. The
//! ledger event's `type` is [`LeaseEvent::kind`], its `data` the struct.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::LedgerEvent;
use crate::ledger::Event;

/// Every type of [`LeaseEvent`].
pub const TYPES: [&str; 6] = [
    "lease_acquired",
    "lease_taken_over",
    "lease_renewed",
    "lease_released",
    "lease_expired",
    "lease_refused",
];

/// A token granted or renewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Granted {
    /// Lease name.
    pub name: String,
    /// Holder ID.
    pub holder: String,
    /// Fencing token.
    pub token: u64,
    /// TTL, ms.
    pub ttl_ms: u64,
    /// Holder's wall clock at the grant or renewal.
    pub at: Timestamp,
    /// `at + ttl_ms`.
    pub expires_at: Timestamp,
    /// The store (`file:…`, `s3://…`).
    pub store: String,
}

/// How an expiry was judged (`opsbook_lease::model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryRule {
    /// An observer's wall clock reached `expires_at + margin`.
    WallClock,
    /// An observer watched the same record unchanged for `ttl + margin` on
    /// its monotonic clock.
    Monotonic,
    /// The holder's own wall clock reached `expires_at` (a late renewal).
    Holder,
}

/// A lease seen expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expired {
    /// Lease name.
    pub name: String,
    /// The holder whose lease expired.
    pub holder: String,
    /// Its token.
    pub token: u64,
    /// When it expired.
    pub expires_at: Timestamp,
    /// Who saw it (holder ID of the observer).
    pub observed_by: String,
    /// Observer's wall clock.
    pub observed_at: Timestamp,
    /// How it was judged.
    pub rule: ExpiryRule,
    /// The store.
    pub store: String,
}

/// An expired lease taken by a new holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenOver {
    /// The new grant.
    #[serde(flatten)]
    pub granted: Granted,
    /// The previous holder.
    pub previous_holder: String,
    /// The previous token (now stale).
    pub previous_token: u64,
    /// When the previous grant expired.
    pub previous_expires_at: Timestamp,
    /// How the expiry was judged.
    pub rule: ExpiryRule,
}

/// A lease released by its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    /// Lease name.
    pub name: String,
    /// Holder ID.
    pub holder: String,
    /// The released token.
    pub token: u64,
    /// Holder's wall clock at the release.
    pub at: Timestamp,
    /// Whether it had already expired (the holder overran its lease).
    pub was_expired: bool,
    /// The store.
    pub store: String,
}

/// A claim refused because the lease is held: a second instance, or a
/// standby waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// Lease name.
    pub name: String,
    /// Who asked.
    pub claimant: String,
    /// Who holds it.
    pub holder: String,
    /// The holder's token.
    pub token: u64,
    /// Since when the holder holds it.
    pub since: Timestamp,
    /// When the holder's lease expires.
    pub expires_at: Timestamp,
    /// The store.
    pub store: String,
}

/// One lease event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum LeaseEvent {
    /// `lease_acquired`: a free or released lease granted.
    #[serde(rename = "lease_acquired")]
    Acquired(Granted),
    /// `lease_taken_over`: an expired lease granted to a new holder.
    #[serde(rename = "lease_taken_over")]
    TakenOver(TakenOver),
    /// `lease_renewed`.
    #[serde(rename = "lease_renewed")]
    Renewed(Granted),
    /// `lease_released`.
    #[serde(rename = "lease_released")]
    Released(Released),
    /// `lease_expired`: expiry observed.
    #[serde(rename = "lease_expired")]
    Expired(Expired),
    /// `lease_refused`: a claim refused while held.
    #[serde(rename = "lease_refused")]
    Refused(Refused),
}

impl LedgerEvent for LeaseEvent {}

impl LeaseEvent {
    /// The ledger `type`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            LeaseEvent::Acquired(_) => "lease_acquired",
            LeaseEvent::TakenOver(_) => "lease_taken_over",
            LeaseEvent::Renewed(_) => "lease_renewed",
            LeaseEvent::Released(_) => "lease_released",
            LeaseEvent::Expired(_) => "lease_expired",
            LeaseEvent::Refused(_) => "lease_refused",
        }
    }

    /// The ledger `data`.
    ///
    /// # Errors
    /// Never in practice (plain structs); an encoding failure is reported.
    pub fn data(&self) -> Result<Value, serde_json::Error> {
        match self {
            LeaseEvent::Acquired(g) | LeaseEvent::Renewed(g) => serde_json::to_value(g),
            LeaseEvent::TakenOver(t) => serde_json::to_value(t),
            LeaseEvent::Released(r) => serde_json::to_value(r),
            LeaseEvent::Expired(e) => serde_json::to_value(e),
            LeaseEvent::Refused(r) => serde_json::to_value(r),
        }
    }

    /// The lease name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            LeaseEvent::Acquired(g) | LeaseEvent::Renewed(g) => &g.name,
            LeaseEvent::TakenOver(t) => &t.granted.name,
            LeaseEvent::Released(r) => &r.name,
            LeaseEvent::Expired(e) => &e.name,
            LeaseEvent::Refused(r) => &r.name,
        }
    }

    /// Reads a ledger event: `None` when it is not a lease event (the
    /// ledger also holds `ledger_repaired`, corrections).
    ///
    /// # Errors
    /// A lease event whose `data` does not have its shape.
    pub fn from_event(e: &Event) -> Option<Result<LeaseEvent, String>> {
        let d = e.data.clone();
        let r = match e.kind.as_str() {
            "lease_acquired" => serde_json::from_value(d).map(LeaseEvent::Acquired),
            "lease_taken_over" => serde_json::from_value(d).map(LeaseEvent::TakenOver),
            "lease_renewed" => serde_json::from_value(d).map(LeaseEvent::Renewed),
            "lease_released" => serde_json::from_value(d).map(LeaseEvent::Released),
            "lease_expired" => serde_json::from_value(d).map(LeaseEvent::Expired),
            "lease_refused" => serde_json::from_value(d).map(LeaseEvent::Refused),
            _ => return None,
        };
        Some(r.map_err(|err| format!("event seq {} ({}): {err}", e.seq, e.kind)))
    }

    /// The token this event is about.
    #[must_use]
    pub fn token(&self) -> u64 {
        match self {
            LeaseEvent::Acquired(g) | LeaseEvent::Renewed(g) => g.token,
            LeaseEvent::TakenOver(t) => t.granted.token,
            LeaseEvent::Released(r) => r.token,
            LeaseEvent::Expired(e) => e.token,
            LeaseEvent::Refused(r) => r.token,
        }
    }
}
