//! What the safety state is and allows, read-only: `safety status`,
//! `history`, `can` (matrix ∧ freeze) and `matrix`.

use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::{self, Event};
use opsbook_core::safety::{self, Answer, Decision};
use serde::Serialize;

use crate::state::{current, machine, matrix};
use crate::{Context, OpsError};

/// One transition out of the current state.
#[derive(Debug, Clone, Serialize)]
pub struct NextTransition {
    /// To.
    pub to: String,
    /// `escalate` or `deescalate`.
    pub direction: &'static str,
    /// What it needs.
    pub requires: Vec<String>,
    /// Whether automatic sources may take it.
    pub automatic: bool,
}

/// `safety status`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The state.
    pub state: String,
    /// Since (UTC).
    pub since: Option<String>,
    /// Why it was entered.
    pub reason: Option<String>,
    /// How it was entered: `hook` (the platform hook switched it), `manual`
    /// (switched by hand, recorded with `--manual`), `no_hook` (no hook
    /// configured: opsbook switched nothing); absent for the initial state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switched: Option<opsbook_core::event::safety::Switched>,
    /// The incident.
    pub incident: Option<String>,
    /// Its rank.
    pub rank: Option<i64>,
    /// Its minimum dwell, minutes.
    pub min_dwell_minutes: i64,
    /// Not de-escalated before (UTC).
    pub deescalate_after: Option<String>,
    /// What may come next.
    pub next: Vec<NextTransition>,
    /// A hook attempt without a recorded result.
    pub pending_hook: Option<String>,
    /// The post-recovery watch running.
    pub watch: Option<Watch>,
    /// Changes frozen (assumed when the freeze cannot be judged).
    pub frozen: bool,
}

/// A running post-recovery watch.
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    /// Until (UTC).
    pub until: String,
    /// The incident.
    pub incident: Option<String>,
}

/// The current state, since when, and what may come next.
///
/// # Errors
/// The policy or the ledger cannot be read.
pub fn status(ctx: &Context) -> Result<Status, OpsError> {
    let (m, cur) = current(ctx)?;
    let def = m.state(&cur.state);
    let dwell = def.map_or(0, |d| d.min_dwell_minutes);
    let deescalate_after = cur
        .since
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .and_then(|s| {
            jiff::Timestamp::from_millisecond(
                s.as_millisecond()
                    .saturating_add(dwell.saturating_mul(60_000)),
            )
            .ok()
        })
        .map(ledger::format_ts);
    // The one freeze verdict; when it cannot be judged, changes count as
    // frozen (fail closed) and the operator is told why.
    let frozen = match crate::freeze::verdict(ctx, "deploy_code") {
        Ok((v, _, _)) => v.frozen,
        Err(e) => {
            ctx.warn(format!("warning: {e}; shown as frozen"));
            true
        }
    };
    Ok(Status {
        next: m
            .next(&cur.state)
            .iter()
            .map(|t| NextTransition {
                to: t.to.clone(),
                direction: if t.escalate { "escalate" } else { "deescalate" },
                requires: t.requires.clone(),
                automatic: t.automatic,
            })
            .collect(),
        state: cur.state.clone(),
        since: cur.since.clone(),
        reason: cur.reason.clone(),
        switched: cur.switched,
        incident: cur.incident.clone(),
        rank: def.map(|d| d.rank),
        min_dwell_minutes: dwell,
        deescalate_after,
        pending_hook: cur.pending_hook.clone(),
        watch: cur.watch.as_ref().map(|(u, i)| Watch {
            until: u.clone(),
            incident: i.clone(),
        }),
        frozen,
    })
}

/// The safety ledger's events, oldest first (the last `last` only).
///
/// # Errors
/// A broken ledger.
pub fn history(ctx: &Context, last: Option<usize>) -> Result<Vec<Event>, OpsError> {
    let events = ledger::read(&ctx.layout.ledger(LedgerFile::Safety))?;
    let skip = last.map_or(0, |n| events.len().saturating_sub(n));
    Ok(events[skip..].to_vec())
}

/// `safety can`: the matrix's answer, and the freeze on top for the
/// current state.
#[derive(Debug, Clone, Serialize)]
pub struct Can {
    /// The matrix's answer, turned to DENY when a freeze blocks it.
    #[serde(flatten)]
    pub answer: Answer,
    /// The freeze verdict (current state only).
    pub freeze: Option<opsbook_core::freeze::Verdict>,
}

/// May `action` be done now (or in `state`)? Matrix ∧ freeze.
///
/// # Errors
/// A state that is not one; the policies or ledgers cannot be read.
pub fn can(ctx: &Context, action: &str, state: Option<&str>) -> Result<Can, OpsError> {
    let m = machine(ctx)?;
    let mx = matrix(ctx)?;
    let judged = match state {
        Some(s) => {
            let up = s.trim().to_ascii_uppercase();
            if m.state(&up).is_none() {
                return Err(OpsError::invalid(format!(
                    "--state `{s}` is not a safety state; policy/degraded.yaml has {}",
                    m.states
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            up
        }
        None => current(ctx)?.1.state,
    };
    let mut a = mx.can(action, &judged);
    let mut freeze_v = None;
    if state.is_none() && a.decision != Decision::Deny {
        let (v, _, _) = crate::freeze::verdict(ctx, action)?;
        if !v.allowed {
            a.decision = Decision::Deny;
            a.why = format!(
                "the matrix says {} in {judged}, but {}",
                mx.can(action, &judged).decision.as_str(),
                v.why
            );
            a.next.clone_from(&v.next);
        }
        freeze_v = Some(v);
    }
    Ok(Can {
        answer: a,
        freeze: freeze_v,
    })
}

/// `safety matrix`: every action in every state.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixView {
    /// State IDs, in policy order.
    pub states: Vec<String>,
    /// Actions, in policy order.
    pub actions: Vec<safety::Action>,
    /// action → state → decision.
    pub matrix: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Decision>>,
    /// Each action's decision in each state, in order (unknown cells DENY).
    #[serde(skip)]
    pub rows: Vec<(safety::Action, Vec<Decision>)>,
}

/// The whole matrix.
///
/// # Errors
/// The policies cannot be read.
pub fn matrix_view(ctx: &Context) -> Result<MatrixView, OpsError> {
    let m = machine(ctx)?;
    let mx = matrix(ctx)?;
    let states: Vec<String> = m.states.iter().map(|s| s.id.clone()).collect();
    let rows = mx
        .actions
        .iter()
        .map(|a| {
            (
                a.clone(),
                states.iter().map(|s| mx.can(&a.id, s).decision).collect(),
            )
        })
        .collect();
    Ok(MatrixView {
        states,
        actions: mx.actions.clone(),
        matrix: mx.cells.clone(),
        rows,
    })
}
