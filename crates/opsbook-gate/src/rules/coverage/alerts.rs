//! Alert rules named in `[gate] alerts`: where each runbook link leads, and the severity mapping (OB404–OB408).

use crate::rules::{Level, Rule};

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
