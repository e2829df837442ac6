//! Whether the platform has recovered from an incident's hold (issue 13
//! item 5, D-ORDER, D-SAFE-SM): an incident that held the platform in a
//! state whose only way down is RECOVERING (HALTED, SAFE_MODE in the
//! starter policy) is RESOLVED only once the platform went through
//! RECOVERING after that hold and RECOVERING's `min_dwell_minutes` passed
//! (still RECOVERING, or back at NORMAL/DEGRADED after it). Read from
//! `ledger/safety.jsonl`, `policy/degraded.yaml` and the incident's own
//! safety decisions; never typed. Used by the `recovering_dwell` check of
//! the recovery acceptance and by the RESOLVED guard.

use opsbook_core::event::{IncidentEvent, SafetyEvent};
use opsbook_core::incident::Incident;
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::format_ts;
use opsbook_core::next::NextStep;
use opsbook_core::safety::Machine;

use crate::{Context, OpsError};

/// The state a held platform recovers through.
pub const RECOVERING: &str = "RECOVERING";

/// One state the platform entered (`ledger/safety.jsonl`).
struct Entry {
    seq: u64,
    at: jiff::Timestamp,
    state: String,
    incident: Option<String>,
}

/// The states whose way down is RECOVERING (a de-escalation from them to
/// RECOVERING exists in the policy): HALTED and SAFE_MODE in the starter.
#[must_use]
pub fn held_states(m: &Machine) -> Vec<String> {
    m.transitions
        .iter()
        .filter(|t| t.to == RECOVERING && !t.escalate)
        .map(|t| t.from.clone())
        .collect()
}

/// When, and in which state, `inc` held the platform last: a state of
/// [`held_states`] entered for it (`ledger/safety.jsonl`), or a safety
/// decision of the incident to such a state taken while the platform was
/// in one (a decision recorded while another incident already held it).
/// `None`: the incident never held the platform.
struct Hold {
    at: jiff::Timestamp,
    state: String,
    seq: Option<u64>,
}

fn entries(ctx: &Context) -> Result<Vec<Entry>, OpsError> {
    let events = opsbook_core::ledger::read(&ctx.layout.ledger(LedgerFile::Safety))?;
    Ok(events
        .iter()
        .filter_map(|e| match opsbook_core::event::parse::<SafetyEvent>(e)? {
            SafetyEvent::StateEntered(d) if !d.state.is_empty() => Some(Entry {
                seq: e.seq,
                at: e.ts.parse().ok()?,
                state: d.state,
                incident: d.incident,
            }),
            _ => None,
        })
        .collect())
}

/// The state the platform was in at `t` (the initial state before any entry).
fn state_at<'a>(m: &'a Machine, entries: &'a [Entry], t: jiff::Timestamp) -> &'a str {
    entries
        .iter()
        .rev()
        .find(|e| e.at <= t)
        .map_or(m.initial.as_str(), |e| e.state.as_str())
}

fn last_hold(m: &Machine, held: &[String], entries: &[Entry], inc: &Incident) -> Option<Hold> {
    let mut hold: Option<Hold> = None;
    let mut keep = |h: Hold| {
        if hold.as_ref().is_none_or(|x| h.at >= x.at) {
            hold = Some(h);
        }
    };
    // The incident's decisions first: a ledger entry at the same moment
    // (the decision that performed it) wins, with its seq.
    for e in &inc.events {
        if let Some(IncidentEvent::SafetyDecision(d)) = opsbook_core::event::parse(e)
            && held.contains(&d.to)
            && let Ok(at) = e.ts.parse::<jiff::Timestamp>()
            && held.iter().any(|h| h == state_at(m, entries, at))
        {
            keep(Hold {
                at,
                state: d.to,
                seq: None,
            });
        }
    }
    for e in entries {
        if held.contains(&e.state) && e.incident.as_deref() == Some(inc.id.as_str()) {
            keep(Hold {
                at: e.at,
                state: e.state.clone(),
                seq: Some(e.seq),
            });
        }
    }
    hold
}

fn fmt_min(ms: i64) -> String {
    format!("{} min", ms.max(0) / 60_000)
}

/// Judges whether `inc` may be RESOLVED as far as the platform's recovery
/// goes; returns the note recorded with a `recovering_dwell` answer.
///
/// - The incident never held the platform: while the platform is
///   RECOVERING its dwell must have passed (`what` is then refused as for
///   any other incident); otherwise there is no dwell of its own to wait.
/// - It held it and the platform is still HALTED/SAFE_MODE: refused, with
///   the step that starts recovery ([`NextStep::StartRecovery`]).
/// - RECOVERING: refused until `min_dwell_minutes` passed since it was
///   entered (the time it may be answered again is named).
/// - Another state: RECOVERING must have been entered after the hold and
///   lasted its dwell; refused otherwise.
///
/// `what` names the check or the guard in the message
/// (`recovering_dwell`, `RESOLVED`).
///
/// # Errors
/// [`OpsError::Refused`] as above; the policy or the safety ledger
/// cannot be read.
pub fn verify(ctx: &Context, inc: &Incident, what: &str) -> Result<String, OpsError> {
    let m = crate::state::machine(ctx)?;
    let entries = entries(ctx)?;
    let held = held_states(&m);
    let dwell = m.state(RECOVERING).map_or(0, |d| d.min_dwell_minutes);
    let need_ms = dwell.saturating_mul(60_000);
    let now = ctx.now();
    let (cur_state, cur) = match entries.last() {
        Some(e) => (e.state.clone(), Some(e)),
        None => (m.initial.clone(), None),
    };
    let ledger = LedgerFile::Safety.rel();
    let hold = last_hold(&m, &held, &entries, inc);
    let recovering_since = |e: &Entry| -> Result<String, OpsError> {
        let elapsed = now.as_millisecond().saturating_sub(e.at.as_millisecond());
        if elapsed < need_ms {
            let until = jiff::Timestamp::from_millisecond(e.at.as_millisecond() + need_ms)
                .map_or_else(|_| "?".into(), format_ts);
            return Err(OpsError::refused(
                format!(
                    "{what}: the platform entered {RECOVERING} at {} ({ledger} #{}); {} of its {dwell} min dwell (policy/degraded.yaml) have passed: answer again at or after {until}",
                    format_ts(e.at),
                    e.seq,
                    fmt_min(elapsed),
                ),
                None,
            ));
        }
        Ok(format!(
            "verified: {RECOVERING} since {} ({ledger} #{}), {} >= min_dwell_minutes {dwell}",
            format_ts(e.at),
            e.seq,
            fmt_min(elapsed)
        ))
    };
    let Some(hold) = hold else {
        return match cur {
            Some(e) if e.state == RECOVERING => recovering_since(e),
            _ => Ok(format!(
                "verified: the platform is {cur_state} ({ledger}) and {} never held it: no {RECOVERING} dwell to wait",
                inc.id
            )),
        };
    };
    let held_at = format!(
        "{} held the platform in {} since {}{}",
        inc.id,
        hold.state,
        format_ts(hold.at),
        hold.seq
            .map(|s| format!(" ({ledger} #{s})"))
            .unwrap_or_else(|| " (its safety decision)".into())
    );
    if held.contains(&cur_state) {
        let by = cur
            .and_then(|e| e.incident.as_deref())
            .filter(|i| *i != inc.id)
            .map(|i| format!(" (entered for {i})"))
            .unwrap_or_default();
        return Err(OpsError::refused(
            format!(
                "{what}: {held_at}, and the platform is still {cur_state}{by}: recovery has not started. Move it to {RECOVERING} once the cause is mitigated; {what} is answered after RECOVERING's {dwell} min dwell (policy/degraded.yaml)"
            ),
            Some(NextStep::StartRecovery {
                incident: inc.id.clone(),
                from: cur_state,
            }),
        ));
    }
    if let Some(e) = cur.filter(|e| e.state == RECOVERING && e.at >= hold.at) {
        return recovering_since(e);
    }
    // Back below RECOVERING: it must have been passed through after the
    // hold, for its whole dwell.
    let pos = entries
        .iter()
        .rposition(|e| e.state == RECOVERING && e.at >= hold.at);
    let Some(pos) = pos else {
        return Err(OpsError::refused(
            format!(
                "{what}: {held_at}; the platform is {cur_state} now but never went through {RECOVERING} after it ({ledger}): recovery was not verified. Escalate it back and recover through {RECOVERING}"
            ),
            None,
        ));
    };
    let r = &entries[pos];
    let left = entries.get(pos + 1).map_or(now, |e| e.at);
    let lasted = left.as_millisecond() - r.at.as_millisecond();
    if lasted < need_ms {
        return Err(OpsError::refused(
            format!(
                "{what}: {held_at}; the platform was {RECOVERING} from {} ({ledger} #{}) for only {} of its {dwell} min dwell (policy/degraded.yaml)",
                format_ts(r.at),
                r.seq,
                fmt_min(lasted)
            ),
            None,
        ));
    }
    Ok(format!(
        "verified: {RECOVERING} from {} ({ledger} #{}) for {} >= min_dwell_minutes {dwell}; the platform is {cur_state} now",
        format_ts(r.at),
        r.seq,
        fmt_min(lasted)
    ))
}

/// When the platform's recovery for `inc` began: the first entry into
/// RECOVERING after the incident's last hold (HALTED, SAFE_MODE), or —
/// for an incident that never held it — the last entry into RECOVERING
/// recorded for it. Returns the time and the entry's seq in
/// `ledger/safety.jsonl`; `None` when no such entry exists.
///
/// # Errors
/// The policy or the safety ledger cannot be read.
pub fn recovery_began(
    ctx: &Context,
    inc: &Incident,
) -> Result<Option<(jiff::Timestamp, u64)>, OpsError> {
    let m = crate::state::machine(ctx)?;
    let entries = entries(ctx)?;
    let held = held_states(&m);
    let found = match last_hold(&m, &held, &entries, inc) {
        Some(h) => entries
            .iter()
            .find(|e| e.state == RECOVERING && e.at >= h.at),
        None => entries
            .iter()
            .rev()
            .find(|e| e.state == RECOVERING && e.incident.as_deref() == Some(inc.id.as_str())),
    };
    Ok(found.map(|e| (e.at, e.seq)))
}
