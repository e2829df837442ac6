//! Postmortem action items (OB805–OB809, D-LEARN).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use opsbook_core::ssot::FileKind;
use opsbook_core::ssot::SourceFile;

/// `OB805` `action-item-vague`: a postmortem action item is an intention, not an artifact.
pub const ACTION_ITEM_VAGUE: &Rule = &Rule {
    code: "OB805",
    name: "action-item-vague",
    level: Level::Error,
    requirement: "D-LEARN",
    summary: "a postmortem action item is an intention, not an artifact",
    doc: "## What it does
Rejects action items whose description (or target) says \"be careful\", \"pay attention\", \"気をつける\", \"注意する\", \"徹底する\" and their kin, inflected and intensified (\"paying attention\", \"pay closer attention\", \"be extra careful\", \"take great care\", \"exercise caution\"; see `VAGUE_PHRASES` and `VAGUE_PATTERNS` in opsbook-core).

## Why is this bad?
An intention changes nothing that the next tired operator at 3 a.m. can use. Only a changed runbook, policy, test, alert or component prevents a repeat (seed §3.3).

## Example
`description: \"Operators must be careful when restarting the gateway\"`

Use instead: `description: \"Add step 2 to RB-PLAT-TIME-DRIFT: check w32tm /query /status before restarting OrderGateway\"`.",
};

/// `OB806` `action-item-unknown-target`: a postmortem action item targets something that does not exist.
pub const ACTION_ITEM_UNKNOWN_TARGET: &Rule = &Rule {
    code: "OB806",
    name: "action-item-unknown-target",
    level: Level::Error,
    requirement: "D-LEARN",
    summary: "a postmortem action item targets something that does not exist",
    doc: "## What it does
Checks each action item's `target`: a runbook ID must be registered, a drill ID must be in `runbooks/drills.yaml`, a path must exist in the SSOT, a `policy` item must name a policy that exists, a `monitoring` item must name an alert of the alert rules or the coverage matrix. Test names and components (not paths) are not checked.

## Why is this bad?
An item that points at nothing cannot be verified as done: it is a vague item in disguise.

## Example
`type: runbook, target: RB-PLAT-CLOCK` when the runbook is `RB-PLAT-TIME-DRIFT`.

Use instead: the registered ID, or add the alert to the rules first when the item is to create it.",
};

/// `OB807` `action-item-done-without-ref`: a done action item has no done_ref.
pub const ACTION_ITEM_DONE_WITHOUT_REF: &Rule = &Rule {
    code: "OB807",
    name: "action-item-done-without-ref",
    level: Level::Error,
    requirement: "D-LEARN",
    summary: "a done action item has no done_ref",
    doc: "## What it does
Checks that every action item with `status: done` carries a `done_ref`: the commit, pull request, file or runbook ID that proves it.

## Why is this bad?
\"Done\" without a reference cannot be checked, and unchecked improvements are how the same incident happens twice.

## Example
`status: done` and `done_ref: null`.

Use instead: `done_ref: \"https://git.example.com/ops/pull/412\"` or a commit hash.",
};

/// `OB808` `action-item-overdue`: an open postmortem action item is past its due date.
pub const ACTION_ITEM_OVERDUE: &Rule = &Rule {
    code: "OB808",
    name: "action-item-overdue",
    level: Level::Warn,
    requirement: "D-LEARN",
    summary: "an open postmortem action item is past its due date",
    doc: "## What it does
Reports open and in-progress action items whose `due` date has passed, as a warning for `[incidents] action_overdue_error_days` (default 14) days; after that the item is reported as OB809, an error.

## Why is this bad?
Improvements that never land are the postmortem as a formality the seed warns about.

## Example
`due: 2026-12-06`, `status: open`, checked on 2026-12-10.

Use instead: finish it (`status: done` with a `done_ref`), or move `due` and say why in the postmortem.",
};

/// `OB809` `action-item-long-overdue`: an open postmortem action item is long past its due date.
pub const ACTION_ITEM_LONG_OVERDUE: &Rule = &Rule {
    code: "OB809",
    name: "action-item-long-overdue",
    level: Level::Error,
    requirement: "D-LEARN",
    summary: "an open postmortem action item is long past its due date",
    doc: "## What it does
The error stage of OB808: an open action item more than `[incidents] action_overdue_error_days` (default 14) days past due.

## Why is this bad?
See OB808: the gate stops treating it as a reminder.

## Example
`due: 2026-11-01`, `status: in_progress`, checked on 2026-12-10.

Use instead: finish it, or re-plan it explicitly (new `due`, reason in the postmortem).",
};

/// OB805–OB809: postmortem action items (D-LEARN).
pub fn postmortems(cx: &mut Ctx<'_>, as_of: jiff::civil::Date) {
    use opsbook_core::postmortem::{self, Known};
    let files: Vec<&SourceFile> = cx
        .ssot
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Postmortem)
        .collect();
    if files.is_empty() {
        return;
    }
    let known = Known::from_ssot(cx.ssot);
    let error_days = i64::from(cx.ssot.config.action_overdue_error_days.unwrap_or(14));
    let mut found = Vec::new();
    for f in files {
        let Some(d) = f.doc() else {
            continue;
        };
        let pm =
            postmortem::from_value(&d.doc.value, &|i| d.pos(&format!("/action_items/{i}")).line);
        // A draft of an incident still being worked on is not judged yet:
        // drafting early must not turn CI red. Once the incident is CLOSED,
        // or the postmortem is reviewed/final, every rule applies.
        if pm.status.as_deref().unwrap_or("draft") == "draft" {
            let id = f
                .rel
                .strip_prefix("incidents/")
                .and_then(|r| r.split('/').next())
                .unwrap_or_default();
            let log = cx.ssot.root.join("incidents").join(id).join("events.jsonl");
            let closed = opsbook_core::ledger::read(&log)
                .ok()
                .and_then(|ev| opsbook_core::incident::Incident::replay(id, ev).ok())
                .is_some_and(|i| i.status == opsbook_core::incident::Status::Closed);
            if !closed {
                continue;
            }
        }
        for p in postmortem::check_items(&pm.items, &known, as_of) {
            let code = postmortem_rule(&p, error_days);
            // The item's first line (`- id: AI-1`).
            found.push(
                Finding::new(code, &f.rel, p.line, 1, p.message, p.help)
                    .covering(crate::span::Extent::Entry),
            );
        }
    }
    cx.out.extend(found);
}

/// The rule of a postmortem action-item problem (core's
/// `ItemProblem::code` names the same codes as strings).
fn postmortem_rule(p: &opsbook_core::postmortem::ItemProblem, error_days: i64) -> &'static Rule {
    use opsbook_core::postmortem::ItemProblemKind as K;
    use rules::ledger::{
        ACTION_ITEM_DONE_WITHOUT_REF, ACTION_ITEM_LONG_OVERDUE, ACTION_ITEM_OVERDUE,
        ACTION_ITEM_UNKNOWN_TARGET, ACTION_ITEM_VAGUE,
    };
    match p.kind {
        K::Vague => ACTION_ITEM_VAGUE,
        K::UnknownTarget => ACTION_ITEM_UNKNOWN_TARGET,
        K::DoneWithoutRef => ACTION_ITEM_DONE_WITHOUT_REF,
        K::Overdue if p.days_overdue > error_days => ACTION_ITEM_LONG_OVERDUE,
        K::Overdue => ACTION_ITEM_OVERDUE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postmortem_rules_agree_with_core_codes() {
        use opsbook_core::postmortem::{ItemProblem, ItemProblemKind as K};
        for (kind, days) in [
            (K::Vague, 0),
            (K::UnknownTarget, 0),
            (K::DoneWithoutRef, 0),
            (K::Overdue, 3),
            (K::Overdue, 30),
        ] {
            let p = ItemProblem {
                item: "A1".into(),
                line: 1,
                kind,
                days_overdue: days,
                message: String::new(),
                help: String::new(),
            };
            assert_eq!(postmortem_rule(&p, 14).code, p.code(14), "{kind:?} {days}");
        }
    }
}
