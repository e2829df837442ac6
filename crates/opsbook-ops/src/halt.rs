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
    /// The incident, opened or updated (`None`: it could not be opened or
    /// found — see `unrecorded`; the platform is halted all the same).
    pub incident: Option<String>,
    /// What to collect now (the halt runbook's required evidence).
    pub evidence: Vec<String>,
    /// What halting should have recorded and could not (a broken ledger,
    /// an incident that does not load): the platform is HALTED, these
    /// records are missing. Empty when the halt is complete.
    pub unrecorded: Vec<String>,
    /// The runbook for the symptom the reason describes ([`crate::find`]
    /// over the reason): what to follow once trading has stopped. `None`
    /// when the reason names no known symptom (then the halt runbook).
    pub symptom: Option<crate::find::Hit>,
    /// What to do after the evidence: rest, or act now.
    pub advice: Advice,
    /// The transition (`from` = `HALTED`: re-engaged).
    #[serde(skip)]
    pub transition: SetOutcome,
    /// A new incident was opened.
    #[serde(skip)]
    pub opened: bool,
}

/// What `halt` advises once trading has stopped and evidence is taken
/// (seed §2.1.8: 迷ったらHALT→証跡→休む — unless halting does not contain
/// the harm).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "advice", rename_all = "snake_case")]
pub enum Advice {
    /// HALTED contains the harm: nothing needs fixing tonight; rest.
    Rest,
    /// HALTED does not contain the harm: follow `runbook` now.
    ActNow {
        /// The symptom's runbook.
        runbook: String,
        /// Why resting does not help.
        why: String,
    },
}

/// Runbook categories whose harm goes on while this platform is HALTED:
/// a leaked key is usable from anywhere until it is revoked.
const HARM_OUTSIDE_THE_PLATFORM: &[&str] = &["security"];

/// The symptom's runbook for a halt reason, and the advice that follows.
fn advice_for(ctx: &Context, reason: &str) -> (Option<crate::find::Hit>, Advice) {
    let hit = crate::find::find(
        ctx,
        &crate::find::FindRequest {
            text: vec![reason.to_string()],
            limit: 1,
        },
    )
    .ok()
    .and_then(|f| f.hits.into_iter().next());
    let Some(hit) = hit else {
        return (None, Advice::Rest);
    };
    let category = Ssot::load_metadata(ctx.layout.root())
        .ok()
        .and_then(|s| {
            s.runbooks
                .iter()
                .find(|r| r.meta.id.as_deref() == Some(hit.runbook.as_str()))
                .and_then(|r| r.meta.category.clone())
        })
        .unwrap_or_default();
    let advice = if HARM_OUTSIDE_THE_PLATFORM.contains(&category.as_str()) {
        Advice::ActNow {
            runbook: hit.runbook.clone(),
            why: format!(
                "HALTED stops this platform's orders, not a {category} threat: whoever holds a leaked key can still trade or withdraw until it is revoked"
            ),
        }
    } else {
        Advice::Rest
    };
    (Some(hit), advice)
}

/// The incident a halt belongs to when none is given: while the platform is
/// already HALTED, the one it was halted for (when it is still open) — a
/// second halt opens no second P0.
fn halted_for(ctx: &Context) -> Option<String> {
    let (_, cur) = crate::state::current(ctx).ok()?;
    if cur.state != "HALTED" {
        return None;
    }
    let id = cur.incident?;
    let store = ctx.store().ok()?;
    let inc = store.load(&id).ok()?;
    (!inc.status.is_terminal()).then_some(id)
}

/// Stops trading. The kill switch never waits for a record: the P0
/// incident is opened (unless one is given, or the platform is already
/// HALTED for an open one) through the one open path, the platform is
/// moved to HALTED through its hook, and the evidence to collect is noted.
/// A ledger that cannot be written (the incident, the freeze, the notes)
/// does not stop the halt: what was not recorded is named in
/// [`Halted::unrecorded`].
///
/// # Errors
/// An empty reason; the hook failed ([`OpsError::HookFailed`], with the
/// incident: it is open and says so); as [`crate::safety::set_state`]
/// (a broken safety ledger: the HALTED hook has run, the error says so).
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
    let mut unrecorded = Vec::new();
    // The reason the platform is already HALTED for, if it is: the advice
    // must not forget it (a key leak halted first is not solved by resting
    // because a clock drift halted it again).
    let earlier = crate::state::current(ctx)
        .ok()
        .filter(|(_, c)| c.state == "HALTED")
        .and_then(|(_, c)| c.reason)
        .filter(|r| r.trim() != reason);
    let store = ctx.store();
    let given = incident.map(|i| {
        store
            .as_ref()
            .map_err(|e| e.to_string())
            .and_then(|s| s.resolve(i).map_err(|e| e.to_string()))
    });
    let (id, opened) = match given {
        Some(Ok(i)) => (Some(i), false),
        Some(Err(e)) => {
            unrecorded.push(format!(
                "not linked to incident {}: {e}",
                incident.unwrap_or_default()
            ));
            (None, false)
        }
        None => match halted_for(ctx) {
            Some(i) => (Some(i), false),
            None => match crate::incident::open_as(
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
                true,
            ) {
                Ok(o) => {
                    unrecorded.extend(o.unrecorded);
                    (Some(o.id), true)
                }
                Err(e) => {
                    unrecorded.push(format!("the P0 incident was not opened: {e}"));
                    (None, false)
                }
            },
        },
    };
    let note = |text: String| -> Result<(), String> {
        let (Some(id), Ok(store)) = (&id, &store) else {
            return Ok(());
        };
        store
            .transact(ctx.clock.as_ref(), id, &ctx.actor, |_| {
                Ok::<_, OpsError>(vec![IncidentEvent::Note(iev::Note { text })])
            })
            .map(|_| ())
            .map_err(|e| format!("a note in {id}: {e}"))
    };
    let transition = match crate::safety::set_state(
        ctx,
        &SetRequest {
            to: "HALTED".into(),
            reason: reason.to_string(),
            evidence: None,
            source: Source::Operator,
            incident: id.clone(),
            manual,
        },
    ) {
        Ok(o) => o,
        Err(OpsError::HookFailed(mut f)) => {
            if let Err(e) = note(format!("HALT hook failed: {}", f.headline())) {
                ctx.warn(format!("warning: not recorded: {e}"));
            }
            f.incident = id;
            return Err(OpsError::HookFailed(f));
        }
        Err(e) => {
            // The safety ledger could not record it (the hook, when there
            // is one, has run: the error says how it went).
            let _ = note(format!("HALT not recorded in the safety ledger: {e}"));
            for u in &unrecorded {
                ctx.warn(format!("warning: not recorded either: {u}"));
            }
            if let Some(i) = &id {
                ctx.warn(format!(
                    "the halt belongs to incident {i}: use it, do not open another"
                ));
            }
            return Err(e);
        }
    };
    unrecorded.extend(transition.unrecorded.iter().cloned());
    let evidence = runbook(ctx, HALT_RUNBOOK)
        .map(|r| r.required_evidence)
        .unwrap_or_default();
    let mut notes = Vec::new();
    if transition.from == "HALTED" {
        notes.push(format!("opsbook halt while already HALTED: {reason}"));
    }
    if !evidence.is_empty() {
        notes.push(format!(
            "Evidence to collect now ({HALT_RUNBOOK}): {}",
            evidence.join(" | ")
        ));
    }
    for n in notes {
        if let Err(e) = note(n) {
            unrecorded.push(e);
            break;
        }
    }
    // Advice only (not recorded: the reason already is). Acting now on the
    // earlier halt's symptom wins over resting on this one's.
    let (mut symptom, mut advice) = advice_for(ctx, reason);
    if advice == Advice::Rest
        && let Some(first) = &earlier
        && let (first_hit, Advice::ActNow { runbook, why }) = advice_for(ctx, first)
    {
        advice = Advice::ActNow {
            runbook,
            why: format!("the platform was already HALTED for \"{first}\": {why}"),
        };
        symptom = first_hit;
    }
    Ok(Halted {
        state: "HALTED",
        incident: id,
        evidence,
        symptom,
        advice,
        unrecorded,
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
        // The paragraph just above the block says what the step is for.
        let purpose = crate::find::step_purpose(&lines, cb);
        answers.say(&format!(
            "\nStep {step} ({tier}): {purpose}\n{}",
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
