//! Re-reconciliation (D-DATA-RERECON): run again with new exports and say
//! what happened to every break — resolved, still open, changed, new.
//!
//! Exchanges publish late fills, correct trades and confirm cancels late, so
//! a break is followed by its identity (its key, not its class): `pending`
//! that became `missing_internal` after the grace window is *changed*,
//! `pending` that matched is *resolved*. [`rerun`] repeats a reported run
//! with its parameters and a new `as_of`, and hands the previous run's
//! inputs to the engine as the baseline for `corrected` — after checking
//! they still hash to what the report recorded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::report::{Break, Class, FieldDiff, Report, Verdict};
use crate::{Input, ReconError, Request};

/// What happened to a break between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// In the previous report, not in this one (it matches now, or is gone).
    Resolved,
    /// In both, same class and same fields.
    StillOpen,
    /// In both, with another class or other values.
    Changed,
    /// Only in this report.
    New,
}

impl Transition {
    /// The transition's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Resolved => "resolved",
            Transition::StillOpen => "still_open",
            Transition::Changed => "changed",
            Transition::New => "new",
        }
    }
}

/// A break as one side of a transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakState {
    /// The break's ID in that report.
    pub id: String,
    /// Its class.
    pub class: Class,
    /// Its fields.
    pub fields: Vec<FieldDiff>,
}

impl From<&Break> for BreakState {
    fn from(b: &Break) -> Self {
        BreakState {
            id: b.id.clone(),
            class: b.class,
            fields: b.fields.clone(),
        }
    }
}

/// One break's transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What happened.
    pub transition: Transition,
    /// The key both reports share.
    pub key: Map<String, Value>,
    /// The break before (absent for `new`).
    pub previous: Option<BreakState>,
    /// The break now (absent for `resolved`).
    pub current: Option<BreakState>,
}

/// The transitions between two reports of the same kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recheck {
    /// Count per transition, every transition listed.
    pub counts: BTreeMap<Transition, u64>,
    /// The current report's verdict (what the exit code follows).
    pub verdict: Verdict,
    /// Per break, ordered: resolved, still open, changed, new; then by key.
    pub changes: Vec<Change>,
}

impl Recheck {
    /// The exit code: the current report's (0 clean, 1 breaks, 3 only pending).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.verdict.exit_code()
    }
}

/// Compares two reports break by break.
#[must_use]
pub fn recheck(previous: &Report, current: &Report) -> Recheck {
    let before: BTreeMap<String, &Break> =
        previous.breaks.iter().map(|b| (b.identity(), b)).collect();
    let now: BTreeMap<String, &Break> = current.breaks.iter().map(|b| (b.identity(), b)).collect();
    let mut changes = Vec::new();
    for (id, b) in &before {
        let (t, cur) = match now.get(id) {
            None => (Transition::Resolved, None),
            Some(c) if c.class == b.class && c.fields == b.fields => {
                (Transition::StillOpen, Some(*c))
            }
            Some(c) => (Transition::Changed, Some(*c)),
        };
        changes.push(Change {
            transition: t,
            key: b.key.clone(),
            previous: Some(BreakState::from(*b)),
            current: cur.map(BreakState::from),
        });
    }
    for (id, c) in &now {
        if !before.contains_key(id) {
            changes.push(Change {
                transition: Transition::New,
                key: c.key.clone(),
                previous: None,
                current: Some(BreakState::from(*c)),
            });
        }
    }
    changes.sort_by(|a, b| {
        a.transition
            .cmp(&b.transition)
            .then_with(|| crate::report::cmp_keys(&a.key, &b.key))
    });
    let mut counts: BTreeMap<Transition, u64> = [
        Transition::Resolved,
        Transition::StillOpen,
        Transition::Changed,
        Transition::New,
    ]
    .into_iter()
    .map(|t| (t, 0))
    .collect();
    for c in &changes {
        *counts.entry(c.transition).or_insert(0) += 1;
    }
    Recheck {
        counts,
        verdict: current.summary.verdict,
        changes,
    }
}

/// The new exports for a re-run.
#[derive(Debug, Clone)]
pub struct Rerun {
    /// Our records now.
    pub internal: Vec<Input>,
    /// Their records now.
    pub exchange: Vec<Input>,
    /// Orders now (fills: cancel times).
    pub orders: Vec<Input>,
    /// Opening balances or positions.
    pub opening: Vec<Input>,
    /// The new point in time judged.
    pub as_of: jiff::Timestamp,
}

/// The previous run's inputs of one role, ready to read again, and why any
/// could not be used (moved, or changed since: its hash differs).
#[must_use]
pub fn previous_inputs(previous: &Report, role: &str) -> (Vec<Input>, Vec<String>) {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for rec in previous.run.inputs.iter().filter(|i| i.role == role) {
        let sha = match crate::input::hash_file(std::path::Path::new(&rec.path)) {
            Ok(d) => d.sha256,
            Err(e) => {
                problems.push(format!(
                    "{}: cannot read the previous {role} input: {e}",
                    rec.path
                ));
                continue;
            }
        };
        if sha != rec.sha256 {
            problems.push(format!(
                "{}: the previous {role} input changed since the report (SHA-256 {sha}, recorded {})",
                rec.path, rec.sha256
            ));
            continue;
        }
        let spec = rec.profile.strip_prefix("builtin:").unwrap_or(&rec.profile);
        match Input::new(&rec.path, spec, None) {
            Ok(i) => ok.push(i),
            Err(e) => problems.push(format!("{}: {e}", rec.path)),
        }
    }
    (ok, problems)
}

/// Runs a reported reconciliation again on new exports (same kind, grace,
/// tolerance, history starts and precision; a new `as_of`), with the
/// previous run's inputs as the baseline for `corrected` (fills), and
/// returns the new report and the transitions.
///
/// Previous inputs that moved or changed are left out; each becomes a note
/// in the new report (corrections against them cannot be seen).
///
/// # Errors
/// As [`crate::reconcile`].
pub fn rerun(previous: &Report, new: Rerun) -> Result<(Report, Recheck), ReconError> {
    let pr = &previous.run;
    let ms = |v: Option<i64>| v.and_then(|m| jiff::Timestamp::from_millisecond(m).ok());
    let mut params = crate::Params::new(new.as_of);
    params.grace = jiff::SignedDuration::from_millis(pr.grace_ms);
    params.tolerance = jiff::SignedDuration::from_millis(pr.tolerance_ms);
    params.internal_since = ms(pr.internal_since_ms);
    params.exchange_since = ms(pr.exchange_since_ms);
    params.precision = pr
        .precision
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), rust_decimal::Decimal::from_str_exact(v).ok()?)))
        .collect();
    let mut req = Request::new(pr.kind, params);
    req.internal = new.internal;
    req.exchange = new.exchange;
    req.orders = new.orders;
    req.opening = new.opening;
    let mut notes = Vec::new();
    if pr.kind == crate::Kind::Fills {
        let (pi, a) = previous_inputs(previous, "internal");
        let (pe, b) = previous_inputs(previous, "exchange");
        req.previous_internal = pi;
        req.previous_exchange = pe;
        notes.extend(a);
        notes.extend(b);
    }
    let mut report = crate::reconcile(&req)?;
    for n in notes {
        report.findings.push(crate::report::Finding::new(
            crate::report::Severity::Note,
            "previous",
            "",
            None,
            format!("{n}; corrections since the previous run cannot be seen for it"),
        ));
    }
    report.finish();
    let rc = recheck(previous, &report);
    Ok((report, rc))
}
