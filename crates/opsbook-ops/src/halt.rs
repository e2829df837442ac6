//! `halt` and `p0` (D-HUMAN-P0, D-HUMAN-DONOT): stop trading now — HALTED
//! through the hook, the incident opened (through the one open path) or
//! updated, the evidence to collect — and walk the P0 first-ten-steps card
//! one step at a time, Do-Not-Do first.

use opsbook_core::event::IncidentEvent;
use opsbook_core::event::incident::{self as iev, StepId};
use opsbook_core::safety::Source;
use opsbook_core::ssot::Ssot;
use serde::Serialize;

use crate::confirm::{Answers, Question};
use crate::incident::{OpenRequest, SeverityInput};
use crate::safety::{SetOutcome, SetRequest};
use crate::{Context, OpsError};

/// The runbook whose required evidence `halt` lists.
pub const HALT_RUNBOOK: &str = "RB-QUICK-HALT-EVIDENCE";
/// The P0 first-ten-steps card.
pub const P0_RUNBOOK: &str = "RB-QUICK-P0-FIRST-TEN";

/// A runbook's text and its required evidence, by ID.
#[derive(Debug, Clone)]
pub struct RunbookText {
    /// Its file, relative to the root.
    pub rel: String,
    /// Its text.
    pub text: String,
    /// What its `required_evidence` asks for, described.
    pub required_evidence: Vec<String>,
}

/// Reads a registered runbook.
///
/// # Errors
/// Not registered, unreadable.
pub fn runbook(ctx: &Context, id: &str) -> Result<RunbookText, OpsError> {
    let ssot = Ssot::load(ctx.layout.root())?;
    let Some(rb) = ssot
        .runbooks
        .iter()
        .find(|r| r.meta.id.as_deref() == Some(id))
    else {
        return Err(OpsError::invalid(format!(
            "runbook {id} is not in this SSOT (runbooks/runbooks.yaml)"
        )));
    };
    let f = ssot.runbook_file(rb);
    let path = ctx.layout.root().join(&f.rel);
    let bytes = std::fs::read(&path).map_err(|e| OpsError::io(&path, e))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| OpsError::Other(format!("{}: {e}", f.rel)))?
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

/// What [`halt`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Halted {
    /// Always `HALTED`.
    pub state: &'static str,
    /// The incident, opened or updated.
    pub incident: String,
    /// What to collect now (the halt runbook's required evidence).
    pub evidence: Vec<String>,
    /// The transition (`from` = `HALTED`: re-engaged).
    #[serde(skip)]
    pub transition: SetOutcome,
    /// A new incident was opened.
    #[serde(skip)]
    pub opened: bool,
}

/// Stops trading: opens a P0 incident (unless one is given) through the
/// one open path (which freezes changes by policy), moves the platform to
/// HALTED through its hook, and notes what evidence to collect.
///
/// # Errors
/// An empty reason; the hook failed ([`OpsError::HookFailed`], with the
/// incident: it is open and says so); as [`crate::safety::set_state`].
pub fn halt(
    ctx: &Context,
    reason: &str,
    incident: Option<&str>,
    manual: bool,
) -> Result<Halted, OpsError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OpsError::invalid(
            "--reason is empty: one line on why trading stops",
        ));
    }
    let store = ctx.store()?;
    let (id, opened) = match incident {
        Some(i) => (store.resolve(i)?, false),
        None => {
            let o = crate::incident::open(
                ctx,
                &OpenRequest {
                    title: format!("HALT: {reason}"),
                    severity: SeverityInput {
                        stated: Some("P0".into()),
                        reason: Some(format!("opsbook halt: {reason}")),
                        ..SeverityInput::default()
                    },
                    ..OpenRequest::default()
                },
            )?;
            (o.id, true)
        }
    };
    let clock = ctx.clock.as_ref();
    let transition = match crate::safety::set_state(
        ctx,
        &SetRequest {
            to: "HALTED".into(),
            reason: reason.to_string(),
            evidence: None,
            source: Source::Operator,
            incident: Some(id.clone()),
            manual,
        },
    ) {
        Ok(o) => o,
        Err(OpsError::HookFailed(mut f)) => {
            store.transact(clock, &id, &ctx.actor, |_| {
                Ok::<_, OpsError>(vec![IncidentEvent::Note(iev::Note {
                    text: format!("HALT hook failed: {}", f.headline()),
                })])
            })?;
            f.incident = Some(id);
            return Err(OpsError::HookFailed(f));
        }
        Err(e) => return Err(e),
    };
    if transition.from == "HALTED" {
        store.transact(clock, &id, &ctx.actor, |_| {
            Ok::<_, OpsError>(vec![IncidentEvent::Note(iev::Note {
                text: format!("opsbook halt while already HALTED: {reason}"),
            })])
        })?;
    }
    let evidence = runbook(ctx, HALT_RUNBOOK)
        .map(|r| r.required_evidence)
        .unwrap_or_default();
    if !evidence.is_empty() {
        store.transact(clock, &id, &ctx.actor, |_| {
            Ok::<_, OpsError>(vec![IncidentEvent::Note(iev::Note {
                text: format!(
                    "Evidence to collect now ({HALT_RUNBOOK}): {}",
                    evidence.join(" | ")
                ),
            })])
        })?;
    }
    Ok(Halted {
        state: "HALTED",
        incident: id,
        evidence,
        transition,
        opened,
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

/// What [`p0`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Walked {
    /// The incident.
    pub incident: String,
    /// Steps recorded now.
    pub steps_recorded: usize,
}

/// Walks the P0 first-ten-steps card: the Do-Not-Do list first, then each
/// step (what it is for, its code), recorded as done or skipped in the
/// incident's timeline. Steps already recorded are announced (resume).
/// A new P0 incident goes through the one open path.
///
/// # Errors
/// The card is not in the SSOT; an answer that is not done, skipped or quit.
pub fn p0(
    ctx: &Context,
    incident: Option<&str>,
    title: &str,
    answers: &mut dyn Answers,
) -> Result<Walked, OpsError> {
    let rb = runbook(ctx, P0_RUNBOOK)?;
    let store = ctx.store()?;
    let id = match incident {
        Some(i) => store.resolve(i)?,
        None => {
            let o = crate::incident::open(
                ctx,
                &OpenRequest {
                    title: title.to_string(),
                    severity: SeverityInput {
                        stated: Some("P0".into()),
                        reason: Some("opsbook p0: P0 first ten steps".into()),
                        ..SeverityInput::default()
                    },
                    ..OpenRequest::default()
                },
            )?;
            answers.say(&format!("opened {} (P0)", o.id));
            o.id
        }
    };
    // Do-Not-Do first (D-HUMAN-DONOT).
    let dont = section(&rb.text, "do-not-do");
    answers.say(&format!(
        "{P0_RUNBOOK} ({}) — incident {id}\n\nDo NOT (read this first):",
        rb.rel
    ));
    for l in &dont {
        answers.say(&format!("  {l}"));
    }
    let body = opsbook_core::markdown::parse_body(&rb.text, 1);
    // Resume: steps already recorded for this runbook are not asked again.
    let done_before: Vec<String> = store
        .load(&id)?
        .events
        .iter()
        .filter_map(|e| match opsbook_core::event::parse::<IncidentEvent>(e) {
            Some(IncidentEvent::RunbookStep(s)) if s.runbook == P0_RUNBOOK => {
                Some(s.step.to_string())
            }
            _ => None,
        })
        .collect();
    if !done_before.is_empty() {
        answers.say(&format!(
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
        answers.say(&format!(
            "\nStep {step} ({tier}): {}\n{}",
            para.join(" "),
            cb.code.trim_end()
        ));
        // From a file: `"3": {result: done, note: …}` or simply `"3": done`.
        let simple_key = format!("/steps/{step}");
        let ans = if answers.prepared(&simple_key).is_some_and(|v| v.is_string()) {
            answers.ask(Question {
                key: &simple_key,
                prompt: "result",
            })?
        } else {
            let key = format!("/steps/{step}/result");
            let prompt = format!("Step {step}: done, skipped or quit?");
            answers.ask(Question {
                key: &key,
                prompt: &prompt,
            })?
        };
        let result = match ans.to_ascii_lowercase().as_str() {
            "d" | "done" | "y" | "yes" => "done",
            "s" | "skip" | "skipped" | "n" | "no" => "skipped",
            "q" | "quit" => break,
            other => {
                return Err(OpsError::invalid(format!(
                    "step {step}: `{other}` is not done, skipped or quit"
                )));
            }
        };
        let noted = if answers.live() {
            answers.ask(Question {
                key: "",
                prompt: "Note (what you saw; empty for none):",
            })?
        } else {
            let key = format!("/steps/{step}/note");
            answers
                .ask(Question {
                    key: &key,
                    prompt: "note",
                })
                .unwrap_or_default()
        };
        store.transact(ctx.clock.as_ref(), &id, &ctx.actor, |_| {
            Ok::<_, OpsError>(vec![IncidentEvent::RunbookStep(iev::RunbookStep {
                runbook: P0_RUNBOOK.into(),
                step: StepId::parse(&step),
                tier: tier.clone(),
                result: result.into(),
                note: noted,
            })])
        })?;
        recorded += 1;
    }
    Ok(Walked {
        incident: id,
        steps_recorded: recorded,
    })
}
