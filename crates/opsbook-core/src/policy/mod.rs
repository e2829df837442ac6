//! Typed policies: one serde type per file of `policy/` (D-POLICY-*), read
//! once through the [`Layout`](crate::ssot::layout::Layout), checked against its
//! contract (`contracts/policy-<name>.schema.json`, the SSOT's own when it
//! has one), with errors that name the file, the line and what was expected.
//!
//! The types mirror the contracts field for field; what a contract leaves
//! optional is `Option` or defaulted here, and the domain (the safety
//! machine, the matrix, the freeze, the confirmation, severity, evidence
//! limits) is built from these types, never from raw YAML values.

pub mod alert_noise;
mod change_freeze;
mod degraded;
mod evidence;
pub mod failover;
pub mod notification;
mod safety_matrix;
mod severity;
pub mod time;

pub use alert_noise::AlertNoise;
pub use change_freeze::{Automatic, ChangeFreeze, Exceptions, ScheduledFreeze, SelfApproval};
pub use degraded::{
    AcceptanceCheck, AutoEscalation, Degraded, OnLimit, PostRecoveryWatch, RecoveryAcceptance,
    StateDecl, Title, TransitionDecl,
};
pub use evidence::{
    Collection, DestinationDecl, Evidence, EvidenceLimits, Integrity, Retention, Signature,
    SourceHash, SpoolDecl, Truncation,
};
pub use failover::Failover;
pub use notification::Notification;
pub use safety_matrix::{
    ActionDecl, ConfirmationDecl, Decision, FatigueDecl, QuestionDecl, SafetyMatrix,
};
pub use severity::{FactDecl, RuleDecl, Severity};
pub use time::Time;

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ssot::contracts::Contracts;
use crate::ssot::layout::{Layout, PolicyFile};

/// A typed policy document.
pub trait PolicyDoc: DeserializeOwned {
    /// Its file.
    const FILE: PolicyFile;
}

/// Why a policy could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", place(*line, *col))]
pub struct PolicyError {
    /// The file, relative to the root (`policy/degraded.yaml`).
    pub file: String,
    /// What went wrong.
    pub kind: PolicyErrorKind,
    /// 1-based line (0: the whole file).
    pub line: usize,
    /// 1-based column (0: the whole line).
    pub col: usize,
    /// What is wrong, and what was expected.
    pub message: String,
}

fn place(line: usize, col: usize) -> String {
    match (line, col) {
        (0, _) => String::new(),
        (l, 0) => format!(":{l}"),
        (l, c) => format!(":{l}:{c}"),
    }
}

/// The kind of a [`PolicyError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// The file does not exist.
    Missing,
    /// It cannot be read or decoded.
    Unreadable,
    /// Not YAML.
    Syntax,
    /// YAML, but not the policy's shape (a field of the wrong type).
    Shape,
    /// The contract refuses it.
    Contract,
}

impl PolicyError {
    /// Whether the file is simply not there.
    #[must_use]
    pub fn is_missing(&self) -> bool {
        self.kind == PolicyErrorKind::Missing
    }
}

/// Reads and checks `T`'s file from the SSOT.
///
/// # Errors
/// [`PolicyError`]: missing, unreadable, not YAML, the wrong shape, or
/// refused by its contract — each with the file, and the line when there is one.
pub fn load<T: PolicyDoc>(layout: &Layout) -> Result<T, PolicyError> {
    let rel = T::FILE.rel();
    let path = layout.policy(T::FILE);
    let bytes = std::fs::read(&path).map_err(|e| PolicyError {
        file: rel.clone(),
        kind: if e.kind() == std::io::ErrorKind::NotFound {
            PolicyErrorKind::Missing
        } else {
            PolicyErrorKind::Unreadable
        },
        line: 0,
        col: 0,
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "missing".to_string()
        } else {
            format!("cannot be read: {e}")
        },
    })?;
    let text = crate::syntax::text::decode(&bytes).map_err(|e| PolicyError {
        file: rel.clone(),
        kind: PolicyErrorKind::Unreadable,
        line: e.line,
        col: 0,
        message: format!("not decodable text at byte {}: {}", e.offset, e.reason),
    })?;
    parse::<T>(&text.text, Some(layout.root()))
}

/// `T`'s file when it exists.
///
/// # Errors
/// As [`load`], except that a missing file is `Ok(None)`.
pub fn load_optional<T: PolicyDoc>(layout: &Layout) -> Result<Option<T>, PolicyError> {
    match load::<T>(layout) {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.is_missing() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The starter SSOT's version of `T` (what `opsbook init` writes): the
/// fallback where a broken policy must not stop an emergency action.
///
/// # Errors
/// Only if the embedded starter policy were broken (a test guards it).
pub fn builtin<T: PolicyDoc>() -> Result<T, PolicyError> {
    let rel = T::FILE.rel();
    let text = crate::ssot::scaffold::file(&rel)
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or_else(|| PolicyError {
            file: rel.clone(),
            kind: PolicyErrorKind::Missing,
            line: 0,
            col: 0,
            message: "no built-in version".into(),
        })?;
    parse::<T>(text, None)
}

/// Parses `T` from YAML text, checked against its contract (the SSOT's at
/// `root` when it has one, else the embedded one).
///
/// # Errors
/// As [`load`].
pub fn parse<T: PolicyDoc>(text: &str, root: Option<&Path>) -> Result<T, PolicyError> {
    let rel = T::FILE.rel();
    let doc = crate::syntax::yaml::parse(text).map_err(|e| PolicyError {
        file: rel.clone(),
        kind: PolicyErrorKind::Syntax,
        line: e.pos.line.max(1),
        col: e.pos.col.max(1),
        message: format!("invalid YAML: {}", e.message),
    })?;
    let typed: T = from_value(&doc.value).map_err(|(pointer, message)| {
        let p = doc.pos_of(&pointer);
        PolicyError {
            file: rel.clone(),
            kind: PolicyErrorKind::Shape,
            line: p.line,
            col: p.col,
            message: format!("{}: {message}", shown(&pointer, &doc.value)),
        }
    })?;
    let contracts = Contracts::load_only(root, &[&T::FILE.contract()]);
    if let Some(v) = contracts
        .validate(&T::FILE.contract(), &doc.value)
        .and_then(|v| v.into_iter().next())
    {
        let p = doc.pos_of(&v.pointer);
        return Err(PolicyError {
            file: rel,
            kind: PolicyErrorKind::Contract,
            line: p.line,
            col: p.col,
            message: format!(
                "{}: {} (contract {})",
                shown(&v.pointer, &doc.value),
                v.message,
                T::FILE.contract()
            ),
        });
    }
    Ok(typed)
}

/// Deserializes `T`, or (JSON pointer, message) of the first bad field.
fn from_value<T: DeserializeOwned>(v: &Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize::<_, T>(v.clone()).map_err(|e| {
        let mut pointer = String::new();
        for seg in e.path().iter() {
            use serde_path_to_error::Segment;
            match seg {
                Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                }
                Segment::Unknown => {}
            }
        }
        (pointer, e.into_inner().to_string())
    })
}

/// `/redaction/classes/0/keywords` → `redaction.classes[broker_account_number].keywords`:
/// an element of a list is named by its `id` when it has one, else by its index.
fn shown(pointer: &str, doc: &Value) -> String {
    if pointer.is_empty() {
        return "the document".into();
    }
    let mut out = String::new();
    let mut at = Some(doc);
    for seg in pointer.trim_start_matches('/').split('/') {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let next = at.and_then(|v| match v {
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            Value::Object(o) => o.get(&seg),
            _ => None,
        });
        if matches!(at, Some(Value::Array(_))) {
            match next.and_then(|e| e.get("id")).and_then(Value::as_str) {
                Some(id) => out.push_str(&format!("[{id}]")),
                None => out.push_str(&format!("[{seg}]")),
            }
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
        at = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every starter policy reads into its type and passes its contract.
    #[test]
    fn the_starter_policies_read() {
        let d: Degraded = builtin().unwrap();
        assert_eq!(d.states.len(), 5);
        let m: SafetyMatrix = builtin().unwrap();
        assert!(m.confirmation.is_some());
        let f: ChangeFreeze = builtin().unwrap();
        assert_eq!(f.automatic.on_incident_severity, ["P0", "P1"]);
        let s: Severity = builtin().unwrap();
        assert!(!s.rules.is_empty());
        let e: Evidence = builtin().unwrap();
        assert_eq!(
            e.collection.clock_reference.as_deref(),
            Some("time.windows.com")
        );
        let t: Time = builtin().unwrap();
        assert_eq!(
            (t.thresholds_ms.warn, t.thresholds_ms.critical),
            (250, 1000)
        );
        assert_eq!(t.actions.critical.safety_state.as_deref(), Some("HALTED"));
        let f: Failover = builtin().unwrap();
        assert_eq!(f.fencing.unwrap().lease_ttl_seconds, 30);
        assert_eq!(f.split_brain.unwrap().on_detect, "HALTED");
        let n: Notification = builtin().unwrap();
        assert_eq!(n.routes["P0"].channels, ["phone", "push", "chat"]);
        let a: AlertNoise = builtin().unwrap();
        assert_eq!(a.silences.unwrap().max_duration_hours["critical"], 4);
    }

    #[test]
    fn a_bad_field_is_named_with_its_line() {
        let text =
            std::str::from_utf8(crate::ssot::scaffold::file("policy/degraded.yaml").unwrap())
                .unwrap()
                .replace(
                    "    min_dwell_minutes: 10\n",
                    "    min_dwell_minutes: ten\n",
                );
        let e = parse::<Degraded>(&text, None).unwrap_err();
        assert_eq!(e.kind, PolicyErrorKind::Shape);
        let line = text
            .lines()
            .position(|l| l.contains("min_dwell_minutes: ten"))
            .unwrap()
            + 1;
        assert_eq!(e.line, line, "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("policy/degraded.yaml:{line}:"))
                && e.message.contains("states[DEGRADED].min_dwell_minutes"),
            "{e}"
        );
        // The contract refuses what the type would take: a rank of the wrong kind.
        let text =
            std::str::from_utf8(crate::ssot::scaffold::file("policy/change-freeze.yaml").unwrap())
                .unwrap()
                .replace("  max_active: 1\n", "  max_active: 0\n");
        let e = parse::<ChangeFreeze>(&text, None).unwrap_err();
        assert_eq!(e.kind, PolicyErrorKind::Contract, "{e}");
        assert!(e.message.contains("exceptions.max_active"), "{e}");
    }
}
