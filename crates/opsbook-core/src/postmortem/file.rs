//! Checking one postmortem file ([`check_file`]): decoding, front matter,
//! the contract, the action items, TODO placeholders — and what of that
//! blocks closing a P0/P1 incident ([`FileCheck::blocking`]).

use std::path::Path;

use serde::Serialize;

use super::*;

/// The result of checking one postmortem file.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    /// Contract violations: (line, message).
    pub contract: Vec<(usize, String)>,
    /// Action-item problems.
    pub items: Vec<ItemProblem>,
    /// The parsed postmortem.
    #[serde(skip)]
    pub postmortem: Option<Postmortem>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Lines (1-based) that still say `TODO`.
    pub todo_lines: Vec<usize>,
    /// Days an overdue item stays a warning before it blocks (`[incidents]
    /// action_overdue_error_days`).
    pub overdue_error_days: i64,
}

impl FileCheck {
    /// Problems that block closing a P0/P1 incident: contract violations,
    /// vague items, unknown targets, done without `done_ref`, a draft
    /// placeholder (`TODO`), or no action item at all. Overdue items do not
    /// block closing (they are tracked by `opsbook actions` and the gate).
    #[must_use]
    pub fn blocking(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .contract
            .iter()
            .map(|(l, m)| format!("line {l}: {m}"))
            .collect();
        out.extend(
            self.items
                .iter()
                .filter(|p| {
                    p.kind != ItemProblemKind::Overdue || p.days_overdue > self.overdue_error_days
                })
                .map(|p| {
                    format!(
                        "line {}: [{}] {}",
                        p.line,
                        p.code(self.overdue_error_days),
                        p.message
                    )
                }),
        );
        out.extend(self.draft_problems());
        out
    }

    /// Whether the postmortem belongs to `id` with `severity`: problems otherwise.
    #[must_use]
    pub fn mismatch(&self, id: &str, severity: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pm) = &self.postmortem {
            if pm.incident_id.as_deref() != Some(id) {
                out.push(format!(
                    "incident_id is `{}`, but this is {id}'s postmortem",
                    pm.incident_id.as_deref().unwrap_or("")
                ));
            }
            if pm.severity.as_deref().is_some_and(|s| s != severity) {
                out.push(format!(
                    "severity is {}, but {id} is {severity} (`opsbook incident severity` changes the incident; the postmortem states the final one)",
                    pm.severity.as_deref().unwrap_or("")
                ));
            }
        }
        out
    }

    /// Blocking problems that are neither contract nor item problems: no
    /// action item at all, `TODO` placeholders left from the draft.
    #[must_use]
    pub fn draft_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pm) = &self.postmortem {
            if pm.items.is_empty() {
                out.push("no action items".into());
            }
            if !self.todo_lines.is_empty() {
                out.push(format!(
                    "the draft still has TODO placeholders (line{} {})",
                    if self.todo_lines.len() == 1 { "" } else { "s" },
                    self.todo_lines
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        out
    }
}

/// Reads and checks `path`: decoding, front matter, the `postmortem`
/// contract, and [`check_items`].
///
/// # Errors
/// A message when the file cannot be read or decoded, or has no usable
/// front matter.
pub fn check_file(
    path: &Path,
    contracts: &crate::ssot::contracts::Contracts,
    known: &Known,
    as_of: jiff::civil::Date,
    overdue_error_days: i64,
) -> Result<FileCheck, String> {
    use sha2::Digest;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sha256: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let text =
        crate::syntax::text::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let split = crate::syntax::markdown::split_front_matter(&text.text)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.message))?;
    let Some(fm) = split.front_matter else {
        return Err(format!(
            "{}:1: no front matter (`---` … `---`); start from `opsbook postmortem new`",
            path.display()
        ));
    };
    let off = split.front_matter_line - 1;
    let doc = crate::syntax::yaml::parse(fm)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.pos.line + off, e.message))?;
    let pm = from_value(&doc.value, &|i| {
        doc.pos_of(&format!("/action_items/{i}")).line + off
    });
    let contract = contracts
        .validate("postmortem", &doc.value)
        .unwrap_or_default()
        .into_iter()
        .map(|v| (doc.pos_of(&v.pointer).line + off, v.message))
        .collect();
    let items = check_items(&pm.items, known, as_of);
    let todo_lines = text
        .text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("TODO"))
        .map(|(i, _)| i + 1)
        .collect();
    Ok(FileCheck {
        contract,
        items,
        postmortem: Some(pm),
        sha256,
        todo_lines,
        overdue_error_days,
    })
}
