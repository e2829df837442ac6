//! Events of an incident's log, `incidents/<ID>/events.jsonl` (D-INC-*).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{LedgerEvent, double_option};

/// Every type of [`IncidentEvent`].
pub const TYPES: [&str; 14] = [
    "opened",
    "status_changed",
    "severity_changed",
    "decision",
    "safety_decision",
    "note",
    "scope",
    "evidence_attached",
    "linked",
    "recovery_acceptance",
    "postmortem_attached",
    "merged",
    "correction",
    "runbook_step",
];

/// One event of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum IncidentEvent {
    /// The first event: title, severity and how it was decided.
    Opened(Opened),
    /// A status change (with the commander on ACKED).
    StatusChanged(StatusChanged),
    /// Severity recomputed from new facts, or stated.
    SeverityChanged(SeverityChanged),
    /// A decision-log entry.
    Decision(Decision),
    /// The platform's safety state decided (before MITIGATING).
    SafetyDecision(SafetyDecision),
    /// A note on the timeline.
    Note(Note),
    /// Impact and scope.
    Scope(Scope),
    /// An evidence reference with its SHA-256.
    EvidenceAttached(EvidenceAttached),
    /// A link to another incident.
    Linked(Linked),
    /// The recovery-acceptance answers.
    RecoveryAcceptance(RecoveryAcceptance),
    /// The postmortem attached at CLOSED.
    PostmortemAttached(PostmortemAttached),
    /// Merged into another incident.
    Merged(Merged),
    /// A correction of an earlier event.
    Correction(Correction),
    /// A runbook step done or skipped (`opsbook p0`).
    RunbookStep(RunbookStep),
}

impl LedgerEvent for IncidentEvent {}

/// `opened`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Opened {
    /// One line, as the operator sees it.
    #[serde(default)]
    pub title: String,
    /// P0, P1 or P2.
    #[serde(default)]
    pub severity: String,
    /// Facts stated (severity from facts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<BTreeMap<String, Value>>,
    /// The rule that matched (`null`: the default severity), with facts.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub rule: Option<Option<String>>,
    /// Facts assumed true because not stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed: Option<Vec<String>>,
    /// Why this severity (stated severity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Detected (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<String>,
    /// Impact started (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_started_at: Option<String>,
    /// Incident commander.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commander: Option<String>,
    /// A drill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<bool>,
}

/// `status_changed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanged {
    /// From status.
    #[serde(default)]
    pub from: String,
    /// To status.
    #[serde(default)]
    pub to: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The incident commander (ACKED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commander: Option<String>,
}

/// `severity_changed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeverityChanged {
    /// From severity.
    #[serde(default)]
    pub from: String,
    /// New or changed facts (recomputed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<BTreeMap<String, Value>>,
    /// The rule over all facts (recomputed).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub rule: Option<Option<String>>,
    /// To severity.
    #[serde(default)]
    pub to: String,
    /// Why (required to lower).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `decision`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What was decided.
    #[serde(default)]
    pub decision: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Alternatives considered and rejected.
    #[serde(default)]
    pub alternatives: Vec<String>,
}

/// `safety_decision`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyDecision {
    /// The safety state decided.
    #[serde(default)]
    pub to: String,
    /// What was decided.
    #[serde(default)]
    pub decision: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Alternatives (`incident decide`; absent when `safety set` recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<Vec<String>>,
}

/// `note`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The text.
    #[serde(default)]
    pub text: String,
}

/// `scope`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<Vec<String>>,
    /// Checked and not affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_affected: Option<Vec<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Detected (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<String>,
    /// Impact started (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_started_at: Option<String>,
    /// Impact ended (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_ended_at: Option<String>,
}

/// `evidence_attached`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceAttached {
    /// Bundle ID, file path or URL.
    #[serde(default, rename = "ref")]
    pub reference: String,
    /// SHA-256, lower-case hex.
    #[serde(default)]
    pub sha256: String,
    /// `bundle`, `file` or `url`.
    #[serde(default)]
    pub kind: String,
    /// Size of a file, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// What it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The merged duplicate it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_incident: Option<String>,
}

/// `linked`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linked {
    /// The other incident.
    #[serde(default)]
    pub incident_id: String,
    /// `parent`, `child`, `related`, `duplicate_of`, `duplicate`.
    #[serde(default)]
    pub relation: String,
}

/// `recovery_acceptance`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryAcceptance {
    /// The answers, in policy order.
    #[serde(default)]
    pub checks: Vec<CheckAnswer>,
    /// Whether every check passed.
    #[serde(default)]
    pub passed: bool,
}

/// One answered recovery-acceptance check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAnswer {
    /// Check ID from the policy.
    pub id: String,
    /// `pass` or `fail`.
    pub result: String,
    /// Evidence reference for the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `postmortem_attached`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostmortemAttached {
    /// `incidents/<ID>/postmortem.md`.
    #[serde(default)]
    pub path: String,
    /// Its SHA-256.
    #[serde(default)]
    pub sha256: String,
}

/// `merged`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    /// The surviving incident.
    #[serde(default)]
    pub into: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `correction`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The seq corrected.
    #[serde(default)]
    pub corrects_seq: u64,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// The corrected text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `runbook_step`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookStep {
    /// Runbook ID.
    #[serde(default)]
    pub runbook: String,
    /// The step: a number, or a name.
    pub step: StepId,
    /// Declared tier.
    #[serde(default)]
    pub tier: String,
    /// `done` or `skipped`.
    #[serde(default)]
    pub result: String,
    /// What the operator saw.
    #[serde(default)]
    pub note: String,
}

/// A runbook step's number (`{step=3}`) or name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StepId {
    /// `3`.
    Number(u64),
    /// Anything else.
    Name(String),
}

impl StepId {
    /// From the runbook's `step=` attribute.
    #[must_use]
    pub fn parse(s: &str) -> StepId {
        s.parse()
            .map_or_else(|_| StepId::Name(s.to_string()), StepId::Number)
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepId::Number(n) => write!(f, "{n}"),
            StepId::Name(s) => f.write_str(s),
        }
    }
}
