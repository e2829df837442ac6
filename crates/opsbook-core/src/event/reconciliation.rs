//! Events of `ledger/reconciliation.jsonl` (D-DATA-RECON, D-DATA-RERECON):
//! a reconciliation report stored in the SSOT (with the SHA-256 of the
//! report and of every input, the parameters and the tool version), and an
//! operator's decision to accept one break.

use serde::{Deserialize, Serialize};

use super::LedgerEvent;

/// Every type of [`ReconciliationEvent`].
pub const TYPES: [&str; 2] = ["report_stored", "break_accepted"];

/// One event of the reconciliation ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ReconciliationEvent {
    /// A report written to `recon/reports/<ID>.json`.
    ReportStored(ReportStored),
    /// A break (or an error finding) accepted by an operator.
    BreakAccepted(BreakAccepted),
}

impl LedgerEvent for ReconciliationEvent {}

/// One input of a stored report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInput {
    /// Role: `internal`, `exchange`, `orders`, `opening`, `previous_internal`, `previous_exchange`.
    #[serde(default)]
    pub role: String,
    /// The path as given.
    #[serde(default)]
    pub path: String,
    /// Format (`opsbook`, `binance-mytrades`, a profile's name).
    #[serde(default)]
    pub format: String,
    /// SHA-256 of the input, hex.
    #[serde(default)]
    pub sha256: String,
    /// Size, bytes.
    #[serde(default)]
    pub bytes: u64,
}

/// `report_stored`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportStored {
    /// Report ID (`REC-YYYYMMDD-<10 hex>`).
    #[serde(default)]
    pub report: String,
    /// The stored file, relative to the root (`recon/reports/<ID>.json`).
    #[serde(default)]
    pub path: String,
    /// SHA-256 of the stored file, hex.
    #[serde(default)]
    pub sha256: String,
    /// `fills`, `orders`, `balances`, `positions` or `transfers`.
    #[serde(default)]
    pub kind: String,
    /// `clean`, `breaks` or `pending_only`.
    #[serde(default)]
    pub verdict: String,
    /// Number of breaks.
    #[serde(default)]
    pub breaks: u64,
    /// The point in time judged (RFC 3339, UTC).
    #[serde(default)]
    pub as_of: String,
    /// Start of the window both sides cover, ms (absent: unknown).
    #[serde(default)]
    pub window_start_ms: Option<i64>,
    /// End of the window (`as_of`), ms.
    #[serde(default)]
    pub window_end_ms: i64,
    /// Grace window, ms.
    #[serde(default)]
    pub grace_ms: i64,
    /// Timestamp tolerance, ms.
    #[serde(default)]
    pub tolerance_ms: i64,
    /// Every input with its SHA-256.
    #[serde(default)]
    pub inputs: Vec<StoredInput>,
    /// Tool name (`opsbook-recon`).
    #[serde(default)]
    pub tool: String,
    /// Tool version.
    #[serde(default)]
    pub version: String,
    /// The report this one re-checks (`reconcile recheck`).
    #[serde(default)]
    pub previous: Option<String>,
}

/// `break_accepted`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakAccepted {
    /// The break's ID (`R…`) or an error finding's (`F…`).
    #[serde(default)]
    pub break_id: String,
    /// The report it was accepted in.
    #[serde(default)]
    pub report: String,
    /// Its class (`finding` for a finding).
    #[serde(default)]
    pub class: String,
    /// SHA-256 of the break's values (class, key, fields and records without
    /// file and line): a break whose values change is no longer accepted.
    #[serde(default)]
    pub pin: String,
    /// Why the operator accepts it.
    #[serde(default)]
    pub reason: String,
}
