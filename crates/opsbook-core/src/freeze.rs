//! Change freeze (D-SAFE-FREEZE): `policy/change-freeze.yaml` and the
//! hash-chained `ledger/freeze.jsonl`.
//!
//! Events: `freeze_on` {reason, incident?, source}, `freeze_off` {reason},
//! `exception_added` {id, actions, reason, risk, backout, expires_at,
//! approver, self_approved, confirmation?}, `exception_closed` {id, reason}.
//! While frozen (by the ledger or a scheduled window), [`check`] refuses
//! every action that is not in `always_allowed` unless an unexpired,
//! unclosed exception names it. An expired exception no longer counts.
//! The freeze never lifts by timeout.

use serde::Serialize;

use crate::next::NextStep;

use crate::ledger::Event;

/// A scheduled freeze window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    /// ID.
    pub id: String,
    /// Start, UTC.
    pub start: jiff::Timestamp,
    /// End, UTC.
    pub end: jiff::Timestamp,
    /// Why.
    pub reason: String,
}

/// The freeze policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Incident severities that freeze on opening.
    pub on_incident_severity: Vec<String>,
    /// Safety states whose entry freezes.
    pub on_safety_states: Vec<String>,
    /// Conditions for `freeze off`.
    pub lift_requires: Vec<String>,
    /// Actions blocked while frozen (documented; anything not always allowed is blocked).
    pub frozen_actions: Vec<String>,
    /// Actions never blocked.
    pub always_allowed: Vec<String>,
    /// Longest exception, minutes.
    pub max_duration_minutes: i64,
    /// Exceptions active at once.
    pub max_active: usize,
    /// Self-approval needs the high-danger confirmation.
    pub self_approval_needs_confirmation: bool,
    /// Scheduled windows.
    pub scheduled: Vec<Scheduled>,
}

impl Policy {
    /// The freeze of `policy/change-freeze.yaml` (defaults for what it
    /// leaves out: P0/P1 freeze, 240-minute exceptions, one at a time,
    /// self-approval through the high-danger confirmation). A scheduled
    /// window whose times do not parse is left out (the contract and the
    /// gate report it).
    #[must_use]
    pub fn from_policy(p: &crate::policy::ChangeFreeze) -> Policy {
        Policy {
            on_incident_severity: if p.automatic.on_incident_severity.is_empty() {
                vec!["P0".into(), "P1".into()]
            } else {
                p.automatic.on_incident_severity.clone()
            },
            on_safety_states: p.automatic.on_safety_states.clone(),
            lift_requires: p.lift_requires.clone(),
            frozen_actions: p.frozen_actions.clone(),
            always_allowed: p.always_allowed.clone(),
            max_duration_minutes: p.exceptions.max_duration_minutes.unwrap_or(240),
            max_active: p.exceptions.max_active.unwrap_or(1),
            self_approval_needs_confirmation: p
                .exceptions
                .self_approval
                .as_ref()
                .and_then(|s| s.requires.as_ref())
                .is_none_or(|r| r.iter().any(|x| x == "high_danger_confirmation")),
            scheduled: p
                .scheduled
                .iter()
                .filter_map(|x| {
                    Some(Scheduled {
                        id: x.id.clone(),
                        start: x.start.parse().ok()?,
                        end: x.end.parse().ok()?,
                        reason: x.reason.clone(),
                    })
                })
                .collect(),
        }
    }
}

/// An exception to the freeze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// `EXC-<seq>`.
    pub id: String,
    /// Actions it unblocks (safety-matrix IDs).
    pub actions: Vec<String>,
    /// Why.
    pub reason: String,
    /// What could go wrong.
    pub risk: String,
    /// How to undo.
    pub backout: String,
    /// Expiry, UTC.
    pub expires_at: String,
    /// Who approved.
    pub approver: String,
    /// Approved by the requester (through the high-danger confirmation).
    pub self_approved: bool,
    /// Closed before expiry.
    pub closed: bool,
}

impl Exception {
    /// Whether it still counts at `now`.
    #[must_use]
    pub fn active(&self, now: jiff::Timestamp) -> bool {
        !self.closed
            && self
                .expires_at
                .parse::<jiff::Timestamp>()
                .is_ok_and(|e| e > now)
    }
}

/// The freeze as replayed from the ledger.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// Frozen by the ledger (scheduled windows come on top, see [`check`]).
    pub frozen: bool,
    /// Since (UTC).
    pub since: Option<String>,
    /// Why it is on: (seq, reason, incident).
    pub reasons: Vec<(u64, String, Option<String>)>,
    /// Every exception ever added.
    pub exceptions: Vec<Exception>,
}

impl State {
    /// Incidents that turned the freeze on (since it last went on).
    #[must_use]
    pub fn incidents(&self) -> Vec<String> {
        let mut v: Vec<String> = self.reasons.iter().filter_map(|r| r.2.clone()).collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Replays `ledger/freeze.jsonl`.
#[must_use]
pub fn replay(events: &[Event]) -> State {
    use crate::event::FreezeEvent;
    let mut st = State::default();
    for e in events {
        let Some(typed) = crate::event::parse::<FreezeEvent>(e) else {
            continue;
        };
        match typed {
            FreezeEvent::FreezeOn(d) => {
                if !st.frozen {
                    st.frozen = true;
                    st.since = Some(e.ts.clone());
                    st.reasons.clear();
                }
                st.reasons.push((e.seq, d.reason, d.incident.flatten()));
            }
            FreezeEvent::FreezeOff(_) => {
                st.frozen = false;
                st.since = None;
                st.reasons.clear();
            }
            FreezeEvent::ExceptionAdded(d) => st.exceptions.push(Exception {
                id: if d.id.is_empty() {
                    format!("EXC-{}", e.seq)
                } else {
                    d.id
                },
                actions: d.actions,
                reason: d.reason,
                risk: d.risk,
                backout: d.backout,
                expires_at: d.expires_at,
                approver: d.approver,
                self_approved: d.self_approved,
                closed: false,
            }),
            FreezeEvent::ExceptionClosed(d) => {
                if let Some(x) = st.exceptions.iter_mut().find(|x| x.id == d.id) {
                    x.closed = true;
                }
            }
        }
    }
    st
}

/// The answer of [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The change may go ahead.
    pub allowed: bool,
    /// A freeze is in force (ledger or schedule).
    pub frozen: bool,
    /// The scheduled window in force, if any.
    pub scheduled: Option<String>,
    /// The exception that covers the action, if any.
    pub exception: Option<String>,
    /// Why, for people.
    pub why: String,
    /// What would allow it (a frozen action: an exception).
    pub next: Option<NextStep>,
}

/// May `action` go ahead at `now`? While frozen, an action in
/// `frozen_actions` needs an active exception naming it; so does an action
/// the policy and `known` (the safety matrix's actions) do not know — a typo
/// is refused, not waved through (fail closed). Other known actions are
/// left to the safety matrix.
#[must_use]
pub fn check(
    p: &Policy,
    st: &State,
    action: &str,
    now: jiff::Timestamp,
    known: &[String],
) -> Verdict {
    let window = p.scheduled.iter().find(|w| w.start <= now && now < w.end);
    let frozen = st.frozen || window.is_some();
    let mut v = Verdict {
        allowed: true,
        frozen,
        scheduled: window.map(|w| w.id.clone()),
        exception: None,
        why: String::new(),
        next: None,
    };
    if !frozen {
        v.why = "no change freeze is in force".into();
        return v;
    }
    let cause = match (st.frozen, window) {
        (true, _) => format!(
            "change freeze on since {} ({})",
            st.since.as_deref().unwrap_or("?"),
            st.reasons
                .iter()
                .map(|r| r.1.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        (false, Some(w)) => format!("scheduled freeze {} until {} ({})", w.id, w.end, w.reason),
        (false, None) => String::new(),
    };
    if p.always_allowed.iter().any(|a| a == action) {
        v.why = format!("{cause}; {action} is always allowed (observing, evidence, reducing risk)");
        return v;
    }
    let frozen_action = p.frozen_actions.iter().any(|a| a == action);
    let known_action = known.iter().any(|a| a == action);
    if !frozen_action && known_action {
        v.why = format!(
            "{cause}; {action} is not a frozen action (policy frozen_actions): the safety matrix decides it"
        );
        return v;
    }
    if let Some(x) = st
        .exceptions
        .iter()
        .find(|x| x.active(now) && x.actions.iter().any(|a| a == action))
    {
        v.exception = Some(x.id.clone());
        v.why = format!(
            "{cause}; allowed by exception {} until {} (approver {})",
            x.id, x.expires_at, x.approver
        );
        return v;
    }
    v.allowed = false;
    let expired: Vec<&str> = st
        .exceptions
        .iter()
        .filter(|x| !x.active(now) && !x.closed && x.actions.iter().any(|a| a == action))
        .map(|x| x.id.as_str())
        .collect();
    if !frozen_action {
        v.why = format!(
            "{cause}; `{action}` is not an action of the safety matrix{}: refused while frozen",
            crate::safety::closest(action, known.iter().map(String::as_str))
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default()
        );
        return v;
    }
    v.why = format!(
        "{cause}; {action} is frozen{}",
        if expired.is_empty() {
            String::new()
        } else {
            format!(" (exception {} expired)", expired.join(", "))
        }
    );
    v.next = Some(NextStep::FreezeException {
        action: action.to_string(),
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Actor, Event};
    use serde_json::{Value, json};

    fn ev(seq: u64, kind: &str, data: Value) -> Event {
        Event {
            seq,
            ts: "2026-11-29T02:00:00.000Z".into(),
            actor: Actor {
                user: "op".into(),
                host: "h".into(),
                name: None,
            },
            kind: kind.into(),
            data,
            prev_hash: None,
            hash: String::new(),
        }
    }

    fn policy() -> Policy {
        Policy::from_policy(&crate::policy::builtin().unwrap())
    }

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn frozen_then_exception_then_expired_then_lifted() {
        let p = policy();
        let known: Vec<String> = [
            "deploy_code",
            "change_config",
            "restart_service",
            "collect_evidence",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let chk = |p: &Policy, st: &State, a: &str, t| check(p, st, a, t, &known);
        let mut events = vec![ev(
            1,
            "freeze_on",
            json!({"reason": "P0 incident INC-1", "incident": "INC-1"}),
        )];
        let st = replay(&events);
        assert!(!chk(&p, &st, "deploy_code", at("2026-11-29T02:05:00Z")).allowed);
        assert!(
            chk(&p, &st, "collect_evidence", at("2026-11-29T02:05:00Z")).allowed,
            "always allowed"
        );
        assert!(
            chk(&p, &st, "restart_service", at("2026-11-29T02:05:00Z")).allowed,
            "not a frozen action: the matrix decides"
        );
        events.push(ev(2, "exception_added", json!({"id": "EXC-2", "actions": ["deploy_code"], "reason": "r", "risk": "r", "backout": "b", "expires_at": "2026-11-29T03:00:00.000Z", "approver": "ken"})));
        let st = replay(&events);
        let v = chk(&p, &st, "deploy_code", at("2026-11-29T02:30:00Z"));
        assert!(
            v.allowed && v.exception.as_deref() == Some("EXC-2"),
            "{v:?}"
        );
        assert!(
            !chk(&p, &st, "change_config", at("2026-11-29T02:30:00Z")).allowed,
            "only the named action"
        );
        let v = chk(&p, &st, "deploy_code", at("2026-11-29T03:00:00Z"));
        assert!(!v.allowed && v.why.contains("EXC-2 expired"), "{v:?}");
        events.push(ev(3, "freeze_off", json!({"reason": "resolved"})));
        assert!(
            chk(
                &p,
                &replay(&events),
                "deploy_code",
                at("2026-11-29T03:30:00Z")
            )
            .allowed
        );
        let typo = chk(
            &p,
            &replay(&events[..1]),
            "deploy-code",
            at("2026-11-29T02:05:00Z"),
        );
        assert!(
            !typo.allowed && typo.why.contains("did you mean `deploy_code`"),
            "{typo:?}"
        );
        // The scheduled window of the starter policy freezes on its own.
        let v = chk(
            &p,
            &replay(&events),
            "deploy_code",
            at("2026-12-10T01:00:00Z"),
        );
        assert!(
            !v.allowed && v.scheduled.as_deref() == Some("FRZ-EXAMPLE-EXCHANGE-MAINTENANCE"),
            "{v:?}"
        );
    }
}
