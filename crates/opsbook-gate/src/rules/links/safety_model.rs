//! The safety state machine and the actions matrix (OB703–OB706, D-SAFE-SM, D-SAFE-MATRIX).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use opsbook_core::model::SafetyModel;
use opsbook_core::ssot::SourceFile;
use serde_json::Value;
use std::collections::BTreeSet;
use std::collections::HashMap;
use std::collections::HashSet;
use std::collections::VecDeque;

/// `OB703` `safety-matrix-incomplete`: a state × action cell of the safety matrix is missing.
pub const SAFETY_MATRIX_INCOMPLETE: &Rule = &Rule {
    code: "OB703",
    name: "safety-matrix-incomplete",
    level: Level::Error,
    requirement: "D-SAFE-MATRIX",
    summary: "a state × action cell of the safety matrix is missing",
    doc: "## What it does
Checks that `policy/safety-matrix.yaml` gives ALLOW, CONFIRM or DENY for every action in `actions` and every state in `policy/degraded.yaml`.

## Why is this bad?
Seed §2.1.4 requires a complete table. A missing cell is a question nobody answered before the incident.

## Example
`release_halt` with no value for `RECOVERING`.

Use instead: decide the cell now, in daylight.",
};

/// `OB704` `safety-matrix-unknown`: the safety matrix names an unknown state or action.
pub const SAFETY_MATRIX_UNKNOWN: &Rule = &Rule {
    code: "OB704",
    name: "safety-matrix-unknown",
    level: Level::Error,
    requirement: "D-SAFE-MATRIX",
    summary: "the safety matrix names an unknown state or action",
    doc: "## What it does
Reports matrix rows for actions not declared in `actions`, and cells for states not in `policy/degraded.yaml`.

## Why is this bad?
A typo (`HALT` for `HALTED`) leaves the real cell undefined.

## Example
`place_new_order: {HALT: DENY}`

Use instead: `HALTED`.",
};

/// `OB705` `safety-state-unreachable`: a safety state cannot be reached from the initial state.
pub const SAFETY_STATE_UNREACHABLE: &Rule = &Rule {
    code: "OB705",
    name: "safety-state-unreachable",
    level: Level::Error,
    requirement: "D-SAFE-SM",
    summary: "a safety state cannot be reached from the initial state",
    doc: "## What it does
Checks `policy/degraded.yaml`: every state is reachable from the initial state through the transitions, and transitions name declared states.

## Why is this bad?
A state nobody can enter is dead policy; a transition to an unknown state is a typo.

## Example
`SAFE_MODE` declared but no transition leads to it.

Use instead: add the escalation transition.",
};

/// `OB706` `safety-state-no-way-back`: a non-initial safety state has no way back.
pub const SAFETY_STATE_NO_WAY_BACK: &Rule = &Rule {
    code: "OB706",
    name: "safety-state-no-way-back",
    level: Level::Error,
    requirement: "D-SAFE-SM",
    summary: "a non-initial safety state has no way back",
    doc: "## What it does
Checks that from every state the initial state (NORMAL) can be reached again.

## Why is this bad?
A state with no documented way out turns an incident into an outage.

## Example
`HALTED` with no transition to `RECOVERING`.

Use instead: add the de-escalation path with its requirements.",
};

/// OB703–OB706: the safety state machine and the actions matrix.
pub fn safety_model(cx: &mut Ctx<'_>) {
    let degraded = cx.ssot.policy("degraded");
    let matrix = cx.ssot.policy("safety-matrix");
    let model = SafetyModel::from_values(
        degraded.and_then(SourceFile::value),
        matrix.and_then(SourceFile::value),
    );
    let mut found = Vec::new();
    let states: BTreeSet<&str> = model.states.iter().map(String::as_str).collect();
    if let (Some(df), Some(dd)) = (degraded, degraded.and_then(SourceFile::doc))
        && !model.states.is_empty()
    {
        let initial = model
            .initial
            .clone()
            .unwrap_or_else(|| model.states[0].clone());
        let mut fwd: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut back: HashMap<&str, Vec<&str>> = HashMap::new();
        if let Some(Value::Array(ts)) = dd.doc.value.get("transitions") {
            for (i, t) in ts.iter().enumerate() {
                for k in ["from", "to"] {
                    if let Some(s) = t.get(k).and_then(Value::as_str)
                        && !states.contains(s)
                    {
                        let p = dd.pos(&format!("/transitions/{i}/{k}"));
                        found.push(
                            Finding::new(
                                rules::links::SAFETY_STATE_UNREACHABLE,
                                &df.rel,
                                p.line,
                                p.col,
                                format!("transition {k} `{s}`, which is not a declared state"),
                                format!("use one of: {}", model.states.join(", ")),
                            )
                            .token(),
                        );
                    }
                }
            }
        }
        for (a, b, _) in &model.transitions {
            fwd.entry(a).or_default().push(b);
            back.entry(b).or_default().push(a);
        }
        let reach = |g: &HashMap<&str, Vec<&str>>, start: &str| -> HashSet<String> {
            let mut seen = HashSet::from([start.to_string()]);
            let mut q = VecDeque::from([start.to_string()]);
            while let Some(s) = q.pop_front() {
                for n in g.get(s.as_str()).into_iter().flatten() {
                    if seen.insert((*n).to_string()) {
                        q.push_back((*n).to_string());
                    }
                }
            }
            seen
        };
        let from_initial = reach(&fwd, &initial);
        let to_initial = reach(&back, &initial);
        for (i, s) in model.states.iter().enumerate() {
            let p = dd.pos(&format!("/states/{i}"));
            if !from_initial.contains(s) {
                found.push(
                    Finding::new(
                        rules::links::SAFETY_STATE_UNREACHABLE,
                        &df.rel,
                        p.line,
                        p.col,
                        format!("state `{s}` cannot be reached from `{initial}`"),
                        format!("add an escalation transition into `{s}`"),
                    )
                    .text(s),
                );
            }
            if !to_initial.contains(s) {
                found.push(
                    Finding::new(
                        rules::links::SAFETY_STATE_NO_WAY_BACK,
                        &df.rel,
                        p.line,
                        p.col,
                        format!("state `{s}` has no way back to `{initial}`"),
                        format!("add a de-escalation path from `{s}` with its requirements"),
                    )
                    .text(s),
                );
            }
        }
    }
    if let (Some(mf), Some(md)) = (matrix, matrix.and_then(SourceFile::doc)) {
        let m = md.doc.value.get("matrix").and_then(Value::as_object);
        let declared: BTreeSet<&str> = model.actions.iter().map(String::as_str).collect();
        if let Some(m) = m {
            for (action, row) in m {
                let rp = md.key_pos(&format!("/matrix/{action}"));
                if !declared.contains(action.as_str()) {
                    found.push(
                        Finding::new(
                            rules::links::SAFETY_MATRIX_UNKNOWN,
                            &mf.rel,
                            rp.line,
                            rp.col,
                            format!("matrix row `{action}` is not a declared action"),
                            "declare it under `actions:` or fix the name".into(),
                        )
                        .token(),
                    );
                }
                if let Some(row) = row.as_object() {
                    for st in row.keys() {
                        if !states.is_empty() && !states.contains(st.as_str()) {
                            let p = md.key_pos(&format!("/matrix/{action}/{st}"));
                            found.push(Finding::new(
                                rules::links::SAFETY_MATRIX_UNKNOWN,
                                &mf.rel,
                                p.line,
                                p.col,
                                format!("matrix cell `{action}` × `{st}`: `{st}` is not a state of degraded.yaml"),
                                format!("use one of: {}", model.states.join(", ")),
                            ).token());
                        }
                    }
                }
            }
        }
        for (i, action) in model.actions.iter().enumerate() {
            let row = m.and_then(|m| m.get(action)).and_then(Value::as_object);
            let missing: Vec<&str> = model
                .states
                .iter()
                .filter(|s| {
                    row.and_then(|r| r.get(s.as_str()))
                        .and_then(Value::as_str)
                        .is_none_or(|v| !matches!(v, "ALLOW" | "CONFIRM" | "DENY"))
                })
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                let p = if row.is_some() {
                    md.key_pos(&format!("/matrix/{action}"))
                } else {
                    md.pos(&format!("/actions/{i}"))
                };
                found.push(
                    Finding::new(
                        rules::links::SAFETY_MATRIX_INCOMPLETE,
                        &mf.rel,
                        p.line,
                        p.col,
                        format!(
                            "action `{action}` has no ALLOW/CONFIRM/DENY for {}",
                            missing.join(", ")
                        ),
                        "decide every cell: ALLOW, CONFIRM (checklist) or DENY".into(),
                    )
                    .token(),
                );
            }
        }
    }
    cx.out.extend(found);
}
