//! Relative links and images in runbooks resolve to files (OB701).

use crate::rules::{Level, Rule};

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
