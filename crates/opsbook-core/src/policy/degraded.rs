//! `policy/degraded.yaml`: the degraded-mode state machine (D-SAFE-SM,
//! D-SAFE-NOFLAP), the post-recovery watch and the recovery-acceptance
//! checklist (contract `policy-degraded`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Degraded {
    /// The state at install time (default: the first state).
    #[serde(default)]
    pub initial: Option<String>,
    /// States, in file order.
    #[serde(default)]
    pub states: Vec<StateDecl>,
    /// Allowed transitions, in file order.
    #[serde(default)]
    pub transitions: Vec<TransitionDecl>,
    /// Anti-flap limits for automatic triggers.
    #[serde(default)]
    pub auto_escalation: AutoEscalation,
    /// The watch after RECOVERING → NORMAL.
    #[serde(default)]
    pub post_recovery_watch: PostRecoveryWatch,
    /// The checklist before RESOLVED.
    #[serde(default)]
    pub recovery_acceptance: RecoveryAcceptance,
}

impl PolicyDoc for Degraded {
    const FILE: PolicyFile = PolicyFile::Degraded;
}

/// One state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDecl {
    /// `NORMAL`, `HALTED`, …
    pub id: String,
    /// Higher = more restrictive.
    #[serde(default)]
    pub rank: i64,
    /// Minutes in this state before it may be de-escalated out of.
    #[serde(default)]
    pub min_dwell_minutes: i64,
    /// What the platform does in it.
    #[serde(default)]
    pub description: Option<String>,
    /// When it is entered.
    #[serde(default)]
    pub entry_conditions: Vec<String>,
    /// When it is left.
    #[serde(default)]
    pub exit_conditions: Vec<String>,
}

/// One allowed transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionDecl {
    /// From state.
    pub from: String,
    /// To state.
    pub to: String,
    /// `escalate` or `deescalate` (default: by rank).
    #[serde(default)]
    pub direction: Option<String>,
    /// `reason`, `evidence`, `high_danger_confirmation`, `recovery_acceptance`.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Whether an automatic source may take it.
    #[serde(default)]
    pub automatic: bool,
}

/// `auto_escalation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoEscalation {
    /// Automatic escalations allowed per rolling hour (none: unlimited).
    #[serde(default)]
    pub max_per_hour: Option<u32>,
    /// What happens once the limit is reached.
    #[serde(default)]
    pub on_limit: OnLimit,
}

/// `auto_escalation.on_limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnLimit {
    /// The state the next automatic trigger goes to instead.
    #[serde(default)]
    pub escalate_to: Option<String>,
    /// Severity of the page.
    #[serde(default)]
    pub notify: Option<String>,
}

/// `post_recovery_watch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRecoveryWatch {
    /// Minutes by incident severity (default P0 60, P1 30, P2 0).
    #[serde(default)]
    pub minutes: Option<BTreeMap<String, i64>>,
    /// Minutes when no incident severity is known (default 30).
    #[serde(default)]
    pub default_minutes: Option<i64>,
    /// What must hold before it ends, for people.
    #[serde(default)]
    pub exit_conditions: Vec<String>,
}

/// `recovery_acceptance`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryAcceptance {
    /// The checks, in the order they are asked.
    #[serde(default)]
    pub checks: Vec<AcceptanceCheck>,
}

/// One recovery-acceptance check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptanceCheck {
    /// `reconciliation_ok`, …
    pub id: String,
    /// Bilingual title.
    #[serde(default)]
    pub title: Title,
    /// The question asked.
    #[serde(default)]
    pub question: String,
}

/// A title in English and Japanese.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    /// English.
    #[serde(default)]
    pub en: String,
    /// Japanese.
    #[serde(default)]
    pub ja: String,
}
