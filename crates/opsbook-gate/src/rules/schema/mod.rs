//! `OB2xx`: contracts (D-GATE-SCHEMA): every file against its JSON Schema, and the redaction classes.

pub mod contract;
pub mod redaction;

pub use contract::{NO_CONTRACT, SCHEMA_VIOLATION};
pub use redaction::{REDACTION_CLASS_INVALID, REDACTION_KEYWORD_UNUSED};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    SCHEMA_VIOLATION,
    NO_CONTRACT,
    REDACTION_CLASS_INVALID,
    REDACTION_KEYWORD_UNUSED,
];
