//! `opsbook halt` and `opsbook p0` (D-HUMAN-P0): parse → one operation of
//! `opsbook_ops::halt` → render → exit code (4 when the kill-switch hook failed).

use std::fmt::Write as _;

use opsbook_ops::halt as ops;

use super::confirm::CliAnswers;
use super::{context, emit, op};
use crate::cli::{HaltArgs, P0Args};
use crate::exit::{self, Outcome};

pub fn halt(a: &HaltArgs) -> Outcome {
    let cx = context(&a.common.root, a.common.actor.as_deref())?;
    let h = op(&cx, |cx| {
        ops::halt(cx, &a.reason, a.incident.as_deref(), a.manual)
    })?;
    let id = h.incident.as_deref().unwrap_or("INC-…");
    let t = &h.transition;
    let mut out = String::new();
    if t.from == "HALTED" {
        let _ = writeln!(
            out,
            "Already HALTED; incident {id} updated (no new incident){}.",
            t.hook
                .as_ref()
                .map(|h| format!(
                    " (kill switch re-engaged by the hook in {} ms)",
                    h.duration_ms
                ))
                .unwrap_or_default()
        );
    } else {
        let _ = writeln!(
            out,
            "HALTED ({} → HALTED{}), incident {id}.",
            t.from,
            if a.manual {
                ", recorded as halted by hand".to_string()
            } else {
                t.hook
                    .as_ref()
                    .map(|h| format!(", hook ok in {} ms", h.duration_ms))
                    .unwrap_or_default()
            }
        );
    }
    if !a.manual && t.hook.is_none() {
        let _ = writeln!(out, "\n{}", super::safety::no_hook("HALTED"));
    }
    out.push_str("\nDo now, in this order:\n");
    let _ = writeln!(
        out,
        "  1. Check the platform really stopped: open orders 0, strategies stopped (`opsbook safety status`)."
    );
    let _ = writeln!(out, "  2. Collect evidence before touching anything:");
    for e in &h.evidence {
        let _ = writeln!(out, "       - {e}");
    }
    let _ = writeln!(
        out,
        "     `opsbook evidence collect --incident {id} --runbook {}` (the bundle is attached to {id}).",
        ops::HALT_RUNBOOK
    );
    let _ = writeln!(
        out,
        "  3. Write what you know: `opsbook incident log {id} \"…\"`."
    );
    if let Some(rb) = &h.symptom {
        let _ = writeln!(
            out,
            "  4. The symptom's runbook: {} ({}){}: `opsbook run {} --plan` lists its steps.",
            rb.runbook,
            rb.file,
            rb.severity
                .as_ref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            rb.runbook
        );
    } else {
        let _ = writeln!(
            out,
            "  4. Not sure what it is? `opsbook find WORDS` names the runbook for what the screen says."
        );
    }
    match &h.advice {
        ops::Advice::Rest => {
            let _ = writeln!(
                out,
                "  5. Rest. HALTED is safe: nothing needs to be fixed tonight. Leaving it needs `opsbook confirm release_halt` after at least the dwell time."
            );
        }
        ops::Advice::ActNow { runbook, why } => {
            let _ = writeln!(
                out,
                "  5. Do NOT rest yet: {why}. Follow {runbook} now: `opsbook run {runbook} --incident {id}`."
            );
        }
    }
    if h.incident.is_none() {
        out.push_str("\nNo incident holds this halt (see below): open one when the ledgers are repaired, `opsbook incident open --title … --severity P0 --reason …`.\n");
    }
    emit(a.common.format, &h, &out)?;
    Ok(super::unrecorded(&h.unrecorded, exit::OK))
}

pub fn p0(a: &P0Args) -> Outcome {
    let cx = context(&a.common.root, a.common.actor.as_deref())?;
    let mut answers = CliAnswers::new(a.answers.as_deref())?;
    let w = op(&cx, |cx| {
        ops::p0(cx, a.incident.as_deref(), &a.title, &mut answers)
    })?;
    let mut out = String::new();
    match &w.incident {
        Some(id) => {
            if let Some(at) = &w.resumed_at {
                let _ = writeln!(out, "Resumed {id} at step {at}.");
            }
            let _ = writeln!(
                out,
                "{} step(s) recorded in {id}'s timeline (`opsbook incident timeline {id}`){}.",
                w.steps_recorded,
                if w.opened { ", opened at step 2" } else { "" }
            );
        }
        None => out.push_str("Nothing recorded: no incident yet (step 2 opens it).\n"),
    }
    if let Some(n) = &w.not_done {
        let _ = writeln!(
            out,
            "Step {} is NOT done: it sets {}, and ledger/safety.jsonl shows {}. Nothing was recorded for it.",
            n.step, n.expected, n.found
        );
    }
    match (&w.next_step, &w.incident) {
        (Some(s), Some(id)) => {
            let _ = writeln!(out, "Next: step {s}. `opsbook p0 {id}` continues there.");
        }
        (Some(s), None) => {
            let _ = writeln!(out, "Next: step {s}. `opsbook p0` starts again there.");
        }
        (None, _) => out.push_str("Every step is done.\n"),
    }
    emit(a.common.format, &w, &out)?;
    Ok(if w.not_done.is_some() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
