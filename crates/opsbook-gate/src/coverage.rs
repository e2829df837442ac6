//! The report of `opsbook coverage` (D-GATE-COVERAGE): every alert rule with
//! its two facts — where its runbook link leads, and whether the coverage
//! matrix maps it — the rule files that could not be read, and the totals.
//! The CLI renders it; [`checks::alert_coverage`] decides each alert.

use std::collections::{BTreeMap, BTreeSet};

use opsbook_core::alerts::{AlertRule, LinkStatus, Unreadable};

use crate::checks::{self, AlertCoverage, Ctx};

/// Totals of a coverage report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Rule files read (readable or not).
    pub files: usize,
    /// Rule files that could not be read (each is in [`Report::unreadable`]).
    pub unreadable: usize,
    /// Alerting rules.
    pub alerts: usize,
    /// Distinct alert names (case-insensitive).
    pub distinct_alerts: usize,
    /// Alerts whose link leads to an active runbook.
    pub covered: usize,
    /// Alerts whose link does not (missing, dead, foreign, anchor-missing).
    pub missing: usize,
    /// Alerts with a templated link.
    pub templated: usize,
    /// Alerts linking a deprecated runbook.
    pub deprecated: usize,
    /// P0 alerts not covered (the run fails when > 0).
    pub p0_missing: usize,
    /// Alerts by link status (`ok`, `dead`, `anchor-missing`, …).
    pub links: BTreeMap<String, usize>,
    /// Alerts the coverage matrix (or a runbook's `triggers.alerts`) maps to an active runbook.
    pub in_matrix: usize,
    /// Alerts it does not.
    pub not_in_matrix: usize,
    /// Alerts whose severity label is missing from `alert_severity_map` (treated as P0).
    pub severity_unmapped: usize,
    /// Priority → status → count.
    pub by_priority: BTreeMap<String, BTreeMap<String, usize>>,
}

/// A coverage report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// Totals.
    pub summary: Summary,
    /// Rule files that could not be read, with their place.
    pub unreadable: Vec<Unreadable>,
    /// Every alert rule, in file order.
    pub alerts: Vec<AlertCoverage>,
}

impl Report {
    /// Whether the run fails: a P0 alert that does not lead to an active
    /// runbook, or a rule file that could not be read (its alerts are unknown).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.summary.p0_missing > 0 || self.summary.unreadable > 0
    }
}

/// Checks `rules` (read from `files` rule files, of which `unreadable`
/// could not be read) against the SSOT.
#[must_use]
pub fn report(
    cx: &Ctx<'_>,
    files: usize,
    rules: &[AlertRule],
    unreadable: Vec<Unreadable>,
) -> Report {
    let cov = checks::alert_coverage(cx, rules);
    let count = |s: &str| cov.iter().filter(|c| c.status == s).count();
    let mut by_priority: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut links: BTreeMap<String, usize> = BTreeMap::new();
    for c in &cov {
        *by_priority
            .entry(c.priority.clone())
            .or_default()
            .entry(c.status.clone())
            .or_default() += 1;
        *links.entry(c.link.as_str().to_string()).or_default() += 1;
    }
    let in_matrix = cov.iter().filter(|c| c.matrix.is_some()).count();
    let summary = Summary {
        files,
        unreadable: unreadable.len(),
        alerts: cov.len(),
        distinct_alerts: cov
            .iter()
            .map(|c| c.alert.to_lowercase())
            .collect::<BTreeSet<_>>()
            .len(),
        covered: count("covered"),
        missing: count("missing"),
        templated: count("templated"),
        deprecated: count("deprecated"),
        p0_missing: cov
            .iter()
            .filter(|c| c.priority == "P0" && c.status != "covered")
            .count(),
        links,
        in_matrix,
        not_in_matrix: cov.len() - in_matrix,
        severity_unmapped: cov.iter().filter(|c| !c.severity_mapped).count(),
        by_priority,
    };
    Report {
        summary,
        unreadable,
        alerts: cov,
    }
}

/// Whether an alert belongs in the list of things to look at: not covered,
/// covered with a case-only match, or with an unmapped severity.
#[must_use]
pub fn needs_attention(c: &AlertCoverage) -> bool {
    c.status != "covered" || c.link == LinkStatus::CaseMismatch || !c.severity_mapped
}
