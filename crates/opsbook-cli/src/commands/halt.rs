//! `opsbook halt` and `opsbook p0` (D-HUMAN-P0): parse → one operation of
//! `opsbook_ops::halt` → render → exit code (4 when the kill-switch hook
//! failed; 1 when no hook is configured: HALTED is recorded as the
//! operator's manual act and nothing was stopped).

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
    } else if h.nothing_stopped {
        let _ = writeln!(
            out,
            "HALTED recorded as switched by hand ({} → HALTED), incident {id}: opsbook stopped NOTHING.\nopsbook.toml has no [safety.hooks.HALTED], so no kill switch ran. Stop trading by hand NOW (stop the strategies, cancel every open order), then check it (step 1). Configure the hook afterwards (docs/formats.md, [safety.hooks]); exit status 1 says the same to a script.",
            t.from
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
    if !a.manual && !h.nothing_stopped && t.hook.is_none() {
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
    // Nothing was stopped without a hook: not a success (issue 13).
    let done = if h.nothing_stopped {
        exit::FINDINGS
    } else {
        exit::OK
    };
    Ok(super::unrecorded(&h.unrecorded, done))
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
    if let Some(u) = &w.unmet {
        let _ = writeln!(
            out,
            "Step {} is NOT done: the record lacks {}. Nothing was recorded for it; record them (step 9 of {}), then walk on.",
            u.step,
            u.missing.join(" and "),
            ops::P0_RUNBOOK
        );
    }
    if let Some(step) = &w.unanswered {
        let file = a
            .answers
            .as_deref()
            .map(|p| opsbook_core::text::quote_arg(&p.display().to_string()))
            .unwrap_or_else(|| "FILE".into());
        let resume = match &w.incident {
            Some(id) => format!("opsbook p0 {id} --answers {file}"),
            None => format!("opsbook p0 --answers {file}"),
        };
        let _ = writeln!(
            out,
            "Stopped before step {step}: the answers file has no answer for it (`steps.{step}`); every step before it is recorded whole, nothing of step {step}. Add `\"{step}\": done` (or skipped) to the file and run `{resume}` to resume at step {step}."
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
    Ok(
        if w.not_done.is_some() || w.unmet.is_some() || w.unanswered.is_some() {
            exit::FINDINGS
        } else {
            exit::OK
        },
    )
}
