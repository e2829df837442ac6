//! Verification and drill dates against their windows (OB501–OB507, D-GATE-EXPIRY, D-RB-STALE).

use crate::rules::{Level, Rule};

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
