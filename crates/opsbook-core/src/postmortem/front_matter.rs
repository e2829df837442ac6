//! A postmortem's front matter, typed (contract `postmortem`): the incident,
//! its severity and status, and the action items with the line of each
//! ([`Postmortem`], [`ActionItem`]). Read leniently: a field of the wrong
//! shape is its default, and the contract reports it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::syntax::lenient;

/// One action item, with the 1-based line of its `id` in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionItem {
    /// `AI-1`, …
    pub id: String,
    /// runbook | policy | test | monitoring | implementation.
    #[serde(rename = "type")]
    pub kind: String,
    /// What is changed.
    pub target: String,
    /// The concrete change.
    pub description: String,
    /// Person or role.
    pub owner: String,
    /// Due date, when valid.
    pub due: Option<jiff::civil::Date>,
    /// open | in_progress | done | wontfix.
    pub status: String,
    /// Commit, PR, file or runbook ID proving completion.
    pub done_ref: Option<String>,
    /// `creates: true`: the target does not exist yet, this item creates it
    /// (a new alert, drill or file); it must exist once the item is done.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub creates: bool,
    /// Line of the item in the file (1-based).
    pub line: usize,
}

impl ActionItem {
    /// Whether the item still needs work.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "open" | "in_progress")
    }
}

/// A parsed postmortem.
#[derive(Debug, Clone)]
pub struct Postmortem {
    /// `incident_id`.
    pub incident_id: Option<String>,
    /// `severity`.
    pub severity: Option<String>,
    /// `status` (draft | reviewed | final).
    pub status: Option<String>,
    /// Action items.
    pub items: Vec<ActionItem>,
    /// The front matter.
    pub front: Value,
}

/// Reads a postmortem's front matter (`value`) with the line of each action
/// item (`line_of(i)`, 1-based, for `/action_items/i`).
#[must_use]
pub fn from_value(front: &Value, line_of: &dyn Fn(usize) -> usize) -> Postmortem {
    let f = lenient::read::<FrontMatter>(front);
    Postmortem {
        incident_id: f.incident_id,
        severity: f.severity,
        status: f.status,
        items: f
            .action_items
            .into_iter()
            .enumerate()
            .map(|(i, v)| ActionItem {
                id: v.id.unwrap_or_else(|| format!("#{}", i + 1)),
                kind: v.kind,
                target: v.target,
                description: v.description,
                owner: v.owner,
                due: v.due.and_then(|d| d.parse().ok()),
                status: v.status.unwrap_or_else(|| "open".into()),
                done_ref: v.done_ref.filter(|r| !r.trim().is_empty()),
                creates: v.creates,
                line: line_of(i),
            })
            .collect(),
        front: front.clone(),
    }
}

/// The front matter as written (the fields the checks read).
#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    #[serde(default, deserialize_with = "lenient::lenient")]
    incident_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::tables")]
    action_items: Vec<ItemDoc>,
}

/// One of `action_items` as written.
#[derive(Debug, Default, Deserialize)]
struct ItemDoc {
    #[serde(default, deserialize_with = "lenient::lenient")]
    id: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient::or_default")]
    kind: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    target: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    description: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    owner: String,
    #[serde(default, deserialize_with = "lenient::lenient")]
    due: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    done_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::or_default")]
    creates: bool,
}

/// Parses postmortem text (decoded): front matter → [`Postmortem`].
///
/// # Errors
/// A message with the line when the front matter is missing or invalid YAML.
pub fn parse(text: &str) -> Result<Postmortem, String> {
    let split = crate::syntax::markdown::split_front_matter(text)
        .map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let Some(fm) = split.front_matter else {
        return Err("line 1: no front matter (`---` … `---`) with the postmortem fields".into());
    };
    let doc = crate::syntax::yaml::parse(fm).map_err(|e| {
        format!(
            "line {}: {}",
            e.pos.line + split.front_matter_line - 1,
            e.message
        )
    })?;
    let off = split.front_matter_line - 1;
    Ok(from_value(&doc.value, &|i| {
        doc.pos_of(&format!("/action_items/{i}")).line + off
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_read_leniently_with_their_lines() {
        let pm = from_value(
            &serde_json::json!({
                "incident_id": "INC-1",
                "severity": ["P0"],
                "action_items": [
                    {"id": "AI-1", "type": "runbook", "target": "RB-1", "due": "2026-12-01",
                     "status": "done", "done_ref": " ", "creates": true},
                    "not an item",
                    {"type": 3, "due": "soon", "creates": "yes"}
                ]
            }),
            &|i| 10 + i,
        );
        assert_eq!(pm.incident_id.as_deref(), Some("INC-1"));
        assert_eq!(pm.severity, None);
        assert_eq!(pm.items.len(), 3);
        let a = &pm.items[0];
        assert_eq!((a.kind.as_str(), a.status.as_str()), ("runbook", "done"));
        assert_eq!(a.due, Some(jiff::civil::date(2026, 12, 1)));
        assert_eq!((a.done_ref.as_deref(), a.creates, a.line), (None, true, 10));
        let b = &pm.items[1];
        assert_eq!(
            (b.id.as_str(), b.status.as_str(), b.line),
            ("#2", "open", 11)
        );
        let c = &pm.items[2];
        assert_eq!((c.kind.as_str(), c.due, c.creates), ("", None, false));
    }
}
