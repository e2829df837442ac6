//! Nothing routes to a deprecated runbook (OB603). The rule is emitted by the checks that follow a route: the coverage matrix, drills, alert links and `related` lists.

use crate::rules::{Level, Rule};

/// `OB603` `routes-to-deprecated`: something routes to a deprecated runbook.
pub const ROUTES_TO_DEPRECATED: &Rule = &Rule {
    code: "OB603",
    name: "routes-to-deprecated",
    level: Level::Error,
    requirement: "D-GATE-DEPRECATED",
    summary: "something routes to a deprecated runbook",
    doc: "## What it does
Reports coverage entries, drills, alert links and `related` lists that name a deprecated runbook.

## Why is this bad?
Routing an incident to a stub costs minutes when minutes matter.

## Example
A coverage entry listing `RB-PLAT-CLOCK-SYNC-LEGACY`.

Use instead: the replacement's ID.",
};
