//! Events of `ledger/confirmations.jsonl` (D-SAFE-CONFIRM, D-HUMAN-FATIGUE):
//! every answer of the one-person high-danger confirmation is recorded.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::LedgerEvent;

/// Every type of [`ConfirmationEvent`].
pub const TYPES: [&str; 7] = [
    "confirmation_started",
    "confirm_answer",
    "confirmation_refused",
    "confirmed",
    "confirmation_used",
    "confirmation_abandoned",
    "confirmation_expired",
];

/// One event of the confirmations ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ConfirmationEvent {
    /// A confirmation began (its ID is `confirmation`, `CNF-1`, `CNF-2`, …;
    /// in ledgers written before it was recorded, `CNF-<seq>` of this event).
    ConfirmationStarted(Started),
    /// One answer.
    ConfirmAnswer(Answer),
    /// Stopped.
    ConfirmationRefused(Refused),
    /// Passed: usable once until `valid_until`.
    Confirmed(Confirmed),
    /// Used by the action it confirmed.
    ConfirmationUsed(Used),
    /// Started and never answered to the end: closed when a confirmation
    /// of the same action started, or when its window passed.
    ConfirmationAbandoned(Abandoned),
    /// Passed, never used, and its `valid_until` passed.
    ConfirmationExpired(Expired),
}

impl LedgerEvent for ConfirmationEvent {}

/// `confirmation_started`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    /// `CNF-<n>`, numbered 1, 2, 3 … per ledger (absent in ledgers written
    /// before issue 13: the ID was `CNF-<seq>` of this event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
    /// The action.
    #[serde(default)]
    pub operation: String,
    /// Its target.
    #[serde(default)]
    pub target: String,
    /// T0, T1, T2.
    #[serde(default)]
    pub tier: String,
    /// The safety state then.
    #[serde(default)]
    pub state: String,
    /// The incident.
    #[serde(default)]
    pub incident: Option<String>,
}

/// `confirm_answer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// `CNF-<seq>`.
    #[serde(default)]
    pub confirmation: String,
    /// `fatigue`, `checklist`, `target`, `cooling_off`, `reason`.
    #[serde(default)]
    pub step: String,
    /// The question.
    #[serde(default)]
    pub question: String,
    /// The answer as given.
    #[serde(default)]
    pub answer: String,
}

/// `confirmation_refused`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// `CNF-<seq>`.
    #[serde(default)]
    pub confirmation: String,
    /// Why.
    #[serde(default)]
    pub why: String,
}

/// `confirmed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Confirmed {
    /// `CNF-<seq>`.
    #[serde(default)]
    pub confirmation: String,
    /// The action.
    #[serde(default)]
    pub operation: String,
    /// Its target.
    #[serde(default)]
    pub target: String,
    /// T0, T1, T2.
    #[serde(default)]
    pub tier: String,
    /// The safety state then.
    #[serde(default)]
    pub state: String,
    /// Usable until, UTC.
    #[serde(default)]
    pub valid_until: String,
    /// `{"check": SelfCheck, "over": [..]}`.
    #[serde(default)]
    pub fatigue: Value,
    /// Why a T2 action went ahead past a fatigue threshold.
    #[serde(default)]
    pub override_reason: Option<String>,
    /// Why now.
    #[serde(default)]
    pub reason: String,
    /// The incident.
    #[serde(default)]
    pub incident: Option<String>,
}

/// `confirmation_used`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    /// `CNF-<seq>`.
    #[serde(default)]
    pub confirmation: String,
    /// What used it.
    #[serde(default)]
    pub by: String,
}

/// `confirmation_abandoned`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Abandoned {
    /// `CNF-<n>`.
    #[serde(default)]
    pub confirmation: String,
    /// Why it is closed (`CNF-4 of the same action started`, `window of
    /// 15 min passed at …`).
    #[serde(default)]
    pub why: String,
}

/// `confirmation_expired`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expired {
    /// `CNF-<n>`.
    #[serde(default)]
    pub confirmation: String,
    /// The `valid_until` that passed (UTC).
    #[serde(default)]
    pub valid_until: String,
}
