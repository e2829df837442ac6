//! Fail-closed redaction (D-EVD-LIMITS): what a trading platform leaks, in
//! every representation it leaks it in.
//!
//! A [`RuleSet`] is a list of classes (built-in, `policy/evidence.yaml`,
//! gitleaks-style TOML, literal values). [`RuleSet::scan`] finds secrets in
//! text seen through several *views*, each mapped back to the original
//! bytes, so that a hit in any view redacts the original span:
//!
//! - the text as it is (multi-line PEM blocks, YAML block scalars, values
//!   wrapped onto continuation lines);
//! - without ANSI colour codes and invisible characters (zero-width space,
//!   soft hyphen, BOM) that split a secret for the eye but not for the log;
//! - JSON-unescaped (`\n`, `\"`, `\/`, `\uXXXX`: a flattened PEM key inside a
//!   JSON string);
//! - percent-decoded (`api%5Fkey%3D…` in URLs);
//! - base64-decoded runs (a config blob wrapped in base64): a hit inside
//!   redacts the whole run.
//!
//! Each class runs only where its [`Anchor`] says a match can start (a line
//! holding one of its keywords, or a long base64 run): one SIMD keyword pass
//! per block replaces a pass of every pattern over every byte. A property
//! test checks the built-in anchors on generated matches, another that the
//! anchored scan redacts exactly what a scan of every byte does.
//!
//! [`RuleSet::redact_file`] decides per file: UTF-8 (with or without BOM)
//! and UTF-16LE/BE (what Windows PowerShell 5.1 writes) are decoded exactly
//! (CR, CRLF and the BOM are kept) and re-encoded the same way; a file in
//! which nothing fires comes back byte for byte; gzip and ZIP (recognised by
//! their magic bytes, whatever the extension) are scanned inside within
//! depth and size limits; anything that cannot be scanned is excluded with
//! the reason. Nothing passes unscanned.
//!
//! The engine is split by job: [`catalog`] (the built-in classes),
//! [`rules`] (compiling a rule set), `views`, `scan`, `stream`, `file` and
//! `archive`.

mod archive;
pub mod catalog;
mod file;
mod outcome;
mod plan;
mod records;
pub mod rules;
mod scan;
mod stream;
mod values;
mod views;

use serde::Serialize;

pub use archive::ArchiveLimits;
pub use catalog::{BUILTIN, PERSONAL, Personal};
pub use file::tail_skip;
pub use outcome::{Cut, Encoding, FileOutcome, cut_marker};
pub use plan::ROUNDS;
pub use records::RecordHit;
pub use rules::{Anchor, PatternProblem, Rule, RuleSet, can_match_empty, check_pattern};
pub use values::SecretValues;

/// Why a rule set cannot be built: the run stops (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redaction rule `{id}`: {message}")]
pub struct RuleError {
    /// The rule.
    pub id: String,
    /// What is wrong.
    pub message: String,
}

/// The marker a replacement starts with: hits inside one are ignored, so
/// redaction is idempotent and a redacted file rescans clean.
pub const MARKER: &str = "[REDACTED:";

/// One redaction, located in the original text (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// Class ID.
    pub rule: String,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column (in characters) of the start.
    pub column: usize,
    /// Length of the redacted span, bytes of the decoded text.
    pub bytes: usize,
    /// The view it was found in: `text`, `clean`, `json`, `percent`,
    /// `base64`, `repeat` (a value found elsewhere in the text or bundle),
    /// or another reading of the bytes (`utf16le`, `utf16be`, `utf8`).
    pub view: &'static str,
    /// The archive member it is in (`logs/app.log`, nested members joined
    /// by ` > `), for a hit inside an archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

/// What was found and redacted in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The redacted text (the input itself when nothing fired).
    pub text: String,
    /// Each redaction.
    pub hits: Vec<Hit>,
    /// The values redacted (in memory only: never written).
    pub values: SecretValues,
}

#[cfg(test)]
mod tests;
