//! The safety ledger replayed against the state machine (OB810, D-SAFE-SM).

use crate::Finding;
use crate::rules;
use crate::rules::{Level, Rule};
use opsbook_core::ssot::SourceFile;
use serde_json::Value;

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

/// OB810: the safety ledger replayed against the state machine.
pub(crate) fn safety_findings(
    root: &std::path::Path,
    f: &SourceFile,
    m: &opsbook_core::safety::Machine,
) -> Vec<Finding> {
    let Ok(events) = opsbook_core::ledger::read(&root.join(&f.rel)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut state = m.initial.clone();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    for (i, e) in events.iter().enumerate() {
        if e.kind != "state_entered" {
            continue;
        }
        let to = s(&e.data, "state").unwrap_or_default();
        let from = s(&e.data, "from").unwrap_or_default();
        let source = s(&e.data, "source").unwrap_or_default();
        let mut why = Vec::new();
        if from != state {
            why.push(format!("it leaves {from}, but the ledger was in {state}"));
        }
        match m.transition(&state, &to) {
            None if to != state => why.push(format!(
                "{state} → {to} is not a transition of policy/degraded.yaml"
            )),
            Some(t) => {
                if source.starts_with("auto:") && !(t.escalate && t.automatic) {
                    why.push(format!(
                        "an automatic source ({source}) may not take {state} → {to}"
                    ));
                }
                if !t.escalate
                    && t.requires.iter().any(|r| r == "evidence")
                    && e.data.get("evidence").is_none()
                {
                    why.push(format!("the de-escalation {state} → {to} has no evidence"));
                }
            }
            None => {}
        }
        if !why.is_empty() {
            out.push(Finding::new(
                rules::ledger::SAFETY_ORDER,
                &f.rel,
                i + 1,
                1,
                format!("event seq {}: {}", e.seq, why.join("; ")),
                "use `opsbook safety set` (it checks the guards); keep the log and record the real state with a new `opsbook safety set … --manual`".into(),
            ).covering(crate::span::Extent::Line));
        }
        state = to;
    }
    out
}
