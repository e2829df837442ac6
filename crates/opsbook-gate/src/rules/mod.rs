//! The rule registry: every check the gate runs has a stable code, a kebab
//! name, a default level, the requirement it comes from, and a page shown by
//! `opsbook explain CODE` (What it does / Why is this bad? / Example, with
//! the fix after "Use instead:").
//!
//! Each rule is a `&'static Rule` constant defined beside its check, one
//! small family per file under a folder per family (`rules/lint/sections.rs`
//! holds OB101–OB104 and their check). A finding can only be built from a
//! `&'static Rule` ([`crate::Finding::new`]), so every code the gate emits is
//! registered by construction; [`all`] lists them, sorted by code.
//!
//! Codes are never reused. Families: `OB0xx` input, `OB1xx` runbook lint
//! (D-GATE-LINT), `OB2xx` contracts (D-GATE-SCHEMA), `OB3xx` registry
//! (D-GATE-REGISTRY), `OB4xx` coverage (D-GATE-COVERAGE), `OB5xx` expiry
//! (D-GATE-EXPIRY), `OB6xx` deprecation (D-GATE-DEPRECATED), `OB7xx` links and
//! safety model, `OB8xx` ledgers (D-INC-LEDGER), `OB9xx` changed-file summary
//! (D-GATE-SUMMARY).

use std::fmt;

/// How serious a finding is. `Error` fails the gate (exit 1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Shown, never counted.
    Info,
    /// Counted as a warning; does not fail the gate.
    #[serde(rename = "warning")]
    Warn,
    /// Fails the gate.
    Error,
}

impl Level {
    /// Parses `error`, `warn`/`warning`, `info`; `off` gives `None` inside `Some`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Option<Level>> {
        match s.to_ascii_lowercase().as_str() {
            "error" | "fail" | "deny" => Some(Some(Level::Error)),
            "warn" | "warning" => Some(Some(Level::Warn)),
            "info" | "note" => Some(Some(Level::Info)),
            "off" | "allow" | "none" => Some(None),
            _ => None,
        }
    }

    /// `error`, `warning` or `info`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    /// Stable code, e.g. `OB101`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `missing-section`.
    pub name: &'static str,
    /// Default level.
    pub level: Level,
    /// Requirement ID from `DESIGN.md` §5.
    pub requirement: &'static str,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// The doc page in Markdown: What it does / Why is this bad? / Example.
    pub doc: &'static str,
}

pub mod context;
pub mod coverage;
pub mod deprecated;
pub mod expiry;
pub mod file_checks;
pub mod input;
pub mod ledger;
pub mod links;
pub mod lint;
pub mod registry;
pub mod schema;
pub mod summary;

/// The families, in code order: (folder, rules sorted by code).
pub const FAMILIES: &[(&str, &[&Rule])] = &[
    ("input", input::RULES),
    ("lint", lint::RULES),
    ("schema", schema::RULES),
    ("registry", registry::RULES),
    ("coverage", coverage::RULES),
    ("expiry", expiry::RULES),
    ("deprecated", deprecated::RULES),
    ("links", links::RULES),
    ("ledger", ledger::RULES),
    ("summary", summary::RULES),
];

/// Every rule of the gate, sorted by code.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    FAMILIES.iter().flat_map(|(_, rules)| rules.iter().copied())
}

/// Looks a rule up by code (`OB101`) or name (`missing-section`), case-insensitively.
#[must_use]
pub fn lookup(key: &str) -> Option<&'static Rule> {
    all().find(|r| r.code.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// The closest code or name to a mistyped key, for "did you mean" hints.
#[must_use]
pub fn suggest(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    all()
        .flat_map(|r| [r.code, r.name])
        .map(|c| (edit_distance(&key, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters (shared with the CLI's suggestions).
pub(crate) use opsbook_core::text::edit_distance;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_and_names_are_unique_and_docs_complete() {
        let mut codes = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut last = "";
        for r in all() {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            assert!(r.code > last, "RULES not sorted at {}", r.code);
            last = r.code;
            for h in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(r.doc.contains(h), "{} lacks {h}", r.code);
            }
            assert!(r.doc.contains("Use instead:"), "{} lacks a fix", r.code);
            assert!(
                r.requirement.starts_with("D-"),
                "{} has no requirement ID",
                r.code
            );
            assert!(
                r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
            );
        }
    }

    #[test]
    fn lookup_and_suggest() {
        assert_eq!(lookup("ob101").unwrap().name, "missing-section");
        assert_eq!(lookup("broken-link").unwrap().code, "OB701");
        assert_eq!(suggest("OB1O1"), Some("OB101"));
        assert_eq!(suggest("brokn-link"), Some("broken-link"));
        assert_eq!(suggest("completely-unrelated-words"), None);
    }
}
