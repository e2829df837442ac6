//! Script steps of a runbook: danger tier, operation, step number (OB107–OB110, OB112, D-AUTO-BOUNDARY).

use crate::rules::{Level, Rule};

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
