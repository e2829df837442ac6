//! The rules an action item must pass ([`check_items`]): not vague, a target
//! that exists in the SSOT ([`Known`]) unless the item creates it, a
//! `done_ref` when done, not overdue (warning, then error).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::*;
use crate::ssot::{FileKind, Ssot};

/// What exists in the SSOT for action-item targets.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The SSOT root (for file targets).
    pub root: PathBuf,
    /// Registered, active runbook IDs.
    pub runbooks: HashSet<String>,
    /// Deprecated runbook IDs (not valid targets).
    pub deprecated: HashSet<String>,
    /// Drill IDs of `runbooks/drills.yaml`.
    pub drills: HashSet<String>,
    /// Alert names from the alert rule files and the coverage matrix.
    pub alerts: HashSet<String>,
    /// Policy names (`severity` for `policy/severity.yaml`).
    pub policies: HashSet<String>,
}

impl Known {
    /// Collects what exists from a loaded SSOT.
    #[must_use]
    pub fn from_ssot(ssot: &Ssot) -> Known {
        let mut k = Known {
            root: ssot.root.clone(),
            ..Known::default()
        };
        for rb in &ssot.runbooks {
            if let Some(id) = &rb.meta.id {
                if rb.meta.is_active() {
                    k.runbooks.insert(id.clone());
                } else {
                    k.deprecated.insert(id.clone());
                }
            }
        }
        for f in &ssot.files {
            match &f.kind {
                FileKind::Registry => {
                    if let Some(v) = f.value() {
                        for e in crate::model::registry_entries(v) {
                            if e.status.as_deref() == Some("deprecated") {
                                k.deprecated.insert(e.id);
                            } else {
                                k.runbooks.insert(e.id);
                            }
                        }
                    }
                }
                FileKind::Drills => {
                    if let Some(v) = f.value() {
                        for e in crate::model::drill_entries(v) {
                            k.drills.insert(e.id);
                        }
                    }
                }
                FileKind::CoverageMatrix => {
                    if let Some(v) = f.value() {
                        for e in crate::model::coverage_entries(v) {
                            k.alerts.extend(e.alerts);
                        }
                    }
                }
                FileKind::Alerts => {
                    for a in crate::model::alerts::extract(&f.rel, &f.docs) {
                        k.alerts.insert(a.alert);
                    }
                }
                FileKind::Policy(name) => {
                    k.policies.insert(name.clone());
                }
                _ => {}
            }
        }
        k
    }

    /// Whether `target` names a file inside the SSOT (no `..`, not absolute).
    fn file_exists(&self, target: &str) -> bool {
        let rel = target.trim().trim_start_matches("./").replace('\\', "/");
        !rel.is_empty()
            && !rel.starts_with('/')
            && !rel.split('/').any(|c| c == "..")
            && !Path::new(&rel).is_absolute()
            && !rel.contains(':')
            && self.root.join(&rel).exists()
    }
}

pub(crate) fn looks_like_path(t: &str) -> bool {
    t.contains('/') || t.contains('\\') || {
        let lower = t.to_ascii_lowercase();
        [
            ".md", ".yaml", ".yml", ".json", ".toml", ".ps1", ".rs", ".py",
        ]
        .iter()
        .any(|e| lower.ends_with(e))
    }
}

/// What is wrong with an action item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemProblemKind {
    /// An intention, not an artifact (OB805).
    Vague,
    /// The target does not exist in the SSOT (OB806).
    UnknownTarget,
    /// `done` without `done_ref` (OB807).
    DoneWithoutRef,
    /// Open past its due date (OB808): warning, then error.
    Overdue,
}

/// One problem with one action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemProblem {
    /// Item ID.
    pub item: String,
    /// Line in the postmortem (1-based).
    pub line: usize,
    /// Kind.
    pub kind: ItemProblemKind,
    /// For [`ItemProblemKind::Overdue`]: days past due.
    pub days_overdue: i64,
    /// Explanation.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl ItemProblem {
    /// The gate rule code: OB805 vague, OB806 unknown target, OB807 done
    /// without ref, OB808 overdue, OB809 overdue past `error_days`.
    #[must_use]
    pub fn code(&self, error_days: i64) -> &'static str {
        match self.kind {
            ItemProblemKind::Vague => "OB805",
            ItemProblemKind::UnknownTarget => "OB806",
            ItemProblemKind::DoneWithoutRef => "OB807",
            ItemProblemKind::Overdue if self.days_overdue > error_days => "OB809",
            ItemProblemKind::Overdue => "OB808",
        }
    }
}

/// Checks action items (D-LEARN): vague wording, unknown targets, done
/// without `done_ref`, overdue open items (`days_overdue` > 0).
///
/// Target rules by type: `runbook` → a registered runbook ID (or an existing
/// file); `policy` → a policy name or file that exists; `monitoring` → an
/// alert name from the alert rules or coverage matrix (or an existing file);
/// `test` → a drill ID when it looks like one (`DR-…`), an existing file when
/// it looks like a path, otherwise a test name (not checked);
/// `implementation` → an existing file when it looks like a path, otherwise a
/// component name (not checked). IDs that look like runbook (`RB-…`) or drill
/// (`DR-…`) IDs must exist whatever the type.
#[must_use]
pub fn check_items(
    items: &[ActionItem],
    known: &Known,
    as_of: jiff::civil::Date,
) -> Vec<ItemProblem> {
    let mut out = Vec::new();
    for it in items {
        let mut push = |kind, days, message: String, help: String| {
            out.push(ItemProblem {
                item: it.id.clone(),
                line: it.line,
                kind,
                days_overdue: days,
                message,
                help,
            });
        };
        if let Some(p) = vague_phrase(&it.description).or_else(|| vague_phrase(&it.target)) {
            push(
                ItemProblemKind::Vague,
                0,
                format!(
                    "action item {} is vague (\"{p}\"): an intention is not an improvement",
                    it.id
                ),
                "name the concrete change to a runbook, policy, test, alert or component, e.g. \"Add step 3 to RB-PLAT-TIME-DRIFT: check w32tm /query /status before restarting\"".into(),
            );
        }
        let t = it.target.trim();
        let is_rb = t.starts_with("RB-");
        let is_dr = t.starts_with("DR-");
        let path = looks_like_path(t);
        let file_ok = || known.file_exists(t);
        let unknown = if t.is_empty() {
            Some("it has no target".to_string())
        } else if is_rb && known.deprecated.contains(t) {
            Some(format!(
                "runbook `{t}` is deprecated: target its replacement"
            ))
        } else if is_rb && !known.runbooks.contains(t) {
            Some(format!("runbook `{t}` is not registered"))
        } else if is_dr && !known.drills.contains(t) {
            Some(format!("drill `{t}` is not in runbooks/drills.yaml"))
        } else if path && !file_ok() {
            Some(format!("file `{t}` does not exist inside the SSOT"))
        } else {
            match it.kind.as_str() {
                "runbook" if !(is_rb || path && t.replace('\\', "/").starts_with("runbooks/")) => {
                    Some(format!(
                        "`{t}` is not a runbook; a runbook item targets a registered runbook ID (RB-…) or a file under runbooks/"
                    ))
                }
                "policy" if is_rb || is_dr => Some(format!(
                    "`{t}` is not a policy; a policy item names policy/<name>.yaml or its name"
                )),
                "policy" if !path && !known.policies.contains(t.trim_start_matches("policy/")) => {
                    Some(format!("no policy `{t}` (policy/{t}.yaml)"))
                }
                "monitoring" if is_rb || is_dr => Some(format!(
                    "`{t}` is not an alert; a monitoring item names an alert of the rules or the coverage matrix (or an alert rule file)"
                )),
                "monitoring" if !path && !known.alerts.contains(t) => Some(format!(
                    "alert `{t}` is in no alert rule file and not in the coverage matrix"
                )),
                "implementation" if is_rb || is_dr => Some(format!(
                    "`{t}` is a runbook or drill; an implementation item names a component or a file"
                )),
                _ => None,
            }
        };
        // To be created by this item: checked once the item says it is done.
        let unknown = match unknown {
            Some(_) if it.creates && it.status != "done" && !t.is_empty() => None,
            Some(why) if it.creates => Some(format!(
                "{why} (it was to be created by this item, which is done: create it, or reopen the item)"
            )),
            other => other,
        };
        if let Some(why) = unknown {
            push(
                ItemProblemKind::UnknownTarget,
                0,
                format!("action item {}: {why}", it.id),
                "target something that exists: a registered runbook ID, policy/<name>.yaml, an alert name, a drill ID or a file path relative to the SSOT root; when the item itself creates it (a new alert, drill or file), say so with `creates: true`".into(),
            );
        }
        if it.status == "done" && it.done_ref.is_none() {
            push(
                ItemProblemKind::DoneWithoutRef,
                0,
                format!("action item {} is done without a done_ref", it.id),
                "set done_ref to the commit, pull request, file or runbook ID that proves it"
                    .into(),
            );
        }
        if it.is_open()
            && let Some(due) = it.due
            && due < as_of
        {
            let days = (as_of - due).get_days().into();
            push(
                ItemProblemKind::Overdue,
                days,
                format!(
                    "action item {} ({}) was due {due}, {days} day{} ago, and is still {}",
                    it.id,
                    it.owner,
                    if days == 1 { "" } else { "s" },
                    it.status
                ),
                "finish it (status: done with a done_ref), or move `due` with a note in the postmortem explaining why".into(),
            );
        }
    }
    out
}
