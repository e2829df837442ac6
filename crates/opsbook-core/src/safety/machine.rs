//! The platform's safety state (D-SAFE-SM, D-SAFE-NOFLAP) and the safety
//! actions matrix (D-SAFE-MATRIX); DESIGN §3.3.
//!
//! States and transitions come from `policy/degraded.yaml`; the current
//! state is the replay of `ledger/safety.jsonl` ([`replay`]). A transition is
//! checked by [`check`] against the machine with an explicit `now` (so dwell
//! times are testable): escalation is always allowed with a reason;
//! de-escalation needs a human, evidence, the current state's minimum dwell,
//! and per edge the high-danger confirmation or the recovery acceptance;
//! automatic sources (`auto:NAME`) may only escalate, at most
//! `auto_escalation.max_per_hour` times per rolling hour.
//!
//! Safety ledger events: `hook_attempt` (recorded before the platform hook
//! runs), `hook_result`, `state_exited` + `state_entered` (only after the hook
//! succeeded), `transition_refused` (an automatic trigger over the limit),
//! `watch_started` / `watch_ended` (post-recovery watch).
//!
//! Over 800 lines only with its tests: the machine's pair-by-pair and
//! every-unmet-condition tests sit beside [`check`]; what a refusal lacks
//! is in `unmet.rs`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::ledger::Event;
use crate::policy::Decision;

use super::{Condition, Unmet};

/// One state of the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateDef {
    /// `NORMAL`, `HALTED`, …
    pub id: String,
    /// Higher = more restrictive.
    pub rank: i64,
    /// Minimum time in this state before de-escalating out of it, minutes.
    pub min_dwell_minutes: i64,
}

/// One allowed transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionDef {
    /// From state.
    pub from: String,
    /// To state.
    pub to: String,
    /// Escalation (to a higher rank).
    pub escalate: bool,
    /// `reason`, `evidence`, `high_danger_confirmation`, `recovery_acceptance`.
    pub requires: Vec<String>,
    /// Whether automatic sources may take it.
    pub automatic: bool,
}

/// The state machine of `policy/degraded.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// The state at install time.
    pub initial: String,
    /// States, in file order.
    pub states: Vec<StateDef>,
    /// Transitions, in file order.
    pub transitions: Vec<TransitionDef>,
    /// Automatic escalations allowed per rolling hour (`None`: unlimited).
    pub auto_max_per_hour: Option<u32>,
    /// Where the next automatic trigger goes once the limit is reached.
    pub on_limit_escalate_to: Option<String>,
    /// Post-recovery watch minutes by severity (P0, P1, P2).
    pub watch_minutes: BTreeMap<String, i64>,
    /// Watch minutes when no incident severity is known.
    pub watch_default_minutes: i64,
}

impl Machine {
    /// The machine of `policy/degraded.yaml`.
    ///
    /// # Errors
    /// A message when there are no states or the initial state is unknown.
    pub fn from_policy(p: &crate::policy::Degraded) -> Result<Machine, String> {
        let states: Vec<StateDef> = p
            .states
            .iter()
            .map(|x| StateDef {
                id: x.id.clone(),
                rank: x.rank,
                min_dwell_minutes: x.min_dwell_minutes,
            })
            .collect();
        if states.is_empty() {
            return Err("policy/degraded.yaml has no `states`".into());
        }
        let rank = |id: &str| states.iter().find(|x| x.id == id).map(|x| x.rank);
        let transitions = p
            .transitions
            .iter()
            .map(|x| TransitionDef {
                from: x.from.clone(),
                to: x.to.clone(),
                escalate: match x.direction.as_deref() {
                    Some("escalate") => true,
                    Some("deescalate") => false,
                    _ => rank(&x.to) > rank(&x.from),
                },
                requires: x.requires.clone(),
                automatic: x.automatic,
            })
            .collect();
        let initial = p.initial.clone().unwrap_or_else(|| states[0].id.clone());
        if rank(&initial).is_none() {
            return Err(format!(
                "policy/degraded.yaml: initial state `{initial}` is not a state"
            ));
        }
        let w = &p.post_recovery_watch;
        Ok(Machine {
            initial,
            auto_max_per_hour: p.auto_escalation.max_per_hour,
            on_limit_escalate_to: p.auto_escalation.on_limit.escalate_to.clone(),
            watch_minutes: w.minutes.clone().unwrap_or_else(|| {
                [
                    ("P0".to_string(), 60),
                    ("P1".to_string(), 30),
                    ("P2".to_string(), 0),
                ]
                .into_iter()
                .collect()
            }),
            watch_default_minutes: w.default_minutes.unwrap_or(30),
            states,
            transitions,
        })
    }

    /// [`Machine::from_policy`] over a value already parsed (the gate's view
    /// of the file).
    ///
    /// # Errors
    /// A message when the value is not the policy's shape, as [`Machine::from_policy`].
    pub fn from_value(v: &Value) -> Result<Machine, String> {
        let p: crate::policy::Degraded =
            serde_json::from_value(v.clone()).map_err(|e| format!("policy/degraded.yaml: {e}"))?;
        Machine::from_policy(&p)
    }

    /// A state by ID.
    #[must_use]
    pub fn state(&self, id: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.id == id)
    }

    /// The transition `from → to`, if listed.
    #[must_use]
    pub fn transition(&self, from: &str, to: &str) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|t| t.from == from && t.to == to)
    }

    /// Transitions out of `from`.
    #[must_use]
    pub fn next(&self, from: &str) -> Vec<&TransitionDef> {
        self.transitions.iter().filter(|t| t.from == from).collect()
    }
}

/// The current safety state, replayed from the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Current {
    /// The state.
    pub state: String,
    /// When it was entered (UTC); `None` for the initial state never entered.
    pub since: Option<String>,
    /// The entering event's seq.
    pub seq: Option<u64>,
    /// The reason it was entered.
    pub reason: Option<String>,
    /// The incident linked when it was entered.
    pub incident: Option<String>,
    /// Times (UTC) of automatic escalations, oldest first.
    #[serde(skip)]
    pub auto_escalations: Vec<String>,
    /// A hook attempt whose result is not recorded (a crash mid-hook): the
    /// platform may be in either state.
    pub pending_hook: Option<String>,
    /// The open post-recovery watch: (until UTC, incident).
    pub watch: Option<(String, Option<String>)>,
    /// The result of the last post-recovery watch that ended (`ok`, `retriggered`).
    pub last_watch_result: Option<String>,
    /// How the current state was entered: `hook` (its platform hook
    /// switched it), `manual` (recorded with `--manual`: switched by hand),
    /// `no_hook` (no hook configured: opsbook switched nothing); `None` for
    /// the initial state never entered.
    pub switched: Option<crate::event::safety::Switched>,
}

/// Replays `ledger/safety.jsonl`.
#[must_use]
pub fn replay(m: &Machine, events: &[Event]) -> Current {
    let mut c = Current {
        state: m.initial.clone(),
        since: None,
        seq: None,
        reason: None,
        incident: None,
        auto_escalations: Vec::new(),
        pending_hook: None,
        watch: None,
        last_watch_result: None,
        switched: None,
    };
    use crate::event::SafetyEvent;
    for e in events {
        let Some(typed) = crate::event::parse::<SafetyEvent>(e) else {
            continue;
        };
        match typed {
            SafetyEvent::HookAttempt(d) => c.pending_hook = Some(d.to),
            // A hook stopped at its timeout may have switched part of the
            // platform: that stays uncertain until the next state is entered.
            SafetyEvent::HookResult(d) => {
                let timed_out = d
                    .outcome
                    .get("timed_out")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if !timed_out {
                    c.pending_hook = None;
                }
            }
            SafetyEvent::StateEntered(d) => {
                c.pending_hook = None;
                if d.state.is_empty() {
                    continue;
                }
                let up = m
                    .state(&d.state)
                    .zip(m.state(&c.state))
                    .is_some_and(|(a, b)| a.rank > b.rank);
                if up && d.source.starts_with("auto:") {
                    c.auto_escalations.push(e.ts.clone());
                }
                c.state = d.state;
                c.since = Some(e.ts.clone());
                c.seq = Some(e.seq);
                c.reason = Some(d.reason).filter(|r| !r.is_empty());
                c.incident = d.incident;
                c.switched = Some(d.hook.switched());
            }
            SafetyEvent::WatchStarted(d) => {
                c.watch = Some(d.until)
                    .filter(|u| !u.is_empty())
                    .map(|u| (u, d.incident));
            }
            SafetyEvent::WatchEnded(d) => {
                c.watch = None;
                c.last_watch_result = Some(d.result).filter(|r| !r.is_empty());
            }
            SafetyEvent::StateExited(_) | SafetyEvent::TransitionRefused(_) => {}
        }
    }
    c
}

/// Who asks for a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A person at the console.
    Operator,
    /// An automatic trigger (`auto:watchdog`, `auto:alertmanager`).
    Auto(String),
    /// The policy itself (`auto_escalation.on_limit`): checked like a person,
    /// recorded as `policy:NAME`.
    Policy(String),
}

impl Source {
    /// Parses `operator` or `auto:NAME`.
    ///
    /// # Errors
    /// A message for anything else.
    pub fn parse(s: &str) -> Result<Source, String> {
        match s.trim() {
            "" | "operator" => Ok(Source::Operator),
            x if x.starts_with("auto:") && x.len() > 5 => Ok(Source::Auto(x[5..].to_string())),
            x => Err(format!(
                "--source `{x}`: expected `operator` or `auto:NAME` (e.g. auto:watchdog)"
            )),
        }
    }

    /// `operator` or `auto:NAME`.
    #[must_use]
    pub fn as_string(&self) -> String {
        match self {
            Source::Operator => "operator".into(),
            Source::Auto(n) => format!("auto:{n}"),
            Source::Policy(n) => format!("policy:{n}"),
        }
    }
}

/// What the caller knows about a requested transition.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Target state.
    pub to: &'a str,
    /// Reason (required always).
    pub reason: &'a str,
    /// Evidence reference.
    pub evidence: Option<&'a str>,
    /// Who asks.
    pub source: Source,
    /// A valid, unused high-danger confirmation for this transition.
    pub confirmed: bool,
    /// A passed recovery acceptance.
    pub acceptance_passed: bool,
    /// Now.
    pub now: jiff::Timestamp,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Explanation naming every unmet requirement ([`super::summary`] of `unmet`).
    pub message: String,
    /// Every unmet requirement, each with its own step; never empty.
    pub unmet: Vec<Unmet>,
    /// The refusal is itself recorded (an automatic trigger over the limit).
    pub record: bool,
    /// Instead of the requested state, the policy escalates here
    /// (`auto_escalation.on_limit.escalate_to`).
    pub redirect_to: Option<String>,
}

impl Refusal {
    /// The step that meets the first unmet requirement that has one.
    #[must_use]
    pub fn next(&self) -> Option<crate::next::NextStep> {
        self.unmet.iter().find_map(|u| u.next.clone())
    }
}

/// Checks a transition (D-SAFE-SM, D-SAFE-NOFLAP). A de-escalation's
/// conditions — evidence, the current state's dwell, the high-danger
/// confirmation, the recovery acceptance — are all checked, and every one
/// that fails is named in [`Refusal::unmet`] (in that order).
///
/// # Errors
/// A [`Refusal`] naming the unmet requirements.
pub fn check<'m>(
    m: &'m Machine,
    cur: &Current,
    req: &Request<'_>,
) -> Result<&'m TransitionDef, Refusal> {
    let refuse = |condition: Condition, message: String| Refusal {
        message: message.clone(),
        unmet: vec![Unmet::new(condition, message)],
        record: false,
        redirect_to: None,
    };
    if m.state(req.to).is_none() {
        return Err(refuse(
            Condition::State,
            format!(
                "`{}` is not a safety state; policy/degraded.yaml has {}",
                req.to,
                m.states
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if req.to == cur.state {
        return Err(refuse(
            Condition::Transition,
            format!("already {}", cur.state),
        ));
    }
    let Some(t) = m.transition(&cur.state, req.to) else {
        let next: Vec<String> = m.next(&cur.state).iter().map(|t| t.to.clone()).collect();
        return Err(refuse(
            Condition::Transition,
            format!(
                "{} → {} is not a transition of policy/degraded.yaml; from {} the machine allows: {}",
                cur.state,
                req.to,
                cur.state,
                if next.is_empty() {
                    "nothing".into()
                } else {
                    next.join(", ")
                }
            ),
        ));
    };
    if req.reason.trim().is_empty() {
        return Err(refuse(
            Condition::Reason,
            "every safety transition needs a reason (--reason TEXT)".into(),
        ));
    }
    if let Source::Auto(name) = &req.source {
        if !t.escalate || !t.automatic {
            return Err(Refusal {
                record: true,
                ..refuse(
                    Condition::Automatic,
                    format!(
                        "automatic source auto:{name} may only escalate; {} → {} needs a person",
                        cur.state, req.to
                    ),
                )
            });
        }
        if let Some(max) = m.auto_max_per_hour {
            let hour_ago = req.now.as_millisecond() - 3_600_000;
            let recent = cur
                .auto_escalations
                .iter()
                .filter_map(|t| t.parse::<jiff::Timestamp>().ok())
                .filter(|t| t.as_millisecond() > hour_ago)
                .count();
            if recent >= max as usize {
                let redirect = m.on_limit_escalate_to.clone().filter(|x| {
                    *x != cur.state
                        && m.state(x)
                            .zip(m.state(&cur.state))
                            .is_some_and(|(a, b)| a.rank > b.rank)
                });
                let message = format!(
                    "automatic escalation limit reached: {recent} in the last hour (auto_escalation.max_per_hour = {max}); unstable triggers are a reason to stop, not to keep switching{}",
                    match &redirect {
                        Some(r) => format!(" — the policy escalates to {r} instead"),
                        None => " — a person must decide".into(),
                    }
                );
                return Err(Refusal {
                    record: true,
                    redirect_to: redirect,
                    ..refuse(Condition::FlapLimit, message)
                });
            }
        }
    }
    if t.escalate {
        return Ok(t);
    }
    // De-escalation: every condition is checked, every failure named.
    let mut unmet = Vec::new();
    if t.requires.iter().any(|r| r == "evidence")
        && req.evidence.is_none_or(|e| e.trim().is_empty())
    {
        unmet.push(Unmet::new(
            Condition::Evidence,
            format!(
                "{} → {} is a de-escalation: it needs evidence that the cause is gone: --evidence REF, or a reference attached to the incident (--incident ID) since the state was entered",
                cur.state, req.to
            ),
        ));
    }
    let dwell = m.state(&cur.state).map_or(0, |s| s.min_dwell_minutes);
    if let Some(since) = cur
        .since
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    {
        let in_state_ms = req.now.as_millisecond() - since.as_millisecond();
        // Policy values are not trusted to be small.
        let need_ms = dwell.saturating_mul(60_000);
        if in_state_ms < need_ms {
            let left = (need_ms - in_state_ms + 59_999) / 60_000;
            let until =
                jiff::Timestamp::from_millisecond(since.as_millisecond().saturating_add(need_ms))
                    .map(crate::ledger::format_ts)
                    .ok();
            unmet.push(Unmet {
                until,
                minutes_left: Some(left),
                ..Unmet::new(
                    Condition::Dwell,
                    format!(
                        "{} must hold for at least {dwell} min before de-escalating (min_dwell_minutes, the anti-flap guard); entered {}, {left} min to go",
                        cur.state,
                        crate::ledger::format_ts(since)
                    ),
                )
            });
        }
    }
    if t.requires.iter().any(|r| r == "high_danger_confirmation") && !req.confirmed {
        unmet.push(
            Unmet::new(
                Condition::Confirmation,
                format!(
                    "leaving {} needs the high-danger confirmation first",
                    cur.state
                ),
            )
            .with_next(crate::next::NextStep::Confirm {
                operation: "release_halt".into(),
                target: Some(req.to.to_string()),
            }),
        );
    }
    if t.requires.iter().any(|r| r == "recovery_acceptance") && !req.acceptance_passed {
        unmet.push(
            Unmet::new(
                Condition::Acceptance,
                format!(
                    "{} → {} needs a passed recovery acceptance",
                    cur.state, req.to
                ),
            )
            .with_next(crate::next::NextStep::AnswerAcceptance {
                incident: None,
                failing: Vec::new(),
            }),
        );
    }
    if unmet.is_empty() {
        return Ok(t);
    }
    Err(Refusal {
        message: super::summary(&cur.state, req.to, &unmet),
        unmet,
        record: false,
        redirect_to: None,
    })
}

/// One action of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// `release_halt`, …
    pub id: String,
    /// T0, T1, T2.
    pub tier: String,
    /// What it is.
    pub description: String,
}

/// The safety actions matrix of `policy/safety-matrix.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// Actions, in file order.
    pub actions: Vec<Action>,
    /// action → state → decision.
    pub cells: BTreeMap<String, BTreeMap<String, Decision>>,
}

/// The answer of [`Matrix::can`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The action asked about.
    pub action: String,
    /// The state judged.
    pub state: String,
    /// The decision.
    pub decision: Decision,
    /// The action's tier, when known.
    pub tier: Option<String>,
    /// Why.
    pub why: String,
    /// What would allow it (CONFIRM: the confirmation).
    pub next: Option<crate::next::NextStep>,
}

impl Matrix {
    /// The matrix of `policy/safety-matrix.yaml`.
    #[must_use]
    pub fn from_policy(p: &crate::policy::SafetyMatrix) -> Matrix {
        Matrix {
            actions: p
                .actions
                .iter()
                .map(|a| Action {
                    id: a.id.clone(),
                    tier: a.tier.clone(),
                    description: a.description.clone(),
                })
                .collect(),
            cells: p.matrix.clone(),
        }
    }

    /// ALLOW, CONFIRM or DENY for `action` in `state`. An unknown action, or
    /// a cell the matrix lacks, is DENY: what the policy does not allow is
    /// not allowed.
    #[must_use]
    pub fn can(&self, action: &str, state: &str) -> Answer {
        let tier = self
            .actions
            .iter()
            .find(|a| a.id == action)
            .map(|a| a.tier.clone());
        let (decision, why) = match self.cells.get(action).map(|r| r.get(state)) {
            None => (
                Decision::Deny,
                format!(
                    "`{action}` is not an action of policy/safety-matrix.yaml: unknown actions are denied{}",
                    crate::safety::closest(action, self.cells.keys().map(String::as_str))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default()
                ),
            ),
            Some(None) => (
                Decision::Deny,
                format!("the matrix has no cell for {action} in {state}: denied"),
            ),
            Some(Some(d)) => (
                *d,
                match d {
                    Decision::Allow => {
                        format!("{action} is allowed in {state}; the step's tier rules still apply")
                    }
                    Decision::Confirm => {
                        format!("{action} in {state} needs the high-danger confirmation first")
                    }
                    Decision::Deny => format!(
                        "{action} is refused in {state}; to do it anyway, change the safety state first (a logged, justified transition)"
                    ),
                },
            ),
        };
        Answer {
            action: action.to_string(),
            state: state.to_string(),
            next: (decision == Decision::Confirm).then(|| crate::next::NextStep::Confirm {
                operation: action.to_string(),
                target: None,
            }),
            decision,
            tier,
            why,
        }
    }
}

/// The closest of `candidates` to `s` within edit distance 3.
#[must_use]
pub fn closest<'a>(s: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let dist = crate::syntax::text::edit_distance;
    candidates
        .map(|c| (dist(s, c), c))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Machine {
        Machine::from_policy(&crate::policy::builtin().unwrap()).unwrap()
    }

    fn t(min: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_796_000_000 + min * 60).unwrap()
    }

    fn cur(state: &str, since_min: i64) -> Current {
        Current {
            state: state.into(),
            since: Some(crate::ledger::format_ts(t(since_min))),
            seq: Some(1),
            reason: None,
            incident: None,
            auto_escalations: Vec::new(),
            pending_hook: None,
            watch: None,
            last_watch_result: None,
            switched: Some(crate::event::safety::Switched::Hook),
        }
    }

    fn req<'a>(to: &'a str, now: i64) -> Request<'a> {
        Request {
            to,
            reason: "r",
            evidence: Some("EVB-1"),
            source: Source::Operator,
            confirmed: true,
            acceptance_passed: true,
            now: t(now),
        }
    }

    /// Every (from, to) pair of the default machine: allowed exactly when
    /// policy/degraded.yaml lists it, given every requirement is met and the
    /// dwell has passed.
    #[test]
    fn every_pair_of_the_default_machine() {
        let m = machine();
        let ids: Vec<String> = m.states.iter().map(|s| s.id.clone()).collect();
        assert_eq!(
            ids,
            ["NORMAL", "DEGRADED", "RECOVERING", "SAFE_MODE", "HALTED"]
        );
        let allowed = [
            ("NORMAL", "DEGRADED"),
            ("NORMAL", "SAFE_MODE"),
            ("NORMAL", "HALTED"),
            ("DEGRADED", "SAFE_MODE"),
            ("DEGRADED", "HALTED"),
            ("DEGRADED", "NORMAL"),
            ("RECOVERING", "SAFE_MODE"),
            ("RECOVERING", "HALTED"),
            ("RECOVERING", "DEGRADED"),
            ("RECOVERING", "NORMAL"),
            ("SAFE_MODE", "HALTED"),
            ("SAFE_MODE", "RECOVERING"),
            ("HALTED", "RECOVERING"),
        ];
        for from in &ids {
            for to in &ids {
                let r = check(&m, &cur(from, 0), &req(to, 24 * 60));
                let want = allowed.contains(&(from.as_str(), to.as_str()));
                assert_eq!(r.is_ok(), want, "{from} → {to}: {r:?}");
                if !want && from != to {
                    assert!(
                        r.unwrap_err().message.contains("machine allows"),
                        "{from} → {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn escalation_ignores_dwell_deescalation_waits_for_it() {
        let m = machine();
        // Entered SAFE_MODE at minute 0; its dwell is 15 min.
        assert!(
            check(&m, &cur("SAFE_MODE", 0), &req("HALTED", 1)).is_ok(),
            "escalation at once"
        );
        let e = check(&m, &cur("SAFE_MODE", 0), &req("RECOVERING", 14)).unwrap_err();
        assert!(
            e.message.contains("at least 15 min") && e.message.contains("1 min to go"),
            "{}",
            e.message
        );
        assert!(check(&m, &cur("SAFE_MODE", 0), &req("RECOVERING", 15)).is_ok());
    }

    #[test]
    fn deescalation_needs_evidence_confirmation_and_acceptance() {
        let m = machine();
        let mut r = req("RECOVERING", 60);
        r.evidence = None;
        assert!(
            check(&m, &cur("HALTED", 0), &r)
                .unwrap_err()
                .message
                .contains("needs evidence")
        );
        let mut r = req("RECOVERING", 60);
        r.confirmed = false;
        assert!(
            check(&m, &cur("HALTED", 0), &r)
                .unwrap_err()
                .message
                .contains("high-danger confirmation")
        );
        let mut r = req("NORMAL", 60);
        r.acceptance_passed = false;
        assert!(
            check(&m, &cur("RECOVERING", 0), &r)
                .unwrap_err()
                .message
                .contains("recovery acceptance")
        );
        let mut r = req("NORMAL", 60);
        r.reason = " ";
        assert!(
            check(&m, &cur("DEGRADED", 0), &r)
                .unwrap_err()
                .message
                .contains("needs a reason")
        );
    }

    /// Every failing condition of a de-escalation is named at once, in
    /// order, each with its step (a fresh-user trial found one per try).
    #[test]
    fn deescalation_names_every_unmet_condition_at_once() {
        let m = machine();
        let mut r = req("RECOVERING", 10);
        r.evidence = None;
        r.confirmed = false;
        let e = check(&m, &cur("HALTED", 0), &r).unwrap_err();
        let conds: Vec<Condition> = e.unmet.iter().map(|u| u.condition).collect();
        assert_eq!(
            conds,
            [
                Condition::Evidence,
                Condition::Dwell,
                Condition::Confirmation
            ]
        );
        assert_eq!(
            e.unmet[1].until.as_deref(),
            Some(crate::ledger::format_ts(t(30)).as_str())
        );
        assert_eq!(e.unmet[1].minutes_left, Some(20));
        assert_eq!(
            e.unmet[2].next,
            Some(crate::next::NextStep::Confirm {
                operation: "release_halt".into(),
                target: Some("RECOVERING".into())
            })
        );
        assert!(
            e.message.starts_with("HALTED → RECOVERING: 3 conditions are not met:\n  - HALTED → RECOVERING is a de-escalation"),
            "{}",
            e.message
        );
        assert_eq!(e.next(), e.unmet[2].next);
        // RECOVERING → NORMAL: evidence, dwell and acceptance together.
        let mut r = req("NORMAL", 1);
        r.evidence = None;
        r.acceptance_passed = false;
        let e = check(&m, &cur("RECOVERING", 0), &r).unwrap_err();
        let conds: Vec<Condition> = e.unmet.iter().map(|u| u.condition).collect();
        assert_eq!(
            conds,
            [Condition::Evidence, Condition::Dwell, Condition::Acceptance]
        );
        // One unmet condition: its own message, no list.
        let e = check(&m, &cur("HALTED", 0), &req("RECOVERING", 10)).unwrap_err();
        assert_eq!(e.unmet.len(), 1);
        assert_eq!(e.message, e.unmet[0].message);
    }

    #[test]
    fn automatic_sources_only_escalate_and_are_limited_per_hour() {
        let m = machine();
        let auto = |to: &'static str, now: i64| Request {
            source: Source::Auto("watchdog".into()),
            ..req(to, now)
        };
        let e = check(&m, &cur("DEGRADED", 0), &auto("NORMAL", 60)).unwrap_err();
        assert!(e.record && e.message.contains("may only escalate"), "{e:?}");
        // Three automatic escalations in the last hour: the fourth is refused
        // and recorded, and the policy sends it to HALTED instead.
        let mut c = cur("DEGRADED", 0);
        c.auto_escalations = vec![
            crate::ledger::format_ts(t(10)),
            crate::ledger::format_ts(t(20)),
            crate::ledger::format_ts(t(30)),
        ];
        let e = check(&m, &c, &auto("SAFE_MODE", 40)).unwrap_err();
        assert!(
            e.record && e.message.contains("3 in the last hour"),
            "{e:?}"
        );
        assert_eq!(e.redirect_to.as_deref(), Some("HALTED"));
        // An hour after the first one, the window has room again.
        assert!(check(&m, &c, &auto("SAFE_MODE", 71)).is_ok());
        // A person may always escalate.
        assert!(check(&m, &c, &req("SAFE_MODE", 40)).is_ok());
    }

    #[test]
    fn matrix_unknown_actions_are_denied() {
        let mx = Matrix::from_policy(&crate::policy::builtin().unwrap());
        assert_eq!(mx.can("release_halt", "HALTED").decision, Decision::Confirm);
        assert_eq!(mx.can("cancel_order", "HALTED").decision, Decision::Allow);
        assert_eq!(
            mx.can("place_new_order", "SAFE_MODE").decision,
            Decision::Deny
        );
        let a = mx.can("release_hlt", "HALTED");
        assert_eq!(a.decision, Decision::Deny);
        assert!(a.why.contains("did you mean `release_halt`"), "{}", a.why);
        // Every action has a cell in every state.
        for a in &mx.actions {
            for s in ["NORMAL", "DEGRADED", "RECOVERING", "SAFE_MODE", "HALTED"] {
                assert!(mx.cells[&a.id].contains_key(s), "{} {s}", a.id);
            }
        }
    }
}
