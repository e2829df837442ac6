//! opsbook-ops: the operations layer. Every use case an operator runs —
//! open and work an incident, move the platform's safety state through its
//! hook, freeze changes, pass the one-person high-danger confirmation,
//! halt, walk the P0 card, collect and deliver evidence, record drills,
//! draft postmortems and report — is one function here, called the same way
//! by the CLI and (later) the web console and the runbook executor.
//!
//! Each operation takes a [`Context`] (the SSOT [`Layout`](opsbook_core::layout::Layout),
//! an injected [`Clock`](opsbook_core::clock::Clock) and the [`Actor`](opsbook_core::ledger::Actor))
//! and returns a typed outcome (`serde::Serialize`) or an [`OpsError`].
//! Nothing here prints or exits: front ends render outcomes as text, JSON
//! or Markdown, and turn [`OpsError`] into an exit code. Warnings met on
//! the way (a clock behind the ledger, a fallback policy) are collected in
//! the context ([`Context::take_warnings`]).
//!
//! The dependency rule: this crate depends on the domain (`opsbook-core`,
//! `opsbook-evidence`), never on a front end; and it is the only crate that
//! writes more than one ledger in one operation. Inside an operation the
//! platform-facing write comes first where it can (the hook, then the
//! safety ledger, then the incident and the freeze), so that issue 13 can
//! make each operation complete-or-nothing in one place.

pub mod acceptance;
pub mod confirm;
mod context;
pub mod custody;
pub mod drill;
mod error;
pub mod evidence;
pub mod failover;
pub mod find;
pub mod freeze;
pub mod halt;
pub mod incident;
pub mod learn;
pub mod lease;
pub mod ledger;
pub mod marketdata;
pub mod reconcile;
pub mod recovery;
pub mod run;
pub mod safety;
mod scrub;
mod state;
pub mod time;
pub mod views;

pub use context::Context;
pub use error::{HookFailure, ManualSteps, OpsError, Refusal};
pub use scrub::Redaction;
/// The length limits of free texts bound for a ledger (issue 13 item 11).
pub mod limits {
    pub use crate::scrub::{
        FREE_TEXT_FIELDS, TEXT_MAX_BYTES, TITLE_MAX_CHARS, check_input, check_text,
    };
}
