//! `runbooks/runbooks.yaml` against the runbook files, both ways (OB301–OB304, D-GATE-REGISTRY).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use crate::span::Extent;
use opsbook_core::model;
use opsbook_core::ssot::FileKind;
use opsbook_core::yaml::Pos;
use std::collections::HashMap;
use std::collections::HashSet;

/// `OB301` `unregistered-runbook`: a runbook file is not in runbooks.yaml.
pub const UNREGISTERED_RUNBOOK: &Rule = &Rule {
    code: "OB301",
    name: "unregistered-runbook",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "a runbook file is not in runbooks.yaml",
    doc: "## What it does
Reports runbook files under `runbooks/` that have no entry in `runbooks/runbooks.yaml`.

## Why is this bad?
The registry is the SSOT of what exists (seed §4.1.5). An unregistered runbook is invisible to the index, the coverage matrix and the drill plan.

## Example
`runbooks/platform/new.md` added without a registry entry.

Use instead: add `- {id: RB-…, path: platform/new.md, status: active}`.",
};

/// `OB302` `registered-file-missing`: a registry entry points at a file that does not exist.
pub const REGISTERED_FILE_MISSING: &Rule = &Rule {
    code: "OB302",
    name: "registered-file-missing",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "a registry entry points at a file that does not exist",
    doc: "## What it does
Reports entries of `runbooks.yaml` whose `path` is not a file under `runbooks/`.

## Why is this bad?
The index would send the operator to a runbook that is not there.

## Example
`path: platform/time-drft.md`

Use instead: fix the path, or remove the entry (deprecate instead of deleting a runbook others link to).",
};

/// `OB303` `duplicate-runbook-id`: a runbook ID or path is used twice.
pub const DUPLICATE_RUNBOOK_ID: &Rule = &Rule {
    code: "OB303",
    name: "duplicate-runbook-id",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "a runbook ID or path is used twice",
    doc: "## What it does
Reports a runbook ID used by two files or two registry entries, and a path registered twice.

## Why is this bad?
An ID must name one procedure; otherwise alerts and incidents link to whichever one a tool finds first.

## Example
Two files with `runbook_id: RB-PLAT-TIME-DRIFT`.

Use instead: give each runbook its own ID.",
};

/// `OB304` `registry-mismatch`: registry entry and front matter disagree.
pub const REGISTRY_MISMATCH: &Rule = &Rule {
    code: "OB304",
    name: "registry-mismatch",
    level: Level::Error,
    requirement: "D-GATE-REGISTRY",
    summary: "registry entry and front matter disagree",
    doc: "## What it does
Reports a registry entry whose `id` or `status` differs from the front matter of the file it points at.

## Why is this bad?
Two sources of truth disagreeing is no source of truth.

## Example
Registry says `status: active`, the file says `status: deprecated`.

Use instead: update the registry.",
};

/// OB301–OB304: registry consistency both ways.
pub fn registry(cx: &mut Ctx<'_>) {
    let ssot = cx.ssot;
    let mut found = Vec::new();
    let Some(reg) = ssot.file_of(&FileKind::Registry) else {
        for rb in &ssot.runbooks {
            let f = ssot.runbook_file(rb);
            found.push(Finding::new(
                rules::registry::UNREGISTERED_RUNBOOK,
                &f.rel,
                1,
                1,
                "runbook is not registered: runbooks/runbooks.yaml does not exist".into(),
                "create runbooks/runbooks.yaml listing every runbook".into(),
            ));
        }
        cx.out.extend(found);
        return;
    };
    let Some(doc) = reg.doc() else { return };
    let entries = model::registry_entries(&doc.doc.value);
    let by_path: HashMap<&str, &opsbook_core::ssot::Runbook> = ssot
        .runbooks
        .iter()
        .map(|r| (r.registry_path.as_str(), r))
        .collect();
    let mut seen_ids: HashMap<&str, Pos> = HashMap::new();
    let mut seen_paths: HashMap<&str, Pos> = HashMap::new();
    for e in &entries {
        let p = doc.pos(&e.pointer);
        if !e.id.is_empty() {
            if let Some(first) = seen_ids.get(e.id.as_str()) {
                found.push(
                    Finding::new(
                        rules::registry::DUPLICATE_RUNBOOK_ID,
                        &reg.rel,
                        p.line,
                        p.col,
                        format!(
                            "runbook ID `{}` is registered twice (first at line {})",
                            e.id, first.line
                        ),
                        "keep one entry per runbook".into(),
                    )
                    .text(&e.id)
                    .with_related_covering(
                        &reg.rel,
                        first.line,
                        first.col,
                        format!("`{}` first registered here", e.id),
                        Extent::Text(e.id.clone()),
                    ),
                );
            } else {
                seen_ids.insert(&e.id, p);
            }
        }
        if e.path.is_empty() {
            continue;
        }
        if let Some(first) = seen_paths.get(e.path.as_str()) {
            found.push(
                Finding::new(
                    rules::registry::DUPLICATE_RUNBOOK_ID,
                    &reg.rel,
                    p.line,
                    p.col,
                    format!(
                        "path `{}` is registered twice (first at line {})",
                        e.path, first.line
                    ),
                    "keep one entry per file".into(),
                )
                .text(&e.path)
                .with_related_covering(
                    &reg.rel,
                    first.line,
                    first.col,
                    format!("`{}` first registered here", e.path),
                    Extent::Text(e.path.clone()),
                ),
            );
            continue;
        }
        seen_paths.insert(&e.path, p);
        match by_path.get(e.path.as_str()) {
            None => {
                let pp = doc.pos(&format!("{}/path", e.pointer));
                found.push(
                    Finding::new(
                        rules::registry::REGISTERED_FILE_MISSING,
                        &reg.rel,
                        pp.line,
                        pp.col,
                        format!("registered file `runbooks/{}` does not exist", e.path),
                        if e.path.contains('\\') {
                            format!(
                                "paths in runbooks.yaml use forward slashes, even on Windows: `{}`",
                                e.path.replace('\\', "/")
                            )
                        } else {
                            "fix the path, or deprecate the runbook instead of deleting it".into()
                        },
                    )
                    .token(),
                );
            }
            Some(rb) => {
                if let Some(fid) = &rb.meta.id
                    && fid != &e.id
                {
                    found.push(
                        Finding::new(
                            rules::registry::REGISTRY_MISMATCH,
                            &reg.rel,
                            p.line,
                            p.col,
                            format!(
                                "registry says `{}` but `runbooks/{}` has runbook_id `{fid}`",
                                e.id, e.path
                            ),
                            "make the registry ID and the front matter agree".into(),
                        )
                        .text(&e.id),
                    );
                }
                if let Some(st) = &e.status
                    && !rb.meta.status.is_empty()
                    && st != &rb.meta.status
                {
                    let sp = doc.pos(&format!("{}/status", e.pointer));
                    found.push(
                        Finding::new(
                            rules::registry::REGISTRY_MISMATCH,
                            &reg.rel,
                            sp.line,
                            sp.col,
                            format!(
                                "registry status `{st}` but the file says `{}`",
                                rb.meta.status
                            ),
                            "update the registry status".into(),
                        )
                        .token(),
                    );
                }
            }
        }
    }
    let registered_paths: HashSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let mut file_ids: HashMap<&str, (&str, Pos)> = HashMap::new();
    for rb in &ssot.runbooks {
        let f = ssot.runbook_file(rb);
        if !registered_paths.contains(rb.registry_path.as_str()) {
            found.push(Finding::new(
                rules::registry::UNREGISTERED_RUNBOOK,
                &f.rel,
                1,
                1,
                format!("runbook is not registered in {}", reg.rel),
                format!(
                    "add `- {{id: {}, path: {}, status: {}}}` to runbooks.yaml",
                    rb.meta.id.as_deref().unwrap_or("RB-…"),
                    rb.registry_path,
                    if rb.meta.status.is_empty() {
                        "active"
                    } else {
                        &rb.meta.status
                    }
                ),
            ));
        }
        if let Some(id) = &rb.meta.id {
            let p = rb.pos("/runbook_id");
            if let Some((other, op)) = file_ids.get(id.as_str()) {
                found.push(
                    Finding::new(
                        rules::registry::DUPLICATE_RUNBOOK_ID,
                        &f.rel,
                        p.line,
                        p.col,
                        format!("runbook_id `{id}` is also used by `{other}`"),
                        "give each runbook its own ID".into(),
                    )
                    .token()
                    .with_related_covering(
                        other,
                        op.line,
                        op.col,
                        format!("`{id}` also used here"),
                        Extent::Token,
                    ),
                );
            } else {
                file_ids.insert(id, (&f.rel, p));
            }
        }
    }
    cx.out.extend(found);
}
