//! The human-limits commands: `opsbook confirm` (D-SAFE-CONFIRM,
//! D-HUMAN-FATIGUE), `opsbook halt` and `opsbook p0` (D-HUMAN-P0,
//! D-HUMAN-DONOT).

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use opsbook_core::confirm::{self, SelfCheck};
use opsbook_core::ledger::{self, Actor};
use opsbook_core::safety::{Decision, Matrix, Source};
use opsbook_core::ssot::Ssot;
use serde_json::{Value, json};

use super::safety::{SetError, ledger_path, machine, matrix_value, set_state};
use crate::cli::{ConfirmArgs, HaltArgs, ListFormat, P0Args};

/// Where answers come from: the terminal, or a file (drills, tests).
enum Answers {
    Tty,
    File(Value),
}

#[allow(clippy::print_stderr)]
fn say(s: &str) {
    eprintln!("{s}");
}

impl Answers {
    fn new(file: Option<&Path>) -> anyhow::Result<Answers> {
        match file {
            Some(f) => Ok(Answers::File(super::severity::read_value(f)?)),
            None if std::io::stdin().is_terminal() => Ok(Answers::Tty),
            None => bail!(
                "no terminal to ask the questions on: run it in a console, or give the answers with --answers FILE (drills and tests)"
            ),
        }
    }

    /// Asks `prompt`; from a file, reads `key` (a JSON pointer).
    fn ask(&self, pointer: &str, prompt: &str) -> anyhow::Result<String> {
        match self {
            Answers::Tty => {
                #[allow(clippy::print_stderr)]
                {
                    eprint!("{prompt} ");
                }
                std::io::stderr().flush()?;
                let mut line = String::new();
                if std::io::stdin().lock().read_line(&mut line)? == 0 {
                    bail!("input ended before the question was answered: {prompt}");
                }
                Ok(line.trim().to_string())
            }
            Answers::File(v) => match v.pointer(pointer) {
                Some(Value::String(s)) => Ok(s.trim().to_string()),
                Some(Value::Bool(b)) => Ok(if *b { "yes" } else { "no" }.to_string()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                Some(Value::Null) | None => bail!(
                    "the answers file has no `{}` ({prompt})",
                    pointer.trim_start_matches('/').replace('/', ".")
                ),
                Some(other) => Ok(other.to_string()),
            },
        }
    }
}

fn yes(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "はい"
    )
}

fn hours(s: &str, what: &str) -> anyhow::Result<f64> {
    s.trim()
        .trim_end_matches('h')
        .parse::<f64>()
        .ok()
        .filter(|h| h.is_finite() && *h >= 0.0)
        .ok_or_else(|| anyhow::anyhow!("{what}: `{s}` is not a number of hours"))
}

pub fn confirm_cmd(a: &ConfirmArgs) -> anyhow::Result<u8> {
    let root = super::resolve_root(&a.common.root)?;
    let who = Actor::current(a.common.actor.clone());
    let mv = matrix_value(&root)?;
    let mx = Matrix::from_value(&mv);
    let policy = confirm::Policy::from_value(Some(&mv));
    let op = a.operation.trim();
    let tier = match mx.actions.iter().find(|x| x.id == op) {
        Some(x) => x.tier.clone(),
        None if op == "freeze_exception" => "T2".to_string(),
        None => bail!(
            "`{op}` is not an action of policy/safety-matrix.yaml (nor freeze_exception){}",
            opsbook_core::safety::closest(op, mx.actions.iter().map(|x| x.id.as_str()))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default()
        ),
    };
    let m = machine(&root)?;
    let state = super::safety::current(&root, &m)?.state;
    let answers = Answers::new(a.answers.as_deref())?;
    let target: String = match (&a.target, &answers) {
        (Some(t), _) => t.clone(),
        (None, _) if op == "release_halt" => m
            .next(&state)
            .iter()
            .find(|t| !t.escalate)
            .map_or_else(|| "RECOVERING".to_string(), |t| t.to.clone()),
        (None, Answers::File(_)) => answers.ask("/target", "target")?,
        (None, Answers::Tty) => answers.ask(
            "",
            "What is the action's target (host, key label, symbol, data range)?",
        )?,
    };
    if target.trim().is_empty() {
        bail!("the target is empty: name exactly what the action touches (--target NAME)");
    }
    let a_target = target;
    if op == "release_halt" {
        let next: Vec<String> = m
            .next(&state)
            .iter()
            .filter(|t| !t.escalate)
            .map(|t| t.to.clone())
            .collect();
        if !next.contains(&a_target) {
            bail!(
                "release_halt confirms the state to leave {state} for: --target must be one of {} (the transition `opsbook safety set` will make)",
                if next.is_empty() {
                    "none (not in HALTED)".to_string()
                } else {
                    next.join(", ")
                }
            );
        }
    }
    if op != "freeze_exception" {
        let ans = mx.can(op, &state);
        if ans.decision == Decision::Deny {
            say(&format!("refused: {}", ans.why));
            return Ok(crate::EXIT_FINDINGS);
        }
    }
    let log = ledger_path(&root, "confirmations");
    let store = super::incident::store(&root)?;
    let inc = match &a.incident {
        Some(i) => Some(store.load(&store.resolve(i)?)?),
        None => None,
    };
    let start = ledger::append(
        &log,
        &who,
        "confirmation_started",
        json!({"operation": op, "target": a_target, "tier": tier, "state": state, "incident": inc.as_ref().map(|i| i.id.clone())}),
    )?;
    let id = format!("CNF-{}", start.seq);
    let record = |step: &str, question: &str, answer: &str| -> anyhow::Result<()> {
        ledger::append(
            &log,
            &who,
            "confirm_answer",
            json!({"confirmation": id, "step": step, "question": question, "answer": answer}),
        )?;
        Ok(())
    };
    let refuse = |why: String| -> anyhow::Result<u8> {
        ledger::append(
            &log,
            &who,
            "confirmation_refused",
            json!({"confirmation": id, "why": why}),
        )?;
        say(&format!("refused: {why}"));
        Ok(crate::EXIT_FINDINGS)
    };
    if matches!(answers, Answers::Tty) {
        say(&format!(
            "High-danger confirmation {id}: {op} ({tier}) on `{}` in state {state}. Stay honest: every answer is recorded.",
            a_target
        ));
    }
    // 1. Fatigue self-check: 迷ったらHALT→証跡→休む.
    let awake = answers.ask("/hours_awake", "Fatigue check — hours awake now?")?;
    record("fatigue", "hours awake", &awake)?;
    let slept = answers.ask("/hours_slept", "Hours slept in the last 24 h?")?;
    record("fatigue", "hours slept", &slept)?;
    let now = opsbook_core::clock::now();
    let on_incident = match &inc {
        Some(i) => i
            .opened_at
            .parse::<jiff::Timestamp>()
            .map(|o| (now.as_millisecond() - o.as_millisecond()) as f64 / 3_600_000.0)
            .unwrap_or(0.0),
        None => {
            let h = answers
                .ask("/hours_on_incident", "Hours on this problem so far?")
                .unwrap_or_else(|_| "0".into());
            record("fatigue", "hours on this problem", &h)?;
            hours(&h, "hours on this problem")?
        }
    };
    let local_hour =
        u8::try_from(now.to_zoned_datetime(jiff::tz::TimeZone::system()).hour()).unwrap_or(0);
    let hours_slept = hours(&slept, "hours slept")?;
    if hours_slept > 24.0 {
        bail!("hours slept in the last 24 h: {hours_slept} is more than 24");
    }
    let check = SelfCheck {
        hours_awake: hours(&awake, "hours awake")?,
        hours_slept,
        hours_on_incident: on_incident,
        local_hour,
    };
    let over = confirm::fatigue_over(&policy.fatigue, &check);
    let mut override_reason = a.override_reason.clone().filter(|r| !r.trim().is_empty());
    if !over.is_empty() {
        say(&format!(
            "Fatigue: {}.\nIn doubt: HALT → evidence → rest (迷ったらHALT→証跡→休む). Stop here, keep the safer state, seal evidence, and rest or hand over.",
            over.join("; ")
        ));
        if tier == "T2" {
            if override_reason.is_none() && matches!(answers, Answers::Tty) {
                let r = answers.ask("", "To override anyway, type the reason (empty = stop):")?;
                override_reason = Some(r).filter(|r| !r.is_empty());
            }
            match &override_reason {
                Some(r) => record("fatigue", "override reason", r)?,
                None => {
                    return refuse(format!(
                        "fatigue over threshold ({}) for a T2 action; give --override-reason to proceed anyway (recorded)",
                        over.join("; ")
                    ));
                }
            }
        }
    }
    // 2. The checklist: every answer yes.
    for q in &policy.checklist {
        let ans = answers.ask(
            &format!("/checklist/{}", q.id),
            &format!("{} (y/n)", q.question),
        )?;
        record("checklist", &q.question, &ans)?;
        if !yes(&ans) {
            return refuse(format!("checklist stopped at: {}", q.question));
        }
    }
    // 3. The target, typed; cooling-off; typed again.
    let t1 = answers.ask("/target", "Type the target exactly (case-sensitive):")?;
    record("target", "target", &t1)?;
    if t1 != a_target {
        return refuse(format!(
            "target mismatch: typed `{t1}`, the action is on `{}`",
            a_target
        ));
    }
    let cool = Duration::from_secs(policy.cooling_off_seconds);
    let t0 = Instant::now();
    say(&format!(
        "Cooling-off {} s: do nothing else, re-read the backout of {op}. Then type the target again.",
        cool.as_secs()
    ));
    let t2 = match &answers {
        Answers::Tty => loop {
            let t = answers.ask("", "Target again:")?;
            let left = cool.saturating_sub(t0.elapsed());
            if left.is_zero() {
                break t;
            }
            record(
                "cooling_off",
                "target typed before the cooling-off ended",
                &t,
            )?;
            say(&format!(
                "cooling-off not over: {} s left. Wait, re-read the backout, then type it again.",
                left.as_secs() + 1
            ));
        },
        Answers::File(_) => {
            let mut last_shown = u64::MAX;
            while t0.elapsed() < cool {
                let left = cool.saturating_sub(t0.elapsed()).as_secs();
                if left / 10 != last_shown / 10 && std::io::stderr().is_terminal() {
                    say(&format!("  cooling-off: {left} s left"));
                    last_shown = left;
                }
                std::thread::sleep(
                    Duration::from_millis(200).min(cool.saturating_sub(t0.elapsed())),
                );
            }
            answers.ask("/target_again", "Target again:")?
        }
    };
    record("target", "target again", &t2)?;
    if t2 != a_target {
        return refuse(format!(
            "target mismatch after cooling-off: typed `{t2}`, the action is on `{}`",
            a_target
        ));
    }
    let why = answers.ask("/reason", "Why now (one line)?")?;
    record("reason", "why now", &why)?;
    if why.trim().is_empty() {
        return refuse("no reason given for doing it now".into());
    }
    let valid_until = ledger::format_ts(jiff::Timestamp::from_millisecond(
        opsbook_core::clock::now()
            .as_millisecond()
            .saturating_add(policy.valid_minutes.saturating_mul(60_000)),
    )?);
    let ev = ledger::append(
        &log,
        &who,
        "confirmed",
        json!({
            "confirmation": id, "operation": op, "target": a_target, "tier": tier, "state": state,
            "valid_until": valid_until, "fatigue": {"check": check, "over": over},
            "override_reason": override_reason, "reason": why,
            "incident": inc.as_ref().map(|i| i.id.clone()),
        }),
    )?;
    if let Some(i) = &inc
        && !i.status.is_terminal()
    {
        store.transact(&i.id, &who, |_| {
            Ok(vec![(
                "decision".into(),
                json!({"decision": format!("high-danger confirmation {id} passed: {op} on {}", a_target), "reason": why, "alternatives": []}),
            )])
        })?;
    }
    let text = match a.common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(
                &json!({"confirmation": id, "valid_until": valid_until, "event": ev}),
            )? + "\n"
        }
        _ => format!(
            "{id} confirmed: {op} on `{}`, valid until {valid_until}, used once.\n",
            a_target
        ),
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

/// The sections and steps of a runbook, by ID.
struct RunbookText {
    rel: String,
    text: String,
    required_evidence: Vec<String>,
}

fn runbook(root: &Path, id: &str) -> anyhow::Result<RunbookText> {
    let ssot = Ssot::load(root)?;
    let Some(rb) = ssot
        .runbooks
        .iter()
        .find(|r| r.meta.id.as_deref() == Some(id))
    else {
        bail!("runbook {id} is not in this SSOT (runbooks/runbooks.yaml)");
    };
    let f = ssot.runbook_file(rb);
    let bytes = std::fs::read(root.join(&f.rel))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", f.rel))?
        .text;
    let required_evidence = f
        .value()
        .map(opsbook_core::required::items)
        .unwrap_or_default()
        .iter()
        .map(opsbook_core::required::EvidenceItem::describe)
        .collect();
    Ok(RunbookText {
        rel: f.rel.clone(),
        text,
        required_evidence,
    })
}

/// The body lines of the section whose heading contains `name`.
fn section(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in text.lines() {
        if l.starts_with("## ") {
            inside = l.to_ascii_lowercase().contains(name);
            continue;
        }
        if inside && !l.trim().is_empty() {
            out.push(l.to_string());
        }
    }
    out
}

pub fn halt(a: &HaltArgs) -> anyhow::Result<u8> {
    let root = super::resolve_root(&a.common.root)?;
    let who = Actor::current(a.common.actor.clone());
    let reason = a.reason.trim();
    if reason.is_empty() {
        bail!("--reason is empty: one line on why trading stops");
    }
    let store = super::incident::store(&root)?;
    let id = match &a.incident {
        Some(i) => store.resolve(i)?,
        None => {
            let (id, _) = store.open(
                &who,
                json!({"title": format!("HALT: {reason}"), "severity": "P0", "reason": format!("opsbook halt: {reason}")}),
            )?;
            super::safety::freeze_on_if_off(
                &root,
                &who,
                &format!("P0 incident {id} opened"),
                Some(&id),
                "incident",
            )?;
            id
        }
    };
    let mut out = String::new();
    match set_state(
        &root,
        &who,
        "HALTED",
        reason,
        None,
        Source::Operator,
        Some(&id),
        a.manual,
    ) {
        Ok(o) if o.from == "HALTED" => {
            let _ = writeln!(
                out,
                "Already HALTED; incident {id} updated{}.",
                o.hook
                    .as_ref()
                    .map(|h| format!(
                        " (kill switch re-engaged by the hook in {} ms)",
                        h.duration_ms
                    ))
                    .unwrap_or_default()
            );
            store.transact(&id, &who, |_| {
                Ok(vec![(
                    "note".into(),
                    json!({"text": format!("opsbook halt while already HALTED: {reason}")}),
                )])
            })?;
        }
        Ok(o) => {
            let _ = writeln!(
                out,
                "HALTED ({} → HALTED{}), incident {id}.",
                o.from,
                if a.manual {
                    ", recorded as halted by hand".to_string()
                } else {
                    o.hook
                        .as_ref()
                        .map(|h| format!(", hook ok in {} ms", h.duration_ms))
                        .unwrap_or_default()
                }
            );
        }
        Err(SetError::Refused(m)) => {
            say(&format!("refused: {m}"));
            return Ok(crate::EXIT_FINDINGS);
        }
        Err(SetError::HookFailed(m)) => {
            store.transact(&id, &who, |_| {
                Ok(vec![("note".into(), json!({"text": format!("HALT hook failed: {}", m.lines().next().unwrap_or(""))}))])
            })?;
            say(&format!(
                "hook failed: {m}\nIncident {id} is open. Halt the platform by hand NOW (the steps above), then record it: `opsbook halt --incident {id} --manual --reason \"…\"`."
            ));
            return Ok(super::safety::EXIT_HOOK_FAILED);
        }
        Err(SetError::Other(e)) => return Err(e),
    }
    let evidence = runbook(&root, "RB-QUICK-HALT-EVIDENCE")
        .map(|r| r.required_evidence)
        .unwrap_or_default();
    if !evidence.is_empty() {
        store.transact(&id, &who, |_| {
            Ok(vec![("note".into(), json!({"text": format!("Evidence to collect now (RB-QUICK-HALT-EVIDENCE): {}", evidence.join(" | "))}))])
        })?;
    }
    out.push_str("\nDo now, in this order:\n");
    let _ = writeln!(
        out,
        "  1. Check the platform really stopped: open orders 0, strategies stopped (`opsbook safety status`)."
    );
    let _ = writeln!(out, "  2. Collect evidence before touching anything:");
    for e in &evidence {
        let _ = writeln!(out, "       - {e}");
    }
    let _ = writeln!(
        out,
        "     `opsbook evidence collect --incident {id} --runbook RB-QUICK-HALT-EVIDENCE`, then `opsbook incident attach {id} BUNDLE --sha256 HEX`."
    );
    let _ = writeln!(
        out,
        "  3. Write what you know: `opsbook incident log {id} \"…\"`."
    );
    let _ = writeln!(
        out,
        "  4. Rest. HALTED is safe: nothing needs to be fixed tonight. Leaving it needs `opsbook confirm release_halt` after at least the dwell time."
    );
    let text = match a.common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(
                &json!({"state": "HALTED", "incident": id, "evidence": evidence}),
            )? + "\n"
        }
        _ => out,
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

pub fn p0(a: &P0Args) -> anyhow::Result<u8> {
    const RB: &str = "RB-QUICK-P0-FIRST-TEN";
    let root = super::resolve_root(&a.common.root)?;
    let who = Actor::current(a.common.actor.clone());
    let rb = runbook(&root, RB)?;
    let answers = Answers::new(a.answers.as_deref())?;
    let store = super::incident::store(&root)?;
    let id = match &a.incident {
        Some(i) => store.resolve(i)?,
        None => {
            let (id, _) = store.open(&who, json!({"title": a.title, "severity": "P0", "reason": "opsbook p0: P0 first ten steps"}))?;
            super::safety::freeze_on_if_off(
                &root,
                &who,
                &format!("P0 incident {id} opened"),
                Some(&id),
                "incident",
            )?;
            say(&format!("opened {id} (P0)"));
            id
        }
    };
    // Do-Not-Do first (D-HUMAN-DONOT).
    let dont = section(&rb.text, "do-not-do");
    say(&format!(
        "{RB} ({}) — incident {id}\n\nDo NOT (read this first):",
        rb.rel
    ));
    for l in &dont {
        say(&format!("  {l}"));
    }
    let body = opsbook_core::markdown::parse_body(&rb.text, 1);
    // Resume: steps already recorded for this runbook are not asked again.
    let done_before: Vec<String> = store
        .load(&id)?
        .events
        .iter()
        .filter(|e| {
            e.kind == "runbook_step" && e.data.get("runbook").and_then(Value::as_str) == Some(RB)
        })
        .filter_map(|e| {
            e.data
                .get("step")
                .map(|v| v.to_string().trim_matches('"').to_string())
        })
        .collect();
    if !done_before.is_empty() {
        say(&format!(
            "resuming: step(s) {} already recorded",
            done_before.join(", ")
        ));
    }
    let lines: Vec<&str> = rb.text.lines().collect();
    let mut recorded = 0;
    for cb in &body.code_blocks {
        let Some(step) = cb
            .attrs
            .iter()
            .find(|(k, _)| k == "step")
            .map(|(_, v)| v.clone())
        else {
            continue;
        };
        let tier = cb
            .attrs
            .iter()
            .find(|(k, _)| k == "tier")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        // The paragraph just above the block says what the step is for
        // (skipping the blank line between them).
        let mut para: Vec<&str> = Vec::new();
        let mut i = cb.line.saturating_sub(2);
        while i > 0 && i < lines.len() && lines[i].trim().is_empty() {
            i -= 1;
        }
        while i < lines.len()
            && !lines[i].trim().is_empty()
            && !lines[i].starts_with('#')
            && !lines[i].starts_with("```")
        {
            para.push(lines[i].trim());
            if i == 0 {
                break;
            }
            i -= 1;
        }
        para.reverse();
        say(&format!(
            "\nStep {step} ({tier}): {}\n{}",
            para.join(" "),
            cb.code.trim_end()
        ));
        // From a file: `"3": {result: done, note: …}` or simply `"3": done`.
        let ans = match &answers {
            Answers::File(v)
                if v.pointer(&format!("/steps/{step}"))
                    .is_some_and(Value::is_string) =>
            {
                answers.ask(&format!("/steps/{step}"), "result")?
            }
            _ => answers.ask(
                &format!("/steps/{step}/result"),
                &format!("Step {step}: done, skipped or quit?"),
            )?,
        };
        let result = match ans.to_ascii_lowercase().as_str() {
            "d" | "done" | "y" | "yes" => "done",
            "s" | "skip" | "skipped" | "n" | "no" => "skipped",
            "q" | "quit" => break,
            other => bail!("step {step}: `{other}` is not done, skipped or quit"),
        };
        let noted = match &answers {
            Answers::Tty => answers.ask("", "Note (what you saw; empty for none):")?,
            Answers::File(_) => answers
                .ask(&format!("/steps/{step}/note"), "note")
                .unwrap_or_default(),
        };
        let step_v: Value = step
            .parse::<u64>()
            .map_or_else(|_| json!(step), |n| json!(n));
        store.transact(&id, &who, |_| {
            Ok(vec![(
                "runbook_step".into(),
                json!({"runbook": RB, "step": step_v, "tier": tier, "result": result, "note": noted}),
            )])
        })?;
        recorded += 1;
    }
    let text = match a.common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({"incident": id, "steps_recorded": recorded}))?
                + "\n"
        }
        _ => format!(
            "{recorded} step(s) recorded in {id}'s timeline (`opsbook incident timeline {id}`).\n"
        ),
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}
