//! Incidents: event-sourced records under `incidents/<ID>/events.jsonl`
//! (D-INC-LEDGER, D-INC-TIMELINE, D-INC-SCOPE, D-ORDER; DESIGN §3.2).
//!
//! The log is a hash-chained [`crate::ledger`]; an incident's state is the
//! replay of its events ([`Incident::replay`]). Every command is a
//! transaction under the log's lock: read, replay, check the guards, append
//! ([`Store::transact`]), so two operators cannot both pass a guard that only
//! one of them should.
//!
//! Status machine: `OPEN → ACKED → MITIGATING → MONITORING → RESOLVED →
//! CLOSED`, `MONITORING → MITIGATING` on a re-trigger during the watch, and
//! `CANCELLED` / `MERGED` (terminal) from any state before RESOLVED. Guards
//! encode the seed's order safe → evidence → observe → recover → verify →
//! learn (D-ORDER): a `safety_decision` before MITIGATING; an
//! `evidence_attached` and a passed `recovery_acceptance` before RESOLVED; a
//! valid postmortem before CLOSED for P0/P1 (checked by the caller, which
//! knows the SSOT: [`Guards::postmortem`]).
//!
//! Where each part is: the statuses ([`Status`], `status.rs`), incident IDs
//! (`id.rs`), the state and its guards (`state.rs`), the replay
//! (`replay.rs`), timeline lines (`timeline.rs`), the store and its
//! transactions (`store.rs`); severity classification from facts
//! ([`severity`], D-INC-SEVERITY).

mod id;
mod replay;
pub mod severity;
mod state;
mod status;
mod store;
#[cfg(test)]
mod tests;
mod timeline;

pub use id::*;
pub use state::*;
pub use status::*;
pub use store::*;
pub use timeline::*;
