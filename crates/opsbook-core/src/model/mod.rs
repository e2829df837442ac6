//! The model: typed views of SSOT documents (runbooks, specs, policies as
//! read leniently), Prometheus alert rules and their runbook links
//! ([`alerts`]), drills ([`drills`]) and the evidence a runbook requires
//! ([`required`]).

pub mod alerts;
mod documents;
pub mod drills;
pub mod required;

pub use documents::*;
