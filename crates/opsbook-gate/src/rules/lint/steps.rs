//! Script steps of a runbook: danger tier, operation, step number (OB107–OB110, OB112, D-AUTO-BOUNDARY).

use crate::span::Extent;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use opsbook_core::markdown::Body;
use opsbook_core::model::{self, RunbookMeta, Tier};
use opsbook_core::ssot::SourceFile;

use crate::Finding;
use crate::rules::{self, Level, Rule};

/// `OB107` `step-without-tier`: a script block has no valid danger tier.
pub const STEP_WITHOUT_TIER: &Rule = &Rule {
    code: "OB107",
    name: "step-without-tier",
    level: Level::Error,
    requirement: "D-AUTO-BOUNDARY",
    summary: "a script block has no valid danger tier",
    doc: "## What it does
Checks that every shell code block carries `tier=T0`, `T1` or `T2` in its info string (a missing tier, or another value such as `T3`). Shell blocks are PowerShell (`powershell`, `pwsh`, `ps1`, `ps`, `posh`, …), POSIX shells and their transcripts (`bash`, `sh`, `shell`, `zsh`, `console`, `shell-session`, …) and `cmd` (`cmd`, `bat`, `batch`, …); none escapes the check. Output belongs in `text` blocks.

## Why is this bad?
The automation boundary (read-only may run automatically, dangerous may not) can only be enforced for steps whose tier is declared.

## Example
````markdown
```powershell
Restart-Service TradingGateway
```
````
Use instead: ```` ```powershell {step=4 tier=T1 op=restart-gateway} ````.",
};

/// `OB108` `dangerous-step-without-op`: a T1/T2 step does not name its dangerous operation.
pub const DANGEROUS_STEP_WITHOUT_OP: &Rule = &Rule {
    code: "OB108",
    name: "dangerous-step-without-op",
    level: Level::Error,
    requirement: "D-SAFE-BACKOUT",
    summary: "a T1/T2 step does not name its dangerous operation",
    doc: "## What it does
Checks that each T1/T2 step has `op=<id>` naming a `dangerous_ops` entry (which carries the backout and the confirmation).

## Why is this bad?
A dangerous step that is not tied to a declared operation escapes the backout and confirmation checks.

## Example
```` ```powershell {step=4 tier=T1} ````

Use instead: ```` ```powershell {step=4 tier=T1 op=restart-gateway} ```` and declare `restart-gateway` in `dangerous_ops`.",
};

/// `OB109` `unknown-op`: a step names an operation that is not declared.
pub const UNKNOWN_OP: &Rule = &Rule {
    code: "OB109",
    name: "unknown-op",
    level: Level::Error,
    requirement: "D-SAFE-BACKOUT",
    summary: "a step names an operation that is not declared",
    doc: "## What it does
Reports `op=<id>` on a step when no `dangerous_ops` entry has that ID.

## Why is this bad?
The link from step to backout is broken, usually by a rename.

## Example
`op=restart-gw` with `dangerous_ops: [{id: restart-gateway, …}]`.

Use instead: use the declared ID.",
};

/// `OB110` `step-tier-exceeds-op`: a step's tier is higher than its operation's tier.
pub const STEP_TIER_EXCEEDS_OP: &Rule = &Rule {
    code: "OB110",
    name: "step-tier-exceeds-op",
    level: Level::Error,
    requirement: "D-SAFE-BACKOUT",
    summary: "a step's tier is higher than its operation's tier",
    doc: "## What it does
Reports a step whose `tier` is higher than the tier of the `dangerous_ops` entry it names.

## Why is this bad?
The declared operation understates the danger: a T2 step under a T1 op skips the high-danger confirmation.

## Example
Step `tier=T2 op=rotate-key` with `rotate-key` declared `tier: T1`.

Use instead: raise the op's tier to T2.",
};

/// `OB112` `bad-step-number`: a step number is not a positive integer, or is used twice.
pub const BAD_STEP_NUMBER: &Rule = &Rule {
    code: "OB112",
    name: "bad-step-number",
    level: Level::Error,
    requirement: "D-RB-TEMPLATE",
    summary: "a step number is not a positive integer, or is used twice",
    doc: "## What it does
Reports `step=N` used by more than one code block in a runbook, or a step number that is not a positive integer.

## Why is this bad?
Backouts and the timeline refer to steps by number; duplicates make those references ambiguous.

## Example
Two blocks with `step=3`.

Use instead: renumber.",
};

/// OB107–OB110, OB112: every script block has a valid tier, a T1/T2 block
/// names a declared operation of at least its tier, step numbers are
/// positive and unique. Returns the highest step tier and whether every
/// tier was known.
pub(crate) fn check(
    f: &SourceFile,
    body: &Body,
    meta: &RunbookMeta,
    found: &mut Vec<Finding>,
) -> (Tier, bool) {
    let ops: HashMap<&str, &model::DangerousOp> = meta
        .dangerous_ops
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let mut max_tier = Tier::T0;
    let mut tiers_known = true;
    // Steps.
    let mut steps: BTreeMap<String, usize> = BTreeMap::new();
    for c in body.code_blocks.iter().filter(|c| c.is_script()) {
        if let Some(step) = c.attr("step") {
            let valid = step.parse::<u32>().is_ok_and(|n| n > 0);
            if !valid {
                found.push(
                    Finding::new(
                        rules::lint::BAD_STEP_NUMBER,
                        &f.rel,
                        c.line,
                        1,
                        format!("step number `{step}` is not a positive integer"),
                        "use `step=1`, `step=2`, …".into(),
                    )
                    .covering(Extent::FenceAttr("step")),
                );
            } else if let Some(first) = steps.get(step) {
                found.push(
                    Finding::new(
                        rules::lint::BAD_STEP_NUMBER,
                        &f.rel,
                        c.line,
                        1,
                        format!("step {step} is used twice (first at line {first})"),
                        "renumber the steps".into(),
                    )
                    .covering(Extent::FenceAttr("step"))
                    .with_related_covering(
                        &f.rel,
                        *first,
                        1,
                        format!("step {step} first used here"),
                        Extent::FenceAttr("step"),
                    ),
                );
            } else {
                steps.insert(step.to_string(), c.line);
            }
        }
        let Some(tier_s) = c.attr("tier") else {
            tiers_known = false;
            found.push(Finding::new(
                rules::lint::STEP_WITHOUT_TIER,
                &f.rel,
                c.line,
                1,
                format!("`{}` block has no danger tier", c.lang),
                format!("add `{{tier=T0}}` (read-only), `T1` (reversible) or `T2` (irreversible) after `{}`", c.lang),
            ).covering(Extent::FenceInfo));
            continue;
        };
        let Some(tier) = Tier::parse(tier_s) else {
            tiers_known = false;
            found.push(
                Finding::new(
                    rules::lint::STEP_WITHOUT_TIER,
                    &f.rel,
                    c.line,
                    1,
                    format!("tier `{tier_s}` is not T0, T1 or T2"),
                    "use T0, T1 or T2".into(),
                )
                .covering(Extent::FenceAttr("tier")),
            );
            continue;
        };
        max_tier = max_tier.max(tier);
        if tier == Tier::T0 {
            continue;
        }
        match c.attr("op") {
            None => found.push(
                Finding::new(
                    rules::lint::DANGEROUS_STEP_WITHOUT_OP,
                    &f.rel,
                    c.line,
                    1,
                    format!("{tier:?} step does not name its dangerous operation"),
                    "add `op=<id>` naming a `dangerous_ops` entry with backout and confirmation"
                        .into(),
                )
                .covering(Extent::FenceAttr("tier")),
            ),
            Some(op) => match ops.get(op) {
                None => found.push(
                    Finding::new(
                        rules::lint::UNKNOWN_OP,
                        &f.rel,
                        c.line,
                        1,
                        format!(
                            "step names operation `{op}`, which `dangerous_ops` does not declare"
                        ),
                        format!(
                            "declare it, or use one of: {}",
                            if ops.is_empty() {
                                "(none declared)".to_string()
                            } else {
                                ops.keys()
                                    .copied()
                                    .collect::<BTreeSet<_>>()
                                    .into_iter()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    )
                    .covering(Extent::FenceAttr("op")),
                ),
                Some(o) => {
                    if o.tier.is_some_and(|ot| tier > ot) {
                        found.push(
                            Finding::new(
                                rules::lint::STEP_TIER_EXCEEDS_OP,
                                &f.rel,
                                c.line,
                                1,
                                format!(
                                    "{tier:?} step runs `{op}`, declared as {:?}",
                                    o.tier.unwrap_or(Tier::T0)
                                ),
                                format!("raise `{op}` to tier {tier:?} in `dangerous_ops`"),
                            )
                            .covering(Extent::FenceAttr("tier")),
                        );
                    }
                }
            },
        }
    }
    (max_tier, tiers_known)
}
