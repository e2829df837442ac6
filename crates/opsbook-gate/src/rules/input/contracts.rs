//! Contracts in `contracts/` that are not usable JSON Schemas (OB008).

use crate::rules::{Level, Rule};

/// `OB008` `invalid-contract`: a contract in contracts/ is not a valid JSON Schema.
pub const INVALID_CONTRACT: &Rule = &Rule {
    code: "OB008",
    name: "invalid-contract",
    level: Level::Error,
    requirement: "D-CONTRACTS",
    summary: "a contract in contracts/ is not a valid JSON Schema",
    doc: "## What it does
Reports `contracts/*.schema.json` files that are not valid JSON or not valid JSON Schema 2020-12. The embedded contract is used instead.

## Why is this bad?
A broken contract validates nothing.

## Example
`{\"type\": \"objekt\"}`

Use instead: `opsbook contracts export contracts/` to restore the shipped contracts, then re-apply your change.",
};
