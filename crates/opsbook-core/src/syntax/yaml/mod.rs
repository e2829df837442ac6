//! YAML 1.2 loading into JSON values with source positions.
//!
//! Built on `saphyr-parser`'s event stream so that every value keeps its line
//! and column: JSON Schema errors (which speak in JSON pointers) can then be
//! reported at the YAML line that caused them. Plain scalars are resolved with
//! the YAML 1.2 core schema (so `2026-11-01` stays a string, `yes` is not a
//! boolean). Duplicate mapping keys are an error, aliases are expanded under a
//! node budget (no "billion laughs"), and multi-document streams are supported
//! for Prometheus rule files. Other tools' YAML (rule files, a source
//! collection's front matter) that saphyr's strict parser refuses is read
//! again with libyaml's rules ([`parse_stream_compat`], `compat`), into the
//! same values and positions.

use std::fmt;

use saphyr_parser::Parser;

mod build;
mod compat;
mod document;
mod scalar;
#[cfg(test)]
mod tests;

use serde_json::Value;

use build::*;
pub use document::*;
use scalar::*;

/// Upper bound on the number of nodes a document may expand to through aliases.
pub const NODE_BUDGET: usize = 1_000_000;

/// A position in a YAML source: 1-based line and 1-based column (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// A YAML syntax or structure error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Where the problem is (relative to the parsed string).
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
    /// Where the earlier definition is, for a duplicate key (relative to the
    /// parsed string, like `pos`).
    pub first: Option<Pos>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.pos.line, self.pos.col, self.message
        )?;
        if let Some(first) = self.first {
            write!(f, " (first defined at line {})", first.line)?;
        }
        Ok(())
    }
}

impl std::error::Error for YamlError {}

/// Parses a single-document YAML string.
///
/// An empty string gives a `null` document. More than one document is an error.
///
/// # Errors
/// [`YamlError`] on a syntax error, a duplicate key, a non-scalar key, an
/// unknown alias, a second document, or when aliases expand beyond [`NODE_BUDGET`].
pub fn parse(src: &str) -> Result<Document, YamlError> {
    single(parse_stream(src)?)
}

/// The one document of a stream (`null` when empty).
fn single(mut docs: Vec<Document>) -> Result<Document, YamlError> {
    match docs.len() {
        0 => Ok(Document {
            value: Value::Null,
            ..Document::default()
        }),
        1 => Ok(docs.remove(0)),
        _ => Err(YamlError {
            first: None,
            pos: docs[1].pos_of(""),
            message: "expected one YAML document, found a second one (`---`)".to_string(),
        }),
    }
}

/// Parses a single-document YAML string as [`parse`] does, with libyaml's
/// rules as the fallback ([`parse_stream_compat`]): for other tools' YAML.
///
/// # Errors
/// As [`parse`].
pub fn parse_compat(src: &str) -> Result<Document, YamlError> {
    single(parse_stream_compat(src)?)
}

/// Parses a YAML stream of any number of documents (`---` separated).
///
/// # Errors
/// As [`parse`], except that several documents are allowed.
pub fn parse_stream(src: &str) -> Result<Vec<Document>, YamlError> {
    build(Saphyr(Parser::new_from_str(src)))
}

/// Parses a YAML stream as [`parse_stream`] does, and when saphyr's strict
/// YAML 1.2 parser refuses it, again with libyaml's rules (the parser behind
/// Go's yaml.v2/v3, PyYAML and Ruby, through `libyaml-safer`, a line-by-line
/// safe Rust port). For files written for other tools — Prometheus rule
/// files, a source collection's front matter — whose authors checked them
/// with those parsers: e.g. a quoted scalar whose continuation lines are
/// indented no deeper than its key, which Prometheus loads and YAML 1.2
/// forbids. Values, duplicate-key errors and positions are the same either
/// way. When both refuse, saphyr's error (the more precise one) is returned.
///
/// # Errors
/// As [`parse_stream`], when libyaml refuses the text too.
pub fn parse_stream_compat(src: &str) -> Result<Vec<Document>, YamlError> {
    match parse_stream(src) {
        Ok(d) => Ok(d),
        Err(strict) => {
            match build(compat::Libyaml::new(src)) {
                Ok(d) => Ok(d),
                // A structural error of ours (duplicate key, alias bomb) is
                // the same whichever parser found it; libyaml's own syntax
                // errors are less precise than saphyr's.
                Err(e) if e.first.is_some() || e.message.contains("alias") => Err(e),
                Err(_) => Err(strict),
            }
        }
    }
}
