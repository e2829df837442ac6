//! `policy/alert-noise.yaml`: silences, false-positive records and when an
//! alert must be tuned (contract `policy-alert-noise`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertNoise {
    /// Silences.
    #[serde(default)]
    pub silences: Option<Silences>,
    /// False positives are recorded.
    #[serde(default)]
    pub false_positive_record: Option<FalsePositiveRecord>,
    /// When an alert must be tuned.
    #[serde(default)]
    pub tuning_triggers: Option<TuningTriggers>,
    /// What a tuning change must show.
    #[serde(default)]
    pub tuning_dod: Vec<String>,
}

impl PolicyDoc for AlertNoise {
    const FILE: PolicyFile = PolicyFile::AlertNoise;
}

/// `silences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silences {
    /// By alert severity label, hours.
    #[serde(default)]
    pub max_duration_hours: BTreeMap<String, u64>,
    /// Fields every silence has.
    #[serde(default)]
    pub required_fields: Vec<String>,
    /// Severities whose silences link an incident.
    #[serde(default)]
    pub link_must_be_incident_for: Vec<String>,
    /// Silences without an end.
    #[serde(default)]
    pub open_ended_allowed: bool,
    /// Extensions in a row.
    #[serde(default)]
    pub max_consecutive_extensions: u32,
}

/// `false_positive_record`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FalsePositiveRecord {
    /// Within hours of the page.
    #[serde(default)]
    pub record_within_hours: u64,
    /// Where.
    #[serde(default)]
    pub path: String,
    /// Fields.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// `tuning_triggers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TuningTriggers {
    /// N false positives within days.
    #[serde(default)]
    pub false_positives: Option<CountWithin>,
    /// Share of firings that needed nothing.
    #[serde(default)]
    pub non_actionable_ratio: Option<RatioWithin>,
    /// Transitions per hour.
    #[serde(default)]
    pub flapping: Option<Flapping>,
}

/// A count within days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountWithin {
    /// How many.
    #[serde(default)]
    pub count: u32,
    /// Within days.
    #[serde(default)]
    pub within_days: u32,
}

/// A ratio within days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RatioWithin {
    /// At most.
    #[serde(default)]
    pub max: f64,
    /// Within days.
    #[serde(default)]
    pub within_days: u32,
}

/// `flapping`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flapping {
    /// Firing/resolved transitions per hour.
    #[serde(default)]
    pub max_transitions_per_hour: u32,
}
