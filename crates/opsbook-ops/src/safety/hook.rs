//! The platform hook of a safety transition: running it with its attempt
//! and result recorded, and what the operator does by hand when it fails
//! (the manual runbook's steps).

use opsbook_core::event::{SafetyEvent, safety as sev};
use opsbook_core::hook::Outcome;
use opsbook_core::ledger::{Event, Writer};
use opsbook_core::safety::Source;
use opsbook_core::ssot::Ssot;

use crate::{Context, HookFailure, ManualSteps, OpsError};

/// The manual steps for a state whose hook failed: the runbook's
/// Mitigation and Safety sections.
pub(super) fn manual_steps(ctx: &Context, runbook: Option<&str>) -> ManualSteps {
    let Some(id) = runbook else {
        return ManualSteps::NoRunbook;
    };
    let unreadable = |why: &str| ManualSteps::Unreadable {
        runbook: id.to_string(),
        why: why.to_string(),
    };
    let Ok(ssot) = Ssot::load(ctx.layout.root()) else {
        return unreadable("the SSOT does not load");
    };
    let Some(rb) = ssot
        .runbooks
        .iter()
        .find(|r| r.meta.id.as_deref() == Some(id))
    else {
        return unreadable("not found in the registry");
    };
    let f = ssot.runbook_file(rb);
    let text = std::fs::read(ctx.layout.root().join(&f.rel))
        .ok()
        .and_then(|b| opsbook_core::text::decode(&b).ok())
        .map(|d| d.text)
        .unwrap_or_default();
    let mut lines = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            inside = line.to_ascii_lowercase().contains("mitigation")
                || line.to_ascii_lowercase().contains("safety");
        }
        if inside {
            lines.push(line.to_string());
        }
    }
    ManualSteps::Sections {
        runbook: id.to_string(),
        file: f.rel.clone(),
        lines,
    }
}

/// The failure of `hook` (the recorded state stays `from`).
pub(super) fn hook_failure(
    ctx: &Context,
    h: &opsbook_core::hook::Hook,
    o: &Outcome,
    from: &str,
    to: &str,
    reengage: bool,
) -> OpsError {
    OpsError::HookFailed(Box::new(HookFailure {
        to: to.to_string(),
        from: from.to_string(),
        reengage,
        why: why_failed(o, h.timeout_seconds),
        timed_out: o.timed_out,
        stderr: o.stderr.clone(),
        manual: manual_steps(ctx, h.manual_runbook.as_deref()),
        incident: None,
    }))
}

fn why_failed(o: &Outcome, timeout_seconds: u64) -> String {
    match (&o.error, o.timed_out, o.exit_code) {
        (Some(e), _, _) => e.clone(),
        (None, true, _) => format!("timed out after {timeout_seconds} s and was killed"),
        (None, false, c) => format!(
            "exited with {}",
            c.map_or("a signal".into(), |c| c.to_string())
        ),
    }
}

/// Runs the platform hook: its attempt recorded first, then the hook,
/// then its result. A failure leaves the recorded state as it is.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_hook(
    w: &mut Writer,
    ctx: &Context,
    h: &opsbook_core::hook::Hook,
    from: &str,
    to: &str,
    source: &Source,
    reason: &str,
    reengage: bool,
    env: &[(&str, String)],
) -> Result<(Vec<Event>, Outcome), OpsError> {
    let (clock, who) = (ctx.clock.as_ref(), &ctx.actor);
    let attempt = w.append_event(
        clock,
        who,
        &SafetyEvent::HookAttempt(sev::HookAttempt {
            from: from.to_string(),
            to: to.to_string(),
            command: h.command.clone(),
            timeout_seconds: h.timeout_seconds,
            source: source.as_string(),
            reason: reason.to_string(),
            reengage: reengage.then_some(true),
        }),
    );
    // Nothing happened yet: any state but the emergency stop waits for its
    // record. HALTED never does (the kill switch runs, the gap is named).
    let attempt = match attempt {
        Err(e) if to != "HALTED" => return Err(e.into()),
        a => a,
    };
    let o = opsbook_core::hook::run(h, env);
    let result = w.append_event(
        clock,
        who,
        &SafetyEvent::HookResult(sev::HookResult {
            to: to.to_string(),
            outcome: serde_json::to_value(&o).map_err(|e| OpsError::Other(e.to_string()))?,
        }),
    );
    if !o.ok {
        return Err(hook_failure(ctx, h, &o, from, to, reengage));
    }
    match (attempt, result) {
        (Ok(a), Ok(r)) => Ok((vec![a, r], o)),
        (a, r) => {
            let what = match (&a, &r) {
                (Err(e), _) => format!("its attempt was not recorded ({e})"),
                (_, Err(e)) => format!(
                    "its result was not recorded ({e}); `opsbook safety status` shows the attempt as pending"
                ),
                _ => String::new(),
            };
            Err(OpsError::needs(
                format!(
                    "the {to} hook ran and succeeded ({} ms): the platform is {to}; but the safety ledger still says {from}: {what}. Repair the safety ledger, then record the state with `--manual` (the hook need not run again)",
                    o.duration_ms
                ),
                opsbook_core::next::NextStep::VerifyLedger {
                    path: w.path().display().to_string(),
                },
            ))
        }
    }
}

/// The manual steps as lines of text.
#[must_use]
pub fn render_manual(m: &ManualSteps) -> String {
    match m {
        ManualSteps::NoRunbook => "no manual_runbook is configured for this hook: switch the platform by hand as your runbooks say, then record it with `opsbook safety set` again".into(),
        ManualSteps::Unreadable { runbook, why } if why == "not found in the registry" => {
            format!("follow runbook {runbook} (not found in the registry)")
        }
        ManualSteps::Unreadable { runbook, .. } => format!("follow runbook {runbook}"),
        ManualSteps::Sections {
            runbook,
            file,
            lines,
        } => {
            let mut out = format!("Manual steps ({runbook}, {file}):\n");
            for l in lines {
                out.push_str("  ");
                out.push_str(l);
                out.push('\n');
            }
            out
        }
    }
}
