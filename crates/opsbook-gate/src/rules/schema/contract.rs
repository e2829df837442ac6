//! Every file of the SSOT against its JSON Schema contract (OB201, OB202, D-CONTRACTS).

use crate::rules::{Level, Rule};

/// `OB201` `schema-violation`: a file does not satisfy its contract.
pub const SCHEMA_VIOLATION: &Rule = &Rule {
    code: "OB201",
    name: "schema-violation",
    level: Level::Error,
    requirement: "D-CONTRACTS",
    summary: "a file does not satisfy its contract",
    doc: "## What it does
Validates every file of the SSOT against its JSON Schema (draft 2020-12) in `contracts/`: `opsbook.toml`, runbook front matter, `runbooks.yaml`, `coverage_matrix.yaml`, `drills.yaml`, postmortem front matter, incident events, policies and plans. The finding points at the line of the failing value and names its JSON pointer.

## Why is this bad?
Every other check, and every later tool, relies on the shapes the contracts define. A typo such as `tier: T3` must fail in CI, not during an incident.

## Example
```yaml
kind: TRIAGEE
```
Use instead: one of TRIAGE, MITIGATION, RECOVERY, DRILL, GOVERNANCE.",
};

/// `OB202` `no-contract`: a policy or plan file has no contract.
pub const NO_CONTRACT: &Rule = &Rule {
    code: "OB202",
    name: "no-contract",
    level: Level::Warn,
    requirement: "D-CONTRACTS",
    summary: "a policy or plan file has no contract",
    doc: "## What it does
Reports `policy/*.yaml` and `plans/*.yaml` files for which no `policy-<name>` / `plan-<name>` contract exists.

## Why is this bad?
An unvalidated policy is a policy whose typos nobody catches.

## Example
`policy/severty.yaml` (misspelt: no contract matches).

Use instead: rename the file, or add `contracts/policy-<name>.schema.json`.",
};
