//! `runbooks/runbooks.yaml` against the runbook files, both ways (OB301–OB304, D-GATE-REGISTRY).

use crate::rules::{Level, Rule};

/// `OB301` `unregistered-runbook`: a runbook file is not in runbooks.yaml.
pub const UNREGISTERED_RUNBOOK: &Rule = &Rule {
    code: "OB301",
    name: "unregistered-runbook",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "a runbook file is not in runbooks.yaml",
    doc: "## What it does
Reports runbook files under `runbooks/` that have no entry in `runbooks/runbooks.yaml`.

## Why is this bad?
The registry is the SSOT of what exists (seed §4.1.5). An unregistered runbook is invisible to the index, the coverage matrix and the drill plan.

## Example
`runbooks/platform/new.md` added without a registry entry.

Use instead: add `- {id: RB-…, path: platform/new.md, status: active}`.",
};

/// `OB302` `registered-file-missing`: a registry entry points at a file that does not exist.
pub const REGISTERED_FILE_MISSING: &Rule = &Rule {
    code: "OB302",
    name: "registered-file-missing",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "a registry entry points at a file that does not exist",
    doc: "## What it does
Reports entries of `runbooks.yaml` whose `path` is not a file under `runbooks/`.

## Why is this bad?
The index would send the operator to a runbook that is not there.

## Example
`path: platform/time-drft.md`

Use instead: fix the path, or remove the entry (deprecate instead of deleting a runbook others link to).",
};

/// `OB303` `duplicate-runbook-id`: a runbook ID or path is used twice.
pub const DUPLICATE_RUNBOOK_ID: &Rule = &Rule {
    code: "OB303",
    name: "duplicate-runbook-id",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "a runbook ID or path is used twice",
    doc: "## What it does
Reports a runbook ID used by two files or two registry entries, and a path registered twice.

## Why is this bad?
An ID must name one procedure; otherwise alerts and incidents link to whichever one a tool finds first.

## Example
Two files with `runbook_id: RB-PLAT-TIME-DRIFT`.

Use instead: give each runbook its own ID.",
};

/// `OB304` `registry-mismatch`: registry entry and front matter disagree.
pub const REGISTRY_MISMATCH: &Rule = &Rule {
    code: "OB304",
    name: "registry-mismatch",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "registry entry and front matter disagree",
    doc: "## What it does
Reports a registry entry whose `id` or `status` differs from the front matter of the file it points at.

## Why is this bad?
Two sources of truth disagreeing is no source of truth.

## Example
Registry says `status: active`, the file says `status: deprecated`.

Use instead: update the registry.",
};
