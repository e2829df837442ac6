//! `OB7xx`: links and the safety model.

pub mod commands;
pub mod files;
pub mod hooks;
pub mod related;
pub mod safety_model;

pub use commands::UNKNOWN_OPSBOOK_COMMAND;
pub use files::BROKEN_LINK;
pub use hooks::HOOK_MANUAL_RUNBOOK_UNKNOWN;
pub use related::UNKNOWN_RELATED_RUNBOOK;
pub use safety_model::{
    SAFETY_MATRIX_INCOMPLETE, SAFETY_MATRIX_UNKNOWN, SAFETY_STATE_NO_WAY_BACK,
    SAFETY_STATE_UNREACHABLE,
};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    BROKEN_LINK,
    UNKNOWN_RELATED_RUNBOOK,
    SAFETY_MATRIX_INCOMPLETE,
    SAFETY_MATRIX_UNKNOWN,
    SAFETY_STATE_UNREACHABLE,
    SAFETY_STATE_NO_WAY_BACK,
    HOOK_MANUAL_RUNBOOK_UNKNOWN,
    UNKNOWN_OPSBOOK_COMMAND,
];
