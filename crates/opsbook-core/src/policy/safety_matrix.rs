//! `policy/safety-matrix.yaml`: every action in every safety state is
//! ALLOW, CONFIRM or DENY (D-SAFE-MATRIX), and the one-person high-danger
//! confirmation (D-SAFE-CONFIRM, D-HUMAN-FATIGUE) (contract
//! `policy-safety-matrix`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// A decision of the safety actions matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Decision {
    /// May be done.
    Allow,
    /// Only after the high-danger confirmation.
    Confirm,
    /// Refused in this state.
    Deny,
}

impl Decision {
    /// `ALLOW`, `CONFIRM`, `DENY`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "ALLOW",
            Decision::Confirm => "CONFIRM",
            Decision::Deny => "DENY",
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafetyMatrix {
    /// What each decision means, for people.
    #[serde(default)]
    pub decisions: BTreeMap<String, String>,
    /// Actions, in file order.
    #[serde(default)]
    pub actions: Vec<ActionDecl>,
    /// action → state → decision.
    #[serde(default)]
    pub matrix: BTreeMap<String, BTreeMap<String, Decision>>,
    /// The high-danger confirmation (defaults when absent).
    #[serde(default)]
    pub confirmation: Option<ConfirmationDecl>,
}

impl PolicyDoc for SafetyMatrix {
    const FILE: PolicyFile = PolicyFile::SafetyMatrix;
}

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDecl {
    /// `release_halt`, …
    pub id: String,
    /// T0, T1, T2.
    #[serde(default)]
    pub tier: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
}

/// `confirmation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfirmationDecl {
    /// Questions that must each be answered yes.
    #[serde(default)]
    pub checklist: Vec<QuestionDecl>,
    /// Pause between the two typings of the target, seconds (default 180).
    #[serde(default)]
    pub cooling_off_seconds: Option<u64>,
    /// Validity, minutes (default 15).
    #[serde(default)]
    pub valid_minutes: Option<i64>,
    /// Fatigue thresholds.
    #[serde(default)]
    pub fatigue: FatigueDecl,
}

/// One checklist question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionDecl {
    /// Stable ID (answers files use it).
    pub id: String,
    /// The question.
    pub question: String,
}

/// `confirmation.fatigue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FatigueDecl {
    /// Awake longer than this, hours (default 16).
    #[serde(default)]
    pub max_hours_awake: Option<f64>,
    /// Slept less than this in 24 h, hours (default 5).
    #[serde(default)]
    pub min_hours_slept: Option<f64>,
    /// On the incident longer than this, hours (default 8).
    #[serde(default)]
    pub max_hours_on_incident: Option<f64>,
    /// `[start, end)` local hours counted as night (default 0–6).
    #[serde(default)]
    pub night_hours_local: Option<(u8, u8)>,
}
