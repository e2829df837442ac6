//! The one-person high-danger confirmation (D-SAFE-CONFIRM,
//! D-HUMAN-FATIGUE): the fatigue self-check ("in doubt: HALT → evidence →
//! rest", 迷ったらHALT→証跡→休む), the checklist, the target typed twice
//! with a cooling-off between, and why now — every answer recorded in
//! `ledger/confirmations.jsonl`.
//!
//! Where the answers come from is an [`Answers`] implementation: a terminal
//! (the CLI), an answers file (drills, tests), later a web form.

use std::time::Duration;

use opsbook_core::confirm::{self, SelfCheck};
use opsbook_core::event::{ConfirmationEvent, IncidentEvent, confirmation as cev, incident as iev};
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::{self, Event};
use opsbook_core::policy::SafetyMatrix;
use opsbook_core::safety::Decision;
use serde::Serialize;
use serde_json::Value;

use crate::{Context, OpsError};

/// One question.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// Where a file holds the answer (a JSON pointer: `/checklist/backout_read`).
    pub key: &'a str,
    /// What a person is asked.
    pub prompt: &'a str,
}

/// Where answers come from.
pub trait Answers {
    /// Asks one question; `Err` when it cannot be answered (no such key in a
    /// file, input ended).
    ///
    /// # Errors
    /// The answer cannot be had.
    fn ask(&mut self, q: Question<'_>) -> Result<String, OpsError>;

    /// Tells the person something (the fatigue advice, the cooling-off).
    fn say(&mut self, text: &str);

    /// A person answers now (a terminal, a form), rather than a file
    /// written beforehand: the target typed again is checked against the
    /// cooling-off, and an override reason may be asked for.
    fn live(&self) -> bool;

    /// The answer to `key` in a file of answers written beforehand, if
    /// this source is one (`None` for a person).
    fn prepared(&self, _key: &str) -> Option<Value> {
        None
    }
}

/// Answers from a YAML/JSON document (drills and tests).
#[derive(Debug, Clone)]
pub struct FileAnswers {
    doc: Value,
    said: Vec<String>,
}

impl FileAnswers {
    /// Answers from a parsed document.
    #[must_use]
    pub fn new(doc: Value) -> FileAnswers {
        FileAnswers {
            doc,
            said: Vec::new(),
        }
    }

    /// Reads them from a file.
    ///
    /// # Errors
    /// Unreadable, not YAML/JSON.
    pub fn read(path: &std::path::Path) -> Result<FileAnswers, OpsError> {
        Ok(FileAnswers::new(crate::incident::read_value(path)?))
    }

    /// What was said, in order.
    #[must_use]
    pub fn said(&self) -> &[String] {
        &self.said
    }
}

impl Answers for FileAnswers {
    fn ask(&mut self, q: Question<'_>) -> Result<String, OpsError> {
        match self.doc.pointer(q.key) {
            Some(Value::String(s)) => Ok(s.trim().to_string()),
            Some(Value::Bool(b)) => Ok(if *b { "yes" } else { "no" }.to_string()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(Value::Null) | None => Err(OpsError::invalid(format!(
                "the answers file has no `{}` ({})",
                q.key.trim_start_matches('/').replace('/', "."),
                q.prompt
            ))),
            Some(other) => Ok(other.to_string()),
        }
    }

    fn say(&mut self, text: &str) {
        self.said.push(text.to_string());
    }

    fn live(&self) -> bool {
        false
    }

    fn prepared(&self, key: &str) -> Option<Value> {
        self.doc.pointer(key).cloned()
    }
}

fn yes(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "はい"
    )
}

fn hours(s: &str, what: &str) -> Result<f64, OpsError> {
    s.trim()
        .trim_end_matches('h')
        .parse::<f64>()
        .ok()
        .filter(|h| h.is_finite() && *h >= 0.0)
        .ok_or_else(|| OpsError::invalid(format!("{what}: `{s}` is not a number of hours")))
}

/// What to confirm.
#[derive(Debug, Clone, Default)]
pub struct ConfirmRequest {
    /// The action (`release_halt`, `rotate_api_key`, `freeze_exception`, …).
    pub operation: String,
    /// Its exact target (default for `release_halt`: the state it leads to).
    pub target: Option<String>,
    /// The incident (its decision log gets the confirmation).
    pub incident: Option<String>,
    /// Proceed past a fatigue threshold for a T2 action (recorded).
    pub override_reason: Option<String>,
    /// Confirm `release_halt` even though it would expire before the
    /// current state's dwell ends (before `safety set` may use it);
    /// without it that is refused before any question is asked.
    pub before_dwell: bool,
}

/// A passed confirmation.
#[derive(Debug, Clone, Serialize)]
pub struct Confirmed {
    /// `CNF-<seq>`.
    pub confirmation: String,
    /// Usable until (UTC), once.
    pub valid_until: String,
    /// From when it can be used, UTC (RFC 3339): when it passed, or for
    /// `release_halt` the end of the current state's dwell if later
    /// (`safety set` refuses before then).
    pub usable_from: String,
    /// When it expires, UTC (RFC 3339): `valid_until`.
    pub expires_at: String,
    /// It expires before `usable_from` (confirmed with `before_dwell`):
    /// it will never be usable.
    pub expires_before_usable: bool,
    /// With `expires_before_usable`: the earliest start of a new
    /// confirmation that is valid when the dwell ends, UTC (RFC 3339).
    pub start_again_from: Option<String>,
    /// The state it was passed in.
    pub state: String,
    /// The `confirmed` event.
    pub event: Event,
    /// The action.
    #[serde(skip)]
    pub operation: String,
    /// The target.
    #[serde(skip)]
    pub target: String,
}

/// Runs the confirmation. A refusal on the way (fatigue for a T2 action,
/// a checklist answer no, a mistyped target, no reason) is recorded and
/// returned as [`OpsError::Refused`].
///
/// # Errors
/// An action the matrix does not know, a `release_halt` target that is not
/// where the machine leads (bad input); DENY in the current state, a
/// refusal on the way (refused); ledger errors.
#[allow(clippy::too_many_lines)]
pub fn confirm(
    ctx: &Context,
    req: &ConfirmRequest,
    answers: &mut dyn Answers,
) -> Result<Confirmed, OpsError> {
    let mxp: SafetyMatrix = ctx.policy()?;
    let mx = opsbook_core::safety::Matrix::from_policy(&mxp);
    let policy = confirm::Policy::from_policy(Some(&mxp));
    let op = req.operation.trim().to_string();
    let tier = match mx.actions.iter().find(|x| x.id == op) {
        Some(x) => x.tier.clone(),
        None if op == "freeze_exception" => "T2".to_string(),
        None => {
            return Err(OpsError::invalid(format!(
                "`{op}` is not an action of policy/safety-matrix.yaml (nor freeze_exception){}",
                opsbook_core::safety::closest(&op, mx.actions.iter().map(|x| x.id.as_str()))
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default()
            )));
        }
    };
    let (m, cur) = crate::state::current(ctx)?;
    // release_halt is used by `safety set`, which waits for the dwell.
    let dwell_end = (op == "release_halt")
        .then(|| opsbook_core::safety::dwell_end(&m, &cur))
        .flatten()
        .filter(|e| *e > ctx.now());
    let state = cur.state;
    let target: String = match (&req.target, answers.live()) {
        (Some(t), _) => t.clone(),
        (None, _) if op == "release_halt" => m
            .next(&state)
            .iter()
            .find(|t| !t.escalate)
            .map_or_else(|| "RECOVERING".to_string(), |t| t.to.clone()),
        (None, false) => answers.ask(Question {
            key: "/target",
            prompt: "target",
        })?,
        (None, true) => answers.ask(Question {
            key: "",
            prompt: "What is the action's target (host, key label, symbol, data range)?",
        })?,
    };
    if target.trim().is_empty() {
        return Err(OpsError::invalid(
            "the target is empty: name exactly what the action touches (--target NAME)",
        ));
    }
    if op == "release_halt" {
        let next: Vec<String> = m
            .next(&state)
            .iter()
            .filter(|t| !t.escalate)
            .map(|t| t.to.clone())
            .collect();
        if !next.contains(&target) {
            return Err(OpsError::invalid(format!(
                "release_halt confirms the state to leave {state} for: --target must be one of {} (the transition `opsbook safety set` will make)",
                if next.is_empty() {
                    "none (not in HALTED)".to_string()
                } else {
                    next.join(", ")
                }
            )));
        }
    }
    if op != "freeze_exception" {
        let ans = mx.can(&op, &state);
        if ans.decision == Decision::Deny {
            return Err(OpsError::refused(ans.why, ans.next));
        }
    }
    if let Some(end) = dwell_end
        && !req.before_dwell
        && let Some(from) = policy.earliest_start(end, ctx.now())
    {
        return Err(too_early(
            ctx.now(),
            &policy,
            &state,
            &op,
            &target,
            end,
            from,
        ));
    }
    let log = ctx.layout.ledger(LedgerFile::Confirmations);
    let store = ctx.store()?;
    let inc = match &req.incident {
        Some(i) => Some(store.load(&store.resolve(i)?)?),
        None => None,
    };
    let clock = ctx.clock.as_ref();
    let who = &ctx.actor;
    let append = |e: ConfirmationEvent| ctx.append(&log, &e);
    let id = start(ctx, &policy, |id| {
        ConfirmationEvent::ConfirmationStarted(cev::Started {
            confirmation: Some(id.to_string()),
            operation: op.clone(),
            target: target.clone(),
            tier: tier.clone(),
            state: state.clone(),
            incident: inc.as_ref().map(|i| i.id.clone()),
        })
    })?;
    let record = |step: &str, question: &str, answer: &str| -> Result<(), OpsError> {
        append(ConfirmationEvent::ConfirmAnswer(cev::Answer {
            confirmation: id.clone(),
            step: step.into(),
            question: question.into(),
            answer: answer.into(),
        }))?;
        Ok(())
    };
    let refuse = |why: String| -> OpsError {
        if let Err(e) = append(ConfirmationEvent::ConfirmationRefused(cev::Refused {
            confirmation: id.clone(),
            why: why.clone(),
        })) {
            return e;
        }
        OpsError::refused(why, None)
    };
    if answers.live() {
        answers.say(&format!(
            "High-danger confirmation {id}: {op} ({tier}) on `{target}` in state {state}. Stay honest: every answer is recorded."
        ));
    }
    // 1. Fatigue self-check: 迷ったらHALT→証跡→休む.
    let awake = answers.ask(Question {
        key: "/hours_awake",
        prompt: "Fatigue check — hours awake now?",
    })?;
    record("fatigue", "hours awake", &awake)?;
    let slept = answers.ask(Question {
        key: "/hours_slept",
        prompt: "Hours slept in the last 24 h?",
    })?;
    record("fatigue", "hours slept", &slept)?;
    let now = ctx.now();
    let on_incident = match &inc {
        Some(i) => i
            .opened_at
            .parse::<jiff::Timestamp>()
            .map(|o| (now.as_millisecond() - o.as_millisecond()) as f64 / 3_600_000.0)
            .unwrap_or(0.0),
        None => {
            let h = answers
                .ask(Question {
                    key: "/hours_on_incident",
                    prompt: "Hours on this problem so far?",
                })
                .unwrap_or_else(|_| "0".into());
            record("fatigue", "hours on this problem", &h)?;
            hours(&h, "hours on this problem")?
        }
    };
    let local_hour =
        u8::try_from(now.to_zoned_datetime(jiff::tz::TimeZone::system()).hour()).unwrap_or(0);
    let hours_slept = hours(&slept, "hours slept")?;
    if hours_slept > 24.0 {
        return Err(OpsError::invalid(format!(
            "hours slept in the last 24 h: {hours_slept} is more than 24"
        )));
    }
    let check = SelfCheck {
        hours_awake: hours(&awake, "hours awake")?,
        hours_slept,
        hours_on_incident: on_incident,
        local_hour,
    };
    let over = confirm::fatigue_over(&policy.fatigue, &check);
    let mut override_reason = req.override_reason.clone().filter(|r| !r.trim().is_empty());
    if !over.is_empty() {
        answers.say(&format!(
            "Fatigue: {}.\nIn doubt: HALT → evidence → rest (迷ったらHALT→証跡→休む). Stop here, keep the safer state, seal evidence, and rest or hand over.",
            over.join("; ")
        ));
        if tier == "T2" {
            if override_reason.is_none() && answers.live() {
                let r = answers.ask(Question {
                    key: "",
                    prompt: "To override anyway, type the reason (empty = stop):",
                })?;
                override_reason = Some(r).filter(|r| !r.is_empty());
            }
            match &override_reason {
                Some(r) => record("fatigue", "override reason", r)?,
                None => {
                    return Err(refuse(format!(
                        "fatigue over threshold ({}) for a T2 action; give --override-reason to proceed anyway (recorded)",
                        over.join("; ")
                    )));
                }
            }
        }
    }
    // 2. The checklist: every answer yes.
    for q in &policy.checklist {
        let key = format!("/checklist/{}", q.id);
        let prompt = format!("{} (y/n)", q.question);
        let ans = answers.ask(Question {
            key: &key,
            prompt: &prompt,
        })?;
        record("checklist", &q.question, &ans)?;
        if !yes(&ans) {
            return Err(refuse(format!("checklist stopped at: {}", q.question)));
        }
    }
    // 3. The target, typed; cooling-off; typed again.
    let t1 = answers.ask(Question {
        key: "/target",
        prompt: "Type the target exactly (case-sensitive):",
    })?;
    record("target", "target", &t1)?;
    if t1 != target {
        return Err(refuse(format!(
            "target mismatch: typed `{t1}`, the action is on `{target}`"
        )));
    }
    let cool = Duration::from_secs(policy.cooling_off_seconds);
    let t0 = ctx.clock.monotonic();
    let ends = ledger::format_ts(
        jiff::Timestamp::from_millisecond(
            ctx.now()
                .as_millisecond()
                .saturating_add(i64::try_from(cool.as_millis()).unwrap_or(i64::MAX)),
        )
        .map_err(|e| OpsError::Other(e.to_string()))?,
    );
    answers.say(&format!(
        "Cooling-off {} s: it ends at {ends} (UTC), {} s from now. Do nothing else, re-read the backout of {op}; then type the target again.",
        cool.as_secs(),
        cool.as_secs()
    ));
    let t2 = if answers.live() {
        loop {
            let t = answers.ask(Question {
                key: "",
                prompt: &format!("Target again (after {ends}):"),
            })?;
            let left = cool.saturating_sub(ctx.clock.monotonic().saturating_sub(t0));
            if left.is_zero() {
                break t;
            }
            record(
                "cooling_off",
                "target typed before the cooling-off ended",
                &t,
            )?;
            answers.say(&format!(
                "Too early: the cooling-off ends at {ends} (UTC), {} s from now. Waiting here until then (interrupted? run `opsbook confirm {op} --target {target}` again: a new confirmation starts from the beginning).",
                left.as_secs() + u64::from(left.subsec_nanos() > 0)
            ));
            ctx.clock.sleep(left);
            answers.say(&format!(
                "\u{7}Cooling-off over ({ends} UTC): type the target again."
            ));
        }
    } else {
        // Prepared answers: the cooling-off is waited out all the same.
        ctx.clock.sleep(cool);
        answers.say(&format!("Cooling-off over ({ends} UTC)."));
        answers.ask(Question {
            key: "/target_again",
            prompt: "Target again:",
        })?
    };
    record("target", "target again", &t2)?;
    if t2 != target {
        return Err(refuse(format!(
            "target mismatch after cooling-off: typed `{t2}`, the action is on `{target}`"
        )));
    }
    let why = answers.ask(Question {
        key: "/reason",
        prompt: "Why now (one line)?",
    })?;
    record("reason", "why now", &why)?;
    if why.trim().is_empty() {
        return Err(refuse("no reason given for doing it now".into()));
    }
    let passed = ctx.now();
    let until = jiff::Timestamp::from_millisecond(
        passed
            .as_millisecond()
            .saturating_add(policy.valid_minutes.saturating_mul(60_000)),
    )
    .map_err(|e| OpsError::Other(e.to_string()))?;
    let valid_until = ledger::format_ts(until);
    let usable_from = dwell_end.filter(|e| *e > passed).unwrap_or(passed);
    let ev = append(ConfirmationEvent::Confirmed(cev::Confirmed {
        confirmation: id.clone(),
        operation: op.clone(),
        target: target.clone(),
        tier,
        state: state.clone(),
        valid_until: valid_until.clone(),
        fatigue: serde_json::json!({"check": check, "over": over}),
        override_reason,
        reason: why.clone(),
        incident: inc.as_ref().map(|i| i.id.clone()),
    }))?;
    if let Some(i) = &inc
        && !i.status.is_terminal()
    {
        store.transact(clock, &i.id, who, |_| {
            Ok::<_, OpsError>(vec![IncidentEvent::Decision(iev::Decision {
                decision: format!("high-danger confirmation {id} passed: {op} on {target}"),
                reason: why,
                alternatives: Vec::new(),
            })])
        })?;
    }
    Ok(Confirmed {
        confirmation: id,
        expires_at: valid_until.clone(),
        valid_until,
        usable_from: ledger::format_ts(usable_from),
        expires_before_usable: until <= usable_from,
        start_again_from: (until <= usable_from)
            .then(|| {
                policy
                    .earliest_start(usable_from, passed)
                    .map(ledger::format_ts)
            })
            .flatten(),
        state,
        event: ev,
        operation: op,
        target,
    })
}

/// `HH:MM:SS UTC` with the date: times a person reads, free of the local zone.
fn utc(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The refusal of a `release_halt` confirmation that would expire before
/// `state`'s dwell ends at `end`; `from` is the earliest start that keeps
/// it valid then.
fn too_early(
    now: jiff::Timestamp,
    policy: &confirm::Policy,
    state: &str,
    op: &str,
    target: &str,
    end: jiff::Timestamp,
    from: jiff::Timestamp,
) -> OpsError {
    let expires = policy.soonest_expiry(now);
    OpsError::refused(
        format!(
            "too early for {op}: {state} must hold until {} ({} min from now, its min_dwell_minutes) before it may be left for {target}; a confirmation started now is valid {} min after it passes and would expire at about {}, {}",
            utc(end),
            confirm::minutes_until(end, now),
            policy.valid_minutes,
            utc(expires),
            if expires > end {
                format!(
                    "less than {} min after it can be used",
                    confirm::USE_WINDOW_MINUTES
                )
            } else {
                format!(
                    "{} min before it could be used",
                    confirm::minutes_until(end, expires)
                )
            },
        ),
        Some(opsbook_core::next::NextStep::ConfirmFrom {
            operation: op.to_string(),
            target: target.to_string(),
            when: Box::new(opsbook_core::next::ConfirmWindow {
                from: ledger::format_ts(from),
                in_minutes: confirm::minutes_until(from, now),
                usable_from: ledger::format_ts(end),
                expires_at: ledger::format_ts(expires),
            }),
        }),
    )
}

/// Starts a confirmation under the ledger's lock: the next ID (`CNF-1`,
/// `CNF-2`, … — [`confirm::next_id`]), the closing events now due
/// (unfinished ones of the same action abandoned, stale ones abandoned,
/// unused ones past their validity expired — [`confirm::closing`]) and the
/// start, in one write. Returns the ID.
fn start(
    ctx: &Context,
    policy: &confirm::Policy,
    started: impl FnOnce(&str) -> ConfirmationEvent,
) -> Result<String, OpsError> {
    let mut w = ctx.writer(&ctx.layout.ledger(LedgerFile::Confirmations))?;
    let events = w.events()?;
    let id = confirm::next_id(&events);
    let first = started(&id);
    let ConfirmationEvent::ConfirmationStarted(s) = &first else {
        return Err(OpsError::Other(
            "a confirmation starts with its start".into(),
        ));
    };
    let mut batch = confirm::closing(&events, &s.operation, &id, ctx.now(), policy.valid_minutes);
    for c in &batch {
        ctx.warn(match c {
            ConfirmationEvent::ConfirmationAbandoned(a) => {
                format!("{} closed as abandoned: {}", a.confirmation, a.why)
            }
            ConfirmationEvent::ConfirmationExpired(x) => format!(
                "{} closed as expired: never used before {}",
                x.confirmation, x.valid_until
            ),
            _ => String::new(),
        });
    }
    batch.push(first);
    w.append_events(ctx.clock.as_ref(), &ctx.actor, &batch)?;
    Ok(id)
}

/// Every confirmation of the ledger as it stands now, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct StatusList {
    /// Now (UTC).
    pub as_of: String,
    /// The confirmations, newest first.
    pub confirmations: Vec<confirm::Entry>,
}

/// `confirm status`: every confirmation of `ledger/confirmations.jsonl`
/// and where it stands at `ctx.now()` (in progress, refused, abandoned,
/// confirmed — usable until —, used, expired), newest first.
///
/// # Errors
/// The ledger cannot be read; the safety matrix is broken.
pub fn status(ctx: &Context) -> Result<StatusList, OpsError> {
    let mxp: Option<SafetyMatrix> = ctx.policy_optional()?;
    let policy = confirm::Policy::from_policy(mxp.as_ref());
    let events = ledger::read(&ctx.layout.ledger(LedgerFile::Confirmations))?;
    let mut confirmations = confirm::ledger(&events, ctx.now(), policy.valid_minutes);
    confirmations.reverse();
    Ok(StatusList {
        as_of: ledger::format_ts(ctx.now()),
        confirmations,
    })
}

/// The gate every T2 action goes through before it runs (D-SAFE-CONFIRM,
/// D-SAFE-MATRIX, D-SAFE-FREEZE): [`crate::safety::can`] — the safety
/// matrix and the change freeze, the one verdict `opsbook safety can`
/// gives — must not DENY `action` now, and a passed high-danger
/// confirmation of `action` on exactly `target` must be unused and
/// unexpired. Returns that confirmation; mark it used with [`used`] once
/// the action is done.
///
/// # Errors
/// [`OpsError::Refused`]: DENY in the current state or frozen (with the way
/// forward), or no usable confirmation (next: the confirmation); policies
/// or ledgers that cannot be read.
pub fn require(
    ctx: &Context,
    action: &str,
    target: &str,
) -> Result<confirm::Confirmation, OpsError> {
    let can = crate::safety::can(ctx, action, None)?;
    if can.answer.decision == Decision::Deny {
        return Err(OpsError::refused(can.answer.why, can.answer.next));
    }
    let all = confirm::confirmations(&ledger::read(
        &ctx.layout.ledger(LedgerFile::Confirmations),
    )?);
    match confirm::usable(&all, action, Some(target), ctx.now()) {
        Some(c) => Ok(c.clone()),
        None => Err(OpsError::refused(
            format!(
                "`{action}` on `{target}` is a T2 action ({} in {}): it needs a passed one-person high-danger confirmation of exactly this action and target, unused and not expired",
                can.answer.decision.as_str(),
                can.answer.state
            ),
            Some(opsbook_core::next::NextStep::Confirm {
                operation: action.to_string(),
                target: Some(target.to_string()),
            }),
        )),
    }
}

/// Records that confirmation `id` was used by `by` (a command line, for
/// people); a confirmation is used once.
///
/// # Errors
/// Ledger errors.
pub fn used(ctx: &Context, id: &str, by: &str) -> Result<Event, OpsError> {
    ctx.append(
        &ctx.layout.ledger(LedgerFile::Confirmations),
        &ConfirmationEvent::ConfirmationUsed(cev::Used {
            confirmation: id.to_string(),
            by: by.to_string(),
        }),
    )
}
