//! `policy/change-freeze.yaml`: when changes freeze, what a freeze blocks,
//! exceptions, lift conditions and scheduled windows (D-SAFE-FREEZE)
//! (contract `policy-change-freeze`).

use serde::{Deserialize, Serialize};

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFreeze {
    /// Automatic triggers.
    #[serde(default)]
    pub automatic: Automatic,
    /// Conditions that must all hold before `freeze off`.
    #[serde(default)]
    pub lift_requires: Vec<String>,
    /// Safety-matrix actions blocked while frozen.
    #[serde(default)]
    pub frozen_actions: Vec<String>,
    /// Actions never blocked.
    #[serde(default)]
    pub always_allowed: Vec<String>,
    /// Exceptions.
    #[serde(default)]
    pub exceptions: Exceptions,
    /// Planned freezes.
    #[serde(default)]
    pub scheduled: Vec<ScheduledFreeze>,
}

impl PolicyDoc for ChangeFreeze {
    const FILE: PolicyFile = PolicyFile::ChangeFreeze;
}

/// `automatic`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Automatic {
    /// Incident severities that freeze on opening (default P0, P1).
    #[serde(default = "p0_p1")]
    pub on_incident_severity: Vec<String>,
    /// Safety states whose entry freezes.
    #[serde(default)]
    pub on_safety_states: Vec<String>,
}

impl Default for Automatic {
    fn default() -> Automatic {
        Automatic {
            on_incident_severity: p0_p1(),
            on_safety_states: Vec::new(),
        }
    }
}

fn p0_p1() -> Vec<String> {
    vec!["P0".into(), "P1".into()]
}

/// `exceptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exceptions {
    /// Fields every exception carries.
    #[serde(default)]
    pub required_fields: Vec<String>,
    /// Longest exception, minutes (default 240).
    #[serde(default)]
    pub max_duration_minutes: Option<i64>,
    /// Exceptions active at once (default 1).
    #[serde(default)]
    pub max_active: Option<usize>,
    /// Approving one's own exception.
    #[serde(default)]
    pub self_approval: Option<SelfApproval>,
    /// Whether an exception must name its actions.
    #[serde(default)]
    pub scope_required: Option<bool>,
}

/// `exceptions.self_approval`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfApproval {
    /// Allowed at all.
    #[serde(default)]
    pub allowed: Option<bool>,
    /// What it needs (`high_danger_confirmation`).
    #[serde(default)]
    pub requires: Option<Vec<String>>,
}

/// One scheduled freeze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledFreeze {
    /// `FRZ-…`.
    pub id: String,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}
