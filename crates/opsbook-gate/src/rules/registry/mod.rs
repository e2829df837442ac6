//! `OB3xx`: the runbook registry (D-GATE-REGISTRY).

pub mod drills;
pub mod entries;

pub use drills::DRILL_UNKNOWN_RUNBOOK;
pub use entries::{
    DUPLICATE_RUNBOOK_ID, REGISTERED_FILE_MISSING, REGISTRY_MISMATCH, UNREGISTERED_RUNBOOK,
};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    UNREGISTERED_RUNBOOK,
    REGISTERED_FILE_MISSING,
    DUPLICATE_RUNBOOK_ID,
    REGISTRY_MISMATCH,
    DRILL_UNKNOWN_RUNBOOK,
];
