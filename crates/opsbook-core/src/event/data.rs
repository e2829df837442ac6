//! Events of `ledger/data.jsonl`: what opsbook did to market data
//! (D-DATA-REPAIR, D-DATA-DESTRUCTIVE) — marks written beside data files,
//! files set aside into quarantine, and version-pointer switches (the only
//! destructive recovery offered, T2). The sidecars and manifests beside the
//! data are the data-side record; this ledger is the SSOT's.

use serde::{Deserialize, Serialize};

use super::LedgerEvent;

/// Every type of [`DataEvent`].
pub const TYPES: [&str; 3] = ["data_marked", "data_quarantined", "data_version_switched"];

/// One event of the data ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum DataEvent {
    /// Findings written into marks sidecars.
    DataMarked(DataMarked),
    /// Files set aside into quarantine.
    DataQuarantined(DataQuarantined),
    /// A version pointer switched to a new data version.
    DataVersionSwitched(DataVersionSwitched),
}

impl LedgerEvent for DataEvent {}

/// One sidecar written by a mark.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedFile {
    /// The sidecar (`<data file>.marks.jsonl`).
    #[serde(default)]
    pub sidecar: String,
    /// SHA-256 of the data file marked.
    #[serde(default)]
    pub sha256: String,
    /// Marks added.
    #[serde(default)]
    pub added: u64,
    /// Marks already there.
    #[serde(default)]
    pub kept: u64,
}

/// `data_marked`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataMarked {
    /// The sidecars written.
    #[serde(default)]
    pub files: Vec<MarkedFile>,
    /// The incident, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

/// One file set aside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedFile {
    /// Where it was.
    #[serde(default)]
    pub original: String,
    /// Where it is now.
    #[serde(default)]
    pub quarantined: String,
    /// Its SHA-256 (verified equal at both places).
    #[serde(default)]
    pub sha256: String,
    /// Its size, bytes.
    #[serde(default)]
    pub bytes: u64,
}

/// `data_quarantined`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataQuarantined {
    /// The quarantine directory.
    #[serde(default)]
    pub dest: String,
    /// `move`, `link` or `copy`.
    #[serde(default)]
    pub mode: String,
    /// The files.
    #[serde(default)]
    pub files: Vec<QuarantinedFile>,
    /// SHA-256 of `<dest>/quarantine.jsonl` after this quarantine.
    #[serde(default)]
    pub manifest_sha256: String,
    /// The incident, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

/// `data_version_switched` (T2, D-DATA-DESTRUCTIVE).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataVersionSwitched {
    /// The pointer file.
    #[serde(default)]
    pub pointer: String,
    /// The version it named before (empty when new): the backout.
    #[serde(default)]
    pub previous: String,
    /// The version it names now.
    #[serde(default)]
    pub current: String,
    /// The high-danger confirmation used (`CNF-<seq>`).
    #[serde(default)]
    pub confirmation: String,
    /// The evidence bundle sealed before the switch (`EVB-…`).
    #[serde(default)]
    pub evidence: String,
    /// The incident.
    #[serde(default)]
    pub incident: String,
}
