//! Every file of the SSOT against its JSON Schema contract (OB201, OB202, D-CONTRACTS).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use opsbook_core::contracts::Contracts;
use opsbook_core::ssot::FileKind;
use opsbook_core::ssot::SourceFile;

/// `OB201` `schema-violation`: a file does not satisfy its contract.
pub const SCHEMA_VIOLATION: &Rule = &Rule {
    code: "OB201",
    name: "schema-violation",
    level: Level::Error,
    requirement: "D-CONTRACTS",
    summary: "a file does not satisfy its contract",
    doc: "## What it does
Validates every file of the SSOT against its JSON Schema (draft 2020-12) in `contracts/`: `opsbook.toml`, runbook front matter, `runbooks.yaml`, `coverage_matrix.yaml`, `drills.yaml`, postmortem front matter, incident events, policies and plans. The finding points at the line of the failing value and names its JSON pointer.

## Why is this bad?
Every other check, and every later tool, relies on the shapes the contracts define. A typo such as `tier: T3` must fail in CI, not during an incident.

## Example
```yaml
kind: TRIAGEE
```
Use instead: one of TRIAGE, MITIGATION, RECOVERY, DRILL, GOVERNANCE.",
};

/// `OB202` `no-contract`: a policy or plan file has no contract.
pub const NO_CONTRACT: &Rule = &Rule {
    code: "OB202",
    name: "no-contract",
    level: Level::Warn,
    requirement: "D-CONTRACTS",
    summary: "a policy or plan file has no contract",
    doc: "## What it does
Reports `policy/*.yaml` and `plans/*.yaml` files for which no `policy-<name>` / `plan-<name>` contract exists.

## Why is this bad?
An unvalidated policy is a policy whose typos nobody catches.

## Example
`policy/severty.yaml` (misspelt: no contract matches).

Use instead: rename the file, or add `contracts/policy-<name>.schema.json`.",
};

/// OB201, OB202: every file against its contract.
pub fn schemas(cx: &mut Ctx<'_>, contracts: &Contracts) {
    let mut found = Vec::new();
    // Runbooks are validated as they stream; incident events by OB802,
    // which names the event (seq, type) rather than only the line.
    for f in cx
        .ssot
        .files
        .iter()
        .filter(|f| !matches!(f.kind, FileKind::Runbook | FileKind::IncidentEvents))
    {
        found.extend(schema_file(contracts, f));
    }
    cx.out.extend(found);
}

/// Contract violations that a runbook-lint rule reports with a better
/// message at the same place: a T1/T2 operation without backout (OB105) or
/// confirmation (OB106). One mistake, one finding.
fn reported_by_lint(kind: &FileKind, v: &opsbook_core::contracts::Violation) -> bool {
    *kind == FileKind::Runbook
        && v.pointer
            .strip_prefix("/dangerous_ops/")
            .is_some_and(|i| i.bytes().all(|b| b.is_ascii_digit()))
        && (v.message.contains("\"backout\" is a required property")
            || v.message
                .contains("\"confirmation\" is a required property"))
}

/// OB201/OB202 for one file: every document against the file's contract.
#[must_use]
pub fn schema_file(contracts: &Contracts, f: &SourceFile) -> Vec<Finding> {
    let mut found = Vec::new();
    let Some(name) = f.kind.contract() else {
        return found;
    };
    if f.docs.is_empty() {
        return found;
    }
    if !contracts.has(&name) {
        if matches!(f.kind, FileKind::Policy(_) | FileKind::Plan(_)) {
            found.push(Finding::new(
                rules::schema::NO_CONTRACT,
                &f.rel,
                1,
                1,
                format!("no contract `{name}` for this file"),
                format!(
                    "rename the file to a known policy/plan, or add `contracts/{name}.schema.json`"
                ),
            ));
        }
        return found;
    }
    for d in &f.docs {
        let Some(violations) = contracts.validate(&name, &d.doc.value) else {
            continue;
        };
        for v in violations {
            if reported_by_lint(&f.kind, &v) {
                continue;
            }
            let pos = d.pos(&v.pointer);
            // A scalar is the token at its position; a mapping or a
            // sequence runs over lines and has no one-line span.
            let scalar = d
                .doc
                .value
                .pointer(&v.pointer)
                .is_some_and(|x| !(x.is_object() || x.is_array()));
            let path = if v.pointer.is_empty() {
                "/".to_string()
            } else {
                v.pointer.clone()
            };
            found.push(Finding::new(
                rules::schema::SCHEMA_VIOLATION,
                &f.rel,
                pos.line,
                pos.col,
                format!("`{path}`: {}", v.message),
                format!("see contracts/{name}.schema.json (`opsbook contracts export DIR` writes it out)"),
            ).covering(if scalar { crate::span::Extent::Token } else { crate::span::Extent::Known }));
        }
    }
    found
}
