//! `runbooks/drills.yaml` names registered runbooks (OB305).

use opsbook_core::model;
use opsbook_core::ssot::FileKind;

use crate::Finding;
use crate::rules::context::Ctx;
use crate::rules::{self, Level, Rule};

/// `OB305` `drill-unknown-runbook`: drills.yaml references a runbook that is not registered.
pub const DRILL_UNKNOWN_RUNBOOK: &Rule = &Rule {
    code: "OB305",
    name: "drill-unknown-runbook",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "drills.yaml references a runbook that is not registered",
    doc: "## What it does
Reports drills whose `runbook` is not a registered runbook ID.

## Why is this bad?
A drill of a runbook that does not exist proves nothing.

## Example
`runbook: RB-QUICK-HALT` (the ID is `RB-QUICK-HALT-EVIDENCE`).

Use instead: the registered ID.",
};

/// OB305 (+OB603): drills exercise registered, active runbooks.
pub fn drills(cx: &mut Ctx<'_>) {
    let ssot = cx.ssot;
    let mut found: Vec<Finding> = Vec::new();
    if let Some(drills) = ssot.file_of(&FileKind::Drills)
        && let Some(d) = drills.doc()
    {
        for e in model::drill_entries(&d.doc.value) {
            if e.runbook.is_empty() {
                continue;
            }
            let p = d.pos(&format!("{}/runbook", e.pointer));
            if !cx.known(&e.runbook) {
                found.push(
                    Finding::new(
                        rules::registry::DRILL_UNKNOWN_RUNBOOK,
                        &drills.rel,
                        p.line,
                        p.col,
                        format!(
                            "drill `{}` exercises `{}`, which is not registered",
                            e.id, e.runbook
                        ),
                        "use a registered runbook ID".into(),
                    )
                    .token(),
                );
            } else if !cx.is_active(&e.runbook) {
                found.push(
                    Finding::new(
                        rules::deprecated::ROUTES_TO_DEPRECATED,
                        &drills.rel,
                        p.line,
                        p.col,
                        format!(
                            "drill `{}` exercises deprecated runbook `{}`",
                            e.id, e.runbook
                        ),
                        "drill the replacement instead".into(),
                    )
                    .token(),
                );
            }
        }
    }
    cx.out.extend(found);
}
