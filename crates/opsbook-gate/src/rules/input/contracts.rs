//! Contracts in `contracts/` that are not usable JSON Schemas (OB008).

use opsbook_core::contracts::Contracts;

use crate::rules::context::{Ctx, at};
use crate::rules::{self, Level, Rule};

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

/// OB008: contracts that could not be compiled (the embedded one is used instead).
pub fn unusable_contracts(cx: &mut Ctx<'_>, contracts: &Contracts) {
    for e in &contracts.errors {
        let file = if e.origin == "embedded" {
            "contracts".to_string()
        } else {
            e.origin.clone()
        };
        cx.push(
            rules::input::INVALID_CONTRACT,
            &file,
            at(1),
            format!("contract `{}` is unusable: {}", e.name, e.message),
            "run `opsbook contracts export contracts/` to restore the shipped contracts".into(),
        );
    }
}
