//! The platform's safety state (D-SAFE-SM, D-SAFE-NOFLAP, D-SAFE-MATRIX):
//! moving it through the platform hook, the post-recovery watch, status,
//! history, and "may I do ACTION now" — the safety matrix and the change
//! freeze together.
//!
//! Order of writes in [`set_state`]: the hook's attempt, the hook, its
//! result (safety ledger); the state left and entered; then the
//! consequences in other ledgers (the confirmation used, the incident's
//! safety decision, the freeze).

use opsbook_core::confirm;
use opsbook_core::event::{
    ConfirmationEvent, IncidentEvent, SafetyEvent, confirmation as cev, incident as iev,
    safety as sev,
};
use opsbook_core::hook::Outcome;
use opsbook_core::incident::Incident;
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::{self, Event};
use opsbook_core::policy::Degraded;
use opsbook_core::safety::{self, Machine, Request, Source};
use opsbook_core::ssot::Ssot;
use serde::Serialize;

use crate::{Context, OpsError};

pub use crate::state::{current, machine, matrix};

mod hook;
mod views;
mod watch;

pub use hook::render_manual;
use hook::{manual_steps, run_hook};
pub use views::*;
pub use watch::*;

/// A transition to ask for.
#[derive(Debug, Clone)]
pub struct SetRequest {
    /// Target state (any case).
    pub to: String,
    /// Why (always required).
    pub reason: String,
    /// Evidence that the cause is gone (de-escalation).
    pub evidence: Option<String>,
    /// Who asks.
    pub source: Source,
    /// The incident it belongs to (gets a safety decision).
    pub incident: Option<String>,
    /// The platform was switched by hand: record without the hook.
    pub manual: bool,
}

/// What [`set_state`] did.
#[derive(Debug, Clone, Serialize)]
pub struct SetOutcome {
    /// From.
    pub from: String,
    /// To (the same: re-engaged).
    pub to: String,
    /// The hook's run, when there is a hook.
    pub hook: Option<Outcome>,
    /// The post-recovery watch started, until (UTC).
    pub watch_until: Option<String>,
    /// The change freeze was turned on.
    pub froze: bool,
    /// The safety-ledger events.
    pub events: Vec<Event>,
    /// Recorded as switched by hand.
    #[serde(skip)]
    pub manual: bool,
    /// A refusal met on the way that sent it elsewhere (the flap limit).
    #[serde(skip)]
    pub redirected_because: Option<String>,
    /// What the transition should have recorded in other ledgers and could
    /// not (the state is entered and recorded; these are not): empty when
    /// the operation is complete. Front ends show each and exit non-zero.
    pub unrecorded: Vec<String>,
}

/// Moves the platform to a state: checks the guards under the safety
/// ledger's lock, runs the hook (its attempt recorded first), records the
/// exit and the entry, then the consequences (confirmation used, the
/// incident's safety decision, the freeze, the post-recovery watch).
/// Asking for the current state re-engages it (the hook runs again).
///
/// # Errors
/// A guard refuses ([`OpsError::Refused`], some recorded); the hook fails
/// ([`OpsError::HookFailed`], state unchanged, manual steps attached); an
/// unknown state, an invalid `opsbook.toml`, a broken ledger (the HALTED
/// hook still runs: the emergency stop never waits for a record).
pub fn set_state(ctx: &Context, req: &SetRequest) -> Result<SetOutcome, OpsError> {
    set_state_deciding(ctx, req, None)
}

/// The operator's words for the incident's safety decision that a
/// transition records (`incident decide --safety`).
#[derive(Debug, Clone)]
pub(crate) struct Decided {
    /// What was decided.
    pub decision: String,
    /// Alternatives considered and rejected.
    pub alternatives: Vec<String>,
}

/// [`set_state`], the incident's safety decision worded by `decided`.
pub(crate) fn set_state_deciding(
    ctx: &Context,
    req: &SetRequest,
    decided: Option<&Decided>,
) -> Result<SetOutcome, OpsError> {
    let to = req.to.trim().to_ascii_uppercase();
    if req.reason.trim().is_empty() {
        return Err(OpsError::invalid(
            "--reason is empty: every safety transition needs a reason",
        ));
    }
    let reason = req.reason.trim();
    // Before the hook: a reason the ledger would refuse changes nothing.
    crate::scrub::check_input("reason", reason)?;
    let m = match machine(ctx) {
        Ok(m) => m,
        // The emergency stop never waits for a policy file.
        Err(e) if to == "HALTED" => {
            ctx.warn(format!(
                "warning: {e}; using the built-in safety state machine for HALTED"
            ));
            Machine::from_policy(&opsbook_core::policy::builtin::<Degraded>()?)
                .map_err(OpsError::Other)?
        }
        Err(e) => return Err(e),
    };
    if m.state(&to).is_none() {
        return Err(OpsError::invalid(format!(
            "`{to}` is not a safety state; policy/degraded.yaml has {}",
            m.states
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let cfg = Ssot::load_config_strict(ctx.layout.root()).map_err(|e| {
        OpsError::Other(format!(
            "{e}\nopsbook.toml must be valid before the platform is switched (its hooks would be ignored); switch by hand if it cannot wait"
        ))
    })?;
    let st = ctx.store()?;
    // The emergency stop does not wait for an incident that does not load:
    // it halts, and says the incident was not updated.
    let mut not_linked = None;
    let inc: Option<Incident> = match &req.incident {
        Some(i) => match st.resolve(i).and_then(|id| st.load(&id)) {
            Ok(inc) => Some(inc),
            Err(e) if to == "HALTED" => {
                not_linked = Some(format!("incident {i} (not linked, not updated): {e}"));
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let clock = ctx.clock.as_ref();
    let who = &ctx.actor;
    let mut w = ctx.writer(&ctx.layout.ledger(LedgerFile::Safety))?;
    let events = match w.events() {
        Ok(e) => e,
        Err(e) => {
            // A broken ledger must not block the emergency stop: switch the
            // platform, then say plainly that the state is not recorded.
            let mut ran = String::new();
            if to == "HALTED"
                && !req.manual
                && let Some(h) = cfg.hooks.get(&to)
            {
                let o = opsbook_core::hook::run(
                    h,
                    &[
                        ("OPSBOOK_STATE_TO", to.clone()),
                        ("OPSBOOK_REASON", reason.to_string()),
                    ],
                );
                ran = if o.ok {
                    format!(
                        "; the HALTED hook ran and succeeded ({} ms): the platform is halted",
                        o.duration_ms
                    )
                } else {
                    format!(
                        "; the HALTED hook FAILED too: switch by hand NOW.\n{}",
                        render_manual(&manual_steps(ctx, h.manual_runbook.as_deref()))
                    )
                };
            }
            return Err(OpsError::needs(
                format!(
                    "{e}{ran}\nthe safety ledger is broken, so the new state could not be recorded{}",
                    if matches!(e, opsbook_core::ledger::LedgerError::Torn { .. }) {
                        ""
                    } else {
                        ": restore it from backup or git"
                    }
                ),
                e.next()
                    .unwrap_or_else(|| opsbook_core::next::NextStep::VerifyLedger {
                        path: ctx.layout.ledger(LedgerFile::Safety).display().to_string(),
                    }),
            ));
        }
    };
    let cur = safety::replay(&m, &events);
    if let Some(p) = &cur.pending_hook {
        ctx.warn(format!(
            "warning: a hook attempt to {p} has no recorded result (interrupted?): the platform may not be in {} — check it",
            cur.state
        ));
    }
    let now = ctx.now();
    let needs_confirm = m
        .transition(&cur.state, &to)
        .is_some_and(|t| t.requires.iter().any(|r| r == "high_danger_confirmation"));
    let conf = if needs_confirm {
        let confirmations = confirm::confirmations(&ledger::read(
            &ctx.layout.ledger(LedgerFile::Confirmations),
        )?);
        confirm::usable(&confirmations, "release_halt", Some(&to), now).cloned()
    } else {
        None
    };
    let acceptance_passed = inc
        .as_ref()
        .and_then(|i| i.acceptance.as_ref())
        .is_some_and(|a| a.passed);
    // Evidence for a de-escalation: given, or a reference attached to the
    // incident since the current state was entered (spec degraded-mode
    // rule 3: a bundle newer than the last escalation).
    let incident_evidence = inc.as_ref().and_then(|i| {
        let since = cur.since.clone().unwrap_or_default();
        i.evidence
            .iter()
            .rev()
            .find(|e| {
                i.events
                    .iter()
                    .find(|ev| ev.seq == e.seq)
                    .is_some_and(|ev| ev.ts >= since)
            })
            .map(|e| e.reference.clone())
    });
    let evidence = req.evidence.clone().or(incident_evidence);
    let hook_env = |from: &str| {
        vec![
            ("OPSBOOK_STATE_FROM", from.to_string()),
            ("OPSBOOK_STATE_TO", to.clone()),
            ("OPSBOOK_REASON", reason.to_string()),
            (
                "OPSBOOK_INCIDENT",
                inc.as_ref().map(|i| i.id.clone()).unwrap_or_default(),
            ),
        ]
    };
    if to == cur.state {
        // Asking for the state we are in re-engages it (a kill switch may
        // have been reset by hand); it is never refused.
        let mut events = Vec::new();
        let mut outcome = None;
        if !req.manual
            && let Some(h) = cfg.hooks.get(&to)
        {
            let mut env = hook_env(&cur.state);
            env.pop();
            let (evs, o) = run_hook(
                &mut w,
                ctx,
                h,
                &cur.state,
                &to,
                &req.source,
                reason,
                true,
                &env,
            )?;
            events.extend(evs);
            outcome = Some(o);
        }
        return Ok(SetOutcome {
            from: cur.state.clone(),
            to,
            hook: outcome,
            watch_until: None,
            froze: false,
            events,
            manual: req.manual,
            redirected_because: None,
            unrecorded: Vec::new(),
        });
    }
    let r = Request {
        to: &to,
        reason,
        evidence: evidence.as_deref(),
        source: req.source.clone(),
        confirmed: conf.is_some(),
        acceptance_passed,
        now,
    };
    let t = match safety::check(&m, &cur, &r) {
        Ok(t) => t.clone(),
        Err(refusal) => {
            if refusal.record {
                w.append_event(
                    clock,
                    who,
                    &SafetyEvent::TransitionRefused(sev::TransitionRefused {
                        from: cur.state.clone(),
                        to: to.clone(),
                        source: req.source.as_string(),
                        reason: reason.to_string(),
                        why: refusal.message.clone(),
                    }),
                )?;
            }
            if let Some(redirect) = refusal.redirect_to.clone() {
                drop(w);
                let mut o = set_state(
                    ctx,
                    &SetRequest {
                        to: redirect,
                        reason: format!(
                            "automatic escalation limit reached; requested {to}: {reason}"
                        ),
                        evidence,
                        source: Source::Policy("auto_escalation.on_limit".into()),
                        incident: req.incident.clone(),
                        manual: false,
                    },
                )?;
                o.redirected_because = Some(refusal.message);
                return Ok(o);
            }
            let incident = inc
                .as_ref()
                .map(|i| i.id.clone())
                .or_else(|| cur.incident.clone());
            let unmet = ways_forward(ctx, &m, &cur, refusal.unmet, incident, now)?;
            return Err(OpsError::refused_unmet(refusal.message, unmet));
        }
    };
    let mut events = Vec::new();
    let mut outcome = None;
    if let Some(h) = cfg.hooks.get(&to).filter(|_| !req.manual) {
        let (evs, o) = run_hook(
            &mut w,
            ctx,
            h,
            &cur.state,
            &to,
            &req.source,
            reason,
            false,
            &hook_env(&cur.state),
        )?;
        events.extend(evs);
        outcome = Some(o);
    }
    let dwell_ms = cur
        .since
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|s| (now.as_millisecond() - s.as_millisecond()).max(0));
    // Left, entered (and the watch started) as one write: history never
    // shows a state left without the state entered.
    let mut batch = vec![
        SafetyEvent::StateExited(sev::StateExited {
            state: cur.state.clone(),
            to: to.clone(),
            dwell_ms,
        }),
        SafetyEvent::StateEntered(sev::StateEntered {
            state: to.clone(),
            from: cur.state.clone(),
            reason: reason.to_string(),
            source: req.source.as_string(),
            direction: if t.escalate { "escalate" } else { "deescalate" }.into(),
            hook: if req.manual {
                sev::HookMark::manual()
            } else {
                sev::HookMark::Ran(outcome.is_some())
            },
            evidence: evidence.clone(),
            incident: inc.as_ref().map(|i| i.id.clone()),
            confirmation: conf.as_ref().map(|c| c.id.clone()),
        }),
    ];
    let mut watch_until = None;
    if cur.state == "RECOVERING" && to == m.initial {
        let minutes = inc
            .as_ref()
            .and_then(|i| m.watch_minutes.get(&i.severity).copied())
            .unwrap_or(m.watch_default_minutes);
        let until = ledger::format_ts(
            jiff::Timestamp::from_millisecond(
                now.as_millisecond()
                    .saturating_add(minutes.saturating_mul(60_000)),
            )
            .unwrap_or(now),
        );
        let conds = ctx
            .policy::<Degraded>()
            .map(|d| d.post_recovery_watch.exit_conditions)
            .unwrap_or_default();
        batch.push(SafetyEvent::WatchStarted(sev::WatchStarted {
            until: until.clone(),
            minutes,
            incident: inc.as_ref().map(|i| i.id.clone()),
            exit_conditions: conds,
        }));
        watch_until = Some(until);
    }
    match w.append_events(clock, who, &batch) {
        Ok(evs) => events.extend(evs),
        Err(e) => {
            let ran = outcome.as_ref().map_or(String::new(), |o| {
                format!(
                    "; the {to} hook ran and succeeded ({} ms): the platform is {to}, but the safety ledger still says {}",
                    o.duration_ms, cur.state
                )
            });
            return Err(OpsError::needs(
                format!(
                    "{e}{ran}\nthe state entered could not be recorded (nothing of it was written): repair the safety ledger, then record it with the same command (add --manual when the hook already switched the platform)"
                ),
                opsbook_core::next::NextStep::VerifyLedger {
                    path: ctx.layout.ledger(LedgerFile::Safety).display().to_string(),
                },
            ));
        }
    }
    drop(w);
    ctx.warn_clock(&events, "the last safety event");
    // The consequences in other ledgers. The transition has happened and is
    // recorded: a failure here does not undo it, it is named (`unrecorded`).
    let mut unrecorded: Vec<String> = not_linked.into_iter().collect();
    if let Some(c) = &conf
        && let Err(e) = ctx.append(
            &ctx.layout.ledger(LedgerFile::Confirmations),
            &ConfirmationEvent::ConfirmationUsed(cev::Used {
                confirmation: c.id.clone(),
                by: format!("safety set {to}"),
            }),
        )
    {
        unrecorded.push(format!("confirmation {} not marked used: {e}", c.id));
    }
    if let Some(i) = &inc
        && !i.status.is_terminal()
        && let Err(e) = st.transact(clock, &i.id, who, |_| {
            Ok::<_, OpsError>(vec![IncidentEvent::SafetyDecision(match decided {
                None => iev::SafetyDecision {
                    to: to.clone(),
                    decision: format!("safety state {} → {to} (opsbook safety set)", cur.state),
                    reason: reason.to_string(),
                    alternatives: None,
                },
                Some(d) => iev::SafetyDecision {
                    to: to.clone(),
                    decision: format!(
                        "{} (safety state {} → {to} through opsbook)",
                        d.decision, cur.state
                    ),
                    reason: reason.to_string(),
                    alternatives: Some(d.alternatives.clone()),
                },
            })])
        })
    {
        unrecorded.push(format!("{}'s safety decision: {e}", i.id));
    }
    let mut froze = false;
    match crate::freeze::policy_lenient(ctx) {
        Ok(fp) if fp.on_safety_states.contains(&to) => {
            match crate::freeze::freeze_on_if_off(
                ctx,
                &format!("safety state {to}: {reason}"),
                inc.as_ref().map(|i| i.id.as_str()),
                "safety",
            ) {
                Ok(f) => froze = f,
                Err(e) => unrecorded.push(format!("the change freeze (turn it on): {e}")),
            }
        }
        Ok(_) => {}
        Err(e) => unrecorded.push(format!("the change freeze policy: {e}")),
    }
    Ok(SetOutcome {
        from: cur.state,
        to,
        hook: outcome,
        watch_until,
        froze,
        events,
        manual: req.manual,
        redirected_because: None,
        unrecorded,
    })
}

/// Each unmet condition of a refused transition with the step that meets
/// it, for the incident given or the one the current state was entered
/// for: evidence attached to it; its recovery acceptance; the
/// confirmation — not before the time that keeps it valid when the dwell
/// ends ([`confirm::Policy::earliest_start`]), since `confirm` refuses one
/// that would expire unused.
fn ways_forward(
    ctx: &Context,
    m: &Machine,
    cur: &safety::Current,
    unmet: Vec<safety::Unmet>,
    incident: Option<String>,
    now: jiff::Timestamp,
) -> Result<Vec<safety::Unmet>, OpsError> {
    use opsbook_core::next::NextStep;
    use opsbook_core::safety::Condition;
    let dwell_left = unmet.iter().any(|u| u.condition == Condition::Dwell);
    let mut out = Vec::with_capacity(unmet.len());
    for mut u in unmet {
        match (u.condition, &incident) {
            (Condition::Evidence, Some(i)) => {
                u.next = Some(NextStep::AttachEvidence {
                    incident: i.clone(),
                });
            }
            (Condition::Acceptance, _) => {
                if let Some(NextStep::AnswerAcceptance { failing, .. }) = u.next.take() {
                    u.next = Some(NextStep::AnswerAcceptance {
                        incident: incident.clone(),
                        failing,
                    });
                }
            }
            (Condition::Confirmation, _) if dwell_left => {
                let policy = confirm::Policy::from_policy(
                    ctx.policy_optional::<opsbook_core::policy::SafetyMatrix>()?
                        .as_ref(),
                );
                if let (
                    Some(end),
                    Some(NextStep::Confirm {
                        operation,
                        target: Some(target),
                    }),
                ) = (safety::dwell_end(m, cur), u.next.clone())
                    && let Some(from) = policy.earliest_start(end, now)
                {
                    u.next = Some(NextStep::ConfirmFrom {
                        operation,
                        target,
                        when: Box::new(opsbook_core::next::ConfirmWindow {
                            from: ledger::format_ts(from),
                            in_minutes: confirm::minutes_until(from, now),
                            usable_from: ledger::format_ts(end),
                            expires_at: ledger::format_ts(policy.soonest_expiry(now)),
                        }),
                    });
                }
            }
            _ => {}
        }
        out.push(u);
    }
    Ok(out)
}
