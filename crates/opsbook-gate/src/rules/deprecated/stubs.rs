//! Deprecated runbooks name an active replacement (OB601, OB602, D-GATE-DEPRECATED).

use crate::rules::{Level, Rule};

/// `OB601` `deprecated-without-replacement`: a deprecated runbook has no replaced_by.
pub const DEPRECATED_WITHOUT_REPLACEMENT: &Rule = &Rule {
    code: "OB601",
    name: "deprecated-without-replacement",
    level: Level::Error,
    requirement: "D-GATE-DEPRECATED",
    summary: "a deprecated runbook has no replaced_by",
    doc: "## What it does
Checks that every runbook with `status: deprecated` names its replacement in `replaced_by`.

## Why is this bad?
Old links (alerts, bookmarks, incident notes) keep arriving at deprecated runbooks; the stub must send the operator on.

## Example
`status: deprecated` and no `replaced_by`.

Use instead: `replaced_by: RB-PLAT-TIME-DRIFT`.",
};

/// `OB602` `replacement-not-active`: replaced_by names a missing or deprecated runbook.
pub const REPLACEMENT_NOT_ACTIVE: &Rule = &Rule {
    code: "OB602",
    name: "replacement-not-active",
    level: Level::Error,
    requirement: "D-GATE-DEPRECATED",
    summary: "replaced_by names a missing or deprecated runbook",
    doc: "## What it does
Checks that `replaced_by` is a registered, active runbook.

## Why is this bad?
A chain of stubs, or a stub pointing nowhere, strands the operator.

## Example
`replaced_by: RB-OLD-TWO`, itself deprecated.

Use instead: point straight at the active runbook.",
};
