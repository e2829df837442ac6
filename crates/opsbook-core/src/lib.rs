//! opsbook-core: the domain of opsbook, the operations single source of truth
//! (SSOT) for incident response, runbooks and evidence of an automated
//! trading platform. It never prints and never exits; front ends render.
//!
//! Where things are (folders say what they hold; the old flat paths such as
//! `opsbook_core::text` or `opsbook_core::layout` stay as re-exports):
//!
//! | folder / file   | holds |
//! |-----------------|-------|
//! | [`syntax`]      | text decoding as Windows writes it ([`text`]), YAML with positions ([`yaml`]), Markdown ([`markdown`], [`anchors`]) |
//! | [`ssot`]        | discovery and loading ([`ssot::Ssot`]), every path ([`layout`]), starter content ([`scaffold`]), contracts ([`contracts`]) |
//! | [`model`]       | typed views of runbooks and specs, alert rules ([`alerts`]), drills ([`drills`]), required evidence ([`required`]) |
//! | [`policy`]      | one serde type per `policy/*.yaml` |
//! | [`ledger`], [`event`] | the hash-chained append-only ledger, one typed event enum per ledger |
//! | [`incident`]    | the incident record, status machine and guards; [`severity`] classification |
//! | [`safety`]      | the safety state machine and actions matrix; platform [`hook`]s |
//! | [`freeze`], [`confirm`] | change freeze; the one-person high-danger confirmation |
//! | [`postmortem`]  | postmortems and their action items |
//! | [`adopt`]       | adoption of existing runbook collections |
//! | [`next`]        | the way forward, as data (what a refusal says to run) |
//! | [`host`]        | clock, atomic files, processes, S3 settings, error chains |

pub mod adopt;
pub mod confirm;
pub mod event;
pub mod freeze;
pub mod host;
pub mod incident;
pub mod ledger;
pub mod model;
pub mod next;
pub mod policy;
pub mod postmortem;
pub mod safety;
pub mod ssot;
pub mod syntax;

pub use host::{causes, clock, fsutil, process, s3env};
pub use incident::severity;
pub use model::{alerts, drills, required};
pub use safety::hook;
pub use ssot::{contracts, layout, scaffold};
pub use syntax::{anchors, markdown, text, yaml};
