//! The coverage matrix: every symptom and alert has an active runbook (OB401–OB403, D-GATE-COVERAGE).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use crate::span::Extent;
use opsbook_core::model;
use opsbook_core::ssot::FileKind;
use opsbook_core::yaml::Pos;
use std::collections::HashMap;

/// `OB401` `p0-coverage-hole`: a P0 symptom or alert has no active runbook.
pub const P0_COVERAGE_HOLE: &Rule = &Rule {
    code: "OB401",
    name: "p0-coverage-hole",
    level: Level::Error,
    requirement: "D-GATE-COVERAGE",
    summary: "a P0 symptom or alert has no active runbook",
    doc: "## What it does
Checks that every P0 entry of `coverage_matrix.yaml` maps to at least one registered, active runbook.

## Why is this bad?
Seed §4.1.4 and §6: P0 holes must be zero. A P0 without a runbook is an operator improvising with real money at stake.

## Example
```yaml
- id: COV-UNHEDGED
  severity: P0
  runbooks: []
```
Use instead: write the runbook and list its ID.",
};

/// `OB402` `coverage-hole`: a P1/P2 symptom or alert has no active runbook.
pub const COVERAGE_HOLE: &Rule = &Rule {
    code: "OB402",
    name: "coverage-hole",
    level: Level::Warn,
    requirement: "D-GATE-COVERAGE",
    summary: "a P1/P2 symptom or alert has no active runbook",
    doc: "## What it does
Reports P1 and P2 coverage entries without a registered, active runbook.

## Why is this bad?
Today's P2 is tomorrow's P0 at 3 a.m.

## Example
A P1 entry with `runbooks: []`.

Use instead: map it to a runbook, or remove the entry if the symptom no longer exists.",
};

/// `OB403` `coverage-unknown-runbook`: the coverage matrix names a runbook that is not registered.
pub const COVERAGE_UNKNOWN_RUNBOOK: &Rule = &Rule {
    code: "OB403",
    name: "coverage-unknown-runbook",
    level: Level::Error,
    requirement: "D-GATE-COVERAGE",
    summary: "the coverage matrix names a runbook that is not registered",
    doc: "## What it does
Reports runbook IDs in `coverage_matrix.yaml` that are not in the registry, and duplicate entry IDs.

## Why is this bad?
The matrix claims coverage that does not exist.

## Example
`runbooks: [RB-PLAT-TIME-DRIFTT]`

Use instead: the registered ID.",
};

/// OB401–OB403 (+OB603): the coverage matrix.
pub fn coverage_matrix(cx: &mut Ctx<'_>) {
    let Some(f) = cx.ssot.file_of(&FileKind::CoverageMatrix) else {
        return;
    };
    let Some(d) = f.doc() else { return };
    let rel = f.rel.clone();
    let mut found = Vec::new();
    let mut ids: HashMap<String, Pos> = HashMap::new();
    for e in model::coverage_entries(&d.doc.value) {
        let p = d.pos(&e.pointer);
        if !e.id.is_empty() {
            if let Some(first) = ids.get(&e.id) {
                found.push(
                    Finding::new(
                        rules::coverage::COVERAGE_UNKNOWN_RUNBOOK,
                        &rel,
                        p.line,
                        p.col,
                        format!(
                            "coverage entry ID `{}` is used twice (first at line {})",
                            e.id, first.line
                        ),
                        "give each entry its own ID".into(),
                    )
                    .text(&e.id)
                    .with_related_covering(
                        &rel,
                        first.line,
                        first.col,
                        format!("`{}` first used here", e.id),
                        Extent::Text(e.id.clone()),
                    ),
                );
            } else {
                ids.insert(e.id.clone(), p);
            }
        }
        let mut active = 0;
        for (i, id) in e.runbooks.iter().enumerate() {
            let rp = d.pos(&format!("{}/runbooks/{i}", e.pointer));
            if !cx.known(id) {
                found.push(
                    Finding::new(
                        rules::coverage::COVERAGE_UNKNOWN_RUNBOOK,
                        &rel,
                        rp.line,
                        rp.col,
                        format!(
                            "coverage entry `{}` names `{id}`, which is not registered",
                            e.id
                        ),
                        "use a registered runbook ID (runbooks/runbooks.yaml)".into(),
                    )
                    .token(),
                );
            } else if !cx.is_active(id) {
                found.push(
                    Finding::new(
                        rules::deprecated::ROUTES_TO_DEPRECATED,
                        &rel,
                        rp.line,
                        rp.col,
                        format!(
                            "coverage entry `{}` routes to deprecated runbook `{id}`",
                            e.id
                        ),
                        "route to its replacement".into(),
                    )
                    .token(),
                );
            } else {
                active += 1;
            }
        }
        if active == 0 {
            let what = e.symptom.clone().unwrap_or_else(|| e.alerts.join(", "));
            let sev = e.severity.as_deref().unwrap_or("P0");
            let code = if sev == "P0" {
                rules::coverage::P0_COVERAGE_HOLE
            } else {
                rules::coverage::COVERAGE_HOLE
            };
            found.push(
                Finding::new(
                    code,
                    &rel,
                    p.line,
                    p.col,
                    format!("{sev} entry `{}` ({what}) has no active runbook", e.id),
                    "write a runbook for it and list its ID under `runbooks:`".into(),
                )
                .text(&e.id),
            );
        }
    }
    cx.out.extend(found);
}
