//! Front-matter claims checked against the runbook: safety label, maturity dates, Japanese title (OB111, OB113, OB114).

use crate::rules::{Level, Rule};

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
