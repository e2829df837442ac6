//! The change freeze (D-SAFE-FREEZE): the verdict "may this change go ahead
//! now" — computed here and only here, for `freeze check`, `freeze status`,
//! `safety status` and `safety can` —, turning it on (by hand or by an
//! incident or a safety state), lifting it when its conditions hold, and
//! exceptions.

use opsbook_core::confirm;
use opsbook_core::event::{ConfirmationEvent, FreezeEvent, confirmation as cev, freeze as fev};
use opsbook_core::freeze::{self, Policy, State, Verdict};
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::{self, Event, Writer};
use opsbook_core::next::NextStep;
use opsbook_core::policy::{ChangeFreeze, SafetyMatrix};
use serde::Serialize;

use crate::{Context, OpsError};

/// `policy/change-freeze.yaml`; missing or broken stops the judgement (the
/// deploy guard must not wave changes through because a file is broken).
///
/// # Errors
/// The policy cannot be read (fail closed).
pub fn policy_strict(ctx: &Context) -> Result<Policy, OpsError> {
    let p: ChangeFreeze = ctx.policy().map_err(|e| {
        OpsError::Other(format!(
            "{e}; the change freeze cannot be judged without its policy (fail closed)"
        ))
    })?;
    Ok(Policy::from_policy(&p))
}

/// The freeze policy for automatic triggers: the SSOT's, or the starter
/// policy's (freezing is the safe default), with a warning.
///
/// # Errors
/// Only if the built-in policy were broken.
pub fn policy_lenient(ctx: &Context) -> Result<Policy, OpsError> {
    let p: ChangeFreeze = ctx.policy_or_builtin("(automatic freezes still apply)")?;
    Ok(Policy::from_policy(&p))
}

/// The replayed freeze ledger.
///
/// # Errors
/// A broken ledger.
pub fn state(ctx: &Context) -> Result<State, OpsError> {
    Ok(freeze::replay(&ledger::read(
        &ctx.layout.ledger(LedgerFile::Freeze),
    )?))
}

/// The actions of the safety matrix (empty, with a warning, when it cannot
/// be read: then every action not always allowed is refused while frozen).
#[must_use]
pub fn known_actions(ctx: &Context) -> Vec<String> {
    match ctx.policy::<SafetyMatrix>() {
        Ok(m) => m.actions.into_iter().map(|a| a.id).collect(),
        Err(e) => {
            ctx.warn(format!(
                "warning: {e}; while frozen, every action that is not always allowed is refused"
            ));
            Vec::new()
        }
    }
}

/// May `action` go ahead now? The one freeze verdict.
///
/// # Errors
/// The policy or the ledger cannot be read (fail closed).
pub fn verdict(ctx: &Context, action: &str) -> Result<(Verdict, State, Policy), OpsError> {
    let p = policy_strict(ctx)?;
    let st = state(ctx)?;
    let v = freeze::check(&p, &st, action, ctx.now(), &known_actions(ctx));
    Ok((v, st, p))
}

/// `freeze check`: may this change go ahead?
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What is about to change.
    pub change: String,
    /// The action it is.
    pub action: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// The deploy guard.
///
/// # Errors
/// As [`verdict`].
pub fn check(ctx: &Context, change: &str, action: &str) -> Result<Check, OpsError> {
    let (v, _, _) = verdict(ctx, action)?;
    Ok(Check {
        change: change.to_string(),
        action: action.to_string(),
        verdict: v,
    })
}

/// `freeze status`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Frozen (ledger or schedule).
    pub frozen: bool,
    /// Since (UTC), when frozen by the ledger.
    pub since: Option<String>,
    /// The scheduled window in force.
    pub scheduled: Option<String>,
    /// Why it is on.
    pub reasons: Vec<Reason>,
    /// The incidents that turned it on.
    pub incidents: Vec<String>,
    /// Active exceptions.
    pub exceptions: Vec<freeze::Exception>,
    /// Lift conditions that do not hold.
    pub lift_unmet: Vec<String>,
    /// Frozen by the ledger (the schedule lifts by itself).
    #[serde(skip)]
    pub by_ledger: bool,
}

/// One reason the freeze is on.
#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    /// The `freeze_on` event.
    pub seq: u64,
    /// Why.
    pub reason: String,
    /// The incident.
    pub incident: Option<String>,
}

/// Whether changes are frozen, why, the exceptions, and what must hold to lift it.
///
/// # Errors
/// As [`verdict`].
pub fn status(ctx: &Context) -> Result<Status, OpsError> {
    let (v, st, p) = verdict(ctx, "deploy_code")?;
    let now = ctx.now();
    let unmet = lift_unmet(ctx, &p, &st)?;
    Ok(Status {
        frozen: v.frozen,
        since: st.since.clone(),
        scheduled: v.scheduled,
        reasons: st
            .reasons
            .iter()
            .map(|r| Reason {
                seq: r.0,
                reason: r.1.clone(),
                incident: r.2.clone(),
            })
            .collect(),
        incidents: st.incidents(),
        exceptions: st
            .exceptions
            .iter()
            .filter(|x| x.active(now))
            .cloned()
            .collect(),
        lift_unmet: unmet,
        by_ledger: st.frozen,
    })
}

/// Events appended to the freeze ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// The events.
    pub events: Vec<Event>,
}

/// Turns the freeze on by hand.
///
/// # Errors
/// An empty reason; ledger errors.
pub fn on(ctx: &Context, reason: &str, incident: Option<&str>) -> Result<Recorded, OpsError> {
    if reason.trim().is_empty() {
        return Err(OpsError::invalid("--reason is empty"));
    }
    let ev = opsbook_core::event::append(
        &ctx.layout.ledger(LedgerFile::Freeze),
        ctx.clock.as_ref(),
        &ctx.actor,
        &FreezeEvent::FreezeOn(fev::FreezeOn {
            reason: reason.trim().to_string(),
            incident: Some(incident.map(str::to_string)),
            source: "operator".into(),
        }),
    )?;
    ctx.warn_clock(std::slice::from_ref(&ev), "the last freeze event");
    Ok(Recorded { events: vec![ev] })
}

/// Turns the freeze on unless it already is on for this incident (or, with
/// no incident, at all); returns whether an event was written.
///
/// # Errors
/// Ledger errors.
pub fn freeze_on_if_off(
    ctx: &Context,
    reason: &str,
    incident: Option<&str>,
    source: &str,
) -> Result<bool, OpsError> {
    let mut w = Writer::open(&ctx.layout.ledger(LedgerFile::Freeze))?;
    let st = freeze::replay(&w.events()?);
    if st.frozen && incident.is_none_or(|i| st.incidents().iter().any(|x| x == i)) {
        return Ok(false);
    }
    w.append_event(
        ctx.clock.as_ref(),
        &ctx.actor,
        &FreezeEvent::FreezeOn(fev::FreezeOn {
            reason: reason.to_string(),
            incident: incident.map(|i| Some(i.to_string())),
            source: source.to_string(),
        }),
    )?;
    Ok(true)
}

/// Lifts the freeze when every `lift_requires` of the policy holds (never
/// by timeout).
///
/// # Errors
/// Not on (bad input); a condition unmet (refused, naming it).
pub fn off(ctx: &Context, reason: &str) -> Result<Recorded, OpsError> {
    let fp = policy_strict(ctx)?;
    let mut w = Writer::open(&ctx.layout.ledger(LedgerFile::Freeze))?;
    let st = freeze::replay(&w.events()?);
    if !st.frozen {
        return Err(OpsError::invalid("the freeze is not on"));
    }
    let unmet = lift_unmet(ctx, &fp, &st)?;
    if !unmet.is_empty() {
        let watch = unmet
            .iter()
            .any(|u| u.starts_with("the post-recovery watch runs"));
        return Err(OpsError::refused(
            format!(
                "the freeze lifts only when every lift_requires holds (never by timeout): {}",
                unmet.join("; ")
            ),
            watch.then_some(NextStep::EndWatch),
        ));
    }
    let ev = w.append_event(
        ctx.clock.as_ref(),
        &ctx.actor,
        &FreezeEvent::FreezeOff(fev::FreezeOff {
            reason: reason.to_string(),
        }),
    )?;
    Ok(Recorded { events: vec![ev] })
}

/// The lift conditions of the policy that do not hold.
///
/// # Errors
/// The safety policy or ledger cannot be read.
pub fn lift_unmet(ctx: &Context, fp: &Policy, st: &State) -> Result<Vec<String>, OpsError> {
    let mut out = Vec::new();
    for r in &fp.lift_requires {
        match r.as_str() {
            "incident_resolved" => {
                let store = ctx.store()?;
                for id in st.incidents() {
                    if let Ok(i) = store.load(&id)
                        && i.status.is_open()
                    {
                        out.push(format!(
                            "incident {id} is {} (must be RESOLVED or CLOSED)",
                            i.status
                        ));
                    }
                }
            }
            "post_recovery_watch_ended" => {
                let (_, cur) = crate::state::current(ctx)?;
                if let Some((u, _)) = &cur.watch {
                    out.push(format!("the post-recovery watch runs until {u}"));
                } else if cur.last_watch_result.as_deref() == Some("retriggered") {
                    out.push("the last post-recovery watch re-triggered".into());
                }
            }
            "safety_state_normal" => {
                let (m, cur) = crate::state::current(ctx)?;
                if cur.state != m.initial {
                    out.push(format!(
                        "the safety state is {} (must be {})",
                        cur.state, m.initial
                    ));
                }
            }
            other => out.push(format!(
                "`{other}` (unknown lift condition: cannot be checked)"
            )),
        }
    }
    Ok(out)
}

/// After an incident ends: the freeze is still on and no incident that
/// turned it on is open (offer to lift it).
#[must_use]
pub fn liftable_after_close(ctx: &Context) -> bool {
    let Ok(st) = state(ctx) else { return false };
    if !st.frozen {
        return false;
    }
    let Ok(store) = ctx.store() else { return false };
    !st.incidents()
        .iter()
        .any(|i| store.load(i).is_ok_and(|x| x.status.is_open()))
}

/// An exception to ask for.
#[derive(Debug, Clone, Default)]
pub struct ExceptionRequest {
    /// Safety-matrix actions it unblocks.
    pub actions: Vec<String>,
    /// Why the change cannot wait.
    pub reason: String,
    /// What could go wrong.
    pub risk: String,
    /// How to undo it.
    pub backout: String,
    /// Expiry from now: `30m`, `2h`, `1h30m`.
    pub expires_in: Option<String>,
    /// Expiry as a time (RFC 3339).
    pub expires: Option<String>,
    /// Who approved it.
    pub approver: String,
    /// The incident.
    pub incident: Option<String>,
}

/// What [`except`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionAdded {
    /// `EXC-<seq>`.
    #[serde(skip)]
    pub id: String,
    /// The actions.
    #[serde(skip)]
    pub actions: Vec<String>,
    /// Expiry, UTC.
    #[serde(skip)]
    pub expires_at: String,
    /// The events (freeze ledger).
    pub events: Vec<Event>,
}

/// Adds an exception: named actions, reason, risk, backout, expiry and
/// approver; approving one's own needs a high-danger confirmation that
/// names every action.
///
/// # Errors
/// An action the matrix does not have or "everything", empty fields, an
/// expiry in the past or past the policy's maximum (bad input); no
/// confirmation for a self-approval, too many active exceptions (refused).
pub fn except(ctx: &Context, r: &ExceptionRequest) -> Result<ExceptionAdded, OpsError> {
    let fp = policy_strict(ctx)?;
    let mx = opsbook_core::safety::Matrix::from_policy(&ctx.policy::<SafetyMatrix>()?);
    for a in &r.actions {
        if a == "everything" || a == "*" || a == "all" {
            return Err(OpsError::invalid(format!(
                "an exception names the actions it unblocks; \"{a}\" is not accepted"
            )));
        }
        if !mx.cells.contains_key(a) {
            return Err(OpsError::invalid(format!(
                "`{a}` is not an action of policy/safety-matrix.yaml"
            )));
        }
    }
    for (k, v) in [
        ("--reason", &r.reason),
        ("--risk", &r.risk),
        ("--backout", &r.backout),
        ("--approver", &r.approver),
    ] {
        if v.trim().is_empty() {
            return Err(OpsError::invalid(format!(
                "{k} is empty: an exception is a record — reason, risk, backout, expiry and approver"
            )));
        }
    }
    let now = ctx.now();
    let until = match (&r.expires_in, &r.expires) {
        (Some(d), _) => {
            let minutes = opsbook_core::clock::parse_minutes(d).map_err(OpsError::invalid)?;
            jiff::Timestamp::from_millisecond(now.as_millisecond() + minutes * 60_000)
                .map_err(|e| OpsError::invalid(format!("`{d}` is far too long: {e}")))?
        }
        (None, Some(t)) => opsbook_core::clock::parse_time(t).map_err(OpsError::invalid)?,
        (None, None) => {
            return Err(OpsError::invalid(
                "give an expiry: --expires-in 60m or --expires TIME",
            ));
        }
    };
    let minutes = (until.as_millisecond() - now.as_millisecond()) / 60_000;
    if until <= now {
        return Err(OpsError::invalid("the expiry is in the past"));
    }
    if minutes > fp.max_duration_minutes {
        return Err(OpsError::invalid(format!(
            "an exception lasts at most {} min (policy exceptions.max_duration_minutes); this one {minutes} min",
            fp.max_duration_minutes
        )));
    }
    let who = &ctx.actor;
    let self_approved = r.approver.eq_ignore_ascii_case(&who.user)
        || who
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&r.approver));
    let mut conf_id = None;
    if self_approved && fp.self_approval_needs_confirmation {
        let all = confirm::confirmations(&ledger::read(
            &ctx.layout.ledger(LedgerFile::Confirmations),
        )?);
        // The confirmation must name every action the exception unblocks.
        let covers = |c: &confirm::Confirmation| {
            let named: Vec<&str> = c.target.split(',').map(str::trim).collect();
            r.actions.iter().all(|a| named.contains(&a.as_str()))
        };
        let usable = all.iter().rev().find(|c| {
            c.operation == "freeze_exception"
                && !c.used
                && covers(c)
                && c.valid_until
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|v| v > now)
        });
        match usable {
            Some(c) => conf_id = Some(c.id.clone()),
            None => {
                return Err(OpsError::refused(
                    "you approve your own exception: that goes through the high-danger confirmation first",
                    Some(NextStep::Confirm {
                        operation: "freeze_exception".into(),
                        target: Some(r.actions.join(",")),
                    }),
                ));
            }
        }
    }
    let mut w = Writer::open(&ctx.layout.ledger(LedgerFile::Freeze))?;
    let events = w.events()?;
    let st = freeze::replay(&events);
    let active = st.exceptions.iter().filter(|x| x.active(now)).count();
    if active >= fp.max_active {
        return Err(OpsError::refused(
            format!(
                "{active} exception(s) already active (policy exceptions.max_active = {}); close one first",
                fp.max_active
            ),
            None,
        ));
    }
    let id = format!("EXC-{}", events.len() + 1);
    let expires_at = ledger::format_ts(until);
    let ev = w.append_event(
        ctx.clock.as_ref(),
        who,
        &FreezeEvent::ExceptionAdded(fev::ExceptionAdded {
            id: id.clone(),
            actions: r.actions.clone(),
            reason: r.reason.clone(),
            risk: r.risk.clone(),
            backout: r.backout.clone(),
            expires_at: expires_at.clone(),
            approver: r.approver.clone(),
            self_approved,
            confirmation: conf_id.clone(),
            incident: r.incident.clone(),
        }),
    )?;
    drop(w);
    if let Some(cid) = &conf_id {
        opsbook_core::event::append(
            &ctx.layout.ledger(LedgerFile::Confirmations),
            ctx.clock.as_ref(),
            who,
            &ConfirmationEvent::ConfirmationUsed(cev::Used {
                confirmation: cid.clone(),
                by: format!("freeze exception {id}"),
            }),
        )?;
    }
    Ok(ExceptionAdded {
        id,
        actions: r.actions.clone(),
        expires_at,
        events: vec![ev],
    })
}

/// Closes an exception before it expires.
///
/// # Errors
/// No open exception of that ID.
pub fn close_exception(ctx: &Context, id: &str, reason: &str) -> Result<Recorded, OpsError> {
    let mut w = Writer::open(&ctx.layout.ledger(LedgerFile::Freeze))?;
    let st = freeze::replay(&w.events()?);
    if !st.exceptions.iter().any(|x| x.id == id && !x.closed) {
        return Err(OpsError::needs(
            format!("no open exception `{id}`"),
            NextStep::FreezeStatus,
        ));
    }
    let ev = w.append_event(
        ctx.clock.as_ref(),
        &ctx.actor,
        &FreezeEvent::ExceptionClosed(fev::ExceptionClosed {
            id: id.to_string(),
            reason: reason.to_string(),
        }),
    )?;
    Ok(Recorded { events: vec![ev] })
}
