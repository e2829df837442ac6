//! `related` lists name registered runbooks (OB702).

use crate::Finding;
use crate::rules::context::Ctx;
use crate::rules::{self, Level, Rule};

/// `OB702` `unknown-related-runbook`: related names a runbook that is not registered.
pub const UNKNOWN_RELATED_RUNBOOK: &Rule = &Rule {
    code: "OB702",
    name: "unknown-related-runbook",
    level: Level::Error,
    requirement: "D-RB-INDEX",
    summary: "related names a runbook that is not registered",
    doc: "## What it does
Checks that every ID in a runbook's `related` list is a registered runbook.

## Why is this bad?
See OB701.

## Example
`related: [RB-EXEC-RECON]` when the ID is `RB-EXEC-RECONCILIATION`.

Use instead: the registered ID.",
};

/// OB702 (+OB603): `related` lists name registered, active runbooks.
pub fn related(cx: &mut Ctx<'_>) {
    let mut found: Vec<Finding> = Vec::new();
    for rb in &cx.ssot.runbooks {
        let f = cx.ssot.runbook_file(rb);
        let meta = &rb.meta;
        for (i, r) in meta.related.iter().enumerate() {
            let p = rb.pos(&format!("/related/{i}"));
            if !cx.known(r) {
                found.push(
                    Finding::new(
                        rules::links::UNKNOWN_RELATED_RUNBOOK,
                        &f.rel,
                        p.line,
                        p.col,
                        format!("related runbook `{r}` is not registered"),
                        "use a registered runbook ID".into(),
                    )
                    .token(),
                );
            } else if !cx.is_active(r) && meta.is_active() {
                found.push(
                    Finding::new(
                        rules::deprecated::ROUTES_TO_DEPRECATED,
                        &f.rel,
                        p.line,
                        p.col,
                        format!("related runbook `{r}` is deprecated"),
                        "relate to its replacement".into(),
                    )
                    .token(),
                );
            }
        }
    }
    cx.out.extend(found);
}
