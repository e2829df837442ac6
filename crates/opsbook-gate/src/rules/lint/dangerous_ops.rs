//! Dangerous operations declared in the front matter have a backout and a confirmation (OB105, OB106).

use opsbook_core::model::{RunbookMeta, Tier};
use opsbook_core::ssot::SourceFile;

use super::fm_pos;
use crate::Finding;
use crate::rules::{self, Level, Rule};

/// `OB105` `dangerous-op-without-backout`: a T1/T2 operation has no backout.
pub const DANGEROUS_OP_WITHOUT_BACKOUT: &Rule = &Rule {
    code: "OB105",
    name: "dangerous-op-without-backout",
    level: Level::Error,
    requirement: "D-SAFE-BACKOUT",
    summary: "a T1/T2 operation has no backout",
    doc: "## What it does
Checks that every `dangerous_ops` entry of tier T1 or T2 has a non-empty `backout`.

## Why is this bad?
Seed §5.1: dangerous operations require a way back and evidence. Without a backout, a reversible change is irreversible in practice.

## Example
```yaml
dangerous_ops:
  - id: restart-gateway
    tier: T1
    confirmation: Type the host name
```
Use instead: add `backout: \"Step 9: start the previous build\"`.",
};

/// `OB106` `dangerous-op-without-confirmation`: a T1/T2 operation has no confirmation.
pub const DANGEROUS_OP_WITHOUT_CONFIRMATION: &Rule = &Rule {
    code: "OB106",
    name: "dangerous-op-without-confirmation",
    level: Level::Error,
    requirement: "D-SAFE-CONFIRM",
    summary: "a T1/T2 operation has no confirmation",
    doc: "## What it does
Checks that every `dangerous_ops` entry of tier T1 or T2 has a non-empty `confirmation`.

## Why is this bad?
One tired operator is one typo away from the wrong host. The confirmation says how the target is checked before the change.

## Example
A T2 `revoke-api-key` op with only a backout.

Use instead: `confirmation: \"Type the key label back; run RB-QUICK-HIGH-DANGER-CONFIRM\"`.",
};

/// OB105, OB106: every T1/T2 operation has a backout and a confirmation.
/// Returns the highest tier declared.
pub(crate) fn check(f: &SourceFile, meta: &RunbookMeta, found: &mut Vec<Finding>) -> Tier {
    // Dangerous operations.
    let mut max_tier = Tier::T0;
    for op in &meta.dangerous_ops {
        let Some(t) = op.tier else { continue };
        max_tier = max_tier.max(t);
        if t == Tier::T0 {
            continue;
        }
        let p = fm_pos(f, &op.pointer);
        if op.backout.is_none() {
            found.push(
                Finding::new(
                    rules::lint::DANGEROUS_OP_WITHOUT_BACKOUT,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("{t:?} operation `{}` has no backout", op.id),
                    "add `backout:` naming the step or procedure that undoes it".into(),
                )
                .text(&op.id),
            );
        }
        if op.confirmation.is_none() {
            found.push(
                Finding::new(
                    rules::lint::DANGEROUS_OP_WITHOUT_CONFIRMATION,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("{t:?} operation `{}` has no confirmation", op.id),
                    "add `confirmation:` saying how the target is checked before running it".into(),
                )
                .text(&op.id),
            );
        }
    }
    max_tier
}
