//! Relative links and images in runbooks resolve to files (OB701).

use crate::Finding;
use crate::rules;
use crate::rules::{Level, Rule};
use opsbook_core::ssot::SourceFile;

/// `OB701` `broken-link`: a relative link in a runbook does not resolve.
pub const BROKEN_LINK: &Rule = &Rule {
    code: "OB701",
    name: "broken-link",
    level: Level::Error,
    requirement: "D-RB-INDEX",
    summary: "a relative link in a runbook does not resolve",
    doc: "## What it does
Checks that relative links and images in runbooks (`[x](../execution/reconciliation.md)`, `![w32tm](w32tm.png)`) point at existing files. URLs with a scheme (`https:`, `mailto:`, `tel:`, …) and e-mail autolinks (`<ops@example.com>`) are not files.

## Why is this bad?
Cross-references are how the operator moves from triage to the right recovery runbook.

## Example
`[reconciliation](../exec/reconciliation.md)`

Use instead: the correct relative path.",
};

/// OB701: relative links (and images) in runbooks resolve; e-mail
/// autolinks and URIs with a scheme are not files.
#[must_use]
pub fn links_runbook(f: &SourceFile) -> Vec<Finding> {
    let mut found = Vec::new();
    {
        let Some(body) = &f.body else { return found };
        let dir = f
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        for l in &body.links {
            let d = l.dest.trim();
            // Site-absolute `/…` links depend on where the site is served.
            if l.kind == opsbook_core::markdown::LinkKind::Email
                || !opsbook_core::markdown::is_file_link(d)
                || d.starts_with('/')
            {
                continue;
            }
            let path = d.split(['#', '?']).next().unwrap_or("");
            if path.is_empty() {
                continue;
            }
            let decoded = path.replace("%20", " ");
            if !dir.join(&decoded).exists() {
                found.push(
                    Finding::new(
                        rules::links::BROKEN_LINK,
                        &f.rel,
                        l.line,
                        l.col,
                        format!(
                            "{} `{d}` does not resolve to a file",
                            if l.kind == opsbook_core::markdown::LinkKind::Image {
                                "image"
                            } else {
                                "link"
                            }
                        ),
                        "fix the relative path (it is resolved from this file's directory)".into(),
                    )
                    .text(d),
                );
            }
        }
    }
    found
}
