//! `runbooks/drills.yaml` names registered runbooks (OB305).

use crate::rules::{Level, Rule};

/// `OB305` `drill-unknown-runbook`: drills.yaml references a runbook that is not registered.
pub const DRILL_UNKNOWN_RUNBOOK: &Rule = &Rule {
    code: "OB305",
    name: "drill-unknown-runbook",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "drills.yaml references a runbook that is not registered",
    doc: "## What it does
Reports drills whose `runbook` is not a registered runbook ID.

## Why is this bad?
A drill of a runbook that does not exist proves nothing.

## Example
`runbook: RB-QUICK-HALT` (the ID is `RB-QUICK-HALT-EVIDENCE`).

Use instead: the registered ID.",
};
