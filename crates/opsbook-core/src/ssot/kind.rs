//! What a file of the SSOT is, decided by its path and the `[gate]`
//! globs of `opsbook.toml` ([`FileKind`], and the contract it is checked
//! against).

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::ssot::layout::CONFIG_FILE;

/// What a file in the SSOT is, decided by its path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// `opsbook.toml`.
    Config,
    /// `runbooks/**/*.md`.
    Runbook,
    /// `runbooks/templates/**`.
    Template,
    /// `runbooks/runbooks.yaml`.
    Registry,
    /// `runbooks/coverage_matrix.yaml`.
    CoverageMatrix,
    /// `runbooks/drills.yaml`.
    Drills,
    /// `policy/<name>.yaml`.
    Policy(String),
    /// `plans/<name>.yaml`.
    Plan(String),
    /// `incidents/<ID>/postmortem.md`.
    Postmortem,
    /// `incidents/<ID>/events.jsonl`.
    IncidentEvents,
    /// `contracts/*.schema.json`.
    Contract,
    /// `spec/**/*.md`.
    Spec,
    /// A Prometheus rule file named by `[gate] alerts`.
    Alerts,
    /// `ledger/*.jsonl`.
    Ledger,
    /// Excluded by `[gate] exclude`.
    Excluded,
    /// Anything else (README, images, …): not checked.
    Other,
}

impl FileKind {
    /// The contract (schema name) a file of this kind is validated against.
    #[must_use]
    pub fn contract(&self) -> Option<String> {
        Some(match self {
            FileKind::Config => "opsbook-toml".into(),
            FileKind::Runbook => "runbook".into(),
            FileKind::Registry => "runbooks".into(),
            FileKind::CoverageMatrix => "coverage-matrix".into(),
            FileKind::Drills => "drills".into(),
            FileKind::Policy(n) => format!("policy-{n}"),
            FileKind::Plan(n) => format!("plan-{n}"),
            FileKind::Postmortem => "postmortem".into(),
            FileKind::IncidentEvents => "incident-event".into(),
            _ => return None,
        })
    }
}

/// A list of globs where an entry starting with `!` excludes what the
/// others include (gitignore style): `["alerts/**/*.yaml", "!**/*_test.yaml"]`.
#[derive(Debug, Clone)]
pub(crate) struct Globs {
    include: GlobSet,
    exclude: GlobSet,
}

impl Globs {
    pub(crate) fn is_match(&self, rel: &str) -> bool {
        self.include.is_match(rel) && !self.exclude.is_match(rel)
    }
}

/// Builds [`Globs`]; invalid globs are left out and returned as messages.
pub(crate) fn build_globs(globs: &[String]) -> (Globs, Vec<String>) {
    let mut inc = GlobSetBuilder::new();
    let mut exc = GlobSetBuilder::new();
    let mut errors = Vec::new();
    for g in globs {
        let (b, pat) = match g.strip_prefix('!') {
            Some(p) => (&mut exc, p),
            None => (&mut inc, g.as_str()),
        };
        match Glob::new(pat) {
            Ok(glob) => {
                b.add(glob);
            }
            Err(e) => errors.push(format!("invalid glob `{g}`: {}", e.kind())),
        }
    }
    let globs = Globs {
        include: inc.build().unwrap_or_else(|_| GlobSet::empty()),
        exclude: exc.build().unwrap_or_else(|_| GlobSet::empty()),
    };
    (globs, errors)
}

pub(crate) fn classify(rel: &str, exclude: &Globs, alerts: &Globs) -> FileKind {
    let lower = rel.to_ascii_lowercase();
    let is_yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
    let stem = |s: &str| -> String {
        let name = s.rsplit('/').next().unwrap_or(s);
        name.trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_string()
    };
    if rel == CONFIG_FILE {
        return FileKind::Config;
    }
    if alerts.is_match(rel) && !exclude.is_match(rel) {
        return FileKind::Alerts;
    }
    if let Some(r) = rel.strip_prefix("runbooks/") {
        return match r {
            "runbooks.yaml" => FileKind::Registry,
            "coverage_matrix.yaml" => FileKind::CoverageMatrix,
            "drills.yaml" => FileKind::Drills,
            _ if r.starts_with("templates/") => FileKind::Template,
            _ if exclude.is_match(rel) => FileKind::Excluded,
            _ if lower.ends_with(".md")
                || lower.ends_with(".markdown")
                || lower.ends_with(".mdx") =>
            {
                FileKind::Runbook
            }
            _ => FileKind::Other,
        };
    }
    if exclude.is_match(rel) {
        return FileKind::Excluded;
    }
    if let Some(r) = rel.strip_prefix("policy/")
        && is_yaml
        && !r.contains('/')
    {
        return FileKind::Policy(stem(r));
    }
    if let Some(r) = rel.strip_prefix("plans/")
        && is_yaml
        && !r.contains('/')
    {
        return FileKind::Plan(stem(r));
    }
    if let Some(r) = rel.strip_prefix("incidents/") {
        let parts: Vec<&str> = r.split('/').collect();
        if parts.len() == 2 {
            match parts[1] {
                "postmortem.md" => return FileKind::Postmortem,
                "events.jsonl" => return FileKind::IncidentEvents,
                _ => {}
            }
        }
    }
    if let Some(r) = rel.strip_prefix("contracts/")
        && r.ends_with(".schema.json")
        && !r.contains('/')
    {
        return FileKind::Contract;
    }
    if rel.starts_with("spec/") && lower.ends_with(".md") {
        return FileKind::Spec;
    }
    if rel.starts_with("ledger/") && lower.ends_with(".jsonl") {
        return FileKind::Ledger;
    }
    FileKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let (ex, _) = build_globs(&["runbooks/legacy/**".to_string()]);
        let (al, _) = build_globs(&[
            "alerts/**/*.yaml".to_string(),
            "!alerts/**/*_test.yaml".to_string(),
            "!alerts/**/*_tests.yaml".to_string(),
        ]);
        assert_eq!(
            classify("runbooks/platform/a.md", &ex, &al),
            FileKind::Runbook
        );
        assert_eq!(
            classify("runbooks/legacy/a.md", &ex, &al),
            FileKind::Excluded
        );
        assert_eq!(
            classify("runbooks/templates/runbook.md", &ex, &al),
            FileKind::Template
        );
        assert_eq!(
            classify("runbooks/runbooks.yaml", &ex, &al),
            FileKind::Registry
        );
        assert_eq!(
            classify("policy/safety-matrix.yaml", &ex, &al),
            FileKind::Policy("safety-matrix".into())
        );
        assert_eq!(
            classify("plans/verification.yml", &ex, &al),
            FileKind::Plan("verification".into())
        );
        assert_eq!(
            classify("incidents/INC-1/events.jsonl", &ex, &al),
            FileKind::IncidentEvents
        );
        assert_eq!(classify("alerts/x.yaml", &ex, &al), FileKind::Alerts);
        assert_eq!(classify("alerts/k8s/x.yaml", &ex, &al), FileKind::Alerts);
        assert_eq!(
            classify("alerts/k8s/x_tests.yaml", &ex, &al),
            FileKind::Other,
            "promtool's test files are excluded by `!`"
        );
        let (_, bad) = build_globs(&["alerts/[.yaml".to_string()]);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(classify("README.md", &ex, &al), FileKind::Other);
        assert_eq!(
            FileKind::Policy("time".into()).contract().as_deref(),
            Some("policy-time")
        );
    }
}
