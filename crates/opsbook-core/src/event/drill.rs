//! Events of `ledger/drills.jsonl` (D-RB-STALE).

use serde::{Deserialize, Serialize};

use super::LedgerEvent;

/// Every type of [`DrillEvent`].
pub const TYPES: [&str; 1] = ["drill_recorded"];

/// One event of the drills ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum DrillEvent {
    /// A drill's result.
    DrillRecorded(DrillRecorded),
}

impl LedgerEvent for DrillEvent {}

/// `drill_recorded`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillRecorded {
    /// Drill ID.
    #[serde(default)]
    pub drill: String,
    /// The runbook it exercises.
    #[serde(default)]
    pub runbook: String,
    /// `pass` or `fail`.
    #[serde(default)]
    pub result: String,
    /// Evidence reference.
    #[serde(default)]
    pub evidence: String,
    /// Date of the drill.
    #[serde(default)]
    pub date: String,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
}
