//! Front-matter claims checked against the runbook: safety label, maturity dates, Japanese title (OB111, OB113, OB114).

use crate::span::Extent;
use opsbook_core::model::{RunbookMeta, Tier};
use opsbook_core::ssot::SourceFile;

use super::fm_pos;
use crate::Finding;
use crate::rules::{self, Level, Rule};

/// `OB111` `safety-label-mismatch`: safety_label does not match the highest tier.
pub const SAFETY_LABEL_MISMATCH: &Rule = &Rule {
    code: "OB111",
    name: "safety-label-mismatch",
    level: Level::Error,
    requirement: "D-RB-TEMPLATE",
    summary: "safety_label does not match the highest tier",
    doc: "## What it does
Checks `safety_label` against the highest tier among steps and dangerous operations: only T0 ⇒ `read_only`, max T1 ⇒ `reversible`, any T2 ⇒ `irreversible`.

## Why is this bad?
The label is what an operator (and `opsbook run`) reads first to decide whether a runbook is safe to start half-awake.

## Example
`safety_label: read_only` on a runbook with a T1 restart.

Use instead: `safety_label: reversible`.",
};

/// `OB113` `maturity-without-date`: maturity claims verification or a drill without the date.
pub const MATURITY_WITHOUT_DATE: &Rule = &Rule {
    code: "OB113",
    name: "maturity-without-date",
    level: Level::Error,
    requirement: "D-RB-STALE",
    summary: "maturity claims verification or a drill without the date",
    doc: "## What it does
Checks that `maturity: verified` or `drilled` has `last_verified`, and `drilled` has `last_drilled`.

## Why is this bad?
A maturity claim without a date can never expire, so it can never be trusted.

## Example
`maturity: drilled` with `last_drilled: null`.

Use instead: record the drill date, or lower the maturity.",
};

/// `OB114` `title-missing-ja`: a runbook title has no Japanese.
pub const TITLE_MISSING_JA: &Rule = &Rule {
    code: "OB114",
    name: "title-missing-ja",
    level: Level::Warn,
    requirement: "D-I18N",
    summary: "a runbook title has no Japanese",
    doc: "## What it does
Reports runbooks whose `title` has no `ja` entry.

## Why is this bad?
The runbook index and the console list titles in both languages.

## Example
`title: {en: Clock drift}`

Use instead: `title: {en: Clock drift, ja: 時計ズレ}`.",
};

/// OB114: a title with English has Japanese too.
pub(crate) fn title(f: &SourceFile, meta: &RunbookMeta, found: &mut Vec<Finding>) {
    if meta.title_en.is_some() && meta.title_ja.is_none() {
        let p = fm_pos(f, "/title");
        found.push(
            Finding::new(
                rules::lint::TITLE_MISSING_JA,
                &f.rel,
                p.line,
                p.col,
                "title has no Japanese (`title.ja`)".into(),
                "add `ja:` under `title:`".into(),
            )
            .token(),
        );
    }
}

/// OB111, OB113: the safety label matches the highest tier (`max_tier`,
/// trusted only when every step's tier is known), and a maturity claim
/// carries its dates.
pub(crate) fn claims(
    f: &SourceFile,
    meta: &RunbookMeta,
    max_tier: Tier,
    tiers_known: bool,
    found: &mut Vec<Finding>,
) {
    if tiers_known && let Some(label) = &meta.safety_label {
        let expected = max_tier.safety_label();
        if label != expected
            && ["read_only", "reversible", "irreversible"].contains(&label.as_str())
        {
            let p = fm_pos(f, "/safety_label");
            found.push(
                Finding::new(
                    rules::lint::SAFETY_LABEL_MISMATCH,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("safety_label is `{label}` but the highest tier is {max_tier:?}"),
                    format!("set `safety_label: {expected}`"),
                )
                .covering(Extent::Entry),
            );
        }
    }
    let maturity = meta.maturity.as_deref().unwrap_or("");
    if matches!(maturity, "verified" | "drilled") && meta.last_verified.is_none() {
        let p = fm_pos(f, "/maturity");
        found.push(
            Finding::new(
                rules::lint::MATURITY_WITHOUT_DATE,
                &f.rel,
                p.line,
                p.col,
                format!("maturity `{maturity}` without `last_verified`"),
                "record the verification date or lower the maturity".into(),
            )
            .covering(Extent::Entry),
        );
    }
    if maturity == "drilled" && meta.last_drilled.is_none() {
        let p = fm_pos(f, "/maturity");
        found.push(
            Finding::new(
                rules::lint::MATURITY_WITHOUT_DATE,
                &f.rel,
                p.line,
                p.col,
                "maturity `drilled` without `last_drilled`".into(),
                "record the drill date or lower the maturity".into(),
            )
            .covering(Extent::Entry),
        );
    }
}
