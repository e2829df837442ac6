//! `OB1xx`: runbook lint (D-GATE-LINT): sections, steps, dangerous operations, front-matter claims.

pub mod dangerous_ops;
pub mod front_matter;
pub mod sections;
pub mod steps;

pub use dangerous_ops::{DANGEROUS_OP_WITHOUT_BACKOUT, DANGEROUS_OP_WITHOUT_CONFIRMATION};
pub use front_matter::{MATURITY_WITHOUT_DATE, SAFETY_LABEL_MISMATCH, TITLE_MISSING_JA};
pub use sections::{DUPLICATE_SECTION, EMPTY_SECTION, HEADING_NOT_BILINGUAL, MISSING_SECTION};
pub use steps::{
    BAD_STEP_NUMBER, DANGEROUS_STEP_WITHOUT_OP, STEP_TIER_EXCEEDS_OP, STEP_WITHOUT_TIER, UNKNOWN_OP,
};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    MISSING_SECTION,
    HEADING_NOT_BILINGUAL,
    EMPTY_SECTION,
    DUPLICATE_SECTION,
    DANGEROUS_OP_WITHOUT_BACKOUT,
    DANGEROUS_OP_WITHOUT_CONFIRMATION,
    STEP_WITHOUT_TIER,
    DANGEROUS_STEP_WITHOUT_OP,
    UNKNOWN_OP,
    STEP_TIER_EXCEEDS_OP,
    SAFETY_LABEL_MISMATCH,
    BAD_STEP_NUMBER,
    MATURITY_WITHOUT_DATE,
    TITLE_MISSING_JA,
];
