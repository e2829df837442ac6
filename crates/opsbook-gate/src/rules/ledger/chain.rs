//! Every hash-chained ledger verifies (OB801, D-INC-LEDGER).

use crate::rules::{Level, Rule};

/// `OB801` `ledger-broken`: a hash-chained ledger does not verify.
pub const LEDGER_BROKEN: &Rule = &Rule {
    code: "OB801",
    name: "ledger-broken",
    level: Level::Error,
    requirement: "D-INC-LEDGER",
    summary: "a hash-chained ledger does not verify",
    doc: "## What it does
Verifies every ledger of the SSOT (`ledger/*.jsonl`, `incidents/<ID>/events.jsonl`): each line is an event whose SHA-256 (over its RFC 8785 canonical form) matches, whose `seq` follows the previous one and whose `prev_hash` is the previous hash. Names the first bad line: edited, removed, reordered, foreign, or torn (an interrupted write).

## Why is this bad?
The incident timeline, the safety and freeze logs and the chain of custody are evidence. A ledger that does not verify cannot be trusted in a postmortem or an audit.

## Example
A timestamp corrected by hand in `events.jsonl`.

Use instead: never edit a ledger; append a `correction` event that supersedes the earlier `seq`. A torn last line after a crash: `opsbook ledger repair PATH`.",
};
