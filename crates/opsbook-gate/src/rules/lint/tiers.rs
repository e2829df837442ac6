//! Danger tiers computed from the code of each step (`opsbook-classify`)
//! against what the runbook declares (OB115–OB120, D-AUTO-BOUNDARY, D-WIN):
//! a declared tier below the computed one, a computed T1/T2 step without its
//! dangerous operation, a backout step that is itself T2, a safety label
//! below the computed tier, non-ASCII punctuation in a script, untagged
//! fences `opsbook run` never executes.

use crate::span::Extent;
use std::collections::HashMap;

use opsbook_classify::{RunbookClassification, Shell, Step, Tier, classify_blocks};
use opsbook_core::markdown::Body;
use opsbook_core::model::{self, RunbookMeta};
use opsbook_core::ssot::SourceFile;

use super::prompts::step_name;
use crate::Finding;
use crate::rules::lint::fm_pos;
use crate::rules::{Level, Rule};

/// `OB115` `step-below-computed-tier`: a step is declared below the tier its code computes to.
pub const STEP_BELOW_COMPUTED_TIER: &Rule = &Rule {
    code: "OB115",
    name: "step-below-computed-tier",
    level: Level::Error,
    requirement: "D-AUTO-BOUNDARY",
    summary: "a step is declared below the tier its code computes to",
    doc: "## What it does
Classifies the code of every PowerShell and bash step (the tables of `docs/tiers.md`: verbs, aliases of both PowerShell hosts, native tools by sub-command, HTTP methods, .NET calls; anything the classifier cannot see is T2) and reports a step whose `tier=` is below the computed tier. The finding points at the command that forces the higher tier.

## Why is this bad?
`opsbook run` runs a T0 step without asking. A step declared T0 that pipes into `Remove-Item` would delete without a confirmation, a backout or a check of the safety matrix.

## Example
````markdown
```powershell {step=2 tier=T0}
Get-ChildItem D:\\TradeBot\\logs | Remove-Item
```
````
Use instead: ```` ```powershell {step=2 tier=T1 op=prune-logs} ```` with `prune-logs` in `dangerous_ops`, or a read-only command.",
};

/// `OB116` `computed-dangerous-step-without-op`: a step whose code is T1/T2 names no declared dangerous operation.
pub const COMPUTED_DANGEROUS_STEP_WITHOUT_OP: &Rule = &Rule {
    code: "OB116",
    name: "computed-dangerous-step-without-op",
    level: Level::Error,
    requirement: "D-SAFE-BACKOUT",
    summary: "a step whose code is T1/T2 names no declared dangerous operation",
    doc: "## What it does
Reports a step whose code computes to T1 or T2 while it does not name (`op=<id>`) a `dangerous_ops` entry. Steps declared T1/T2 are already checked by OB108/OB109; this rule catches the steps declared T0 (or without a tier) whose code is dangerous.

## Why is this bad?
The `dangerous_ops` entry carries the backout and the confirmation `opsbook run` shows before a T1/T2 step. Without it the operator is asked to run a change with no way back.

## Example
````markdown
```powershell {step=3 tier=T0}
Restart-Service TradingGateway
```
````
Use instead: ```` ```powershell {step=3 tier=T1 op=restart-gateway} ```` and declare `restart-gateway` with its `backout` and `confirmation`.",
};

/// `OB117` `backout-step-is-t2`: a dangerous operation's backout is a step whose code is T2.
pub const BACKOUT_STEP_IS_T2: &Rule = &Rule {
    code: "OB117",
    name: "backout-step-is-t2",
    level: Level::Error,
    requirement: "D-SAFE-BACKOUT",
    summary: "a dangerous operation's backout is a step whose code is T2",
    doc: "## What it does
Reads the `backout` of each `dangerous_ops` entry; when it begins with `Step N` (the usual way to name a backout step), classifies step N and reports the entry if that step computes to T2.

## Why is this bad?
A backout is what the operator runs when the change went wrong, tired and under pressure. If undoing needs an irreversible (T2) operation, it is not a backout: the change is not reversible and must be declared and confirmed as such.

## Example
```yaml
dangerous_ops:
  - id: enter-degraded
    tier: T1
    backout: \"Step 9 (purge-queue).\"   # step 9 deletes the queue: T2
```
Use instead: a backout step that is T0/T1 (e.g. `Step 9 (leave-degraded)`), or a backout described in words when no step undoes it.",
};

/// `OB118` `safety-label-below-computed-tier`: safety_label is below the highest computed tier.
pub const SAFETY_LABEL_BELOW_COMPUTED_TIER: &Rule = &Rule {
    code: "OB118",
    name: "safety-label-below-computed-tier",
    level: Level::Error,
    requirement: "D-AUTO-BOUNDARY",
    summary: "safety_label is below the highest tier computed from the code",
    doc: "## What it does
Compares `safety_label` with the highest tier computed from the code of the runbook's steps: any computed T1 needs at least `reversible`, any computed T2 needs `irreversible`. (OB111 compares it with the declared tiers.)

## Why is this bad?
The label is what an operator reads first in `opsbook search` and on the runbook. A `read_only` runbook that restarts a service invites running it without thinking.

## Example
`safety_label: read_only` on a runbook with a `Restart-Service` step.

Use instead: `safety_label: reversible`.",
};

/// `OB119` `non-ascii-in-script`: a script step contains a non-ASCII dash, quote or space.
pub const NON_ASCII_IN_SCRIPT: &Rule = &Rule {
    code: "OB119",
    name: "non-ascii-in-script",
    level: Level::Error,
    requirement: "D-WIN",
    summary: "a script step contains a non-ASCII dash, quote or space",
    doc: "## What it does
Reports en and em dashes (U+2013, U+2014), the minus sign (U+2212), curly quotes (U+2018–U+201E), no-break and other non-ASCII spaces (U+00A0 …) and zero-width characters inside a PowerShell or bash step, with the exact line and column.

## Why is this bad?
They come from word processors and chat. PowerShell reads some of them as ASCII and others not, Windows PowerShell 5.1 reads a file without BOM as ANSI, and reviewers cannot see the difference: `Stop-Service –Name X` looks right and is not what the classifier or the reader sees.

## Example
```` ```powershell {step=1 tier=T0} ```` with `Get-Service –Name TradingGateway` (U+2013 EN DASH).

Use instead: `Get-Service -Name TradingGateway` (ASCII hyphen-minus).",
};

/// `OB120` `fence-never-executed`: an untagged code fence is never executed by `opsbook run`.
pub const FENCE_NEVER_EXECUTED: &Rule = &Rule {
    code: "OB120",
    name: "fence-never-executed",
    level: Level::Warn,
    requirement: "D-AUTO-BOUNDARY",
    summary: "an untagged code fence is never executed by `opsbook run`",
    doc: "## What it does
Reports a fenced code block without a language word. `opsbook run` executes only `powershell`/`pwsh`/`bash`/`sh` steps; an untagged fence is skipped.

## Why is this bad?
An author who meant it as a step believes it runs; an operator following `opsbook run` never sees it run. Output and examples should say what they are.

## Example
````markdown
```
Get-Service TradingGateway
```
````
Use instead: ```` ```powershell {step=2 tier=T0} ```` for a step, or ```` ```text ```` for output.",
};

/// OB115–OB121 for one runbook whose body is parsed (OB121 in `prompts.rs`,
/// from the same classification).
pub(crate) fn check(f: &SourceFile, body: &Body, meta: &RunbookMeta, found: &mut Vec<Finding>) {
    let rc = classify_blocks(&body.code_blocks);
    let ops: HashMap<&str, &model::DangerousOp> = meta
        .dangerous_ops
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    for s in &rc.steps {
        below_computed(f, s, found);
        without_op(f, s, &ops, found);
        non_ascii(f, s, found);
    }
    backouts(f, meta, &rc, found);
    label(f, meta, &rc, found);
    super::prompts::check(f, &rc, &body.code_blocks, found);
    for fence in rc.not_steps.iter().filter(|n| n.lang.is_empty()) {
        found.push(Finding::new(
            FENCE_NEVER_EXECUTED,
            &f.rel,
            fence.line,
            1,
            "untagged code fence: `opsbook run` never executes it".into(),
            "tag it ```` ```powershell {step=N tier=T0} ```` to make it a step, or ```` ```text ```` for output".into(),
        ).spanning(3));
    }
}

/// The file line and column of a position in a step's code.
fn file_pos(s: &Step, line: usize, column: usize) -> (usize, usize) {
    (s.code_line + line.saturating_sub(1), column)
}

fn below_computed(f: &SourceFile, s: &Step, found: &mut Vec<Finding>) {
    let c = &s.classification;
    let Some(declared) = s.declared else { return };
    if declared >= c.tier {
        return;
    }
    let Some(forced) = &c.forced_by else { return };
    let (line, col) = file_pos(s, forced.line, forced.column);
    let reason = c
        .commands
        .iter()
        .find(|x| x.span == forced.span && x.tier == c.tier)
        .map_or_else(|| c.reason.clone(), |x| x.reason.clone());
    found.push(
        Finding::new(
            STEP_BELOW_COMPUTED_TIER,
            &f.rel,
            line,
            col,
            format!(
                "{} is declared {declared:?} but `{}` makes it {:?}: {reason} [{}]",
                step_name(s),
                forced.command,
                c.tier,
                forced.rule
            ),
            format!(
                "declare `tier={:?}`{} or replace the command",
                c.tier,
                if s.op.is_none() {
                    " with `op=<id>` naming a `dangerous_ops` entry"
                } else {
                    ""
                }
            ),
        )
        .spanning(forced.command.chars().count())
        .with_related_covering(
            &f.rel,
            s.line,
            1,
            format!("declared tier={declared:?} here"),
            Extent::FenceAttr("tier"),
        ),
    );
}

fn without_op(
    f: &SourceFile,
    s: &Step,
    ops: &HashMap<&str, &model::DangerousOp>,
    found: &mut Vec<Finding>,
) {
    let tier = s.classification.tier;
    // A step declared T1/T2 is OB108/OB109's (its op is checked there).
    if tier == Tier::T0 || s.declared.is_some_and(|d| d >= Tier::T1) {
        return;
    }
    if s.op.as_deref().is_some_and(|o| ops.contains_key(o)) {
        return;
    }
    let mut finding = Finding::new(
        COMPUTED_DANGEROUS_STEP_WITHOUT_OP,
        &f.rel,
        s.line,
        1,
        format!(
            "{}'s code is {tier:?} but it names no declared dangerous operation",
            step_name(s)
        ),
        format!(
            "add `tier={tier:?} op=<id>` and declare `<id>` in `dangerous_ops` with `tier: {tier:?}`, `backout` and `confirmation`"
        ),
    )
    .covering(Extent::FenceInfo);
    if let Some(forced) = &s.classification.forced_by {
        let (line, col) = file_pos(s, forced.line, forced.column);
        finding = finding.with_related_covering(
            &f.rel,
            line,
            col,
            format!("`{}` makes it {tier:?}", forced.command),
            Extent::Text(forced.command.clone()),
        );
    }
    found.push(finding);
}

fn non_ascii(f: &SourceFile, s: &Step, found: &mut Vec<Finding>) {
    if s.shell == Shell::Cmd {
        return;
    }
    for n in &s.classification.findings {
        let (line, col) = file_pos(s, n.line, n.column);
        let fix = n.powershell_reads_as.map_or_else(
            || "delete it or type the ASCII character".to_string(),
            |c| format!("type the ASCII `{c}` instead"),
        );
        found.push(
            Finding::new(
                NON_ASCII_IN_SCRIPT,
                &f.rel,
                line,
                col,
                format!("in a `{}` step: {}", s.lang, n.message),
                fix,
            )
            .spanning(1),
        );
    }
}

/// `Step N` at the start of a backout (case-insensitive): N.
fn backout_step(backout: &str) -> Option<&str> {
    let rest = backout.trim_start();
    let head = rest.get(..4)?;
    if !head.eq_ignore_ascii_case("step") {
        return None;
    }
    let rest = rest[4..].trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

fn backouts(
    f: &SourceFile,
    meta: &RunbookMeta,
    rc: &RunbookClassification,
    found: &mut Vec<Finding>,
) {
    for op in &meta.dangerous_ops {
        let Some(n) = op.backout.as_deref().and_then(backout_step) else {
            continue;
        };
        let Some(step) = rc.steps.iter().find(|s| s.step.as_deref() == Some(n)) else {
            continue;
        };
        if step.classification.tier < Tier::T2 {
            continue;
        }
        let p = fm_pos(f, &format!("{}/backout", op.pointer));
        let forced = step
            .classification
            .forced_by
            .as_ref()
            .map_or_else(String::new, |x| format!(" (`{}`)", x.command));
        found.push(
            Finding::new(
                BACKOUT_STEP_IS_T2,
                &f.rel,
                p.line,
                p.col,
                format!(
                    "the backout of `{}` is step {n}, whose code is T2{forced}",
                    op.id
                ),
                "name a T0/T1 step as the backout, or say in words that the operation cannot be undone and declare it T2".into(),
            )
            .covering(Extent::Entry)
            .with_related_covering(
                &f.rel,
                step.line,
                1,
                format!("step {n} is here"),
                Extent::FenceInfo,
            ),
        );
    }
}

fn label(f: &SourceFile, meta: &RunbookMeta, rc: &RunbookClassification, found: &mut Vec<Finding>) {
    let Some(label) = meta.safety_label.as_deref() else {
        return;
    };
    let rank = |l: &str| match l {
        "read_only" => Some(Tier::T0),
        "reversible" => Some(Tier::T1),
        "irreversible" => Some(Tier::T2),
        _ => None,
    };
    let Some(labelled) = rank(label) else { return };
    if labelled >= rc.tier {
        return;
    }
    let p = fm_pos(f, "/safety_label");
    let mut finding = Finding::new(
        SAFETY_LABEL_BELOW_COMPUTED_TIER,
        &f.rel,
        p.line,
        p.col,
        format!(
            "safety_label is `{label}` but the code of the steps computes to {:?}",
            rc.tier
        ),
        format!("set `safety_label: {}`", rc.tier.safety_label()),
    )
    .covering(Extent::Entry);
    if let Some(s) = rc.steps.iter().find(|s| s.classification.tier == rc.tier)
        && let Some(line) = s.forced_by_line
    {
        finding = finding.with_related_covering(
            &f.rel,
            line,
            1,
            format!("{} forces {:?}", step_name(s), rc.tier),
            Extent::Line,
        );
    }
    found.push(finding);
}

#[cfg(test)]
mod tests {
    use super::backout_step;

    #[test]
    fn backout_names_a_step() {
        assert_eq!(backout_step("Step 10 (leave-degraded) after"), Some("10"));
        assert_eq!(backout_step("  step 4."), Some("4"));
        assert_eq!(backout_step("Stepping back"), None);
        assert_eq!(backout_step("Re-engage with step 2"), None);
        assert_eq!(backout_step("Step"), None);
    }
}
