//! opsbook-core: the domain of opsbook, the operations single source of truth
//! (SSOT) for incident response, runbooks and evidence.
//!
//! This crate owns the model and everything that reads the SSOT: text
//! decoding as Windows writes it ([`text`]), YAML with positions ([`yaml`]),
//! Markdown structure ([`markdown`]), the embedded contracts ([`contracts`])
//! and starter content ([`scaffold`]), SSOT discovery and loading ([`ssot`]),
//! Prometheus alert rules ([`alerts`]) and adoption of existing runbook
//! collections ([`adopt`]). It never prints and never exits; the CLI renders.

pub mod adopt;
pub mod alerts;
pub mod anchors;
pub mod clock;
pub mod confirm;
pub mod contracts;
pub mod drills;
pub mod event;
pub mod freeze;
pub mod fsutil;
pub mod hook;
pub mod incident;
pub mod layout;
pub mod ledger;
pub mod markdown;
pub mod model;
pub mod next;
pub mod policy;
pub mod postmortem;
pub mod process;
pub mod required;
pub mod safety;
pub mod scaffold;
pub mod severity;
pub mod ssot;
pub mod text;
pub mod yaml;
