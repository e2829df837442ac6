//! Events of `ledger/custody.jsonl`, the evidence chain of custody
//! (D-EVD-BUNDLE, D-EVD-SPOOL, D-EVD-LIMITS). Paths and destinations are
//! recorded without credentials.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::LedgerEvent;

/// Every type of [`CustodyEvent`].
pub const TYPES: [&str; 16] = [
    "collect_started",
    "collect_refused",
    "collected",
    "redacted",
    "sealed",
    "signed",
    "unsigned",
    "spooled",
    "transfer_attempt",
    "transfer_ok",
    "transfer_failed",
    "remote_verify_ok",
    "spool_removed",
    "hold_placed",
    "hold_released",
    "retention_delete",
];

/// One event of the custody ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum CustodyEvent {
    /// Collection began.
    CollectStarted(CollectStarted),
    /// No bundle released (fail closed).
    CollectRefused(CollectRefused),
    /// What went in.
    Collected(Collected),
    /// Redactions by class.
    Redacted(Redacted),
    /// Sealed: the bundle's hash.
    Sealed(Sealed),
    /// Signed: the signature's hash and the custody head it pins.
    Signed(Signed),
    /// Sealed without a signature, and why.
    Unsigned(Unsigned),
    /// In the local spool.
    Spooled(BundleAt),
    /// Delivery began.
    TransferAttempt(TransferAttempt),
    /// Delivered.
    TransferOk(TransferOk),
    /// Delivery failed.
    TransferFailed(TransferFailed),
    /// The destination copy re-hashed.
    RemoteVerifyOk(RemoteVerifyOk),
    /// The spool copy removed (after verification).
    SpoolRemoved(BundleAt),
    /// A hold placed.
    HoldPlaced(Hold),
    /// A hold released.
    HoldReleased(Hold),
    /// Deleted past retention.
    RetentionDelete(RetentionDelete),
}

impl LedgerEvent for CustodyEvent {}

/// `collect_started`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectStarted {
    /// The incident.
    #[serde(default)]
    pub incident: String,
    /// The runbook followed.
    #[serde(default)]
    pub runbook: Option<String>,
    /// Sources (`command:NAME` or a path), scrubbed.
    #[serde(default)]
    pub sources: Vec<String>,
    /// What the runbook asks for.
    #[serde(default)]
    pub required_evidence: Vec<String>,
    /// The rule set's fingerprint.
    #[serde(default)]
    pub rules_version: String,
}

/// `collect_refused`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectRefused {
    /// The incident.
    #[serde(default)]
    pub incident: String,
    /// Why.
    #[serde(default)]
    pub why: String,
}

/// `collected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collected {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// Files in it.
    #[serde(default)]
    pub files: usize,
    /// Sources left out.
    #[serde(default)]
    pub excluded: usize,
}

/// `redacted`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redacted {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// Redactions by class.
    #[serde(default)]
    pub redactions: BTreeMap<String, usize>,
    /// The rule set's fingerprint.
    #[serde(default)]
    pub rules_version: String,
}

/// `sealed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// Its size, bytes.
    #[serde(default)]
    pub size: u64,
    /// The manifest's SHA-256.
    #[serde(default)]
    pub manifest_sha256: String,
}

/// `signed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// The signature file's SHA-256.
    #[serde(default)]
    pub signature_sha256: String,
    /// The hash of the `sealed` event the signature pins.
    #[serde(default)]
    pub custody_head: String,
}

/// `unsigned`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsigned {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// Why.
    #[serde(default)]
    pub why: String,
}

/// `spooled`, `spool_removed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleAt {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// Where.
    #[serde(default)]
    pub path: String,
}

/// `transfer_attempt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferAttempt {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// The spool copy.
    #[serde(default)]
    pub from: String,
    /// The destination (without credentials).
    #[serde(default)]
    pub to: String,
}

/// `transfer_ok`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOk {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// The destination.
    #[serde(default)]
    pub to: String,
}

/// `transfer_failed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferFailed {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// The destination.
    #[serde(default)]
    pub to: String,
    /// Why (without credentials).
    #[serde(default)]
    pub error: String,
}

/// `remote_verify_ok`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteVerifyOk {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// Where the verified copy is.
    #[serde(default)]
    pub at: String,
}

/// `hold_placed`, `hold_released`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Bundle or incident ID.
    #[serde(default)]
    pub target: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `retention_delete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionDelete {
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: String,
    /// The ZIP's SHA-256.
    #[serde(default)]
    pub sha256: String,
    /// The destination it was deleted from.
    #[serde(default)]
    pub at: String,
    /// Why.
    #[serde(default)]
    pub why: String,
}
