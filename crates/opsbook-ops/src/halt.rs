//! `halt` and `p0` (D-HUMAN-P0, D-HUMAN-DONOT): stop trading now — HALTED
//! through the hook, the incident opened (through the one open path) or
//! updated, the evidence to collect — and walk the P0 first-ten-steps card
//! one step at a time, Do-Not-Do first.
//!
//! Over ~800 lines (issue 13 added the walker's clean stop, the skipped
//! steps and the validation step): the P0 walker is the next to move into
//! a file of its own.

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
    /// No hook is configured for HALTED (`[safety.hooks.HALTED]`): opsbook
    /// stopped nothing; HALTED is recorded as the operator's own act (as
    /// `safety set --manual`), and the operator must stop trading by hand.
    pub nothing_stopped: bool,
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

/// `text` cut to at most `max` characters (an ellipsis at the end when cut):
/// a title opsbook makes from an operator's longer text.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
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
    // Before anything: a reason the ledgers would refuse halts nothing.
    crate::scrub::check_input("reason", reason)?;
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
                    title: clip(&format!("HALT: {reason}"), crate::scrub::TITLE_MAX_CHARS),
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
    // No kill-switch hook: opsbook cannot stop anything. The state is
    // recorded as the operator's own act (as `safety set --manual`), and
    // the outcome says that nothing was stopped (issue 13).
    let no_hook = !manual
        && Ssot::load_config_strict(ctx.layout.root())
            .is_ok_and(|c| !c.hooks.contains_key("HALTED"));
    let transition = match crate::safety::set_state(
        ctx,
        &SetRequest {
            to: "HALTED".into(),
            reason: reason.to_string(),
            evidence: None,
            source: Source::Operator,
            incident: id.clone(),
            manual: manual || no_hook,
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
        nothing_stopped: no_hook,
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

/// What [`p0`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Walked {
    /// The incident (`None`: the walk stopped before the step that opens it;
    /// nothing was recorded).
    pub incident: Option<String>,
    /// The walker opened it (at the step that says so).
    pub opened: bool,
    /// Steps recorded now.
    pub steps_recorded: usize,
    /// A walk resumed: the first step not done when it began.
    pub resumed_at: Option<String>,
    /// The first step not done when the walk ended (`None`: every step done).
    pub next_step: Option<String>,
    /// A step answered done whose change opsbook did not find (the walk
    /// stopped there; nothing recorded for it).
    pub not_done: Option<NotDone>,
    /// The validation step answered done while the incident lacks what it
    /// checks (the walk stopped there; nothing recorded for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmet: Option<Unmet>,
    /// An answers file with no answer for this step: the walk stopped
    /// cleanly before it (every step before it recorded whole, nothing of
    /// it); the same command with the answer added resumes there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unanswered: Option<String>,
}

/// The validation step answered done, and what the incident's record lacks.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Unmet {
    /// The step.
    pub step: String,
    /// What is missing, in words (`a scope declaration`, `a decision`).
    pub missing: Vec<String>,
}

/// The card's validation step (its `## Validation` section): done only
/// when the record holds a scope and a decision (issue 13).
pub const VALIDATION_STEP: &str = "10";

/// What the validation step needs that incident `id`'s record lacks.
fn validation_missing(ctx: &Context, id: Option<&str>) -> Result<Vec<String>, OpsError> {
    let Some(id) = id else {
        return Ok(vec!["an incident (step 2 opens it)".into()]);
    };
    let inc = ctx.store()?.load(id)?;
    let typed: Vec<IncidentEvent> = inc
        .events
        .iter()
        .filter_map(opsbook_core::event::parse::<IncidentEvent>)
        .collect();
    let mut missing = Vec::new();
    if !typed.iter().any(|e| matches!(e, IncidentEvent::Scope(_))) {
        missing.push("a scope declaration (what is affected and what is not)".to_string());
    }
    if !typed
        .iter()
        .any(|e| matches!(e, IncidentEvent::Decision(_)))
    {
        missing.push("a decision with its reason".to_string());
    }
    Ok(missing)
}

/// The result recorded last for `step` of the card in `events`.
fn last_result(events: &[opsbook_core::ledger::Event], step: &str) -> Option<String> {
    events
        .iter()
        .rev()
        .find_map(|e| match opsbook_core::event::parse::<IncidentEvent>(e) {
            Some(IncidentEvent::RunbookStep(s))
                if s.runbook == P0_RUNBOOK && s.step.to_string() == step =>
            {
                Some(s.result)
            }
            _ => None,
        })
}

/// Whether an answers file (not a person) holds no answer for `step`.
fn unanswered(answers: &dyn Answers, step: &str) -> bool {
    !answers.live()
        && answers
            .prepared(&format!("/steps/{step}"))
            .is_none_or(|v| v.is_null())
}

/// A step that changes state, answered done, whose change is not recorded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NotDone {
    /// The step.
    pub step: String,
    /// The safety state the step sets.
    pub expected: String,
    /// The safety state `ledger/safety.jsonl` shows.
    pub found: String,
}

/// One step of the card.
struct Step {
    step: String,
    tier: String,
    code: String,
    purpose: String,
}

impl Step {
    /// The step opens the incident (its code runs `opsbook incident open`).
    fn opens_incident(&self) -> bool {
        self.code.contains("opsbook incident open")
    }

    /// The safety state the step moves the platform to (its code runs
    /// `opsbook safety set STATE` or `opsbook halt`), if it changes it.
    fn sets_state(&self) -> Option<String> {
        for l in self.code.lines() {
            let l = l.trim();
            if let Some(i) = l.find("opsbook safety set ") {
                return l[i + "opsbook safety set ".len()..]
                    .split_whitespace()
                    .next()
                    .map(str::to_ascii_uppercase);
            }
            if l.starts_with("opsbook halt") {
                return Some("HALTED".into());
            }
        }
        None
    }
}

/// The steps of the card, in order.
fn steps(text: &str) -> Vec<Step> {
    let body = opsbook_core::markdown::parse_body(text, 1);
    let lines: Vec<&str> = text.lines().collect();
    let attr = |cb: &opsbook_core::markdown::CodeBlock, k: &str| {
        cb.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    body.code_blocks
        .iter()
        .filter_map(|cb| {
            Some(Step {
                step: attr(cb, "step")?,
                tier: attr(cb, "tier").unwrap_or_default(),
                code: cb.code.clone(),
                // The paragraph just above the block says what the step is for.
                purpose: crate::find::step_purpose(&lines, cb),
            })
        })
        .collect()
}

/// The steps of the card recorded as done in `events` (the latest record
/// of each step counts).
fn done_steps(events: &[opsbook_core::ledger::Event]) -> Vec<String> {
    let mut last: Vec<(String, bool)> = Vec::new();
    for e in events {
        if let Some(IncidentEvent::RunbookStep(s)) = opsbook_core::event::parse::<IncidentEvent>(e)
            && s.runbook == P0_RUNBOOK
        {
            let step = s.step.to_string();
            let done = s.result == "done";
            match last.iter_mut().find(|(n, _)| *n == step) {
                Some(x) => x.1 = done,
                None => last.push((step, done)),
            }
        }
    }
    last.into_iter()
        .filter(|(_, d)| *d)
        .map(|(n, _)| n)
        .collect()
}

/// The open incident whose P0 walk is unfinished (the newest), for a
/// second `p0` without an ID.
fn unfinished_walk(ctx: &Context, all: &[Step]) -> Option<String> {
    let store = ctx.store().ok()?;
    let mut ids = store.ids().ok()?;
    ids.sort();
    ids.into_iter().rev().find(|id| {
        store.load(id).is_ok_and(|inc| {
            let walked = inc.events.iter().any(|e| {
                matches!(
                    opsbook_core::event::parse::<IncidentEvent>(e),
                    Some(IncidentEvent::RunbookStep(s)) if s.runbook == P0_RUNBOOK
                )
            });
            let done = done_steps(&inc.events);
            !inc.status.is_terminal() && walked && all.iter().any(|s| !done.contains(&s.step))
        })
    })
}

/// Walks the P0 first-ten-steps card (D-HUMAN-P0): the Do-Not-Do list
/// first, then each step (what it is for, its code), recorded in the
/// incident's timeline as done or skipped. It records only what happened:
///
/// - the incident is opened (through the one open path) at the step that
///   opens it, not before; steps answered before it are recorded with it;
///   a walk without `incident` resumes the unfinished walk of an open
///   incident, or uses the incident the platform is HALTED for;
/// - a step that changes the safety state (its code runs `opsbook safety
///   set STATE` or `opsbook halt`) is done only when `ledger/safety.jsonl`
///   shows that state: otherwise it is not recorded, and the walk stops
///   there (a person at a terminal is asked again);
/// - a second walk resumes at the first step not done and says so (steps
///   done are not asked again; skipped ones are, and skipping one again
///   records nothing new);
/// - with an answers file that has no answer for a step, the walk stops
///   cleanly before it ([`Walked::unanswered`]): the steps before it are
///   recorded whole, nothing of it; the same command resumes there once
///   the answer is added;
/// - the validation step ([`VALIDATION_STEP`]) is done only when the
///   record holds a scope and a decision; otherwise what is missing is said
///   and the walk stops there ([`Walked::unmet`]), nothing recorded for it.
///
/// # Errors
/// The card is not in the SSOT; an answer that is not done, skipped or
/// quit; ledger errors.
#[allow(clippy::too_many_lines)]
pub fn p0(
    ctx: &Context,
    incident: Option<&str>,
    title: &str,
    answers: &mut dyn Answers,
) -> Result<Walked, OpsError> {
    let rb = runbook(ctx, P0_RUNBOOK)?;
    let all = steps(&rb.text);
    let store = ctx.store()?;
    let mut id = match incident {
        Some(i) => Some(store.resolve(i)?),
        None => unfinished_walk(ctx, &all).or_else(|| halted_for(ctx)),
    };
    let done_before = match &id {
        Some(i) => done_steps(&store.load(i)?.events),
        None => Vec::new(),
    };
    let resumed_at = if done_before.is_empty() {
        None
    } else {
        all.iter()
            .find(|s| !done_before.contains(&s.step))
            .map(|s| s.step.clone())
    };
    // Do-Not-Do first (D-HUMAN-DONOT).
    answers.say(&format!(
        "{P0_RUNBOOK} ({}) — incident {}\n\nDo NOT (read this first):",
        rb.rel,
        id.as_deref().unwrap_or("not opened yet (step 2 opens it)")
    ));
    for l in section(&rb.text, "do-not-do") {
        answers.say(&format!("  {l}"));
    }
    match (&resumed_at, &id) {
        (Some(at), Some(i)) => answers.say(&format!(
            "\nresuming {i} at step {at}: step(s) {} already done",
            done_before.join(", ")
        )),
        (None, Some(i)) if !done_before.is_empty() => {
            answers.say(&format!("\nevery step of {i} is already done"));
        }
        _ => {}
    }
    let mut pending: Vec<IncidentEvent> = Vec::new();
    let mut recorded = 0;
    let mut opened = false;
    let mut not_done = None;
    let mut unmet = None;
    let mut unanswered_at = None;
    let mut next_step = None;
    let mut record = |id: &Option<String>,
                      pending: &mut Vec<IncidentEvent>,
                      ev: Option<IncidentEvent>|
     -> Result<(), OpsError> {
        pending.extend(ev);
        if let Some(i) = id
            && !pending.is_empty()
        {
            let batch = std::mem::take(pending);
            let n = batch.len();
            store.transact(ctx.clock.as_ref(), i, &ctx.actor, |_| {
                Ok::<_, OpsError>(batch)
            })?;
            recorded += n;
        }
        Ok(())
    };
    for st in &all {
        if done_before.contains(&st.step) {
            continue;
        }
        let step = &st.step;
        // An answers file that stops here: stop cleanly before the step
        // (nothing of it written), and say where (issue 13).
        if unanswered(answers, step) {
            answers.say(&format!(
                "\nThe answers file has no answer for step {step} (`steps.{step}`): the walk stops before it."
            ));
            unanswered_at = Some(step.clone());
            next_step = Some(step.clone());
            break;
        }
        answers.say(&format!(
            "\nStep {step} ({}): {}\n{}",
            st.tier,
            st.purpose,
            st.code.trim_end()
        ));
        let result = loop {
            let result = ask_result(answers, step)?;
            if result != Some("done") {
                break result;
            }
            if *step == VALIDATION_STEP {
                let missing = validation_missing(ctx, id.as_deref())?;
                if missing.is_empty() {
                    break result;
                }
                answers.say(&format!(
                    "Step {step} is not done: the record lacks {}. Record them (step 9), then answer again.",
                    missing.join(" and ")
                ));
                if !answers.live() {
                    unmet = Some(Unmet {
                        step: step.clone(),
                        missing,
                    });
                    break None;
                }
                continue;
            }
            let Some(expected) = st.sets_state() else {
                break result;
            };
            let (_, cur) = crate::state::current(ctx)?;
            if cur.state == expected || entered_since(ctx, &expected, id.as_deref())? {
                break result;
            }
            answers.say(&format!(
                "Step {step} is not done: ledger/safety.jsonl shows {} (since {}), not {expected}{}. Run the step (or `opsbook halt --reason TEXT`), then answer again.",
                cur.state,
                cur.since.as_deref().unwrap_or("the start"),
                id.as_deref()
                    .map(|i| format!(", and {expected} was not entered since {i} was opened"))
                    .unwrap_or_default()
            ));
            if !answers.live() {
                not_done = Some(NotDone {
                    step: step.clone(),
                    expected,
                    found: cur.state,
                });
                break None;
            }
        };
        let Some(result) = result else {
            next_step = Some(step.clone());
            break;
        };
        let mut note = ask_note(answers, step)?;
        if st.opens_incident() && id.is_none() {
            if result != "done" {
                answers.say(&format!(
                    "Step {step} opens the incident: without it nothing can be recorded. Run `opsbook p0` again to open it, or give the ID of the incident you opened."
                ));
                next_step = Some(step.clone());
                break;
            }
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
            answers.say(&format!(
                "opened {} (P0): set $env:OPSBOOK_INCIDENT = '{}' for the later steps",
                o.id, o.id
            ));
            if note.trim().is_empty() {
                note = format!("opened {} by opsbook p0", o.id);
            }
            id = Some(o.id);
            opened = true;
        }
        // Skipped again on a resumed walk: already recorded as skipped,
        // nothing new to write.
        if result == "skipped"
            && let Some(i) = &id
            && last_result(&store.load(i)?.events, step).as_deref() == Some("skipped")
        {
            continue;
        }
        record(
            &id,
            &mut pending,
            Some(IncidentEvent::RunbookStep(iev::RunbookStep {
                runbook: P0_RUNBOOK.into(),
                step: StepId::parse(step),
                tier: st.tier.clone(),
                result: result.into(),
                note,
            })),
        )?;
    }
    if id.is_none() && !pending.is_empty() {
        answers.say("nothing recorded: the walk ended before the step that opens the incident");
    }
    if let Some(i) = &id {
        let done = done_steps(&store.load(i)?.events);
        next_step = all
            .iter()
            .find(|s| !done.contains(&s.step))
            .map(|s| s.step.clone());
    }
    Ok(Walked {
        incident: id,
        opened,
        steps_recorded: recorded,
        resumed_at,
        next_step,
        not_done,
        unmet,
        unanswered: unanswered_at,
    })
}

/// Whether `ledger/safety.jsonl` entered `state` at or after incident
/// `id` was opened (a state step done earlier in this incident, the
/// platform moved on since).
fn entered_since(ctx: &Context, state: &str, id: Option<&str>) -> Result<bool, OpsError> {
    let Some(id) = id else {
        return Ok(false);
    };
    let opened = ctx.store()?.load(id)?.opened_at;
    let Ok(opened) = opened.parse::<jiff::Timestamp>() else {
        return Ok(false);
    };
    let events =
        opsbook_core::ledger::read(&ctx.layout.ledger(opsbook_core::layout::LedgerFile::Safety))?;
    Ok(events.iter().any(|e| {
        matches!(
            opsbook_core::event::parse::<opsbook_core::event::SafetyEvent>(e),
            Some(opsbook_core::event::SafetyEvent::StateEntered(x)) if x.state == state
        ) && e.ts.parse::<jiff::Timestamp>().is_ok_and(|t| t >= opened)
    }))
}

/// A step's answer: `Some("done")`, `Some("skipped")`, or `None` (quit).
fn ask_result(answers: &mut dyn Answers, step: &str) -> Result<Option<&'static str>, OpsError> {
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
    match ans.to_ascii_lowercase().as_str() {
        "d" | "done" | "y" | "yes" => Ok(Some("done")),
        "s" | "skip" | "skipped" | "n" | "no" => Ok(Some("skipped")),
        "q" | "quit" => Ok(None),
        other => Err(OpsError::invalid(format!(
            "step {step}: `{other}` is not done, skipped or quit"
        ))),
    }
}

/// A step's note (empty for none).
fn ask_note(answers: &mut dyn Answers, step: &str) -> Result<String, OpsError> {
    if answers.live() {
        return answers.ask(Question {
            key: "",
            prompt: "Note (what you saw; empty for none):",
        });
    }
    let key = format!("/steps/{step}/note");
    Ok(answers
        .ask(Question {
            key: &key,
            prompt: "note",
        })
        .unwrap_or_default())
}
