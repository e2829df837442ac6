//! `policy/notification.yaml`: who is paged how, by severity (contract
//! `policy-notification`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Channels.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Severity → route.
    #[serde(default)]
    pub routes: BTreeMap<String, Route>,
    /// Quiet hours.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// De-duplication.
    #[serde(default)]
    pub dedup: Option<Dedup>,
    /// Pages per hour.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Where resolutions go.
    #[serde(default)]
    pub resolved: Option<Resolved>,
    /// The dead-man's switch.
    #[serde(default)]
    pub heartbeat: Option<Heartbeat>,
}

impl PolicyDoc for Notification {
    const FILE: PolicyFile = PolicyFile::Notification;
}

/// One channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// ID.
    #[serde(default)]
    pub id: String,
    /// `phone`, `push`, `chat`, `email`.
    #[serde(default)]
    pub kind: String,
    /// Where its target is (`env:VAR`).
    #[serde(default)]
    pub target_ref: String,
    /// For people.
    #[serde(default)]
    pub description: Option<String>,
}

/// One severity's route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Channel IDs.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Repeat every N minutes (0: never).
    #[serde(default)]
    pub repeat_every_minutes: u64,
    /// Escalate after N minutes (0: never).
    #[serde(default)]
    pub escalate_after_minutes: u64,
    /// To whom.
    #[serde(default)]
    pub escalate_to: Option<String>,
    /// Whether quiet hours hold it back.
    #[serde(default)]
    pub quiet_hours_apply: bool,
}

/// `quiet_hours`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// IANA time zone.
    #[serde(default)]
    pub timezone: String,
    /// `HH:MM`.
    #[serde(default)]
    pub start: String,
    /// `HH:MM`.
    #[serde(default)]
    pub end: String,
}

/// `dedup`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dedup {
    /// Minutes.
    #[serde(default)]
    pub window_minutes: u64,
    /// Labels.
    #[serde(default)]
    pub group_by: Vec<String>,
}

/// `rate_limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Pages per hour.
    #[serde(default)]
    pub max_pages_per_hour: u32,
    /// What happens over it (`digest`).
    #[serde(default)]
    pub overflow: String,
}

/// `resolved`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    /// Channel IDs.
    #[serde(default)]
    pub channels: Vec<String>,
}

/// `heartbeat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The always-firing alert.
    #[serde(default)]
    pub alert: String,
    /// Missing for longer pages.
    #[serde(default)]
    pub missing_after_minutes: u64,
    /// The page's severity.
    #[serde(default)]
    pub severity: String,
}
