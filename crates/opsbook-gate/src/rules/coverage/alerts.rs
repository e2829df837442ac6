//! Alert rules named in `[gate] alerts`: where each runbook link leads, and the severity mapping (OB404–OB408).

use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::context::at;
use crate::rules::{Level, Rule};
use opsbook_core::alerts;
use opsbook_core::alerts::LinkStatus;
use opsbook_core::alerts::Resolver;
use opsbook_core::alerts::SeverityMap;
use opsbook_core::model;
use opsbook_core::ssot::FileKind;
use opsbook_core::ssot::SourceFile;
use std::collections::HashMap;

/// `OB404` `p0-alert-without-runbook`: a P0 alert's runbook link does not lead to an active runbook.
pub const P0_ALERT_WITHOUT_RUNBOOK: &Rule = &Rule {
    code: "OB404",
    name: "p0-alert-without-runbook",
    level: Level::Error,
    requirement: "D-GATE-COVERAGE",
    summary: "a P0 alert's runbook link does not lead to an active runbook",
    doc: "## What it does
For the Prometheus rule files listed in `[gate] alerts`, checks where each alert's `runbook_url` (or `runbook`, in annotations or labels) leads, and maps the alert's `severity` label to P0/P1/P2 with `alert_severity_map` in `policy/severity.yaml` (a label missing from the map escalates to P0, see OB408). The link is one fact, the coverage matrix another (`opsbook coverage` shows both); a P0 alert fails when its link is:
- `missing`: no `runbook_url` / `runbook` at all, even if the coverage matrix maps the alert;
- `dead`: under `runbook_url_base` (or relative) but no registered runbook there — including a URL that drops the `runbooks/` part of the path;
- `foreign`: an absolute URL outside `runbook_url_base`;
- `anchor-missing`: the page exists but its `#fragment` is neither a heading slug (GitHub, Hugo or MkDocs rules, `{#id}` attributes) nor an explicit anchor (`<a id=…>`, `<a name=…>`).

A link resolves when the path after the base is `runbooks/<registry path>` or the `original_path` that `opsbook adopt` recorded; `.md`, `.html` (for a `page.html.md` or `.html.md.erb` source) and index pages do not matter.

## Why is this bad?
The page that wakes the operator must lead to the procedure: at 3 a.m. they click the link, they do not read the coverage matrix. A link to a page that does not exist, to someone else's wiki, or to an anchor the page lacks (one page \"covering\" every alert that links any anchor on it) looks covered and is not.

## Example
`runbook_url: https://runbooks.example.com/platform/time-drift` (the `runbooks/` part dropped), or `…/runbooks/platform/time-drift#resync` when the page has no such heading.

Use instead: `runbook_url: https://runbooks.example.com/runbooks/platform/time-drift#mitigation--緩和` — a registered path and an anchor the page has.",
};

/// `OB405` `alert-without-runbook`: a P1/P2 alert's runbook link does not lead to an active runbook.
pub const ALERT_WITHOUT_RUNBOOK: &Rule = &Rule {
    code: "OB405",
    name: "alert-without-runbook",
    level: Level::Warn,
    requirement: "D-GATE-COVERAGE",
    summary: "a P1/P2 alert's runbook link does not lead to an active runbook",
    doc: "## What it does
As OB404 (missing, dead, foreign or anchor-missing links), for alerts that map to P1 or P2.

## Why is this bad?
An alert without a working runbook link teaches operators to ignore alerts.

## Example
A warning alert with no `runbook_url`, or one linking a wiki page outside `runbook_url_base`.

Use instead: link the registered runbook under `runbook_url_base`.",
};

/// `OB406` `templated-runbook-link`: an alert's runbook link is templated and cannot be checked.
pub const TEMPLATED_RUNBOOK_LINK: &Rule = &Rule {
    code: "OB406",
    name: "templated-runbook-link",
    level: Level::Warn,
    requirement: "D-GATE-COVERAGE",
    summary: "an alert's runbook link is templated and cannot be checked",
    doc: "## What it does
Reports alerts whose runbook link contains a template such as `{{ $labels.alertname }}`. They are reported as templated, never as covered.

## Why is this bad?
The gate cannot know which runbook a template resolves to at alert time.

## Example
`runbook_url: https://runbooks.example.com/{{ $labels.alertname }}`

Use instead: a literal link per alert, or list the alert in the coverage matrix.",
};

/// `OB407` `runbook-link-case-mismatch`: an alert's runbook link finds its runbook only when letter case is ignored.
pub const RUNBOOK_LINK_CASE_MISMATCH: &Rule = &Rule {
    code: "OB407",
    name: "runbook-link-case-mismatch",
    level: Level::Warn,
    requirement: "D-GATE-COVERAGE",
    summary: "an alert's runbook link finds its runbook only when letter case is ignored",
    doc: "## What it does
Reports alert links that name a registered runbook only when letter case is ignored: `runbooks/Platform/Time-Drift.md` for `runbooks/platform/time-drift.md`. A link with a Markdown extension names a file and must match exactly; a rendered page's URL may be all lower case (Hugo publishes URLs in lower case), any other difference is reported.

## Why is this bad?
GitHub, S3 and most web servers are case-sensitive: the link that opsbook can match answers 404 to the operator. It is counted as covered (the runbook is known) but not silently.

## Example
`runbook_url: https://github.com/acme/ops/blob/main/runbooks/Platform/Time-Drift.md`

Use instead: the page's exact spelling, `…/runbooks/platform/time-drift.md`.",
};

/// `OB408` `alert-severity-unmapped`: an alert's severity label is missing or not in alert_severity_map.
pub const ALERT_SEVERITY_UNMAPPED: &Rule = &Rule {
    code: "OB408",
    name: "alert-severity-unmapped",
    level: Level::Warn,
    requirement: "D-GATE-COVERAGE",
    summary: "an alert's severity label is missing or not in alert_severity_map",
    doc: "## What it does
Reports alerts whose `labels.severity` is absent or a value that `alert_severity_map` in `policy/severity.yaml` does not list (e.g. `high`, `P1`, `sev2`). Such an alert is treated as P0 — unknowns escalate, as the severity policy's `missing_facts` rule says — so a missing runbook link fails the gate (OB404).

## Why is this bad?
A silent P2 for an alert nobody classified would let a paging alert go without a runbook. Treating it as P0 is safe but may not be what you meant.

## Example
`labels: {severity: high}` with a map of critical/warning/info.

Use instead: `severity: critical` (or the value your map lists), or add `high: P1` to `alert_severity_map`.",
};

/// Alert names (lower-case) covered by the coverage matrix or a runbook's
/// `triggers.alerts`, with an active runbook.
#[must_use]
pub fn alerts_covered_elsewhere(cx: &Ctx<'_>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    if let Some(d) = cx
        .ssot
        .file_of(&FileKind::CoverageMatrix)
        .and_then(SourceFile::doc)
    {
        for e in model::coverage_entries(&d.doc.value) {
            if let Some(rb) = e.runbooks.iter().find(|id| cx.is_active(id)) {
                for a in &e.alerts {
                    m.entry(a.to_lowercase()).or_insert_with(|| rb.clone());
                }
            }
        }
    }
    for rb in &cx.ssot.runbooks {
        if let Some(id) = &rb.meta.id
            && cx.is_active(id)
        {
            for a in &rb.meta.alerts {
                m.entry(a.to_lowercase()).or_insert_with(|| id.clone());
            }
        }
    }
    m
}

/// One alert's coverage, as `opsbook coverage` reports it: two facts — the
/// link the operator clicks, and the coverage matrix — and what they add up
/// to (D-GATE-COVERAGE).
#[derive(Debug, Clone, serde::Serialize)]
pub struct AlertCoverage {
    /// Alert name.
    pub alert: String,
    /// File (relative to the SSOT root when inside it).
    pub file: String,
    /// 1-based line of the `alert:` key.
    pub line: usize,
    /// `severity` label.
    pub severity: Option<String>,
    /// P0 | P1 | P2 by `alert_severity_map`; an unmapped or absent label
    /// escalates to P0.
    pub priority: String,
    /// Whether the `severity` label is in `alert_severity_map`.
    pub severity_mapped: bool,
    /// The runbook link as written.
    pub runbook_url: Option<String>,
    /// What the link leads to: ok | missing | dead | foreign |
    /// anchor-missing | case-mismatch | templated.
    pub link: LinkStatus,
    /// The runbook the link reaches, if any.
    pub link_runbook: Option<String>,
    /// The active runbook the coverage matrix (or a runbook's
    /// `triggers.alerts`) routes the alert to, if any.
    pub matrix: Option<String>,
    /// The runbook of the report: the link's, else the matrix's.
    pub runbook_id: Option<String>,
    /// covered (the link leads to an active runbook) | missing | templated |
    /// deprecated.
    pub status: String,
    /// Why, when the link is not `ok`.
    pub reason: Option<String>,
}

/// Checks every alert rule's link and coverage-matrix entry against the SSOT.
#[must_use]
pub fn alert_coverage(cx: &Ctx<'_>, rules: &[alerts::AlertRule]) -> Vec<AlertCoverage> {
    if rules.is_empty() {
        return Vec::new();
    }
    let base = cx
        .runbook_base
        .map(str::to_string)
        .or_else(|| cx.ssot.config.runbook_url_base.clone());
    let resolver = Resolver::new(cx.ssot, base.as_deref());
    let sevmap = SeverityMap::from_policy(cx.ssot.policy("severity").and_then(SourceFile::value));
    let elsewhere = alerts_covered_elsewhere(cx);
    rules
        .iter()
        .map(|r| {
            let priority = sevmap.priority(r.severity.as_deref());
            let mut check = resolver.check(r.runbook_url.as_deref());
            if let Some(id) = check.runbook.clone()
                && !cx.known(&id)
            {
                check = alerts::LinkCheck {
                    status: LinkStatus::Dead,
                    runbook: None,
                    detail: Some(format!("`{id}` is not registered")),
                };
            }
            let matrix = elsewhere.get(&r.alert.to_lowercase()).cloned();
            let deprecated = check.runbook.as_deref().is_some_and(|id| !cx.is_active(id));
            let status = match check.status {
                _ if deprecated => "deprecated",
                s if s.reaches_page() => "covered",
                LinkStatus::Templated => "templated",
                _ => "missing",
            };
            let reason = if deprecated {
                Some(format!(
                    "links to deprecated runbook `{}`",
                    check.runbook.clone().unwrap_or_default()
                ))
            } else {
                check.detail.clone().map(|d| match (&matrix, status) {
                    (Some(m), "missing") => format!(
                        "{d} (the coverage matrix routes it to `{m}`, but the operator clicks the link)"
                    ),
                    _ => d,
                })
            };
            AlertCoverage {
                alert: r.alert.clone(),
                file: r.file.clone(),
                line: r.line,
                severity: r.severity.clone(),
                priority: priority.level,
                severity_mapped: priority.mapped,
                runbook_url: r.runbook_url.clone(),
                link: check.status,
                link_runbook: check.runbook.clone(),
                runbook_id: check.runbook.or_else(|| matrix.clone()),
                matrix,
                status: status.to_string(),
                reason,
            }
        })
        .collect()
}

/// OB404–OB408 (+OB603): alert rule files named in `[gate] alerts`.
pub fn alert_rules(cx: &mut Ctx<'_>) {
    let mut rules = Vec::new();
    for f in cx.ssot.files.iter().filter(|f| f.kind == FileKind::Alerts) {
        rules.extend(alerts::extract(&f.rel, &f.docs));
    }
    let cov = alert_coverage(cx, &rules);
    let first = cx.out.len();
    let labels = SeverityMap::from_policy(cx.ssot.policy("severity").and_then(SourceFile::value));
    for a in cov {
        let pos = at(a.line);
        let url = a.runbook_url.clone().unwrap_or_default();
        if !a.severity_mapped {
            cx.push(
                rules::coverage::ALERT_SEVERITY_UNMAPPED,
                &a.file,
                pos,
                match &a.severity {
                    Some(s) => format!(
                        "alert `{}` has severity `{s}`, which alert_severity_map does not list: treated as P0",
                        a.alert
                    ),
                    None => format!(
                        "alert `{}` has no severity label: treated as P0",
                        a.alert
                    ),
                },
                format!(
                    "use one of {} in `labels.severity`, or map the value in policy/severity.yaml `alert_severity_map`",
                    labels.labels().join(", ")
                ),
            );
        }
        match a.status.as_str() {
            "missing" => {
                let code = if a.priority == "P0" {
                    rules::coverage::P0_ALERT_WITHOUT_RUNBOOK
                } else {
                    rules::coverage::ALERT_WITHOUT_RUNBOOK
                };
                let help = match a.link {
                    LinkStatus::Missing => {
                        "add `runbook_url` with the runbook's URL under `runbook_url_base` (`…/runbooks/<path without .md>`)"
                    }
                    LinkStatus::Foreign => {
                        "link the runbook in this SSOT (under `runbook_url_base`), or set `runbook_url_base` to where the runbooks are published"
                    }
                    LinkStatus::AnchorMissing => {
                        "link a heading of the page (its slug, e.g. `#mitigation`) or add the anchor (`{#id}` or `<a id=\"…\">`) where the procedure is"
                    }
                    _ => {
                        "fix the link to name a registered runbook (`runbooks/<path without .md>` under `runbook_url_base`), or write the runbook"
                    }
                };
                cx.push(
                    code,
                    &a.file,
                    pos,
                    format!(
                        "{} alert `{}` does not lead to its runbook: link {}: {}",
                        a.priority,
                        a.alert,
                        a.link.as_str(),
                        a.reason.unwrap_or_default()
                    ),
                    help.into(),
                );
            }
            "templated" => cx.push(
                rules::coverage::TEMPLATED_RUNBOOK_LINK,
                &a.file,
                pos,
                format!("alert `{}` has a templated runbook link `{url}`", a.alert),
                "use a literal link, or map the alert in coverage_matrix.yaml".into(),
            ),
            "deprecated" => cx.push(
                rules::deprecated::ROUTES_TO_DEPRECATED,
                &a.file,
                pos,
                format!("alert `{}` links to a deprecated runbook", a.alert),
                "link the replacement".into(),
            ),
            _ => {
                if a.link == LinkStatus::CaseMismatch {
                    cx.push(
                        rules::coverage::RUNBOOK_LINK_CASE_MISMATCH,
                        &a.file,
                        pos,
                        format!("alert `{}`: {}", a.alert, a.reason.unwrap_or_default()),
                        "write the link with the page's exact letter case".into(),
                    );
                }
            }
        }
    }
    // Every finding here is at an alert's `alert:` line: the span is that
    // entry (`alert: GatewayDown`).
    for f in &mut cx.out[first..] {
        f.extent = crate::span::Extent::Entry;
    }
}
