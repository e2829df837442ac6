//! The checks of the gate (seed §4.1.6, DESIGN §3.1), by their historical
//! names. Each check now lives beside its rules in `rules/<family>/`; this
//! module re-exports them so that callers (the CLI's `coverage`, the tests)
//! keep one stable path. The order the gate runs them in is [`run_all`].

use opsbook_core::contracts::Contracts;

pub use crate::rules::context::Ctx;
pub use crate::rules::coverage::alerts::{
    AlertCoverage, alert_coverage, alert_rules, alerts_covered_elsewhere,
};
pub use crate::rules::coverage::matrix::coverage_matrix;
pub use crate::rules::deprecated::stubs::deprecated;
pub use crate::rules::file_checks::FileChecks;
pub use crate::rules::input::contracts::unusable_contracts;
pub use crate::rules::input::load::load_problems;
pub use crate::rules::input::needs::{needed_policies, secret_keys};
pub use crate::rules::ledger::chain::ledgers;
pub use crate::rules::ledger::postmortem::postmortems;
pub use crate::rules::ledger::secrets::secrets;
pub use crate::rules::links::commands::opsbook_commands;
pub use crate::rules::links::files::links_runbook;
pub use crate::rules::links::hooks::hook_runbooks;
pub use crate::rules::links::related::related;
pub use crate::rules::links::safety_model::safety_model;
pub use crate::rules::lint::lint_runbook;
pub use crate::rules::registry::drills::drills;
pub use crate::rules::registry::entries::registry;
pub use crate::rules::schema::contract::{schema_file, schemas};
pub use crate::rules::schema::redaction::redaction_classes;

/// The opsbook runbook sections (English, Japanese), in order (D-RB-SECTIONS).
pub use opsbook_core::adopt::SECTIONS;

/// Sections required per runbook `kind` (shared with `opsbook adopt`, whose
/// plan must say what the gate reports).
pub use opsbook_core::adopt::required_sections;

/// Runs every whole-tree check (the per-runbook ones run in
/// [`FileChecks::runbook`]): load problems (OB0xx), contracts (OB2xx),
/// registry (OB3xx), coverage (OB4xx), deprecation (OB6xx), links and the
/// safety model (OB7xx), ledgers and postmortems (OB8xx).
pub fn run_all(cx: &mut Ctx<'_>, contracts: &Contracts, as_of: jiff::civil::Date) {
    load_problems(cx);
    unusable_contracts(cx, contracts);
    needed_policies(cx);
    secret_keys(cx);
    schemas(cx, contracts);
    registry(cx);
    drills(cx);
    coverage_matrix(cx);
    alert_rules(cx);
    deprecated(cx);
    related(cx);
    safety_model(cx);
    hook_runbooks(cx);
    opsbook_commands(cx);
    redaction_classes(cx);
    ledgers(cx, contracts);
    postmortems(cx, as_of);
    secrets(cx);
}
