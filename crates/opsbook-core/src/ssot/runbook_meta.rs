//! A runbook's front matter, typed ([`RunbookMeta`], contract `runbook`):
//! what the loader keeps of each runbook ([`crate::ssot::Runbook`]) and the
//! checks read — its ID, titles, triggers, dangerous operations and their
//! danger [`Tier`], dates and status. Read leniently: one bad field does not
//! hide the rest (the contract reports it).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::syntax::lenient;

/// Danger tier of an operation (DESIGN §2 "Danger tiers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tier {
    /// Read-only: observes only.
    T0,
    /// Reversible: changes state with a documented, tested backout.
    T1,
    /// Irreversible or wide blast radius.
    T2,
}

impl Tier {
    /// Parses `T0`, `T1` or `T2`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "T0" => Some(Tier::T0),
            "T1" => Some(Tier::T1),
            "T2" => Some(Tier::T2),
            _ => None,
        }
    }

    /// `T0`, `T1` or `T2`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::T0 => "T0",
            Tier::T1 => "T1",
            Tier::T2 => "T2",
        }
    }

    /// The safety label this tier implies as the highest tier of a runbook.
    #[must_use]
    pub fn safety_label(self) -> &'static str {
        match self {
            Tier::T0 => "read_only",
            Tier::T1 => "reversible",
            Tier::T2 => "irreversible",
        }
    }
}

/// A dangerous operation declared in a runbook's front matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DangerousOp {
    /// Operation ID, unique in the runbook.
    pub id: String,
    /// Declared tier.
    pub tier: Option<Tier>,
    /// How to undo it.
    pub backout: Option<String>,
    /// How the operator confirms it.
    pub confirmation: Option<String>,
    /// JSON pointer of this op in the front matter.
    pub pointer: String,
}

/// The front matter of a runbook (contract `runbook`).
#[derive(Debug, Clone, Default)]
pub struct RunbookMeta {
    /// `runbook_id`.
    pub id: Option<String>,
    /// English title.
    pub title_en: Option<String>,
    /// Japanese title.
    pub title_ja: Option<String>,
    /// TRIAGE | MITIGATION | RECOVERY | DRILL | GOVERNANCE.
    pub kind: Option<String>,
    /// quick | platform | …
    pub category: Option<String>,
    /// Symptoms that should lead here.
    pub symptoms: Vec<String>,
    /// Alert names that should lead here.
    pub alerts: Vec<String>,
    /// Dangerous operations.
    pub dangerous_ops: Vec<DangerousOp>,
    /// draft | reviewed | verified | drilled.
    pub maturity: Option<String>,
    /// `YYYY-MM-DD`.
    pub last_verified: Option<String>,
    /// `YYYY-MM-DD`.
    pub last_drilled: Option<String>,
    /// read_only | reversible | irreversible.
    pub safety_label: Option<String>,
    /// active | deprecated (default active).
    pub status: String,
    /// Replacement runbook ID for a deprecated stub.
    pub replaced_by: Option<String>,
    /// Related runbook IDs.
    pub related: Vec<String>,
    /// Review interval carried over by `adopt`, in days.
    pub review_interval_days: Option<i64>,
}

impl RunbookMeta {
    /// Reads the fields the checks use from a front-matter value: a field
    /// of the wrong shape is left out (the `runbook` contract reports it).
    #[must_use]
    pub fn from_value(v: &Value) -> RunbookMeta {
        lenient::read::<FrontMatter>(v).into()
    }

    /// Drops what only single-file checks read (symptoms, dangerous
    /// operations, dates, labels), keeping what cross-file checks need: ID,
    /// title, kind, category, status, replacement, related IDs and alert
    /// names. Used when runbooks stream through the gate.
    pub fn slim(&mut self) {
        self.symptoms = Vec::new();
        self.dangerous_ops = Vec::new();
        self.maturity = None;
        self.last_verified = None;
        self.last_drilled = None;
        self.safety_label = None;
        self.title_ja = None;
    }

    /// Whether the runbook is active (not a deprecated stub).
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.status != "deprecated"
    }
}

/// The front matter as written (the fields the checks read).
#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    #[serde(default, deserialize_with = "lenient::lenient")]
    runbook_id: Option<String>,
    #[serde(default, deserialize_with = "titles")]
    title: Titles,
    #[serde(default, deserialize_with = "lenient::lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    category: Option<String>,
    #[serde(default, deserialize_with = "lenient::table")]
    triggers: Triggers,
    #[serde(default, deserialize_with = "lenient::tables")]
    dangerous_ops: Vec<OpDoc>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    maturity: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    last_verified: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    last_drilled: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    safety_label: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    replaced_by: Option<String>,
    #[serde(default, deserialize_with = "lenient::one_or_many")]
    related: Vec<String>,
    #[serde(default, deserialize_with = "lenient::table")]
    adopted: Adopted,
}

/// `title`: one string (English), or `{en, ja}`.
#[derive(Debug, Default, Deserialize)]
struct Titles {
    #[serde(default, deserialize_with = "lenient::lenient")]
    en: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    ja: Option<String>,
}

fn titles<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Titles, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(en) => Titles {
            en: Some(en),
            ja: None,
        },
        v @ Value::Object(_) => serde_json::from_value(v).unwrap_or_default(),
        _ => Titles::default(),
    })
}

/// `triggers`.
#[derive(Debug, Default, Deserialize)]
struct Triggers {
    #[serde(default, deserialize_with = "lenient::one_or_many")]
    symptoms: Vec<String>,
    #[serde(default, deserialize_with = "lenient::one_or_many")]
    alerts: Vec<String>,
}

/// One of `dangerous_ops`.
#[derive(Debug, Default, Deserialize)]
struct OpDoc {
    #[serde(default, deserialize_with = "lenient::or_default")]
    id: String,
    #[serde(default, deserialize_with = "lenient::lenient")]
    tier: Option<Tier>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    backout: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    confirmation: Option<String>,
}

/// `adopted` (written by `opsbook adopt`).
#[derive(Debug, Default, Deserialize)]
struct Adopted {
    #[serde(default, deserialize_with = "lenient::lenient")]
    review_interval_days: Option<i64>,
}

impl From<FrontMatter> for RunbookMeta {
    fn from(f: FrontMatter) -> RunbookMeta {
        let written = |s: Option<String>| s.filter(|x| !x.trim().is_empty());
        RunbookMeta {
            id: f.runbook_id,
            title_en: f.title.en,
            title_ja: f.title.ja,
            kind: f.kind,
            category: f.category,
            symptoms: f.triggers.symptoms,
            alerts: f.triggers.alerts,
            dangerous_ops: f
                .dangerous_ops
                .into_iter()
                .enumerate()
                .map(|(i, op)| DangerousOp {
                    id: op.id,
                    tier: op.tier,
                    backout: written(op.backout),
                    confirmation: written(op.confirmation),
                    pointer: format!("/dangerous_ops/{i}"),
                })
                .collect(),
            maturity: f.maturity,
            last_verified: f.last_verified,
            last_drilled: f.last_drilled,
            safety_label: f.safety_label,
            status: f.status.unwrap_or_else(|| "active".to_string()),
            replaced_by: f.replaced_by,
            related: f.related,
            review_interval_days: f.adopted.review_interval_days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_front_matter_is_read_field_by_field_and_a_bad_field_is_left_out() {
        let m = RunbookMeta::from_value(&serde_json::json!({
            "runbook_id": "RB-1",
            "title": {"en": "Halt", "ja": 7},
            "triggers": {"symptoms": "fills stop", "alerts": ["A", 1, "B"]},
            "dangerous_ops": [
                {"id": "op", "tier": "T2", "backout": "  ", "confirmation": "type HALT"},
                "not an op",
                {"id": "x", "tier": "T9"}
            ],
            "status": 3,
            "related": "RB-2",
            "adopted": {"review_interval_days": 30}
        }));
        assert_eq!(m.id.as_deref(), Some("RB-1"));
        assert_eq!((m.title_en.as_deref(), m.title_ja), (Some("Halt"), None));
        assert_eq!(m.symptoms, ["fills stop"]);
        assert_eq!(m.alerts, ["A", "B"]);
        assert_eq!(m.dangerous_ops.len(), 3);
        let op = &m.dangerous_ops[0];
        assert_eq!((op.tier, op.backout.as_deref()), (Some(Tier::T2), None));
        assert_eq!(op.confirmation.as_deref(), Some("type HALT"));
        assert_eq!(m.dangerous_ops[1].id, "");
        assert_eq!(m.dangerous_ops[2].tier, None);
        assert_eq!(m.dangerous_ops[2].pointer, "/dangerous_ops/2");
        assert_eq!(m.status, "active");
        assert_eq!(m.related, ["RB-2"]);
        assert_eq!(m.review_interval_days, Some(30));
        let m = RunbookMeta::from_value(&serde_json::json!({"title": "One", "triggers": ["x"]}));
        assert_eq!(m.title_en.as_deref(), Some("One"));
        assert!(m.symptoms.is_empty());
    }
}
