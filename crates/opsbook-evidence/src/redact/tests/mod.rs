//! Tests of the redaction engine, by subject.

#![allow(clippy::unwrap_used)]

mod anchors;
mod archives;
mod classes;
mod encodings;
mod files;
mod real_configs;
mod representations;

pub(super) use std::io::Read;

pub(super) use base64::Engine as _;
pub(super) use regex::Regex;
pub(super) use serde_json::Value;

pub(super) use super::scan::{BLOCK, blocks, lines_with};
pub(super) use super::views::base64_runs;
pub(super) use super::*;

static RULES: std::sync::LazyLock<RuleSet> =
    std::sync::LazyLock::new(|| RuleSet::builtin(Personal::default()).unwrap());

pub(super) fn rs() -> RuleSet {
    RULES.clone()
}

pub(super) fn red(s: &str) -> String {
    rs().redact(s, None).unwrap().text
}

// Fake secrets only: none of these is a real credential.
pub(super) const BINANCE_KEY: &str =
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

/// What a file becomes when it is kept: `(bytes, encoding, hits)`; panics
/// with the reason when it is excluded.
pub(super) fn kept(b: &[u8]) -> (Vec<u8>, Encoding, Vec<Hit>) {
    match rs().redact_file(b, &ArchiveLimits::default(), None) {
        FileOutcome::Kept {
            bytes,
            encoding,
            hits,
            ..
        } => (bytes, encoding, hits),
        FileOutcome::Excluded { reason } => panic!("excluded: {reason}"),
    }
}
