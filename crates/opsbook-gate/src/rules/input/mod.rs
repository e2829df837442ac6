//! `OB0xx`: input — files the gate cannot read, decode, parse or size (D-VERIFY, D-WIN, D-CONTRACTS).

pub mod contracts;
pub mod load;
pub mod needs;

pub use contracts::INVALID_CONTRACT;
pub use load::{
    EMPTY_FILE, FILE_TOO_LARGE, INVALID_FRONT_MATTER, INVALID_SYNTAX, MISSING_FRONT_MATTER,
    UNDECODABLE_TEXT, UNREADABLE_FILE,
};
pub use needs::{POLICY_UNUSABLE, SECRET_KEY_IN_SSOT};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    UNREADABLE_FILE,
    UNDECODABLE_TEXT,
    FILE_TOO_LARGE,
    EMPTY_FILE,
    INVALID_SYNTAX,
    MISSING_FRONT_MATTER,
    INVALID_FRONT_MATTER,
    INVALID_CONTRACT,
    POLICY_UNUSABLE,
    SECRET_KEY_IN_SSOT,
];
