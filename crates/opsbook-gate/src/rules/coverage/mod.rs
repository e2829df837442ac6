//! `OB4xx`: coverage (D-GATE-COVERAGE): the coverage matrix and alert rule links.

pub mod alerts;
pub mod matrix;

pub use alerts::{
    ALERT_SEVERITY_UNMAPPED, ALERT_WITHOUT_RUNBOOK, P0_ALERT_WITHOUT_RUNBOOK,
    RUNBOOK_LINK_CASE_MISMATCH, TEMPLATED_RUNBOOK_LINK,
};
pub use matrix::{COVERAGE_HOLE, COVERAGE_UNKNOWN_RUNBOOK, P0_COVERAGE_HOLE};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    P0_COVERAGE_HOLE,
    COVERAGE_HOLE,
    COVERAGE_UNKNOWN_RUNBOOK,
    P0_ALERT_WITHOUT_RUNBOOK,
    ALERT_WITHOUT_RUNBOOK,
    TEMPLATED_RUNBOOK_LINK,
    RUNBOOK_LINK_CASE_MISMATCH,
    ALERT_SEVERITY_UNMAPPED,
];
