//! High-danger final confirmation for one person (D-SAFE-CONFIRM,
//! D-HUMAN-FATIGUE): the policy (`confirmation` in
//! `policy/safety-matrix.yaml`), the fatigue rule "in doubt: HALT → evidence
//! → rest" (迷ったらHALT→証跡→休む), and the confirmations ledger
//! `ledger/confirmations.jsonl`.
//!
//! Ledger events: `confirmation_started` {operation, target, tier,
//! incident?}, `confirm_answer` {confirmation, step, question, answer} (every
//! answer), `confirmed` {confirmation, operation, target, valid_until, …},
//! `confirmation_refused` {confirmation, why}, `confirmation_used`
//! {confirmation, by}, `confirmation_abandoned` {confirmation, why},
//! `confirmation_expired` {confirmation, valid_until}. Confirmations are
//! numbered `CNF-1`, `CNF-2`, … per ledger ([`next_id`]; ledgers written
//! before issue 13 named them `CNF-<seq of the start>`, and numbering goes
//! on after the highest), valid for `valid_minutes`, used once. One that
//! was started and never answered to the end is closed as abandoned, one
//! never used as expired ([`closing`]).

use serde::Serialize;

use crate::ledger::Event;

/// One checklist question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Stable ID (answers files use it).
    pub id: String,
    /// The question.
    pub question: String,
}

/// Fatigue thresholds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fatigue {
    /// Awake longer than this (hours).
    pub max_hours_awake: f64,
    /// Slept less than this in the last 24 h (hours).
    pub min_hours_slept: f64,
    /// On this incident longer than this (hours).
    pub max_hours_on_incident: f64,
    /// Local night hours `[start, end)`.
    pub night_hours_local: (u8, u8),
}

/// The confirmation policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// Questions that must each be answered yes.
    pub checklist: Vec<Question>,
    /// Pause between the two typings of the target, seconds.
    pub cooling_off_seconds: u64,
    /// Validity, minutes.
    pub valid_minutes: i64,
    /// Thresholds.
    pub fatigue: Fatigue,
}

impl Policy {
    /// The confirmation of `policy/safety-matrix.yaml` (`None`, or a file
    /// without `confirmation`: the defaults — the runbook's five questions,
    /// 180 s, 15 min, 16 h awake, 5 h sleep, 8 h on the incident, night 0–6 h).
    #[must_use]
    pub fn from_policy(matrix: Option<&crate::policy::SafetyMatrix>) -> Policy {
        let c = matrix.and_then(|m| m.confirmation.as_ref());
        let checklist: Vec<Question> = c
            .map(|c| {
                c.checklist
                    .iter()
                    .map(|q| Question {
                        id: q.id.clone(),
                        question: q.question.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let checklist = if checklist.is_empty() {
            [
                (
                    "evidence_sealed",
                    "Evidence sealed in the last 30 minutes, and its bundle ID noted?",
                ),
                (
                    "backout_read",
                    "Backout read, and executable with the access you have now?",
                ),
                (
                    "cause_mitigated",
                    "Cause mitigated (not just the alert silent)?",
                ),
                (
                    "scope_known",
                    "Scope known: which account, host, symbols or data range is touched?",
                ),
                (
                    "freeze_checked",
                    "Freeze: no freeze, or an exception that covers this action?",
                ),
            ]
            .iter()
            .map(|(i, q)| Question {
                id: (*i).into(),
                question: (*q).into(),
            })
            .collect()
        } else {
            checklist
        };
        let f = c.map(|c| c.fatigue.clone()).unwrap_or_default();
        Policy {
            checklist,
            cooling_off_seconds: c.and_then(|c| c.cooling_off_seconds).unwrap_or(180),
            valid_minutes: c.and_then(|c| c.valid_minutes).unwrap_or(15),
            fatigue: Fatigue {
                max_hours_awake: f.max_hours_awake.unwrap_or(16.0),
                min_hours_slept: f.min_hours_slept.unwrap_or(5.0),
                max_hours_on_incident: f.max_hours_on_incident.unwrap_or(8.0),
                night_hours_local: f.night_hours_local.unwrap_or((0, 6)),
            },
        }
    }
}

/// Minutes a confirmation must stay valid after the dwell ends, so that
/// the operator has time to run `safety set` ([`Policy::earliest_start`]).
pub const USE_WINDOW_MINUTES: i64 = 5;

impl Policy {
    /// The earliest time a confirmation may start and still be valid for
    /// [`USE_WINDOW_MINUTES`] (at most half its validity) after
    /// `usable_from` (the end of the dwell of the state it leaves): it
    /// passes at the soonest `cooling_off_seconds` after its start and is
    /// valid `valid_minutes` from then, so `usable_from + window −
    /// valid_minutes − cooling_off_seconds`. `None` when one started at
    /// `now` surely is (D-SAFE-CONFIRM, D-SAFE-NOFLAP).
    #[must_use]
    pub fn earliest_start(
        &self,
        usable_from: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> Option<jiff::Timestamp> {
        let window = (USE_WINDOW_MINUTES * 60_000).min(self.valid_minutes.saturating_mul(30_000));
        let from = usable_from
            .as_millisecond()
            .saturating_add(window)
            .saturating_sub(self.lead_ms());
        (from > now.as_millisecond())
            .then(|| jiff::Timestamp::from_millisecond(from).ok())
            .flatten()
    }

    /// When a confirmation started at `start` expires at the soonest: its
    /// cooling-off, then `valid_minutes`.
    #[must_use]
    pub fn soonest_expiry(&self, start: jiff::Timestamp) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(start.as_millisecond().saturating_add(self.lead_ms()))
            .unwrap_or(jiff::Timestamp::MAX)
    }

    /// The cooling-off plus the validity, ms.
    fn lead_ms(&self) -> i64 {
        self.valid_minutes.saturating_mul(60_000).saturating_add(
            i64::try_from(self.cooling_off_seconds)
                .unwrap_or(i64::MAX)
                .saturating_mul(1000),
        )
    }
}

/// Whole minutes from `now` until `t`, rounded up (0 when past).
#[must_use]
pub fn minutes_until(t: jiff::Timestamp, now: jiff::Timestamp) -> i64 {
    let ms = t
        .as_millisecond()
        .saturating_sub(now.as_millisecond())
        .max(0);
    (ms + 59_999) / 60_000
}

/// The operator's fatigue self-check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelfCheck {
    /// Hours awake.
    pub hours_awake: f64,
    /// Hours slept in the last 24 h.
    pub hours_slept: f64,
    /// Hours on this incident (from its opening when known).
    pub hours_on_incident: f64,
    /// Local hour now (0–23).
    pub local_hour: u8,
}

/// Thresholds passed, one line each (empty: fit to proceed).
#[must_use]
pub fn fatigue_over(f: &Fatigue, s: &SelfCheck) -> Vec<String> {
    let mut out = Vec::new();
    if s.hours_awake > f.max_hours_awake {
        out.push(format!(
            "awake {:.1} h (more than {} h)",
            s.hours_awake, f.max_hours_awake
        ));
    }
    if s.hours_slept < f.min_hours_slept {
        out.push(format!(
            "slept {:.1} h (less than {} h)",
            s.hours_slept, f.min_hours_slept
        ));
    }
    if s.hours_on_incident > f.max_hours_on_incident {
        out.push(format!(
            "on this incident {:.1} h (more than {} h)",
            s.hours_on_incident, f.max_hours_on_incident
        ));
    }
    let (a, b) = f.night_hours_local;
    let night = if a <= b {
        s.local_hour >= a && s.local_hour < b
    } else {
        s.local_hour >= a || s.local_hour < b
    };
    if night {
        out.push(format!(
            "local hour {:02} is night ({a:02}:00–{b:02}:00)",
            s.local_hour
        ));
    }
    out
}

/// A confirmation found in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    /// `CNF-<seq>`.
    pub id: String,
    /// Operation (safety-matrix action).
    pub operation: String,
    /// Target.
    pub target: String,
    /// Valid until (UTC).
    pub valid_until: String,
    /// Already used.
    pub used: bool,
}

/// Every `confirmed` confirmation of the ledger, oldest first.
#[must_use]
pub fn confirmations(events: &[Event]) -> Vec<Confirmation> {
    use crate::event::ConfirmationEvent;
    let mut out: Vec<Confirmation> = Vec::new();
    for e in events {
        match crate::event::parse::<ConfirmationEvent>(e) {
            Some(ConfirmationEvent::Confirmed(d)) => out.push(Confirmation {
                id: d.confirmation,
                operation: d.operation,
                target: d.target,
                valid_until: d.valid_until,
                used: false,
            }),
            Some(ConfirmationEvent::ConfirmationUsed(d)) => {
                if let Some(c) = out.iter_mut().find(|c| c.id == d.confirmation) {
                    c.used = true;
                }
            }
            _ => {}
        }
    }
    out
}

/// The newest unused, unexpired confirmation of `operation` at `now`
/// (and of `target` when given).
#[must_use]
pub fn usable<'a>(
    all: &'a [Confirmation],
    operation: &str,
    target: Option<&str>,
    now: jiff::Timestamp,
) -> Option<&'a Confirmation> {
    all.iter().rev().find(|c| {
        c.operation == operation
            && !c.used
            && target.is_none_or(|t| c.target == t)
            && c.valid_until
                .parse::<jiff::Timestamp>()
                .is_ok_and(|v| v > now)
    })
}

/// Where a confirmation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Started; not answered to the end yet.
    InProgress,
    /// Stopped by a refusal on the way.
    Refused,
    /// Started and never answered to the end (recorded, or its window passed).
    Abandoned,
    /// Passed: usable once until `valid_until`.
    Confirmed,
    /// Used by the action it confirmed.
    Used,
    /// Passed, never used, `valid_until` passed.
    Expired,
}

impl Status {
    /// The ledger's word for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Refused => "refused",
            Status::Abandoned => "abandoned",
            Status::Confirmed => "confirmed",
            Status::Used => "used",
            Status::Expired => "expired",
        }
    }
}

/// One confirmation of the ledger, from its start to where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// `CNF-<n>`.
    pub id: String,
    /// The action.
    pub operation: String,
    /// Its target.
    pub target: String,
    /// T0, T1, T2.
    pub tier: String,
    /// Started at (UTC).
    pub started_at: String,
    /// Where it stands now.
    pub status: Status,
    /// Usable until (UTC), once passed.
    pub valid_until: Option<String>,
    /// Why it was refused or abandoned.
    pub why: Option<String>,
    /// `status` comes from the clock, not from a closing event yet (the
    /// next confirmation writes it).
    pub pending_close: bool,
}

/// The ID of a `confirmation_started` event: its `confirmation`, or
/// `CNF-<seq>` in ledgers written before it was recorded.
fn start_id(e: &Event, s: &crate::event::confirmation::Started) -> String {
    s.confirmation
        .clone()
        .unwrap_or_else(|| format!("CNF-{}", e.seq))
}

/// The number of `CNF-<n>`.
fn number(id: &str) -> Option<u64> {
    id.strip_prefix("CNF-")?.parse().ok()
}

/// The next confirmation's ID: `CNF-1` in an empty ledger, else one more
/// than the highest (D-SAFE-CONFIRM).
#[must_use]
pub fn next_id(events: &[Event]) -> String {
    use crate::event::ConfirmationEvent;
    let top = events
        .iter()
        .filter_map(|e| match crate::event::parse::<ConfirmationEvent>(e) {
            Some(ConfirmationEvent::ConfirmationStarted(s)) => number(&start_id(e, &s)),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    format!("CNF-{}", top + 1)
}

/// Every confirmation of the ledger, oldest first, as it stands at `now`:
/// an unfinished one older than `window_minutes` counts as abandoned, a
/// passed one past `valid_until` as expired (`pending_close` until the
/// event is written).
#[must_use]
pub fn ledger(events: &[Event], now: jiff::Timestamp, window_minutes: i64) -> Vec<Entry> {
    use crate::event::ConfirmationEvent as C;
    let mut out: Vec<Entry> = Vec::new();
    for e in events {
        let Some(ev) = crate::event::parse::<C>(e) else {
            continue;
        };
        let find = |out: &mut Vec<Entry>, id: &str| out.iter().position(|x| x.id == id);
        match ev {
            C::ConfirmationStarted(s) => out.push(Entry {
                id: start_id(e, &s),
                operation: s.operation,
                target: s.target,
                tier: s.tier,
                started_at: e.ts.clone(),
                status: Status::InProgress,
                valid_until: None,
                why: None,
                pending_close: false,
            }),
            C::ConfirmationRefused(r) => {
                if let Some(i) = find(&mut out, &r.confirmation) {
                    out[i].status = Status::Refused;
                    out[i].why = Some(r.why);
                }
            }
            C::Confirmed(c) => {
                if let Some(i) = find(&mut out, &c.confirmation) {
                    out[i].status = Status::Confirmed;
                    out[i].valid_until = Some(c.valid_until);
                }
            }
            C::ConfirmationUsed(u) => {
                if let Some(i) = find(&mut out, &u.confirmation) {
                    out[i].status = Status::Used;
                }
            }
            C::ConfirmationAbandoned(a) => {
                if let Some(i) = find(&mut out, &a.confirmation) {
                    out[i].status = Status::Abandoned;
                    out[i].why = Some(a.why);
                }
            }
            C::ConfirmationExpired(x) => {
                if let Some(i) = find(&mut out, &x.confirmation) {
                    out[i].status = Status::Expired;
                }
            }
            C::ConfirmAnswer(_) => {}
        }
    }
    let ms = |t: &str| {
        t.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
    };
    let now_ms = now.as_millisecond();
    for x in &mut out {
        match x.status {
            Status::InProgress
                if ms(&x.started_at).is_some_and(|s| {
                    s.saturating_add(window_minutes.saturating_mul(60_000)) <= now_ms
                }) =>
            {
                x.status = Status::Abandoned;
                x.why = Some(format!(
                    "not answered to the end within {window_minutes} min of its start"
                ));
                x.pending_close = true;
            }
            Status::Confirmed
                if x.valid_until
                    .as_deref()
                    .and_then(ms)
                    .is_some_and(|v| v <= now_ms) =>
            {
                x.status = Status::Expired;
                x.pending_close = true;
            }
            _ => {}
        }
    }
    out
}

/// The closing events due when a confirmation of `operation` starts at
/// `now`: every unfinished one of the same action is abandoned, every
/// other unfinished one older than `window_minutes` too, and every passed
/// one never used past its `valid_until` expires.
#[must_use]
pub fn closing(
    events: &[Event],
    operation: &str,
    next: &str,
    now: jiff::Timestamp,
    window_minutes: i64,
) -> Vec<crate::event::ConfirmationEvent> {
    use crate::event::ConfirmationEvent as C;
    use crate::event::confirmation as cev;
    let mut out = Vec::new();
    for x in ledger(events, now, window_minutes) {
        match x.status {
            Status::InProgress if x.operation == operation => {
                out.push(C::ConfirmationAbandoned(cev::Abandoned {
                    confirmation: x.id,
                    why: format!(
                        "never answered to the end: {next} of the same action ({operation}) started"
                    ),
                }));
            }
            Status::Abandoned if x.pending_close => {
                out.push(C::ConfirmationAbandoned(cev::Abandoned {
                    confirmation: x.id,
                    why: x.why.unwrap_or_default(),
                }));
            }
            Status::Expired if x.pending_close => {
                out.push(C::ConfirmationExpired(cev::Expired {
                    confirmation: x.id,
                    valid_until: x.valid_until.unwrap_or_default(),
                }));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatigue_thresholds_and_night_wraps() {
        let f = Policy::from_policy(None).fatigue;
        let fit = SelfCheck {
            hours_awake: 10.0,
            hours_slept: 7.0,
            hours_on_incident: 1.0,
            local_hour: 14,
        };
        assert!(fatigue_over(&f, &fit).is_empty());
        let tired = SelfCheck {
            hours_awake: 20.0,
            hours_slept: 3.0,
            hours_on_incident: 9.0,
            local_hour: 3,
        };
        assert_eq!(fatigue_over(&f, &tired).len(), 4);
        let g = Fatigue {
            night_hours_local: (22, 6),
            ..f
        };
        assert_eq!(
            fatigue_over(
                &g,
                &SelfCheck {
                    local_hour: 23,
                    ..fit.clone()
                }
            )
            .len(),
            1
        );
        assert!(
            fatigue_over(
                &g,
                &SelfCheck {
                    local_hour: 12,
                    ..fit
                }
            )
            .is_empty()
        );
    }
}
