//! `policy/severity.yaml`: typed facts and the rules that turn stated facts
//! into P0/P1/P2 (seed §3.1, D-INC-LEDGER) (contract `policy-severity`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// `most_severe_match`.
    #[serde(default)]
    pub evaluation: Option<String>,
    /// `escalate` (default) or `fail`.
    #[serde(default)]
    pub missing_facts: Option<String>,
    /// Severity when no rule matches (default P2).
    #[serde(default)]
    pub default_severity: Option<String>,
    /// Declared facts.
    #[serde(default)]
    pub facts: BTreeMap<String, FactDecl>,
    /// Rules, in file order (ties go to the first).
    #[serde(default)]
    pub rules: Vec<RuleDecl>,
    /// Prometheus `severity` label → P0/P1/P2.
    #[serde(default)]
    pub alert_severity_map: BTreeMap<String, String>,
}

impl PolicyDoc for Severity {
    const FILE: PolicyFile = PolicyFile::Severity;
}

/// One declared fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactDecl {
    /// `number`, `boolean` or `enum`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Allowed values of an enum fact.
    #[serde(default)]
    pub values: Vec<String>,
    /// Unit of a number.
    #[serde(default)]
    pub unit: Option<String>,
    /// What it means.
    #[serde(default)]
    pub description: Option<String>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDecl {
    /// `SEV-P0-…`.
    #[serde(default)]
    pub id: String,
    /// P0, P1 or P2.
    #[serde(default)]
    pub severity: String,
    /// fact → a literal, or an object of operators (`eq ne gt gte lt lte in`).
    #[serde(default)]
    pub when: serde_json::Map<String, Value>,
    /// Why the threshold.
    #[serde(default)]
    pub rationale: String,
}
