//! The coverage matrix: every symptom and alert has an active runbook (OB401–OB403, D-GATE-COVERAGE).

use crate::rules::{Level, Rule};

/// `OB401` `p0-coverage-hole`: a P0 symptom or alert has no active runbook.
pub const P0_COVERAGE_HOLE: &Rule = &Rule {
    code: "OB401",
    name: "p0-coverage-hole",
    level: Level::Error,
    requirement: "D-GATE-COVERAGE",
    summary: "a P0 symptom or alert has no active runbook",
    doc: "## What it does
Checks that every P0 entry of `coverage_matrix.yaml` maps to at least one registered, active runbook.

## Why is this bad?
Seed §4.1.4 and §6: P0 holes must be zero. A P0 without a runbook is an operator improvising with real money at stake.

## Example
```yaml
- id: COV-UNHEDGED
  severity: P0
  runbooks: []
```
Use instead: write the runbook and list its ID.",
};

/// `OB402` `coverage-hole`: a P1/P2 symptom or alert has no active runbook.
pub const COVERAGE_HOLE: &Rule = &Rule {
    code: "OB402",
    name: "coverage-hole",
    level: Level::Warn,
    requirement: "D-GATE-COVERAGE",
    summary: "a P1/P2 symptom or alert has no active runbook",
    doc: "## What it does
Reports P1 and P2 coverage entries without a registered, active runbook.

## Why is this bad?
Today's P2 is tomorrow's P0 at 3 a.m.

## Example
A P1 entry with `runbooks: []`.

Use instead: map it to a runbook, or remove the entry if the symptom no longer exists.",
};

/// `OB403` `coverage-unknown-runbook`: the coverage matrix names a runbook that is not registered.
pub const COVERAGE_UNKNOWN_RUNBOOK: &Rule = &Rule {
    code: "OB403",
    name: "coverage-unknown-runbook",
    level: Level::Error,
    requirement: "D-GATE-COVERAGE",
    summary: "the coverage matrix names a runbook that is not registered",
    doc: "## What it does
Reports runbook IDs in `coverage_matrix.yaml` that are not in the registry, and duplicate entry IDs.

## Why is this bad?
The matrix claims coverage that does not exist.

## Example
`runbooks: [RB-PLAT-TIME-DRIFTT]`

Use instead: the registered ID.",
};
