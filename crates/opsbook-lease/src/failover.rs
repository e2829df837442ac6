//! Failover and failback safety conditions (`policy/failover.yaml`,
//! spec/split-brain-prevention.md rules 3–5; seed §2.1.5; D-SW-FAILOVER):
//! given what is known now, whether automatic, semi-automatic and manual
//! failover of a component may happen, each condition with its status and
//! what is missing — and the same for failback.
//!
//! Pure evaluation: the ops layer gathers the facts (lease status, the
//! last time check, the safety state, reconciliation, observers) and the
//! typed policy, and renders the answer. **A fact that is not known never
//! passes**: every field of the facts is an `Option`, and `None` makes its
//! condition `unknown`, which blocks the mode like a failure.
//!
//! It lives beside the leases because the lease state is the heart of it
//! (who holds the fencing token) and it needs nothing else of opsbook.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::{State, Status};

/// A failover mode; ordered from the most automatic to the most human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The system switches by itself (read-only components only).
    Automatic,
    /// The system proposes; a human confirms with the typed target name.
    SemiAutomatic,
    /// A human decides and executes with the runbook and checklist.
    Manual,
}

/// One component of `components` in `policy/failover.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentPolicy {
    /// Component ID (`order-gateway`); by convention also its lease name.
    pub id: String,
    /// The most automatic mode it may fail over in.
    pub mode: Mode,
    /// Places orders or writes the order/position ledger.
    pub writes_orders: bool,
    /// Must hold the fencing token to write.
    pub fencing_required: bool,
}

/// A safety state with its rank from `policy/degraded.yaml` (higher = more
/// restrictive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyLevel {
    /// `SAFE_MODE`, `HALTED`, …
    pub state: String,
    /// Its rank.
    pub rank: i64,
}

/// The failover part of `policy/failover.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverPolicy {
    /// `components`.
    pub components: Vec<ComponentPolicy>,
    /// `failover.min_safety_state` with its rank.
    pub min_safety_state: SafetyLevel,
    /// `failover.primary_down_confirm_seconds`.
    pub primary_down_confirm_seconds: u64,
    /// `failover.independent_observers`.
    pub independent_observers: u32,
}

/// The failback part of `policy/failover.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailbackPolicy {
    /// `failback.allowed_states`.
    pub allowed_states: Vec<String>,
    /// `failback.min_stable_minutes_on_standby`.
    pub min_stable_minutes_on_standby: u64,
    /// `failback.requires` (`high_danger_confirmation`, `reconciliation_ok`,
    /// `fencing_token_transfer`, `freeze_exception_or_no_freeze`).
    pub requires: Vec<String>,
}

/// The component's lease as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseFact {
    /// Lease name.
    pub name: String,
    /// Its state.
    pub state: State,
    /// Holder of the last grant.
    pub holder: Option<String>,
    /// Its token.
    pub token: Option<u64>,
    /// When it may be taken over.
    pub takeover_at: Option<Timestamp>,
}

impl From<&Status> for LeaseFact {
    fn from(s: &Status) -> LeaseFact {
        LeaseFact {
            name: s.name.clone(),
            state: s.state,
            holder: s.holder.clone(),
            token: s.token,
            takeover_at: s.takeover_at,
        }
    }
}

/// The last clock check on the standby.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeFact {
    /// Measured and below the `warn` threshold (the time check's verdict
    /// is `ok`). An unmeasured check is no fact: leave [`FailoverFacts::time`]
    /// `None`.
    pub below_warn: bool,
    /// The judged offset, ms.
    pub offset_ms: Option<i64>,
    /// The `warn` threshold, ms.
    pub warn_ms: u64,
}

/// One observer's view of the primary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Who observed (a monitoring system, a host).
    pub observer: String,
    /// For how long it has seen the primary down, s.
    pub down_for_seconds: u64,
}

/// What is known now about a failover. `None` = unknown (never passes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverFacts {
    /// The component's lease.
    pub lease: Option<LeaseFact>,
    /// The standby's holder ID.
    pub standby: Option<String>,
    /// The standby's last clock check.
    pub time: Option<TimeFact>,
    /// The current safety state.
    pub safety: Option<SafetyLevel>,
    /// A reconciliation snapshot (orders, positions, balances) was taken
    /// and the open orders are accounted for.
    pub orders_reconciled: Option<bool>,
    /// The primary is fenced: service stopped or exchange egress blocked.
    pub primary_fenced: Option<bool>,
    /// Independent observers that see the primary down.
    pub primary_down: Option<Vec<Observation>>,
    /// How long the component's own health check has seen the primary
    /// unhealthy, s (automatic mode).
    pub primary_unhealthy_seconds: Option<u64>,
    /// Whether the primary can be reached to collect evidence.
    pub primary_reachable: Option<bool>,
    /// Whether an evidence bundle was collected from the primary.
    pub evidence_collected: Option<bool>,
}

/// A change-freeze fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeFact {
    /// A freeze is on.
    pub active: bool,
    /// A freeze exception covers this failback.
    pub exception: bool,
}

/// What is known now about a failback. `None` = unknown (never passes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailbackFacts {
    /// The component's lease.
    pub lease: Option<LeaseFact>,
    /// The standby's holder ID (the current active node).
    pub standby: Option<String>,
    /// The primary's holder ID (the node failing back to).
    pub primary: Option<String>,
    /// The current safety state.
    pub safety: Option<SafetyLevel>,
    /// Minutes the standby has run stable.
    pub stable_minutes_on_standby: Option<u64>,
    /// The last reconciliation passed.
    pub reconciliation_ok: Option<bool>,
    /// The change freeze.
    pub freeze: Option<FreezeFact>,
    /// The one-person high-danger confirmation passed.
    pub confirmed: Option<bool>,
}

/// A condition's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CondStatus {
    /// Holds.
    Pass,
    /// Does not hold.
    Fail,
    /// Not known: blocks like a failure.
    Unknown,
}

/// One condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// Stable ID (`lease_not_held_by_primary`, `time_ok`, …).
    pub id: String,
    /// Status.
    pub status: CondStatus,
    /// What is known.
    pub detail: String,
    /// What is missing for it to pass (`None` when it passes).
    pub missing: Option<String>,
}

fn cond(id: &str, status: CondStatus, detail: String, missing: Option<String>) -> Condition {
    Condition {
        id: id.to_string(),
        status,
        detail,
        missing: if status == CondStatus::Pass {
            None
        } else {
            missing
        },
    }
}

fn pass(id: &str, detail: String) -> Condition {
    cond(id, CondStatus::Pass, detail, None)
}

fn fail(id: &str, detail: String, missing: String) -> Condition {
    cond(id, CondStatus::Fail, detail, Some(missing))
}

fn unknown(id: &str, missing: String) -> Condition {
    cond(id, CondStatus::Unknown, "not known".into(), Some(missing))
}

/// One mode's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeAssessment {
    /// The mode.
    pub mode: Mode,
    /// The policy allows this mode for the component.
    pub permitted: bool,
    /// Every condition passes (and the mode is permitted).
    pub holds: bool,
    /// The conditions, in order.
    pub conditions: Vec<Condition>,
}

/// The failover answer for one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverAssessment {
    /// Component ID.
    pub component: String,
    /// Its mode in the policy.
    pub policy_mode: Mode,
    /// It writes orders.
    pub writes_orders: bool,
    /// Whether its policy mode's conditions hold now.
    pub ok: bool,
    /// Automatic, semi-automatic, manual.
    pub modes: Vec<ModeAssessment>,
}

impl FailoverAssessment {
    /// 0 when the component's policy mode may proceed now, 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.ok)
    }
}

/// The failback answer for one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailbackAssessment {
    /// Component ID.
    pub component: String,
    /// Every condition passes.
    pub ok: bool,
    /// The conditions, in order.
    pub conditions: Vec<Condition>,
}

impl FailbackAssessment {
    /// 0 when failback may proceed now, 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.ok)
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Automatic => "automatic",
        Mode::SemiAutomatic => "semi_automatic",
        Mode::Manual => "manual",
    }
}

fn holder_of(l: &LeaseFact) -> String {
    format!(
        "{} (token {})",
        l.holder.as_deref().unwrap_or("?"),
        l.token.unwrap_or(0)
    )
}

/// The primary no longer holds the lease: free, released, expired, or held
/// by the standby.
fn lease_not_held_by_primary(c: &ComponentPolicy, f: &FailoverFacts) -> Condition {
    let id = "lease_not_held_by_primary";
    if !c.fencing_required {
        return pass(id, format!("`{}` needs no fencing token", c.id));
    }
    let Some(l) = &f.lease else {
        return unknown(
            id,
            format!("the lease state: opsbook lease status {}", c.id),
        );
    };
    let by_standby = f.standby.is_some() && l.holder == f.standby;
    match l.state {
        State::Free | State::Released | State::Expired => {
            pass(id, format!("lease `{}` is {}", l.name, state_name(l.state)))
        }
        State::Held if by_standby => pass(id, format!("the standby holds {}", holder_of(l))),
        State::Held | State::Expiring => fail(
            id,
            format!(
                "lease `{}` is {} by {}",
                l.name,
                if l.state == State::Held {
                    "held"
                } else {
                    "expiring (in its safety margin)"
                },
                holder_of(l)
            ),
            format!(
                "the primary must release it or stop renewing; it can be taken over from {}",
                l.takeover_at
                    .map_or_else(|| "its expiry".to_string(), opsbook_core::ledger::format_ts)
            ),
        ),
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Free => "free (never acquired)",
        State::Held => "held",
        State::Expiring => "expiring",
        State::Expired => "expired",
        State::Released => "released",
    }
}

/// The standby holds a (new) fencing token.
fn standby_holds_token(
    c: &ComponentPolicy,
    lease: Option<&LeaseFact>,
    standby: Option<&String>,
) -> Condition {
    let id = "standby_holds_token";
    if !c.fencing_required {
        return pass(id, format!("`{}` needs no fencing token", c.id));
    }
    let Some(s) = standby else {
        return unknown(id, "the standby's holder ID".into());
    };
    let Some(l) = lease else {
        return unknown(
            id,
            format!("the lease state: opsbook lease status {}", c.id),
        );
    };
    if l.state == State::Held && l.holder.as_ref() == Some(s) {
        pass(id, format!("the standby holds {}", holder_of(l)))
    } else {
        fail(
            id,
            format!("lease `{}` is {}", l.name, state_name(l.state)),
            format!(
                "the standby acquires it: opsbook lease acquire {} --holder {s}",
                l.name
            ),
        )
    }
}

fn primary_fenced(f: &FailoverFacts) -> Condition {
    let id = "primary_fenced";
    match f.primary_fenced {
        Some(true) => pass(id, "the primary is fenced".into()),
        Some(false) => fail(
            id,
            "the primary is not fenced".into(),
            "stop the primary's service or block its exchange egress".into(),
        ),
        None => unknown(
            id,
            "whether the primary is fenced (service stopped or exchange egress blocked)".into(),
        ),
    }
}

fn safety_at_least(min: &SafetyLevel, now: Option<&SafetyLevel>) -> Condition {
    let id = "safety_state";
    match now {
        Some(s) if s.rank >= min.rank => pass(
            id,
            format!("the safety state is {} (at least {})", s.state, min.state),
        ),
        Some(s) => fail(
            id,
            format!("the safety state is {}", s.state),
            format!(
                "escalate to {} or higher before the switch (no new exposure)",
                min.state
            ),
        ),
        None => unknown(id, "the current safety state".into()),
    }
}

fn orders_reconciled(f: &FailoverFacts) -> Condition {
    let id = "orders_reconciled";
    match f.orders_reconciled {
        Some(true) => pass(id, "a reconciliation snapshot accounts for the open orders".into()),
        Some(false) => fail(
            id,
            "the open orders are not reconciled".into(),
            "a reconciliation snapshot (orders, positions, balances) with every open order accounted for".into(),
        ),
        None => unknown(
            id,
            "a reconciliation snapshot (orders, positions, balances) taken before the switch".into(),
        ),
    }
}

fn time_ok(f: &FailoverFacts) -> Condition {
    let id = "time_ok";
    match &f.time {
        Some(t) if t.below_warn => pass(
            id,
            format!(
                "the standby's clock offset is {} ms, below warn {} ms",
                t.offset_ms.map_or_else(|| "?".into(), |o| o.to_string()),
                t.warn_ms
            ),
        ),
        Some(t) => fail(
            id,
            format!(
                "the standby's clock offset is {} ms, at or above warn {} ms",
                t.offset_ms.map_or_else(|| "?".into(), |o| o.to_string()),
                t.warn_ms
            ),
            "fix the standby's clock first (runbooks/platform/time-drift.md)".into(),
        ),
        None => unknown(
            id,
            "a clock check on the standby: opsbook time check".into(),
        ),
    }
}

fn evidence_from_primary(f: &FailoverFacts) -> Condition {
    let id = "evidence_from_primary";
    match (f.primary_reachable, f.evidence_collected) {
        (Some(false), _) => pass(id, "the primary is unreachable: nothing to collect".into()),
        (Some(true), Some(true)) => pass(
            id,
            "an evidence bundle was collected from the primary".into(),
        ),
        (Some(true), Some(false)) => fail(
            id,
            "the primary is reachable and no evidence was collected".into(),
            "collect an evidence bundle from the primary: opsbook evidence collect".into(),
        ),
        (_, Some(true)) => pass(
            id,
            "an evidence bundle was collected from the primary".into(),
        ),
        _ => unknown(
            id,
            "whether the primary is reachable, and if so an evidence bundle from it".into(),
        ),
    }
}

fn primary_down_confirmed(p: &FailoverPolicy, f: &FailoverFacts) -> Condition {
    let id = "primary_down_confirmed";
    let need = p.independent_observers.max(1) as usize;
    let secs = p.primary_down_confirm_seconds;
    let Some(obs) = &f.primary_down else {
        return unknown(
            id,
            format!("{need} independent observers seeing the primary down for {secs} s"),
        );
    };
    let mut confirming: Vec<&str> = obs
        .iter()
        .filter(|o| o.down_for_seconds >= secs)
        .map(|o| o.observer.as_str())
        .collect();
    confirming.sort_unstable();
    confirming.dedup();
    if confirming.len() >= need {
        pass(
            id,
            format!(
                "{} observers confirm for at least {secs} s: {}",
                confirming.len(),
                confirming.join(", ")
            ),
        )
    } else {
        fail(
            id,
            format!(
                "{} of {need} independent observers see the primary down for at least {secs} s",
                confirming.len()
            ),
            format!("{need} independent observers for at least {secs} s"),
        )
    }
}

/// Evaluates failover of `component` in every mode.
///
/// # Errors
/// The component is not in the policy.
pub fn evaluate_failover(
    policy: &FailoverPolicy,
    component: &str,
    facts: &FailoverFacts,
) -> Result<FailoverAssessment, String> {
    let c = policy
        .components
        .iter()
        .find(|c| c.id == component)
        .ok_or_else(|| {
            let known: Vec<&str> = policy.components.iter().map(|c| c.id.as_str()).collect();
            format!(
                "component `{component}` is not in policy/failover.yaml (known: {})",
                known.join(", ")
            )
        })?;
    let modes = [Mode::Automatic, Mode::SemiAutomatic, Mode::Manual]
        .into_iter()
        .map(|mode| {
            let permitted = mode >= c.mode;
            let mut conds = vec![if permitted {
                pass(
                    "mode_permitted",
                    format!("policy mode of `{}` is {}", c.id, mode_name(c.mode)),
                )
            } else {
                fail(
                    "mode_permitted",
                    format!("policy mode of `{}` is {}", c.id, mode_name(c.mode)),
                    format!("`{}` never fails over {}", c.id, mode_name(mode)),
                )
            }];
            match mode {
                Mode::Automatic => {
                    conds.push(if c.writes_orders {
                        fail(
                            "read_only",
                            format!("`{}` writes orders", c.id),
                            "nothing that writes orders fails over automatically".into(),
                        )
                    } else {
                        pass("read_only", format!("`{}` writes no orders", c.id))
                    });
                    let secs = policy.primary_down_confirm_seconds;
                    conds.push(match facts.primary_unhealthy_seconds {
                        Some(s) if s >= secs => pass(
                            "primary_unhealthy",
                            format!("the health check has seen the primary unhealthy for {s} s"),
                        ),
                        Some(s) => fail(
                            "primary_unhealthy",
                            format!("unhealthy for {s} s"),
                            format!("{secs} s of unhealthy primary"),
                        ),
                        None => unknown(
                            "primary_unhealthy",
                            "how long the component's health check has seen the primary unhealthy"
                                .into(),
                        ),
                    });
                }
                Mode::SemiAutomatic | Mode::Manual => {
                    if mode == Mode::SemiAutomatic {
                        conds.push(primary_down_confirmed(policy, facts));
                    }
                    conds.push(lease_not_held_by_primary(c, facts));
                    conds.push(standby_holds_token(
                        c,
                        facts.lease.as_ref(),
                        facts.standby.as_ref(),
                    ));
                    conds.push(primary_fenced(facts));
                    conds.push(safety_at_least(
                        &policy.min_safety_state,
                        facts.safety.as_ref(),
                    ));
                    conds.push(orders_reconciled(facts));
                    conds.push(time_ok(facts));
                    conds.push(evidence_from_primary(facts));
                }
            }
            let holds = conds.iter().all(|x| x.status == CondStatus::Pass);
            ModeAssessment {
                mode,
                permitted,
                holds,
                conditions: conds,
            }
        })
        .collect::<Vec<_>>();
    let ok = modes.iter().any(|m| m.mode == c.mode && m.holds);
    Ok(FailoverAssessment {
        component: c.id.clone(),
        policy_mode: c.mode,
        writes_orders: c.writes_orders,
        ok,
        modes,
    })
}

/// Evaluates failback of `component` (a T2 action: the ops layer runs it
/// through the one-person confirmation and evaluates again with
/// `confirmed: Some(true)`).
#[must_use]
pub fn evaluate_failback(
    policy: &FailbackPolicy,
    component: &str,
    facts: &FailbackFacts,
) -> FailbackAssessment {
    let mut conds = Vec::new();
    conds.push(match &facts.safety {
        Some(s) if policy.allowed_states.contains(&s.state) => {
            pass("state_allowed", format!("the safety state is {}", s.state))
        }
        Some(s) => fail(
            "state_allowed",
            format!("the safety state is {}", s.state),
            format!("fail back only from {}", policy.allowed_states.join(" or ")),
        ),
        None => unknown("state_allowed", "the current safety state".into()),
    });
    let need = policy.min_stable_minutes_on_standby;
    conds.push(match facts.stable_minutes_on_standby {
        Some(m) if m >= need => pass(
            "stable_on_standby",
            format!("stable on the standby for {m} min"),
        ),
        Some(m) => fail(
            "stable_on_standby",
            format!("stable on the standby for {m} min"),
            format!("{need} min stable on the standby"),
        ),
        None => unknown(
            "stable_on_standby",
            format!("how long the standby has been stable ({need} min needed)"),
        ),
    });
    for r in &policy.requires {
        conds.push(match r.as_str() {
            "reconciliation_ok" => match facts.reconciliation_ok {
                Some(true) => pass(r, "the last reconciliation passed".into()),
                Some(false) => fail(
                    r,
                    "the last reconciliation failed".into(),
                    "a passing reconciliation".into(),
                ),
                None => unknown(r, "a reconciliation run after the last fill".into()),
            },
            "fencing_token_transfer" => token_transfer(r, facts),
            "freeze_exception_or_no_freeze" => match &facts.freeze {
                Some(f) if !f.active => pass(r, "no change freeze".into()),
                Some(f) if f.exception => pass(r, "a freeze exception covers it".into()),
                Some(_) => fail(
                    r,
                    "a change freeze is on".into(),
                    "a freeze exception for the failback".into(),
                ),
                None => unknown(r, "whether a change freeze is on".into()),
            },
            "high_danger_confirmation" => match facts.confirmed {
                Some(true) => pass(r, "the high-danger confirmation passed".into()),
                _ => unknown(
                    r,
                    "the one-person high-danger confirmation, taken when the failback is executed"
                        .into(),
                ),
            },
            other => unknown(
                other,
                format!("opsbook cannot check the requirement `{other}`: confirm it by hand"),
            ),
        });
    }
    FailbackAssessment {
        component: component.to_string(),
        ok: conds.iter().all(|c| c.status == CondStatus::Pass),
        conditions: conds,
    }
}

fn token_transfer(id: &str, f: &FailbackFacts) -> Condition {
    let (Some(l), Some(primary)) = (&f.lease, &f.primary) else {
        return unknown(id, "the lease state and the primary's holder ID".into());
    };
    match l.state {
        State::Held if l.holder.as_ref() == Some(primary) => {
            pass(id, format!("the primary holds {}", holder_of(l)))
        }
        State::Free | State::Released | State::Expired => pass(
            id,
            format!(
                "lease `{}` is {}: the primary acquires a new token",
                l.name,
                state_name(l.state)
            ),
        ),
        _ => fail(
            id,
            format!(
                "lease `{}` is {} by {}",
                l.name,
                state_name(l.state),
                holder_of(l)
            ),
            format!(
                "stop the standby's order flow, then release: opsbook lease release {} --holder {} --token {}",
                l.name,
                l.holder.as_deref().unwrap_or("?"),
                l.token.unwrap_or(0)
            ),
        ),
    }
}
