//! `OB9xx`: the changed-file summary (D-GATE-SUMMARY).

pub mod changed;

pub use changed::CHANGED_FILES;

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[CHANGED_FILES];
