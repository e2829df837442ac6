//! An incident's state as its events make it ([`Incident`]: scope, decisions,
//! evidence, links, acceptance, durations) and the guards that refuse a
//! transition ([`Guards`], [`GuardError`], D-ORDER).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::*;
use crate::ledger::{Actor, Event};

/// A scope declaration (D-INC-SCOPE).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scope {
    /// Event that declared it.
    pub seq: u64,
    /// When (UTC).
    pub ts: String,
    /// What is affected.
    pub affected: Vec<String>,
    /// What was checked and is not affected.
    pub not_affected: Vec<String>,
    /// Free text.
    pub text: Option<String>,
}

/// A decision-log entry: decisions, safety decisions, status and severity changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Event.
    pub seq: u64,
    /// When (UTC).
    pub ts: String,
    /// `decision`, `safety_decision`, `status_changed`, `severity_changed`, `merged`.
    pub kind: String,
    /// What was decided (for status/severity: `FROM → TO`).
    pub decision: String,
    /// Why.
    pub reason: Option<String>,
    /// Alternatives considered and rejected.
    pub alternatives: Vec<String>,
    /// Who.
    pub actor: String,
}

/// An evidence reference (bundle ID, file or URL) with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    /// Event.
    pub seq: u64,
    /// The reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// `bundle`, `file` or `url`.
    pub kind: String,
}

/// A link to another incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Event.
    pub seq: u64,
    /// The other incident.
    pub incident_id: String,
    /// `parent`, `child`, `related`, `duplicate_of`, `duplicate`.
    pub relation: String,
}

pub use crate::event::incident::CheckAnswer;

/// The latest recovery acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// Event.
    pub seq: u64,
    /// Whether every check passed.
    pub passed: bool,
    /// The answers.
    pub checks: Vec<CheckAnswer>,
}

/// Durations between the milestones, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    /// Detected → acknowledged (time to acknowledge).
    pub to_ack_ms: Option<i64>,
    /// Detected → mitigated (first MONITORING).
    pub to_mitigate_ms: Option<i64>,
    /// Detected → resolved (time to resolve).
    pub to_resolve_ms: Option<i64>,
}

/// An incident as replayed from its events.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// ID, e.g. `INC-20261129-001`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Current severity.
    pub severity: String,
    /// Current status.
    pub status: Status,
    /// A drill (tabletop or stage), not a real incident.
    pub drill: bool,
    /// Incident commander, when named.
    pub commander: Option<String>,
    /// Declared (the `opened` event), UTC.
    pub opened_at: String,
    /// Detected, UTC (defaults to `opened_at`).
    pub detected_at: Option<String>,
    /// Impact started, UTC, when known.
    pub impact_started_at: Option<String>,
    /// Impact ended, UTC, when known.
    pub impact_ended_at: Option<String>,
    /// First ACKED.
    pub acked_at: Option<String>,
    /// First MITIGATING.
    pub mitigating_at: Option<String>,
    /// First MONITORING (mitigated).
    pub mitigated_at: Option<String>,
    /// First RESOLVED.
    pub resolved_at: Option<String>,
    /// CLOSED, CANCELLED or MERGED.
    pub ended_at: Option<String>,
    /// The incident this one was merged into.
    pub merged_into: Option<String>,
    /// Facts stated at opening and since.
    pub facts: BTreeMap<String, Value>,
    /// Scope declarations, oldest first (history kept).
    pub scope: Vec<Scope>,
    /// The decision log.
    pub decisions: Vec<Decision>,
    /// Safety decisions count (`safety_decision` events).
    pub safety_decisions: usize,
    /// Evidence references.
    pub evidence: Vec<EvidenceRef>,
    /// Links.
    pub links: Vec<Link>,
    /// The latest recovery acceptance.
    pub acceptance: Option<Acceptance>,
    /// The attached postmortem (path, sha256).
    pub postmortem: Option<(String, String)>,
    /// Corrections: corrected seq → (correcting seq, reason, replacement text).
    pub corrections: BTreeMap<u64, (u64, String, Option<String>)>,
    /// Order violations found while replaying (a log written around the
    /// guards): (seq, message).
    pub violations: Vec<(u64, String)>,
    /// Every event.
    #[serde(skip)]
    pub events: Vec<Event>,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Not a legal next status.
    #[error("{id} is {from}; {to} is not allowed next ({allowed})")]
    Illegal {
        /// Incident.
        id: String,
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
        /// Allowed next statuses, comma-separated (or "none: terminal").
        allowed: String,
    },
    /// A guard of D-ORDER is not met.
    #[error(
        "{id}: {to} refused: {missing} (D-ORDER: safe → evidence → observe → recover → verify → learn)"
    )]
    Order {
        /// Incident.
        id: String,
        /// Requested status.
        to: Status,
        /// What is missing.
        missing: Missing,
    },
}

/// What a D-ORDER guard found missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Missing {
    /// The status asked for is the current one.
    #[error("it is already {0}")]
    Already(Status),
    /// No `safety_decision` before MITIGATING.
    #[error("no safety decision recorded yet")]
    SafetyDecision,
    /// No `evidence_attached` before RESOLVED.
    #[error("no evidence attached")]
    Evidence,
    /// No passed recovery acceptance before RESOLVED; the checks that failed.
    #[error("{}", if .0.is_empty() { "recovery acceptance has not passed".to_string() } else { format!("recovery acceptance failed on: {}", .0.join(", ")) })]
    Acceptance(Vec<String>),
    /// Children not RESOLVED yet (`ID (STATUS)`).
    #[error("child incidents not resolved yet: {}", .0.join(", "))]
    OpenChildren(Vec<String>),
    /// A P0/P1 closes only with a postmortem.
    #[error("a {0} incident closes only with a postmortem")]
    Postmortem(String),
    /// The postmortem does not pass.
    #[error("a {0} incident closes only with a postmortem whose action items pass: {problems}", problems = .1.join("; "))]
    PostmortemProblems(String, Vec<String>),
}

impl GuardError {
    /// The step that would let the transition go ahead.
    #[must_use]
    pub fn next(&self) -> Option<crate::next::NextStep> {
        use crate::next::NextStep;
        let GuardError::Order { id, missing, .. } = self else {
            return None;
        };
        let incident = id.clone();
        Some(match missing {
            Missing::SafetyDecision => NextStep::DecideSafety { incident },
            Missing::Evidence => NextStep::AttachEvidence { incident },
            Missing::Acceptance(failing) => NextStep::AnswerAcceptance {
                incident: Some(incident),
                failing: failing.clone(),
            },
            Missing::Postmortem(_) => NextStep::DraftPostmortem { incident },
            Missing::Already(_) | Missing::OpenChildren(_) | Missing::PostmortemProblems(..) => {
                return None;
            }
        })
    }
}

/// What the caller (which knows the SSOT) found about the postmortem, for
/// the CLOSED guard of P0/P1 incidents.
#[derive(Debug, Clone, Default)]
pub struct Guards {
    /// `Ok(())` when `postmortem.md` exists, matches the contract and its
    /// action items pass the rules; `Err(problems)` otherwise. `None`: not checked.
    pub postmortem: Option<Result<(), Vec<String>>>,
    /// Child incidents that are not yet RESOLVED (a parent waits for them).
    pub open_children: Vec<String>,
}

pub(crate) fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn strs(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn actor_name(a: &Actor) -> String {
    match &a.name {
        Some(n) => format!("{n} ({}@{})", a.user, a.host),
        None => format!("{}@{}", a.user, a.host),
    }
}

/// Milliseconds from `a` to `b` (RFC 3339 strings).
#[must_use]
pub fn millis_between(a: &str, b: &str) -> Option<i64> {
    let a: jiff::Timestamp = a.parse().ok()?;
    let b: jiff::Timestamp = b.parse().ok()?;
    Some(b.as_millisecond() - a.as_millisecond())
}
