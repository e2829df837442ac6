//! The safety ledger replayed against the state machine (OB810, D-SAFE-SM).

use crate::rules::{Level, Rule};

/// `OB810` `safety-order`: the safety ledger records a transition the state machine does not allow.
pub const SAFETY_ORDER: &Rule = &Rule {
    code: "OB810",
    name: "safety-order",
    level: Level::Error,
    requirement: "D-SAFE-SM",
    summary: "the safety ledger records a transition the state machine does not allow",
    doc: "## What it does
Replays `ledger/safety.jsonl` against `policy/degraded.yaml`: every `state_entered` must leave the state the ledger was in, by a transition the policy lists; an automatic source (`auto:NAME`) only on an automatic escalation; a de-escalation only with evidence.

## Why is this bad?
The safety ledger is what `opsbook safety can` and the freeze trust. An event appended around `opsbook safety set` (e.g. with `opsbook ledger append`) can claim NORMAL while the platform is halted, and everything would be allowed.

## Example
`opsbook ledger append ledger/safety.jsonl --type state_entered --data '{\"state\":\"NORMAL\",\"from\":\"HALTED\"}'`

Use instead: `opsbook safety set STATE --reason … --evidence …` (it checks the guards), or `--manual` when the platform was switched by hand.",
};
