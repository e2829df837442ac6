//! Events of `ledger/time.jsonl`: clock checks recorded by `opsbook time
//! check --record` (spec/time-integrity.md; the `time_ok` recovery check
//! reads them). A check's ID is `TCK-<seq>`, the event's sequence number;
//! the hash chain is what makes a recorded result tamper-evident.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::LedgerEvent;

/// Every type of [`TimeEvent`].
pub const TYPES: [&str; 1] = ["time_checked"];

/// One event of the time ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum TimeEvent {
    /// A clock check and its verdict.
    TimeChecked(TimeChecked),
}

impl LedgerEvent for TimeEvent {}

/// `time_checked`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeChecked {
    /// `ok`, `warn`, `halt_new_orders`, `critical` or `unmeasured`.
    #[serde(default)]
    pub verdict: String,
    /// The judged offset, ms (positive: the local clock is behind).
    #[serde(default)]
    pub offset_ms: Option<i64>,
    /// When measured (UTC, RFC 3339).
    #[serde(default)]
    pub measured_at: String,
    /// The source the judged offset comes from.
    #[serde(default)]
    pub judged_source: Option<String>,
    /// The `warn` threshold applied, ms.
    #[serde(default)]
    pub warn_ms: u64,
    /// The incident it was recorded for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// The whole report, as `opsbook time check --format json` prints it.
    #[serde(default)]
    pub report: Value,
}
