//! Rendering of `opsbook classify` and `opsbook run` outcomes: human text
//! and the JSON views (`{"tier", "forced_by", "reason"}` per step).

use std::fmt::Write as _;

use opsbook_ops::run::{Classification, Plan, Ran, RunbookClassification};
use serde::Serialize;

/// `opsbook classify --format json` for one piece of code: exactly
/// `{"tier": "T2", "forced_by": {...}, "reason": "…"}`.
#[derive(Debug, Serialize)]
pub struct StepView<'a> {
    /// The lowest tier the code may be declared as.
    pub tier: &'a str,
    /// What forced it (`null` when nothing runs).
    pub forced_by: &'a Option<opsbook_ops::run::Forcing>,
    /// Why.
    pub reason: &'a str,
}

/// The JSON view of one classification.
#[must_use]
pub fn step_json(c: &Classification) -> StepView<'_> {
    StepView {
        tier: c.tier.as_str(),
        forced_by: &c.forced_by,
        reason: &c.reason,
    }
}

/// One step of a runbook in `opsbook classify RUNBOOK.md --format json`.
#[derive(Debug, Serialize)]
pub struct RunbookStepView<'a> {
    /// `step=` value, if any.
    pub step: Option<&'a str>,
    /// Line of the fence.
    pub line: usize,
    /// Declared tier, as written.
    pub declared: Option<&'a str>,
    /// The classification.
    #[serde(flatten)]
    pub classification: StepView<'a>,
    /// Declared below computed (a gate error).
    pub declared_below_computed: bool,
}

/// `opsbook classify RUNBOOK.md --format json`.
#[derive(Debug, Serialize)]
pub struct RunbookView<'a> {
    /// The highest computed tier.
    pub tier: &'a str,
    /// Every step.
    pub steps: Vec<RunbookStepView<'a>>,
    /// Fences that never run.
    pub not_steps: &'a [opsbook_ops::run::Fence],
}

/// The JSON view of a runbook's classification.
#[must_use]
pub fn runbook_json(rc: &RunbookClassification) -> RunbookView<'_> {
    RunbookView {
        tier: rc.tier.as_str(),
        steps: rc
            .steps
            .iter()
            .map(|s| RunbookStepView {
                step: s.step.as_deref(),
                line: s.line,
                declared: s.declared_raw.as_deref(),
                classification: step_json(&s.classification),
                declared_below_computed: s.declared_below_computed,
            })
            .collect(),
        not_steps: &rc.not_steps,
    }
}

/// Human text for one classification.
#[must_use]
pub fn step_human(name: &str, c: &Classification) -> String {
    let mut s = format!("{name}: {} — {}\n", c.tier.as_str(), c.reason);
    if let Some(f) = &c.forced_by {
        let _ = writeln!(
            s,
            "  forced by `{}` (line {}, column {}; rule {})",
            f.command, f.line, f.column, f.rule
        );
    }
    s
}

/// Human text for a runbook's classification.
#[must_use]
pub fn runbook_human(name: &str, rc: &RunbookClassification) -> String {
    let mut s = format!("{name}: highest tier {}\n", rc.tier.as_str());
    for st in &rc.steps {
        let _ = write!(
            s,
            "  step {:<4} line {:<4} declared {:<3} computed {}",
            st.step.as_deref().unwrap_or("-"),
            st.line,
            st.declared_raw.as_deref().unwrap_or("-"),
            st.classification.tier.as_str()
        );
        if st.declared_below_computed {
            s.push_str("  ERROR: declared below computed");
        }
        s.push('\n');
        if let Some(f) = &st.classification.forced_by {
            let _ = writeln!(
                s,
                "      forced by `{}` (file line {}): {}",
                f.command,
                st.forced_by_line.unwrap_or(st.line),
                st.classification.reason
            );
        }
    }
    for f in &rc.not_steps {
        let _ = writeln!(s, "  line {:<4} {}", f.line, f.reason);
    }
    s
}

/// Human text for `opsbook run --plan`.
#[must_use]
pub fn plan_human(p: &Plan) -> String {
    let mut s = format!(
        "{} ({}) — plan only, nothing runs. Safety state now: {}\n",
        p.runbook, p.path, p.state
    );
    for st in &p.steps {
        let _ = writeln!(
            s,
            "\n{} step {} (line {}, {:?}): runs as {} (declared {}, computed {}){}",
            if st.selected { "▶" } else { " " },
            st.step,
            st.line,
            st.shell,
            st.tier.as_str(),
            st.declared.map_or("-", |d| d.as_str()),
            st.computed.as_str(),
            if st.selected { "" } else { " — not selected" }
        );
        let _ = writeln!(s, "    why: {}", st.reason);
        if let Some(op) = &st.op {
            let _ = writeln!(
                s,
                "    op {op}; backout: {}",
                st.backout.as_deref().unwrap_or("(none written)")
            );
        }
        if let Some(g) = &st.gate {
            let _ = writeln!(
                s,
                "    safety matrix now: {} {}{}",
                g.action.as_deref().unwrap_or("-"),
                g.decision,
                if g.frozen { " (freeze)" } else { "" }
            );
        }
        let _ = writeln!(s, "    asks: {}", st.asks);
        if let Some(b) = &st.blocked {
            let _ = writeln!(s, "    BLOCKED: {b}");
        }
        for w in &st.warnings {
            let _ = writeln!(s, "    warning: {w}");
        }
    }
    if !p.not_steps.is_empty() {
        s.push_str("\nNever run:\n");
        for f in &p.not_steps {
            let _ = writeln!(s, "  line {}: {}", f.line, f.reason);
        }
    }
    s
}

/// Human text for `opsbook run`.
#[must_use]
pub fn ran_human(r: &Ran) -> String {
    let mut s = format!(
        "{}: {} {}{}\n",
        r.run,
        r.runbook,
        r.result,
        if r.resumed { " (resumed)" } else { "" }
    );
    if !r.already_done.is_empty() {
        let _ = writeln!(s, "  already done: {}", r.already_done.join(", "));
    }
    for st in &r.steps {
        let _ = writeln!(
            s,
            "  step {} {} {}{}{}",
            st.step,
            st.tier.as_str(),
            st.result,
            st.exit_code
                .map(|c| format!(" exit {c}"))
                .unwrap_or_default(),
            st.reason
                .as_deref()
                .map(|w| format!(": {w}"))
                .unwrap_or_default()
        );
        if let Some(t) = &st.transcript {
            let _ = writeln!(s, "      transcript {t} ({} redactions)", st.redactions);
        }
    }
    if let Some(n) = &r.next {
        let _ = writeln!(s, "  next{}", super::hint(n));
    }
    if r.result != "completed" {
        let _ = writeln!(
            s,
            "  continue after fixing it: opsbook run {} --resume {}",
            r.runbook, r.run
        );
    }
    s
}
