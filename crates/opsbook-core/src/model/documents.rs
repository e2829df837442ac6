//! Typed views of SSOT documents, read leniently from JSON values.
//!
//! Schema validation (D-CONTRACTS) reports what is malformed; these views
//! pick out what the checks need and tolerate the rest, so that one bad
//! field does not hide every other finding in a file.

use serde_json::Value;

pub use crate::ssot::{DangerousOp, RunbookMeta, Tier};
use crate::syntax::lenient::lenient;

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(x)) => vec![x.clone()],
        _ => Vec::new(),
    }
}

/// One entry of `runbooks/runbooks.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// Runbook ID.
    pub id: String,
    /// Path relative to `runbooks/`, forward slashes.
    pub path: String,
    /// Registered status.
    pub status: Option<String>,
    /// Path in the adopted source collection.
    pub original_path: Option<String>,
    /// JSON pointer of the entry.
    pub pointer: String,
}

/// Reads registry entries from `runbooks.yaml`.
#[must_use]
pub fn registry_entries(v: &Value) -> Vec<RegistryEntry> {
    match v.get("runbooks") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, e)| RegistryEntry {
                id: s(e, "id").unwrap_or_default(),
                path: s(e, "path").unwrap_or_default(),
                status: s(e, "status"),
                original_path: s(e, "original_path"),
                pointer: format!("/runbooks/{i}"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One entry of `runbooks/coverage_matrix.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageEntry {
    /// Entry ID.
    pub id: String,
    /// Symptom text.
    pub symptom: Option<String>,
    /// Alert names.
    pub alerts: Vec<String>,
    /// P0 | P1 | P2.
    pub severity: Option<String>,
    /// Runbook IDs.
    pub runbooks: Vec<String>,
    /// JSON pointer of the entry.
    pub pointer: String,
}

/// Reads coverage entries.
#[must_use]
pub fn coverage_entries(v: &Value) -> Vec<CoverageEntry> {
    match v.get("entries") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, e)| CoverageEntry {
                id: s(e, "id").unwrap_or_default(),
                symptom: s(e, "symptom"),
                alerts: strings(e.get("alerts")),
                severity: s(e, "severity"),
                runbooks: strings(e.get("runbooks")),
                pointer: format!("/entries/{i}"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A drill registered in `runbooks/drills.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillEntry {
    /// Drill ID.
    pub id: String,
    /// Runbook ID the drill exercises.
    pub runbook: String,
    /// JSON pointer of the entry.
    pub pointer: String,
}

/// Reads drill entries.
#[must_use]
pub fn drill_entries(v: &Value) -> Vec<DrillEntry> {
    match v.get("drills") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, e)| DrillEntry {
                id: s(e, "id").unwrap_or_default(),
                runbook: s(e, "runbook").unwrap_or_default(),
                pointer: format!("/drills/{i}"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// WARN and FAIL ages for an expiry check (D-GATE-EXPIRY), in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    /// Older than this many days: warning.
    pub warn_after_days: i64,
    /// Older than this many days: error.
    pub fail_after_days: i64,
}

/// Expiry intervals from `plans/verification.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationPlan {
    /// Window for `last_verified`.
    pub last_verified: ExpiryWindow,
    /// Window for `last_drilled`.
    pub last_drilled: ExpiryWindow,
    /// Overrides: (category or runbook ID, verified window, drilled window).
    pub overrides: Vec<(String, Option<ExpiryWindow>, Option<ExpiryWindow>)>,
    /// Coverage severities whose runbooks must have been drilled (`P0`, …).
    pub drilled_required_for: Vec<String>,
}

impl Default for VerificationPlan {
    fn default() -> Self {
        VerificationPlan {
            last_verified: ExpiryWindow {
                warn_after_days: 90,
                fail_after_days: 180,
            },
            last_drilled: ExpiryWindow {
                warn_after_days: 120,
                fail_after_days: 180,
            },
            overrides: Vec::new(),
            drilled_required_for: Vec::new(),
        }
    }
}

/// `plans/verification.yaml` as written (the fields the gate reads).
#[derive(Debug, Clone, Default, serde::Deserialize)]
struct PlanDoc {
    #[serde(default, deserialize_with = "lenient")]
    last_verified: Option<WindowDoc>,
    #[serde(default, deserialize_with = "lenient")]
    last_drilled: Option<WindowDoc>,
    #[serde(default, deserialize_with = "lenient")]
    overrides: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "lenient")]
    drilled_required_for: Option<StringOrList>,
}

/// An expiry window as written.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
struct WindowDoc {
    warn_after_days: i64,
    fail_after_days: i64,
}

impl From<WindowDoc> for ExpiryWindow {
    fn from(w: WindowDoc) -> ExpiryWindow {
        ExpiryWindow {
            warn_after_days: w.warn_after_days,
            fail_after_days: w.fail_after_days,
        }
    }
}

/// One override as written.
#[derive(Debug, Clone, serde::Deserialize)]
struct OverrideDoc {
    #[serde(rename = "match")]
    key: String,
    #[serde(default, deserialize_with = "lenient")]
    last_verified: Option<WindowDoc>,
    #[serde(default, deserialize_with = "lenient")]
    last_drilled: Option<WindowDoc>,
}

/// A string, or a list of strings.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<Value>),
}

impl VerificationPlan {
    /// Reads the plan, falling back to the defaults (90/180 and 120/180 days)
    /// for anything missing or of the wrong shape.
    #[must_use]
    pub fn from_value(v: &Value) -> VerificationPlan {
        let d = VerificationPlan::default();
        let doc: PlanDoc = serde_json::from_value(v.clone()).unwrap_or_default();
        VerificationPlan {
            last_verified: doc.last_verified.map_or(d.last_verified, Into::into),
            last_drilled: doc.last_drilled.map_or(d.last_drilled, Into::into),
            overrides: doc
                .overrides
                .unwrap_or_default()
                .into_iter()
                .filter_map(|o| serde_json::from_value::<OverrideDoc>(o).ok())
                .map(|o| {
                    (
                        o.key,
                        o.last_verified.map(Into::into),
                        o.last_drilled.map(Into::into),
                    )
                })
                .collect(),
            drilled_required_for: match doc.drilled_required_for {
                Some(StringOrList::One(x)) => vec![x],
                Some(StringOrList::Many(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                None => Vec::new(),
            },
        }
    }

    /// The windows for a runbook, after overrides by category, then by ID.
    #[must_use]
    pub fn windows_for(
        &self,
        id: Option<&str>,
        category: Option<&str>,
    ) -> (ExpiryWindow, ExpiryWindow) {
        let (mut v, mut d) = (self.last_verified, self.last_drilled);
        for key in [category, id].into_iter().flatten() {
            for (m, ov, od) in &self.overrides {
                if m == key {
                    if let Some(ov) = ov {
                        v = *ov;
                    }
                    if let Some(od) = od {
                        d = *od;
                    }
                }
            }
        }
        (v, d)
    }
}

/// The safety states and the action matrix (D-SAFE-SM, D-SAFE-MATRIX).
#[derive(Debug, Clone, Default)]
pub struct SafetyModel {
    /// State IDs from `degraded.yaml`, in order.
    pub states: Vec<String>,
    /// Initial state.
    pub initial: Option<String>,
    /// (from, to, direction) transitions.
    pub transitions: Vec<(String, String, String)>,
    /// Action IDs from `safety-matrix.yaml`, in order.
    pub actions: Vec<String>,
}

impl SafetyModel {
    /// Reads states and transitions from `degraded.yaml` and actions from
    /// `safety-matrix.yaml`, through their typed policies; a file that is
    /// not the policy's shape contributes nothing (the contract check
    /// reports it).
    #[must_use]
    pub fn from_values(degraded: Option<&Value>, matrix: Option<&Value>) -> SafetyModel {
        // Only the sections read here must have the policy's shape.
        #[derive(serde::Deserialize)]
        struct DegradedView {
            #[serde(default)]
            initial: Option<String>,
            #[serde(default)]
            states: Vec<crate::policy::StateDecl>,
            #[serde(default)]
            transitions: Vec<crate::policy::TransitionDecl>,
        }
        #[derive(serde::Deserialize)]
        struct MatrixView {
            #[serde(default)]
            actions: Vec<crate::policy::ActionDecl>,
        }
        let mut m = SafetyModel::default();
        if let Some(d) =
            degraded.and_then(|v| serde_json::from_value::<DegradedView>(v.clone()).ok())
        {
            m.states = d.states.iter().map(|s| s.id.clone()).collect();
            m.initial = d.initial;
            m.transitions = d
                .transitions
                .into_iter()
                .map(|t| (t.from, t.to, t.direction.unwrap_or_default()))
                .collect();
        }
        if let Some(x) = matrix.and_then(|v| serde_json::from_value::<MatrixView>(v.clone()).ok()) {
            m.actions = x.actions.into_iter().map(|a| a.id).collect();
        }
        m
    }
}
