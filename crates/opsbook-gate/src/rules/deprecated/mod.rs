//! `OB6xx`: deprecation (D-GATE-DEPRECATED).

pub mod routes;
pub mod stubs;

pub use routes::ROUTES_TO_DEPRECATED;
pub use stubs::{DEPRECATED_WITHOUT_REPLACEMENT, REPLACEMENT_NOT_ACTIVE};

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    DEPRECATED_WITHOUT_REPLACEMENT,
    REPLACEMENT_NOT_ACTIVE,
    ROUTES_TO_DEPRECATED,
];
