//! `policy/evidence.yaml`: bundle limits, signing, destinations, the spool,
//! retention and collection (D-EVD-*) (contract `policy-evidence`).
//!
//! The `redaction` section is kept as written: the redaction engine
//! (`opsbook_evidence::redact::RuleSet::from_policy`) compiles it, with its
//! own errors naming the class.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Size limits.
    #[serde(default)]
    pub limits: EvidenceLimits,
    /// Compression (only `zip`/`deflate` is built).
    #[serde(default)]
    pub compression: Option<Value>,
    /// Hashes and the signature.
    #[serde(default)]
    pub integrity: Integrity,
    /// What is never shipped unscanned (documented; the engine always fails closed).
    #[serde(default)]
    pub fail_closed: BTreeMap<String, String>,
    /// Redaction classes, as written (see the module docs).
    #[serde(default)]
    pub redaction: Option<Value>,
    /// Destinations, tried in order.
    #[serde(default)]
    pub destinations: Vec<DestinationDecl>,
    /// The local spool.
    #[serde(default)]
    pub spool: SpoolDecl,
    /// Retention.
    #[serde(default)]
    pub retention: Retention,
    /// Collection.
    #[serde(default)]
    pub collection: Collection,
}

impl PolicyDoc for Evidence {
    const FILE: PolicyFile = PolicyFile::Evidence;
}

impl Evidence {
    /// The document as the redaction engine reads it (`{"redaction": …}`).
    #[must_use]
    pub fn redaction_document(&self) -> Value {
        match &self.redaction {
            Some(r) => serde_json::json!({ "redaction": r }),
            None => serde_json::json!({}),
        }
    }
}

/// `limits`, bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLimits {
    /// Per file (larger: head + tail).
    #[serde(default)]
    pub max_file_bytes: Option<u64>,
    /// Per bundle.
    #[serde(default)]
    pub max_bundle_bytes: Option<u64>,
    /// Files per bundle.
    #[serde(default)]
    pub max_files: Option<u64>,
    /// Head and tail of a cut file.
    #[serde(default)]
    pub truncation: Truncation,
    /// Per-file scan budget, seconds.
    #[serde(default)]
    pub scan_seconds: Option<u64>,
}

/// `limits.truncation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    /// `head_tail`.
    #[serde(default)]
    pub strategy: Option<String>,
    /// Bytes kept from the start.
    #[serde(default)]
    pub head_bytes: Option<u64>,
    /// Bytes kept from the end.
    #[serde(default)]
    pub tail_bytes: Option<u64>,
}

/// `integrity`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integrity {
    /// `sha256`.
    #[serde(default)]
    pub hash: Option<String>,
    /// `manifest.json`.
    #[serde(default)]
    pub manifest: Option<String>,
    /// `SHA256SUMS`.
    #[serde(default)]
    pub sums_file: Option<String>,
    /// The signature.
    #[serde(default)]
    pub signature: Signature,
    /// The keyed hash recorded for sources that had redactions.
    #[serde(default)]
    pub source_hash: SourceHash,
}

/// `integrity.source_hash`: the key of the HMAC-SHA256 recorded instead of
/// the plain SHA-256 of a source that had redactions (a plain hash would
/// let a bundle's reader confirm a guessed secret offline).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHash {
    /// Where the key is (`env:VAR` holding the key file's path, or
    /// `file:PATH`); default `env:OPSBOOK_EVIDENCE_HASH_KEY`.
    #[serde(default)]
    pub key_ref: Option<String>,
}

/// `integrity.signature`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// `ed25519`.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// Where the secret key is (`env:VAR` or a path); default
    /// `env:OPSBOOK_EVIDENCE_SIGNING_KEY`.
    #[serde(default)]
    pub key_ref: Option<String>,
    /// What happens without a key.
    #[serde(default)]
    pub on_missing_key: Option<String>,
}

/// One destination.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationDecl {
    /// ID.
    #[serde(default)]
    pub id: Option<String>,
    /// `directory`, `unc` or `s3`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Directory or share.
    #[serde(default)]
    pub path: Option<String>,
    /// S3 endpoint.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// S3 bucket.
    #[serde(default)]
    pub bucket: Option<String>,
    /// S3 key prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// S3 region.
    #[serde(default)]
    pub region: Option<String>,
    /// Where the S3 keys are (`env:PREFIX`).
    #[serde(default)]
    pub credentials_ref: Option<String>,
    /// Object Lock on the bucket.
    #[serde(default)]
    pub object_lock: Option<bool>,
    /// For people.
    #[serde(default)]
    pub description: Option<String>,
}

/// `spool`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolDecl {
    /// Directory (`%VAR%` and `$env:VAR` expanded).
    #[serde(default)]
    pub path: Option<String>,
    /// Bytes of undelivered bundles before new collections are refused
    /// (default 10 GiB).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Minutes between automatic flushes.
    #[serde(default)]
    pub flush_interval_minutes: Option<u64>,
    /// Verify the destination copy before deleting the spool copy.
    #[serde(default)]
    pub verify_before_delete: Option<bool>,
    /// Minutes a bundle may wait before an alert.
    #[serde(default)]
    pub alert_after_minutes: Option<u64>,
}

/// `retention`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Days after the incident ends, by severity.
    #[serde(default)]
    pub by_severity: BTreeMap<String, i64>,
    /// Days for bundles not tied to an incident (default 180).
    #[serde(default)]
    pub unlinked_days: Option<i64>,
    /// Never pruned.
    #[serde(default)]
    pub never_prune: Vec<String>,
}

/// `collection`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    /// A command's timeout, seconds.
    #[serde(default)]
    pub command_timeout_seconds: Option<u64>,
    /// A command's captured output, bytes.
    #[serde(default)]
    pub max_command_output_bytes: Option<u64>,
    /// SNTP server the host's clock is compared with.
    #[serde(default)]
    pub clock_reference: Option<String>,
    /// Its timeout, ms (default 1500).
    #[serde(default)]
    pub clock_timeout_ms: Option<u64>,
}
