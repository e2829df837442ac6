//! Failover and failback (seed §2.1.5 Failover/Failback 安全条件;
//! spec/split-brain-prevention.md rules 3–5; `policy/failover.yaml`;
//! D-SW-FAILOVER): the facts gathered — the component's lease from the
//! lease store, this host's last recorded clock check, the safety state,
//! the freeze — plus the facts only the operator can state (open orders
//! reconciled, the primary fenced, observers), evaluated by the
//! `opsbook-lease` rules. **A fact nobody knows never passes.**
//!
//! [`check`] answers whether each mode's conditions hold now (T0);
//! [`failback`] is the T2 gate and record of a failback: the matrix and the
//! freeze, the one-person confirmation, every failback condition — it does
//! not move the role itself (the runbook does), it approves and records it.

use opsbook_core::event::{IncidentEvent, incident as iev};
use opsbook_core::ledger::Event;
use opsbook_core::policy::Failover;
use opsbook_lease::failover::{
    self as rules, ComponentPolicy, FailbackAssessment, FailbackFacts, FailbackPolicy,
    FailoverAssessment, FailoverFacts, FailoverPolicy, FreezeFact, LeaseFact, Mode, Observation,
    SafetyLevel, TimeFact,
};
use serde::Serialize;

/// The assessments, as the lease engine defines them (front ends render them).
pub use opsbook_lease::failover::{CondStatus, Condition};

use crate::lease::Backend;
use crate::{Context, OpsError};

/// The safety-matrix action of a failback.
pub const FAILBACK_ACTION: &str = "failback";

/// What the operator states (`--fact KEY=VALUE`). `None`: not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stated {
    /// The standby's holder ID.
    pub standby: Option<String>,
    /// The primary's holder ID.
    pub primary: Option<String>,
    /// A reconciliation snapshot accounts for every open order.
    pub orders_reconciled: Option<bool>,
    /// The primary's service is stopped or its exchange egress blocked.
    pub primary_fenced: Option<bool>,
    /// The primary can be reached (to collect evidence).
    pub primary_reachable: Option<bool>,
    /// An evidence bundle was collected from the primary.
    pub evidence_collected: Option<bool>,
    /// Seconds the component's health check has seen the primary unhealthy.
    pub primary_unhealthy_seconds: Option<u64>,
    /// Observers that see the primary down: `NAME:SECONDS`.
    pub observers: Vec<Observation>,
    /// Minutes the standby has run stable (failback).
    pub stable_minutes_on_standby: Option<u64>,
    /// The last reconciliation passed (failback).
    pub reconciliation_ok: Option<bool>,
}

/// The keys [`Stated::parse`] accepts.
pub const FACT_KEYS: [&str; 10] = [
    "standby",
    "primary",
    "orders_reconciled",
    "primary_fenced",
    "primary_reachable",
    "evidence_collected",
    "primary_unhealthy_seconds",
    "observer",
    "stable_minutes_on_standby",
    "reconciliation_ok",
];

fn boolean(k: &str, v: &str) -> Result<bool, OpsError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(OpsError::invalid(format!(
            "--fact {k}={v}: expected true or false"
        ))),
    }
}

fn number(k: &str, v: &str) -> Result<u64, OpsError> {
    v.trim()
        .parse()
        .map_err(|_| OpsError::invalid(format!("--fact {k}={v}: expected a whole number")))
}

impl Stated {
    /// Parses `KEY=VALUE` facts (`observer=NAME:SECONDS` repeatable).
    ///
    /// # Errors
    /// An unknown key (with the known ones), a value of the wrong kind.
    pub fn parse(facts: &[String]) -> Result<Stated, OpsError> {
        let mut s = Stated::default();
        for f in facts {
            let Some((k, v)) = f.split_once('=') else {
                return Err(OpsError::invalid(format!(
                    "--fact `{f}`: expected KEY=VALUE (keys: {})",
                    FACT_KEYS.join(", ")
                )));
            };
            let (k, v) = (k.trim(), v.trim());
            match k {
                "standby" => s.standby = Some(v.to_string()),
                "primary" => s.primary = Some(v.to_string()),
                "orders_reconciled" => s.orders_reconciled = Some(boolean(k, v)?),
                "primary_fenced" => s.primary_fenced = Some(boolean(k, v)?),
                "primary_reachable" => s.primary_reachable = Some(boolean(k, v)?),
                "evidence_collected" => s.evidence_collected = Some(boolean(k, v)?),
                "primary_unhealthy_seconds" => {
                    s.primary_unhealthy_seconds = Some(number(k, v)?);
                }
                "stable_minutes_on_standby" => {
                    s.stable_minutes_on_standby = Some(number(k, v)?);
                }
                "reconciliation_ok" => s.reconciliation_ok = Some(boolean(k, v)?),
                "observer" => {
                    let Some((name, secs)) = v.rsplit_once(':') else {
                        return Err(OpsError::invalid(format!(
                            "--fact observer={v}: expected observer=NAME:SECONDS (how long NAME has seen the primary down)"
                        )));
                    };
                    s.observers.push(Observation {
                        observer: name.trim().to_string(),
                        down_for_seconds: number(k, secs)?,
                    });
                }
                other => {
                    return Err(OpsError::invalid(format!(
                        "--fact `{other}` is not a failover fact; known: {}",
                        FACT_KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(s)
    }
}

fn mode(s: &str, id: &str) -> Result<Mode, OpsError> {
    match s {
        "automatic" => Ok(Mode::Automatic),
        "semi_automatic" => Ok(Mode::SemiAutomatic),
        "manual" => Ok(Mode::Manual),
        other => Err(OpsError::invalid(format!(
            "policy/failover.yaml component `{id}`: mode `{other}` is not automatic, semi_automatic or manual"
        ))),
    }
}

fn components(p: &Failover) -> Result<Vec<ComponentPolicy>, OpsError> {
    p.components
        .iter()
        .map(|c| {
            Ok(ComponentPolicy {
                id: c.id.clone(),
                mode: mode(&c.mode, &c.id)?,
                writes_orders: c.writes_orders,
                fencing_required: c.fencing_required,
            })
        })
        .collect()
}

/// The current safety state with its rank, and the rank of `state`.
fn safety(ctx: &Context) -> Result<(SafetyLevel, opsbook_core::safety::Machine), OpsError> {
    let (m, cur) = crate::state::current(ctx)?;
    let rank = m.state(&cur.state).map_or(0, |s| s.rank);
    Ok((
        SafetyLevel {
            state: cur.state,
            rank,
        },
        m,
    ))
}

/// This host's last recorded clock check, when fresh (at most
/// [`crate::time::FRESH_MINUTES`] old) and measured; `None` otherwise.
fn time_fact(ctx: &Context) -> Result<(Option<TimeFact>, Option<String>), OpsError> {
    let now = ctx.now();
    let last = crate::time::recorded(ctx)?
        .into_iter()
        .rev()
        .find(|(e, _)| e.actor.host == ctx.actor.host);
    let Some((e, t)) = last else {
        return Ok((None, None));
    };
    let fresh = t.measured_at.parse::<jiff::Timestamp>().is_ok_and(|m| {
        (now.as_millisecond() - m.as_millisecond()) / 60_000 <= crate::time::FRESH_MINUTES
    });
    if !fresh || t.verdict == "unmeasured" {
        ctx.warn(format!(
            "warning: the last clock check of this host, TCK-{} ({} at {}), is {}: time_ok stays unknown",
            e.seq,
            t.verdict,
            t.measured_at,
            if fresh { "unmeasured" } else { "too old" }
        ));
        return Ok((None, None));
    }
    Ok((
        Some(TimeFact {
            below_warn: t.verdict == "ok",
            offset_ms: t.offset_ms,
            warn_ms: t.warn_ms,
        }),
        Some(format!("TCK-{}", e.seq)),
    ))
}

/// The component's lease, when it needs one and the store answers.
fn lease_fact(ctx: &Context, c: &ComponentPolicy, backend: Option<Backend>) -> Option<LeaseFact> {
    if !c.fencing_required {
        return None;
    }
    let r = crate::lease::service(ctx, backend).and_then(|s| Ok(s.status(&c.id)?));
    match r {
        Ok(s) => Some(LeaseFact::from(&s)),
        Err(e) => {
            ctx.warn(format!(
                "warning: the lease `{}` cannot be read ({e}): its conditions stay unknown",
                c.id
            ));
            None
        }
    }
}

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// One component (default: every component of the policy).
    pub component: Option<String>,
    /// What the operator states.
    pub stated: Stated,
    /// The lease store (default `[lease] backend`).
    pub backend: Option<Backend>,
}

/// The failover answer.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// Every component's policy mode may proceed now.
    pub ok: bool,
    /// The clock check used (`TCK-<seq>`), if any.
    pub time_check: Option<String>,
    /// Per component, its modes and their conditions.
    pub components: Vec<FailoverAssessment>,
}

/// Whether failover of the component (or each component) may happen now,
/// in each mode, with each condition's status and what is missing (T0).
///
/// # Errors
/// An unknown component; the policies or ledgers cannot be read.
pub fn check(ctx: &Context, req: &CheckRequest) -> Result<Checked, OpsError> {
    let p: Failover = ctx.policy()?;
    let comps = components(&p)?;
    let rule = p.failover.clone().unwrap_or_default();
    let (now_safety, m) = safety(ctx)?;
    let min = m
        .state(&rule.min_safety_state)
        .map(|s| SafetyLevel {
            state: s.id.clone(),
            rank: s.rank,
        })
        .ok_or_else(|| {
            OpsError::invalid(format!(
                "policy/failover.yaml failover.min_safety_state `{}` is not a state of policy/degraded.yaml",
                rule.min_safety_state
            ))
        })?;
    let policy = FailoverPolicy {
        components: comps.clone(),
        min_safety_state: min,
        primary_down_confirm_seconds: rule.primary_down_confirm_seconds,
        independent_observers: rule.independent_observers,
    };
    let wanted: Vec<&ComponentPolicy> = match &req.component {
        Some(id) => {
            let c = comps.iter().find(|c| &c.id == id).ok_or_else(|| {
                OpsError::invalid(format!(
                    "component `{id}` is not in policy/failover.yaml (known: {})",
                    comps
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            vec![c]
        }
        None => comps.iter().collect(),
    };
    let (time, time_check) = time_fact(ctx)?;
    let s = &req.stated;
    let mut out = Vec::new();
    for c in wanted {
        let facts = FailoverFacts {
            lease: lease_fact(ctx, c, req.backend),
            standby: s.standby.clone(),
            time: time.clone(),
            safety: Some(now_safety.clone()),
            orders_reconciled: s.orders_reconciled,
            primary_fenced: s.primary_fenced,
            primary_down: (!s.observers.is_empty()).then(|| s.observers.clone()),
            primary_unhealthy_seconds: s.primary_unhealthy_seconds,
            primary_reachable: s.primary_reachable,
            evidence_collected: s.evidence_collected,
        };
        out.push(rules::evaluate_failover(&policy, &c.id, &facts).map_err(OpsError::Invalid)?);
    }
    Ok(Checked {
        ok: out.iter().all(|a| a.ok),
        time_check,
        components: out,
    })
}

/// A failback to approve.
#[derive(Debug, Clone, Default)]
pub struct FailbackRequest {
    /// The component.
    pub component: String,
    /// What the operator states (`primary`, `standby`,
    /// `stable_minutes_on_standby`, `reconciliation_ok`).
    pub stated: Stated,
    /// The incident (its decision log gets the failback).
    pub incident: Option<String>,
    /// Why now.
    pub reason: String,
    /// The lease store (default `[lease] backend`).
    pub backend: Option<Backend>,
}

/// What [`failback`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct FailedBack {
    /// Every condition, passed.
    pub assessment: FailbackAssessment,
    /// The confirmation used.
    pub confirmation: String,
    /// The events written (confirmation, incident).
    pub events: Vec<Event>,
}

/// Failback of a component (T2, `failback`): refused unless the safety
/// matrix and the freeze allow it now, a passed high-danger confirmation
/// names the component, and every condition of `policy/failover.yaml`
/// `failback` holds (allowed state, stable minutes on the standby,
/// reconciliation, fencing-token transfer, no freeze or an exception).
/// Then the confirmation is used and the decision recorded; moving the
/// role is the runbook's.
///
/// # Errors
/// Refused (DENY, frozen, no confirmation, a condition not met — each
/// named); no reason; an unknown component; policies and ledgers.
pub fn failback(ctx: &Context, req: &FailbackRequest) -> Result<FailedBack, OpsError> {
    if req.reason.trim().is_empty() {
        return Err(OpsError::invalid(
            "--reason is empty: a failback needs a reason in the decision log",
        ));
    }
    let p: Failover = ctx.policy()?;
    let comps = components(&p)?;
    let Some(c) = comps.iter().find(|c| c.id == req.component) else {
        return Err(OpsError::invalid(format!(
            "component `{}` is not in policy/failover.yaml (known: {})",
            req.component,
            comps
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let conf = crate::confirm::require(ctx, FAILBACK_ACTION, &c.id)?;
    let inc = match &req.incident {
        Some(i) => {
            let st = ctx.store()?;
            Some(st.resolve(i)?)
        }
        None => None,
    };
    let rule = p.failback.clone().unwrap_or_default();
    let (now_safety, _) = safety(ctx)?;
    let (fv, _, _) = crate::freeze::verdict(ctx, FAILBACK_ACTION)?;
    let s = &req.stated;
    let facts = FailbackFacts {
        lease: lease_fact(ctx, c, req.backend),
        standby: s.standby.clone(),
        primary: s.primary.clone(),
        safety: Some(now_safety),
        stable_minutes_on_standby: s.stable_minutes_on_standby,
        reconciliation_ok: s.reconciliation_ok,
        freeze: Some(FreezeFact {
            active: fv.frozen,
            exception: fv.exception.is_some(),
        }),
        confirmed: Some(true),
    };
    let assessment = rules::evaluate_failback(
        &FailbackPolicy {
            allowed_states: rule.allowed_states,
            min_stable_minutes_on_standby: rule.min_stable_minutes_on_standby,
            requires: rule.requires,
        },
        &c.id,
        &facts,
    );
    if !assessment.ok {
        let failing: Vec<String> = assessment
            .conditions
            .iter()
            .filter(|x| x.status != rules::CondStatus::Pass)
            .map(|x| {
                format!(
                    "{} ({}): {}",
                    x.id,
                    if x.status == rules::CondStatus::Fail {
                        "fail"
                    } else {
                        "unknown"
                    },
                    x.missing.as_deref().unwrap_or(&x.detail)
                )
            })
            .collect();
        return Err(OpsError::refused(
            format!(
                "failback of `{}` refused (the confirmation {} stays unused): {}",
                c.id,
                conf.id,
                failing.join("; ")
            ),
            None,
        ));
    }
    let mut events = vec![crate::confirm::used(
        ctx,
        &conf.id,
        &format!("failover failback {}", c.id),
    )?];
    if let Some(id) = &inc {
        events.extend(
            ctx.store()?
                .transact(ctx.clock.as_ref(), id, &ctx.actor, |_| {
                    Ok::<_, OpsError>(vec![IncidentEvent::Decision(iev::Decision {
                        decision: format!(
                            "failback of {} approved ({}): every failback condition holds",
                            c.id, conf.id
                        ),
                        reason: req.reason.trim().to_string(),
                        alternatives: Vec::new(),
                    })])
                })?,
        );
    }
    Ok(FailedBack {
        assessment,
        confirmation: conf.id,
        events,
    })
}
