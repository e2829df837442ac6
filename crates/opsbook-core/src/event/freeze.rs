//! Events of `ledger/freeze.jsonl` (D-SAFE-FREEZE).

use serde::{Deserialize, Serialize};

use super::{LedgerEvent, double_option};

/// Every type of [`FreezeEvent`].
pub const TYPES: [&str; 4] = [
    "freeze_on",
    "freeze_off",
    "exception_added",
    "exception_closed",
];

/// One event of the freeze ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum FreezeEvent {
    /// The freeze turned on (or another reason added while on).
    FreezeOn(FreezeOn),
    /// Lifted.
    FreezeOff(FreezeOff),
    /// An exception.
    ExceptionAdded(ExceptionAdded),
    /// An exception closed before it expired.
    ExceptionClosed(ExceptionClosed),
}

impl LedgerEvent for FreezeEvent {}

/// `freeze_on`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeOn {
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// The incident: always written (maybe `null`) by an operator, only
    /// when there is one by an automatic trigger.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub incident: Option<Option<String>>,
    /// `operator`, `incident` or `safety`.
    #[serde(default)]
    pub source: String,
}

/// `freeze_off`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeOff {
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `exception_added`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionAdded {
    /// `EXC-<seq>`.
    #[serde(default)]
    pub id: String,
    /// Actions it unblocks.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// What could go wrong.
    #[serde(default)]
    pub risk: String,
    /// How to undo it.
    #[serde(default)]
    pub backout: String,
    /// Expiry, UTC.
    #[serde(default)]
    pub expires_at: String,
    /// Who approved it.
    #[serde(default)]
    pub approver: String,
    /// Approved by the requester.
    #[serde(default)]
    pub self_approved: bool,
    /// The confirmation a self-approval used.
    #[serde(default)]
    pub confirmation: Option<String>,
    /// The incident.
    #[serde(default)]
    pub incident: Option<String>,
}

/// `exception_closed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionClosed {
    /// `EXC-<seq>`.
    #[serde(default)]
    pub id: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}
