//! The changed-file summary against a git base (D-GATE-SUMMARY).
//!
//! Uses the `git` executable (`git diff --name-status -z --relative BASE`),
//! which is what CI runners already have and what handles shallow clones,
//! worktrees and every platform's path quirks.

use std::path::Path;
use std::process::Command;

use opsbook_core::ssot::FileKind;

use crate::Change;

/// Why the summary could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    /// `git` could not be started.
    #[error("cannot run git: {0}")]
    NoGit(std::io::Error),
    /// git failed (not a repository, unknown ref, …).
    #[error("git diff against `{base}` failed: {stderr}")]
    Git {
        /// The base ref.
        base: String,
        /// What git said.
        stderr: String,
    },
}

fn kind_name(k: &FileKind) -> String {
    match k {
        FileKind::Config => "config".into(),
        FileKind::Runbook => "runbook".into(),
        FileKind::Template => "template".into(),
        FileKind::Registry => "registry".into(),
        FileKind::CoverageMatrix => "coverage-matrix".into(),
        FileKind::Drills => "drills".into(),
        FileKind::Policy(_) => "policy".into(),
        FileKind::Plan(_) => "plan".into(),
        FileKind::Postmortem => "postmortem".into(),
        FileKind::IncidentEvents => "incident".into(),
        FileKind::Contract => "contract".into(),
        FileKind::Spec => "spec".into(),
        FileKind::Alerts => "alerts".into(),
        FileKind::Ledger => "ledger".into(),
        FileKind::Excluded | FileKind::Other => "other".into(),
    }
}

/// Lists files changed between `base` and the working tree, relative to `root`.
///
/// `classify` maps a relative path to its kind (the SSOT's own rules).
///
/// # Errors
/// [`ChangesError`] when git is missing or the diff fails.
pub fn changed_files(
    root: &Path,
    base: &str,
    classify: impl Fn(&str) -> FileKind,
) -> Result<Vec<Change>, ChangesError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "diff",
            "--name-status",
            "-z",
            "--relative",
            "-M",
            base,
            "--",
        ])
        .output()
        .map_err(ChangesError::NoGit)?;
    if !out.status.success() {
        return Err(ChangesError::Git {
            base: base.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("usage:"))
                .unwrap_or("no output")
                .to_string(),
        });
    }
    let mut changes = parse_name_status(&out.stdout);
    // Untracked files are changes too (a new runbook not yet committed).
    if let Ok(u) = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "--others", "--exclude-standard", "-z"])
        .output()
    {
        for p in u.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            let path = String::from_utf8_lossy(p).into_owned();
            if !changes.iter().any(|c| c.path == path) {
                changes.push(Change {
                    status: "added".into(),
                    path,
                    from: None,
                    kind: String::new(),
                });
            }
        }
    }
    for c in &mut changes {
        c.kind = kind_name(&classify(&c.path));
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// Parses `git diff --name-status -z` output.
#[must_use]
pub fn parse_name_status(raw: &[u8]) -> Vec<Change> {
    let mut parts = raw
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let mut out = Vec::new();
    while let Some(status) = parts.next() {
        let letter = status.chars().next().unwrap_or('M');
        let name = match letter {
            'A' => "added",
            'D' => "deleted",
            'R' => "renamed",
            'C' => "copied",
            'T' => "type-changed",
            _ => "modified",
        };
        if matches!(letter, 'R' | 'C') {
            let from = parts.next();
            if let Some(path) = parts.next() {
                out.push(Change {
                    status: name.into(),
                    path,
                    from,
                    kind: String::new(),
                });
            }
        } else if let Some(path) = parts.next() {
            out.push(Change {
                status: name.into(),
                path,
                from: None,
                kind: String::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status() {
        let raw = b"M\0runbooks/a.md\0R100\0old.md\0new.md\0A\0policy/x.yaml\0";
        let c = parse_name_status(raw);
        assert_eq!(c.len(), 3);
        assert_eq!(c[1].status, "renamed");
        assert_eq!(c[1].from.as_deref(), Some("old.md"));
        assert_eq!(c[1].path, "new.md");
        assert_eq!(c[2].status, "added");
    }
}
