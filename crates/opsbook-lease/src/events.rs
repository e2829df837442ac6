//! Lease events in the hash-chained ledger `ledger/lease.jsonl`
//! (`opsbook_core::ledger`; D-SW-SPLITBRAIN). The typed events live with
//! every other ledger's in `opsbook_core::event::lease`; this module names
//! the ledger and derives what the lease service needs from it.

use opsbook_core::ledger::Event;

pub use opsbook_core::event::lease::{
    Expired, ExpiryRule, Granted, LeaseEvent, Refused, Released, TakenOver,
};

/// The ledger's path inside the SSOT.
pub const LEDGER: &str = "ledger/lease.jsonl";

/// The highest token any event of `name` mentions (0 when none): the floor
/// of the next grant if the stored record was lost.
#[must_use]
pub fn max_token(events: &[Event], name: &str) -> u64 {
    events
        .iter()
        .filter_map(LeaseEvent::from_event)
        .filter_map(Result::ok)
        .filter(|e| e.name() == name)
        .map(|e| e.token())
        .max()
        .unwrap_or(0)
}
