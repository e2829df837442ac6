//! `policy/time.yaml`: time integrity — thresholds against the exchange's
//! clock, what each does, how the offset is measured (contract `policy-time`).
//! Read by `opsbook time check` (issue 16) and the recovery check `time_ok`.

use serde::{Deserialize, Serialize};

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Time {
    /// |offset| thresholds, ms.
    #[serde(default)]
    pub thresholds_ms: Thresholds,
    /// What each threshold does.
    #[serde(default)]
    pub actions: TimeActions,
    /// How the offset is measured.
    #[serde(default)]
    pub measurement: Measurement,
    /// What the exchanges accept.
    #[serde(default)]
    pub exchange_constraints: Vec<ExchangeConstraint>,
    /// The recvWindow in use.
    #[serde(default)]
    pub recv_window_policy: Option<RecvWindowPolicy>,
    /// W32Time settings and forbidden commands.
    #[serde(default)]
    pub windows: Option<WindowsTime>,
}

impl PolicyDoc for Time {
    const FILE: PolicyFile = PolicyFile::Time;
}

/// `thresholds_ms`: applied to |offset|.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Warn and notify.
    #[serde(default)]
    pub warn: i64,
    /// Stop new exposure.
    #[serde(default)]
    pub halt_new_orders: i64,
    /// Every signed request is rejected.
    #[serde(default)]
    pub critical: i64,
}

/// `actions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeActions {
    /// At `warn`.
    #[serde(default)]
    pub warn: TimeAction,
    /// At `halt_new_orders`.
    #[serde(default)]
    pub halt_new_orders: TimeAction,
    /// At `critical`.
    #[serde(default)]
    pub critical: TimeAction,
}

/// One action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeAction {
    /// The safety state to enter (`null`: none).
    #[serde(default)]
    pub safety_state: Option<String>,
    /// Page severity.
    #[serde(default)]
    pub notify: String,
}

/// `measurement`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measurement {
    /// Seconds between measurements.
    #[serde(default)]
    pub interval_seconds: u64,
    /// Samples per measurement.
    #[serde(default)]
    pub samples: u32,
    /// `median`.
    #[serde(default)]
    pub aggregate: String,
    /// Samples with a longer round trip are discarded, ms.
    #[serde(default)]
    pub max_rtt_ms: u64,
    /// Exchange and NTP sources.
    #[serde(default)]
    pub sources: Vec<TimeSource>,
}

/// One time source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSource {
    /// ID.
    #[serde(default)]
    pub id: String,
    /// `exchange` or `ntp`.
    #[serde(default)]
    pub kind: String,
    /// Server-time URL (exchange).
    #[serde(default)]
    pub url: Option<String>,
    /// Its JSON field holding epoch ms (exchange).
    #[serde(default)]
    pub field: Option<String>,
    /// NTP host.
    #[serde(default)]
    pub host: Option<String>,
}

/// One exchange's limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeConstraint {
    /// Exchange.
    #[serde(default)]
    pub exchange: String,
    /// A request ahead of the server by more is rejected, ms.
    #[serde(default)]
    pub ahead_limit_ms: i64,
    /// Default recvWindow, ms.
    #[serde(default)]
    pub recv_window_default_ms: i64,
    /// Largest recvWindow, ms.
    #[serde(default)]
    pub recv_window_max_ms: i64,
    /// The error codes of a rejected timestamp.
    #[serde(default)]
    pub error_codes: Vec<String>,
}

/// `recv_window_policy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecvWindowPolicy {
    /// recvWindow configured, ms.
    #[serde(default)]
    pub configured_ms: i64,
    /// Never raised to hide drift.
    #[serde(default)]
    pub raise_to_mask_drift: bool,
}

/// `windows`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowsTime {
    /// NTP peers for W32Time.
    #[serde(default)]
    pub ntp_peers: Vec<String>,
    /// Peer flags (`0x8`).
    #[serde(default)]
    pub peer_flags: String,
    /// MaxPollInterval, log2 seconds.
    #[serde(default)]
    pub max_poll_interval_log2: u32,
    /// Commands never to run on a trading host.
    #[serde(default)]
    pub forbidden_commands: Vec<String>,
}
