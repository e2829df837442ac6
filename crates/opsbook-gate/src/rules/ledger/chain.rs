//! Every hash-chained ledger verifies (OB801, D-INC-LEDGER).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use opsbook_core::contracts::Contracts;
use opsbook_core::ssot::FileKind;
use opsbook_core::ssot::SourceFile;

use super::incident::incident_findings;
use super::safety::safety_findings;

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

/// OB801–OB804: every ledger verifies; incident logs satisfy the contract
/// and the D-ORDER guards; closed P0/P1 incidents have a postmortem.
/// Ledgers are checked in parallel (10,000 incidents are 10,000 files).
pub fn ledgers(cx: &mut Ctx<'_>, contracts: &Contracts) {
    use rayon::prelude::*;
    let files: Vec<&SourceFile> = cx
        .ssot
        .files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Ledger | FileKind::IncidentEvents))
        .collect();
    let root = &cx.ssot.root;
    let machine = cx
        .ssot
        .policy("degraded")
        .and_then(SourceFile::value)
        .and_then(|v| opsbook_core::safety::Machine::from_value(v).ok());
    let found: Vec<Finding> = files
        .par_iter()
        .flat_map_iter(|f| {
            let mut v = ledger_findings(root, f, contracts);
            if f.rel == "ledger/safety.jsonl"
                && v.is_empty()
                && let Some(m) = &machine
            {
                v.extend(safety_findings(root, f, m));
            }
            v
        })
        .collect();
    cx.out.extend(found);
}

fn ledger_findings(root: &std::path::Path, f: &SourceFile, contracts: &Contracts) -> Vec<Finding> {
    use opsbook_core::ledger;
    let path = if f.path.as_os_str().is_empty() {
        root.join(&f.rel)
    } else {
        f.path.clone()
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            return vec![Finding::new(
                rules::input::UNREADABLE_FILE,
                &f.rel,
                1,
                1,
                format!("cannot read: {e}"),
                "check permissions".into(),
            )];
        }
    };
    let v = ledger::verify_bytes(&f.rel, &bytes);
    if let Some(b) = v.first_break {
        let help = if b.damage == ledger::Damage::Torn {
            format!(
                "run `opsbook ledger repair --root {}` (sets every torn last line aside; complete events are kept)",
                opsbook_core::text::quote_arg(&root.display().to_string())
            )
        } else {
            "restore the ledger from git or backup; never edit a ledger, append a `correction` event".to_string()
        };
        return vec![
            Finding::new(
                rules::ledger::LEDGER_BROKEN,
                &f.rel,
                b.line,
                1,
                format!("ledger chain broken: {}", b.message),
                help,
            )
            // The event line where the chain breaks.
            .covering(crate::span::Extent::Line),
        ];
    }
    if f.kind != FileKind::IncidentEvents {
        return Vec::new();
    }
    incident_findings(root, f, &path, &bytes, contracts)
}
