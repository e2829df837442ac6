//! A hook's `manual_runbook` is a registered runbook (OB707, D-SAFE-HOOK,
//! issue 13 item 9).

use opsbook_core::ssot::FileKind;
use serde_json::Value;

use crate::Finding;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};

/// `OB707` `hook-manual-runbook-unknown`: a safety hook's manual_runbook is not a registered runbook.
pub const HOOK_MANUAL_RUNBOOK_UNKNOWN: &Rule = &Rule {
    code: "OB707",
    name: "hook-manual-runbook-unknown",
    level: Level::Error,
    requirement: "D-RB-INDEX",
    summary: "a safety hook's manual_runbook is not a registered runbook",
    doc: "## What it does
Checks `manual_runbook` of every `[safety.hooks.<STATE>]` in `opsbook.toml`: it must be the ID of a registered runbook (or, without a registry, of a runbook that exists).

## Why is this bad?
When the hook fails (exit 4), `opsbook safety set` prints the manual steps of that runbook: switching the platform by hand is all the operator has left. An ID that names nothing prints nothing, at the worst moment.

## Example
```toml
[safety.hooks.HALTED]
command = [\"pwsh\", \"-File\", \"C:/ops/halt.ps1\"]
manual_runbook = \"RB-HALT-MANUAL\"
```
when the runbook is registered as `RB-QUICK-HALT-MANUAL`.

Use instead: the registered ID (`opsbook gate` lists the registry's IDs in OB301/OB302 findings).",
};

/// OB707 over the hooks of `opsbook.toml`.
pub fn hook_runbooks(cx: &mut Ctx<'_>) {
    let Some(f) = cx.ssot.file_of(&FileKind::Config) else {
        return;
    };
    let Some(Value::Object(hooks)) = f.value().and_then(|v| v.pointer("/safety/hooks")) else {
        return;
    };
    let mut found = Vec::new();
    for (state, h) in hooks {
        let Some(id) = h.get("manual_runbook").and_then(Value::as_str) else {
            continue;
        };
        if cx.known(id) {
            continue;
        }
        let p = f
            .doc()
            .map(|d| d.pos(&format!("/safety/hooks/{state}/manual_runbook")))
            .unwrap_or(opsbook_core::yaml::Pos { line: 1, col: 1 });
        found.push(Finding::new(
            HOOK_MANUAL_RUNBOOK_UNKNOWN,
            &f.rel,
            p.line,
            p.col,
            format!(
                "the {state} hook's manual_runbook `{id}` is not a registered runbook: a failed hook would print no manual steps"
            ),
            "name a registered runbook ID (runbooks/runbooks.yaml) that says how to reach the state by hand".into(),
        ).text(id));
    }
    cx.out.extend(found);
}
