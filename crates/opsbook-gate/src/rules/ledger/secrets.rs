//! No secret in an immutable record (OB811, D-EVD-LIMITS, issue 13 item 2):
//! the free texts of every ledger and postmortem, scanned by the same
//! classes `opsbook-ops` redacts them with before it appends
//! (`RuleSet::for_records`: the evidence policy's secret classes, personal
//! data left alone).

use opsbook_core::ssot::{FileKind, SourceFile};
use opsbook_evidence::redact::RuleSet;
use serde_json::Value;

use crate::Finding;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};

/// `OB811` `secret-in-record`: a ledger or postmortem holds a secret.
pub const SECRET_IN_RECORD: &Rule = &Rule {
    code: "OB811",
    name: "secret-in-record",
    level: Level::Error,
    requirement: "D-EVD-LIMITS",
    summary: "a ledger or postmortem holds a secret",
    doc: "## What it does
Scans the free texts of every ledger (`ledger/*.jsonl`, `incidents/<ID>/events.jsonl`: each string of an event's `data`, on its own) and every postmortem (`incidents/<ID>/postmortem.md`) with the redaction classes of `policy/evidence.yaml` — the built-in secret classes (AWS keys, Bearer tokens, passwords in connection strings and URLs, `X-MBX-APIKEY` and other labelled keys, PEM keys, …) and the policy's own — the same classes opsbook applies before it appends. Personal-data classes are not applied: an operator's e-mail in a record is the record. Names the file, the line, the field and the class, never the value.

## Why is this bad?
A hash-chained ledger cannot be cleaned: editing it breaks the chain (OB801). A secret in it is exposed to everyone who reads or copies the SSOT, for as long as the SSOT lives. opsbook stores `[REDACTED:<class>]` for what goes through it; this finds what came another way (an event appended by hand, a log from an older version, a pasted postmortem).

## Example
`{\"type\":\"note\",\"data\":{\"text\":\"curl -H 'X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A'\"}}`

Use instead: rotate the secret first (it is exposed). A postmortem: replace the value by `[REDACTED:<class>]`. A ledger cannot be edited without breaking its chain: restrict who can read the file; new notes through `opsbook incident log` are redacted before they are written.",
};

/// OB811 over every ledger and postmortem of the SSOT.
pub fn secrets(cx: &mut Ctx<'_>) {
    use rayon::prelude::*;
    let policy = cx
        .ssot
        .policy("evidence")
        .and_then(SourceFile::doc)
        .map(|d| d.doc.value.clone());
    // A class that does not compile is OB203's finding; the built-ins still run.
    let Some(rules) = RuleSet::for_records(policy.as_ref())
        .or_else(|_| RuleSet::for_records(None))
        .ok()
    else {
        return;
    };
    let root = &cx.ssot.root;
    let files: Vec<&SourceFile> = cx
        .ssot
        .files
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FileKind::Ledger | FileKind::IncidentEvents | FileKind::Postmortem
            )
        })
        .collect();
    let found: Vec<Finding> = files
        .par_iter()
        .flat_map_iter(|f| file_findings(root, f, &rules))
        .collect();
    cx.out.extend(found);
}

fn file_findings(root: &std::path::Path, f: &SourceFile, rules: &RuleSet) -> Vec<Finding> {
    let path = if f.path.as_os_str().is_empty() {
        root.join(&f.rel)
    } else {
        f.path.clone()
    };
    // An unreadable file is reported by OB801 / the loader.
    let Ok(bytes) = std::fs::read(&path) else {
        return Vec::new();
    };
    let text = opsbook_core::text::decode(&bytes)
        .map(|d| d.text)
        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
    let mut out = Vec::new();
    if f.kind == FileKind::Postmortem {
        for h in rules.scan(&text, None).unwrap_or_default() {
            out.push(
                Finding::new(
                    SECRET_IN_RECORD,
                    &f.rel,
                    h.line,
                    h.column,
                    format!("a secret ({}) in the postmortem", h.rule),
                    format!(
                        "rotate the secret, then replace it by [REDACTED:{}]",
                        h.rule
                    ),
                )
                .covering(crate::span::Extent::Bytes(h.bytes)),
            );
        }
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        let Ok(ev) = serde_json::from_str::<Value>(line) else {
            continue; // a torn or foreign line is OB801's
        };
        let Some(data) = ev.get("data") else { continue };
        let kind = ev.get("type").and_then(Value::as_str).unwrap_or("?");
        let seq = ev.get("seq").and_then(Value::as_u64).unwrap_or(0);
        for h in rules.scan_json(data) {
            out.push(Finding::new(
                SECRET_IN_RECORD,
                &f.rel,
                i + 1,
                1,
                format!(
                    "a secret ({}) in field `{}` of event seq {seq} (`{kind}`)",
                    h.class,
                    h.pointer.trim_start_matches('/')
                ),
                "rotate the secret now (whoever reads the SSOT has it); a ledger cannot be edited without breaking its chain: restrict who can read this file, and write texts through opsbook, which stores [REDACTED:<class>]".into(),
            ).covering(crate::span::Extent::Line));
        }
    }
    out
}
