//! `related` lists name registered runbooks (OB702).

use crate::rules::{Level, Rule};

/// `OB702` `unknown-related-runbook`: related names a runbook that is not registered.
pub const UNKNOWN_RELATED_RUNBOOK: &Rule = &Rule {
    code: "OB702",
    name: "unknown-related-runbook",
    level: Level::Error,
    requirement: "D-RB-INDEX",
    summary: "related names a runbook that is not registered",
    doc: "## What it does
Checks that every ID in a runbook's `related` list is a registered runbook.

## Why is this bad?
See OB701.

## Example
`related: [RB-EXEC-RECON]` when the ID is `RB-EXEC-RECONCILIATION`.

Use instead: the registered ID.",
};
