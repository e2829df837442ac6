//! Deprecated runbooks name an active replacement (OB601, OB602, D-GATE-DEPRECATED).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};

/// `OB601` `deprecated-without-replacement`: a deprecated runbook has no replaced_by.
pub const DEPRECATED_WITHOUT_REPLACEMENT: &Rule = &Rule {
    code: "OB601",
    name: "deprecated-without-replacement",
    level: Level::Error,
    requirement: "D-GATE-DEPRECATED",
    summary: "a deprecated runbook has no replaced_by",
    doc: "## What it does
Checks that every runbook with `status: deprecated` names its replacement in `replaced_by`.

## Why is this bad?
Old links (alerts, bookmarks, incident notes) keep arriving at deprecated runbooks; the stub must send the operator on.

## Example
`status: deprecated` and no `replaced_by`.

Use instead: `replaced_by: RB-PLAT-TIME-DRIFT`.",
};

/// `OB602` `replacement-not-active`: replaced_by names a missing or deprecated runbook.
pub const REPLACEMENT_NOT_ACTIVE: &Rule = &Rule {
    code: "OB602",
    name: "replacement-not-active",
    level: Level::Error,
    requirement: "D-GATE-DEPRECATED",
    summary: "replaced_by names a missing or deprecated runbook",
    doc: "## What it does
Checks that `replaced_by` is a registered, active runbook.

## Why is this bad?
A chain of stubs, or a stub pointing nowhere, strands the operator.

## Example
`replaced_by: RB-OLD-TWO`, itself deprecated.

Use instead: point straight at the active runbook.",
};

/// OB601, OB602: deprecation stubs name an active replacement.
pub fn deprecated(cx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    for rb in &cx.ssot.runbooks {
        let f = cx.ssot.runbook_file(rb);
        let meta = &rb.meta;
        if !meta.is_active() {
            let p = rb.pos("/status");
            match &meta.replaced_by {
                None => found.push(
                    Finding::new(
                        rules::deprecated::DEPRECATED_WITHOUT_REPLACEMENT,
                        &f.rel,
                        p.line,
                        p.col,
                        "deprecated runbook does not name its replacement".into(),
                        "add `replaced_by: RB-…` naming the active runbook".into(),
                    )
                    .token(),
                ),
                Some(r) if !cx.is_active(r) => {
                    let p = rb.pos("/replaced_by");
                    let why = if cx.known(r) {
                        "is itself deprecated"
                    } else {
                        "is not registered"
                    };
                    found.push(
                        Finding::new(
                            rules::deprecated::REPLACEMENT_NOT_ACTIVE,
                            &f.rel,
                            p.line,
                            p.col,
                            format!("replaced_by `{r}` {why}"),
                            "point straight at an active, registered runbook".into(),
                        )
                        .token(),
                    );
                }
                Some(_) => {}
            }
        }
    }
    cx.out.extend(found);
}
