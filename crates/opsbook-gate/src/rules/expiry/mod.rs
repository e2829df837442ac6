//! `OB5xx`: expiry (D-GATE-EXPIRY): verification and drill dates.

pub mod dates;

pub use dates::{
    DRILL_EXPIRED, DRILL_EXPIRING, IMPLAUSIBLE_DATE, NEVER_DRILLED, NEVER_VERIFIED,
    VERIFICATION_EXPIRED, VERIFICATION_EXPIRING,
};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    VERIFICATION_EXPIRING,
    VERIFICATION_EXPIRED,
    DRILL_EXPIRING,
    DRILL_EXPIRED,
    NEVER_VERIFIED,
    IMPLAUSIBLE_DATE,
    NEVER_DRILLED,
];
