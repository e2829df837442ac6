//! Verification and drill dates against their windows (OB501–OB507, D-GATE-EXPIRY, D-RB-STALE).

use crate::Finding;
use crate::rules;
use crate::rules::context::at;
use crate::rules::file_checks::FileChecks;
use crate::rules::{Level, Rule};
use crate::span::Extent;
use opsbook_core::model;
use opsbook_core::model::RunbookMeta;
use opsbook_core::ssot::ParsedDoc;
use opsbook_core::ssot::SourceFile;
use opsbook_core::yaml::Pos;
use serde_json::Value;

/// `OB501` `verification-expiring`: last_verified is older than the warn interval.
pub const VERIFICATION_EXPIRING: &Rule = &Rule {
    code: "OB501",
    name: "verification-expiring",
    level: Level::Warn,
    requirement: "D-GATE-EXPIRY",
    summary: "last_verified is older than the warn interval",
    doc: "## What it does
Compares `last_verified` with `--as-of` (default today, UTC) and the intervals in `plans/verification.yaml` (default: warn after 90 days). An adopted runbook's own review interval (`adopted.review_in`, e.g. `6 months`) replaces the warn interval: past its due date it warns.

## Why is this bad?
Platforms drift; a runbook nobody has walked for months refers to hosts, flags and APIs that may no longer exist.

## Example
`last_verified: 2026-01-05` checked on 2026-06-01.

Use instead: walk the runbook on the current platform and update `last_verified`.",
};

/// `OB502` `verification-expired`: last_verified is older than the fail interval.
pub const VERIFICATION_EXPIRED: &Rule = &Rule {
    code: "OB502",
    name: "verification-expired",
    level: Level::Error,
    requirement: "D-GATE-EXPIRY",
    summary: "last_verified is older than the fail interval",
    doc: "## What it does
As OB501, past the fail interval (default 180 days; for adopted runbooks, the review due date plus the difference between the plan's fail and warn intervals).

## Why is this bad?
Seed §4.1.4: expiry goes WARN → FAIL. An expired runbook must not be trusted during an incident.

## Example
`last_verified: 2025-01-05` checked on 2026-06-01.

Use instead: verify it, or deprecate it.",
};

/// `OB503` `drill-expiring`: last_drilled is older than the warn interval.
pub const DRILL_EXPIRING: &Rule = &Rule {
    code: "OB503",
    name: "drill-expiring",
    level: Level::Warn,
    requirement: "D-GATE-EXPIRY",
    summary: "last_drilled is older than the warn interval",
    doc: "## What it does
Compares `last_drilled` with `--as-of` and `plans/verification.yaml` (default: warn after 120 days).

## Why is this bad?
A procedure that has not been practised is slow and error-prone when it is needed.

## Example
`last_drilled: 2026-01-05` checked on 2026-06-01.

Use instead: run the drill (`runbooks/drills.yaml`) and record it.",
};

/// `OB504` `drill-expired`: last_drilled is older than the fail interval.
pub const DRILL_EXPIRED: &Rule = &Rule {
    code: "OB504",
    name: "drill-expired",
    level: Level::Error,
    requirement: "D-GATE-EXPIRY",
    summary: "last_drilled is older than the fail interval",
    doc: "## What it does
As OB503, past the fail interval (default 180 days).

## Why is this bad?
See OB503.

## Example
`last_drilled: 2025-03-01` checked on 2026-06-01.

Use instead: drill it now.",
};

/// `OB505` `never-verified`: an active runbook has never been verified.
pub const NEVER_VERIFIED: &Rule = &Rule {
    code: "OB505",
    name: "never-verified",
    level: Level::Warn,
    requirement: "D-RB-STALE",
    summary: "an active runbook has never been verified",
    doc: "## What it does
Reports active runbooks with `last_verified: null`: drafts, adopted runbooks, and the starter runbooks of `opsbook init`, which nobody has walked on your platform yet. The warning does not depend on the date.

## Why is this bad?
An unverified procedure is a hypothesis.

## Example
`maturity: draft`, `last_verified: null`.

Use instead: walk it on the current platform and record the date.",
};

/// `OB506` `implausible-date`: a verification or drill date does not parse or is after the as-of date.
pub const IMPLAUSIBLE_DATE: &Rule = &Rule {
    code: "OB506",
    name: "implausible-date",
    level: Level::Error,
    requirement: "D-RB-STALE",
    summary: "a verification or drill date does not parse or is after the as-of date",
    doc: "## What it does
Reports `last_verified` / `last_drilled` dates later than `--as-of`, and dates that do not parse.

## Why is this bad?
A future date silently postpones expiry.

## Example
`last_verified: 2062-11-01`.

Use instead: the date the runbook was really verified.",
};

/// `OB507` `never-drilled`: a runbook for a high-severity entry has never been drilled.
pub const NEVER_DRILLED: &Rule = &Rule {
    code: "OB507",
    name: "never-drilled",
    level: Level::Warn,
    requirement: "D-RB-STALE",
    summary: "a runbook for a high-severity entry has never been drilled",
    doc: "## What it does
Reports active runbooks that a coverage entry of a severity listed in `drilled_required_for` (`plans/verification.yaml`, e.g. `[P0]`) routes to, and whose `last_drilled` is null.

## Why is this bad?
The P0 runbook is the one read at 3 a.m. with money at risk; its first run must not be the real incident.

## Example
`drilled_required_for: [P0]` and the P0 runbook `RB-QUICK-HALT-EVIDENCE` with `last_drilled: null`.

Use instead: run its drill (`runbooks/drills.yaml`) and record `last_drilled`.",
};

fn parse_date(s: &str) -> Option<jiff::civil::Date> {
    s.parse().ok()
}

/// Which date an expiry check is about.
struct DateField {
    key: &'static str,
    noun: &'static str,
    codes: (&'static Rule, &'static Rule),
    help: &'static str,
}

const VERIFIED: DateField = DateField {
    key: "last_verified",
    noun: "verified",
    codes: (
        rules::expiry::VERIFICATION_EXPIRING,
        rules::expiry::VERIFICATION_EXPIRED,
    ),
    help: "walk the runbook on the current platform and update `last_verified`",
};

const DRILLED: DateField = DateField {
    key: "last_drilled",
    noun: "drilled",
    codes: (rules::expiry::DRILL_EXPIRING, rules::expiry::DRILL_EXPIRED),
    help: "run the drill (runbooks/drills.yaml) and record it with the date",
};

/// One date against its window: unparsable or future (OB506), past the
/// warn age, past the fail age. With `review_in` (adopted review metadata)
/// the due date is `date + review_in` and the fail grace is the plan's
/// fail − warn difference.
fn expiry_finding(
    as_of: jiff::civil::Date,
    file: &str,
    pos: Pos,
    field: &DateField,
    value: &str,
    window: model::ExpiryWindow,
    review_in: Option<&str>,
) -> Option<Finding> {
    let at = |code: &'static Rule, message: String, help: &str| {
        Some(
            Finding::new(code, file, pos.line, pos.col, message, help.to_string())
                // The date as written.
                .token(),
        )
    };
    let Some(date) = parse_date(value) else {
        return at(
            rules::expiry::IMPLAUSIBLE_DATE,
            format!("{} `{value}` is not a date (YYYY-MM-DD)", field.key),
            "write the date as YYYY-MM-DD",
        );
    };
    if date > as_of {
        return at(
            rules::expiry::IMPLAUSIBLE_DATE,
            format!("{} {date} is after the as-of date {}", field.key, as_of),
            "record the date it really happened",
        );
    }
    let (warn, fail) = field.codes;
    if let Some((due, every)) =
        review_in.and_then(|r| Some((opsbook_core::adopt::due_date(value, r)?, r)))
    {
        if as_of <= due {
            return None;
        }
        let late = i64::from((as_of - due).get_days());
        let code = if late > window.fail_after_days - window.warn_after_days {
            fail
        } else {
            warn
        };
        return at(
            code,
            format!(
                "review overdue: last {} {date}, due {due} (every {every}), {late} days late",
                field.noun
            ),
            field.help,
        );
    }
    let age = i64::from((as_of - date).get_days());
    let (code, limit) = if age > window.fail_after_days {
        (fail, window.fail_after_days)
    } else if age > window.warn_after_days {
        (warn, window.warn_after_days)
    } else {
        return None;
    };
    at(
        code,
        format!(
            "last {} {date}, {age} days ago (limit {limit} days)",
            field.noun
        ),
        field.help,
    )
}

impl FileChecks<'_> {
    /// OB501–OB507: verification and drill expiry (WARN → FAIL).
    #[must_use]
    pub fn expiry(&self, f: &SourceFile, meta: &RunbookMeta) -> Vec<Finding> {
        let mut found = Vec::new();
        if !meta.is_active() || !f.parsed {
            return found;
        }
        let plan = &self.plan;
        let (vw, dw) = plan.windows_for(meta.id.as_deref(), meta.category.as_deref());
        let fm = f.doc();
        let pos = |k: &str| fm.map_or(at(1), |d: &ParsedDoc| d.pos(k));
        // A key written (`last_verified: null`) is the span; an absent one
        // has none (its position is the front matter's).
        let written = |k: &str| fm.and_then(|d| d.doc.value.get(k)).is_some();
        let review_in = fm
            .and_then(|d| d.doc.value.get("adopted"))
            .and_then(|a| a.get("review_in"))
            .and_then(Value::as_str);
        match meta.last_verified.as_deref() {
            None => {
                let p = pos("/last_verified");
                found.push(
                    Finding::new(
                        rules::expiry::NEVER_VERIFIED,
                        &f.rel,
                        p.line,
                        p.col,
                        "runbook has never been verified (`last_verified` is null)".into(),
                        "walk it on the current platform and record `last_verified: YYYY-MM-DD`"
                            .into(),
                    )
                    .covering(if written("last_verified") {
                        Extent::Token
                    } else {
                        Extent::Known
                    }),
                );
            }
            Some(d) => found.extend(expiry_finding(
                self.as_of,
                &f.rel,
                pos("/last_verified"),
                &VERIFIED,
                d,
                vw,
                review_in,
            )),
        }
        match meta.last_drilled.as_deref() {
            Some(d) => found.extend(expiry_finding(
                self.as_of,
                &f.rel,
                pos("/last_drilled"),
                &DRILLED,
                d,
                dw,
                None,
            )),
            None if meta
                .id
                .as_ref()
                .is_some_and(|id| self.must_drill.contains(id)) =>
            {
                let p = pos("/last_drilled");
                found.push(Finding::new(
                    rules::expiry::NEVER_DRILLED,
                    &f.rel,
                    p.line,
                    p.col,
                    format!(
                        "runbook for {} entries has never been drilled",
                        plan.drilled_required_for.join("/")
                    ),
                    "run its drill (runbooks/drills.yaml) and record `last_drilled: YYYY-MM-DD`"
                        .into(),
                ).covering(if written("last_drilled") { Extent::Token } else { Extent::Known }));
            }
            None => {}
        }
        found
    }
}
