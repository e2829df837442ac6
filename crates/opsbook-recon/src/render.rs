//! Renderers over a [`Report`]: human text, JSON, Markdown and CSV.
use crate::report::Report;

/// The report as JSON (pretty, deterministic).
#[must_use]
pub fn json(report: &Report) -> String {
    let mut s = report.to_json();
    s.push('\n');
    s
}
