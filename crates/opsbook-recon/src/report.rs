//! The reconciliation report: summary, breaks with stable IDs, findings, and
//! the run record (input hashes, parameters, tool version) that lets a later
//! step verify it (D-DATA-RECON, D-DATA-RERECON).
//!
//! JSON shape (the issue's, plus `findings` and `run`):
//! `{"summary": {"kind", "rows": {…}, "matched": N, "classes": {"<class>": N, …},
//! "verdict"}, "breaks": [{"id", "class", "key", "fields", "internal",
//! "exchange"}], "findings": […], "run": {…}}`. Breaks are sorted by class,
//! then key (numbers by value); every break's ID is a hash of the
//! reconciliation kind, its class and its key, so the same break keeps its ID
//! across runs and a changed break (new class) gets a new one.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::input::hex;

/// Which reconciliation a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Fill by fill, keyed by (exchange, symbol, trade_id).
    Fills,
    /// Each order against its fills: executed quantity, VWAP, status.
    Orders,
    /// Opening + movements = closing, per asset.
    Balances,
    /// Net quantity from fills against the position, per instrument.
    Positions,
    /// Internal transfer legs net to zero; cancelled ones move nothing.
    Transfers,
}

impl Kind {
    /// The kind's name (`fills`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fills => "fills",
            Kind::Orders => "orders",
            Kind::Balances => "balances",
            Kind::Positions => "positions",
            Kind::Transfers => "transfers",
        }
    }

    /// The kind of that name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Fills,
            Kind::Orders,
            Kind::Balances,
            Kind::Positions,
            Kind::Transfers,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A break's class (the names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Both sides agree (never a break; counted in `summary.matched`).
    Matched,
    /// One side only, inside the grace window before `as_of`: run again later.
    Pending,
    /// Ours only, past the grace window.
    MissingExchange,
    /// Theirs only, past the grace window.
    MissingInternal,
    /// Same key, different values (per field, both values, exact delta).
    ValueDiff,
    /// Same key, the fee charged in a different asset.
    FeeAssetDiff,
    /// The same row twice on one side (identical values).
    Duplicate,
    /// The same key twice on one side with different values.
    Conflict,
    /// A fill later than its order's cancel (beyond the time tolerance).
    FillAfterCancel,
    /// Changed since the previous run (a correction, a bust, a late amendment).
    Corrected,
    /// History starts after the position or balance began: cannot be judged,
    /// not a mismatch.
    IncompleteWindow,
}

impl Class {
    /// Every break class, in report order.
    pub const BREAKS: [Class; 10] = [
        Class::Pending,
        Class::MissingExchange,
        Class::MissingInternal,
        Class::ValueDiff,
        Class::FeeAssetDiff,
        Class::Duplicate,
        Class::Conflict,
        Class::FillAfterCancel,
        Class::Corrected,
        Class::IncompleteWindow,
    ];

    /// The class's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Matched => "matched",
            Class::Pending => "pending",
            Class::MissingExchange => "missing_exchange",
            Class::MissingInternal => "missing_internal",
            Class::ValueDiff => "value_diff",
            Class::FeeAssetDiff => "fee_asset_diff",
            Class::Duplicate => "duplicate",
            Class::Conflict => "conflict",
            Class::FillAfterCancel => "fill_after_cancel",
            Class::Corrected => "corrected",
            Class::IncompleteWindow => "incomplete_window",
        }
    }

    /// Whether a break of this class makes the report not clean
    /// (`pending` waits, `incomplete_window` is not a mismatch).
    #[must_use]
    pub fn is_mismatch(self) -> bool {
        !matches!(
            self,
            Class::Matched | Class::Pending | Class::IncompleteWindow
        )
    }
}

/// One field that differs: both values and the exact delta (exchange − internal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// Field name (`qty`, `price`, `ts_ms`, `closing`, …).
    pub field: String,
    /// Our value (`None`: absent).
    pub internal: Option<String>,
    /// Their value (`None`: absent).
    pub exchange: Option<String>,
    /// Exact difference `exchange − internal` for numbers and times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<String>,
    /// The value in the previous run (for `corrected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

/// One break.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Break {
    /// Stable ID: `R` + 16 hex digits of SHA-256(kind, class, key).
    pub id: String,
    /// Class.
    pub class: Class,
    /// The record's key (fills: exchange, symbol, trade_id; plus `side` and
    /// `occurrence` for a duplicate or conflict).
    pub key: Map<String, Value>,
    /// Fields that differ.
    pub fields: Vec<FieldDiff>,
    /// Our record (with `file` and `line`), `null` when we have none.
    pub internal: Option<Map<String, Value>>,
    /// Their record (with `file` and `line`), `null` when they have none.
    pub exchange: Option<Map<String, Value>>,
    /// The record in the previous run (for `corrected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Map<String, Value>>,
    /// One sentence on what the operator should know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Break {
    /// A break with its ID computed.
    #[must_use]
    pub fn new(kind: Kind, class: Class, key: Map<String, Value>) -> Break {
        Break {
            id: break_id(kind, class, &key),
            class,
            key,
            fields: Vec::new(),
            internal: None,
            exchange: None,
            previous: None,
            note: None,
        }
    }

    /// The identity of the thing that broke, independent of its class: what
    /// re-reconciliation follows from run to run.
    #[must_use]
    pub fn identity(&self) -> String {
        serde_json::to_string(&self.key).unwrap_or_default()
    }

    /// SHA-256 of the whole break (class, key, fields, records): what an
    /// acceptance should pin, so that a break whose values changed is not
    /// silently still accepted.
    #[must_use]
    pub fn digest(&self) -> String {
        hex(&Sha256::digest(
            serde_json::to_vec(self).unwrap_or_default(),
        ))
    }
}

/// The stable ID of a break.
#[must_use]
pub fn break_id(kind: Kind, class: Class, key: &Map<String, Value>) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_str().as_bytes());
    h.update(b"\n");
    h.update(class.as_str().as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_vec(key).unwrap_or_default());
    format!("R{}", &hex(&h.finalize())[..16])
}

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A row could not be read: the reconciliation is incomplete.
    Error,
    /// Worth knowing (preamble skipped, unknown operation counted as other).
    Note,
}

/// Something about an input that is not a break: a row that could not be
/// read, a skipped preamble, an unmapped operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable ID: `F` + 16 hex digits (acceptable like a break ID).
    pub id: String,
    /// Error or note.
    pub severity: Severity,
    /// Input role (`internal`, `exchange`, …).
    pub role: String,
    /// The file as given.
    pub file: String,
    /// 1-based line, when one applies.
    pub line: Option<u64>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Finding {
    /// A finding with its ID computed.
    #[must_use]
    pub fn new(
        severity: Severity,
        role: &str,
        file: &str,
        line: Option<u64>,
        message: String,
    ) -> Finding {
        let mut h = Sha256::new();
        h.update(format!("{role}\n{file}\n{line:?}\n{message}").as_bytes());
        Finding {
            id: format!("F{}", &hex(&h.finalize())[..16]),
            severity,
            role: role.to_string(),
            file: file.to_string(),
            line,
            message,
        }
    }
}

/// The report's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing to do.
    Clean,
    /// At least one mismatch or unreadable row.
    Breaks,
    /// Only `pending` (and `incomplete_window`) left: run again later.
    PendingOnly,
}

impl Verdict {
    /// The process exit code the issue gives: 0 clean, 1 breaks, 3 only pending.
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::Breaks => 1,
            Verdict::PendingOnly => 3,
        }
    }
}

/// Counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Which reconciliation.
    pub kind: Kind,
    /// Rows read per role (`internal`, `exchange`, …), `rejected`, `filtered`.
    pub rows: BTreeMap<String, u64>,
    /// Records (keys) that agree.
    pub matched: u64,
    /// Breaks per class, every class listed.
    pub classes: BTreeMap<Class, u64>,
    /// Verdict.
    pub verdict: Verdict,
}

/// One input as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    /// Role (`internal`, `exchange`, `orders`, `opening`, `previous_internal`, `previous_exchange`).
    pub role: String,
    /// The path as given.
    pub path: String,
    /// Profile name (`binance-mytrades`, or a profile file's `profile`).
    pub format: String,
    /// Where the profile came from (`builtin:<name>` or its path).
    pub profile: String,
    /// SHA-256 of the profile file (absent for a built-in profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_sha256: Option<String>,
    /// SHA-256 of the input as stored.
    pub sha256: String,
    /// Size as stored, bytes.
    pub bytes: u64,
    /// Data rows read (kept).
    pub rows: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Rows left out by the profile's filter.
    pub filtered: u64,
    /// `csv`, `json` or `jsonl`.
    pub layout: String,
    /// `utf-8`, `utf-8-bom`, `utf-16` or `gzip`.
    pub encoding: String,
    /// Lines skipped before the header.
    pub preamble_lines: usize,
    /// Earliest record time, ms (absent when no record has a time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ms: Option<i64>,
    /// Latest record time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ms: Option<i64>,
}

/// A time window, ms since the Unix epoch (UTC), both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start, ms (`None`: unknown, e.g. no dated records).
    pub start_ms: Option<i64>,
    /// End, ms.
    pub end_ms: i64,
}

/// How the report was produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// `opsbook-recon`.
    pub tool: String,
    /// Tool version.
    pub version: String,
    /// Reconciliation kind.
    pub kind: Kind,
    /// The point in time the reconciliation judges (RFC 3339, UTC).
    pub as_of: String,
    /// `as_of` in ms.
    pub as_of_ms: i64,
    /// Grace window, ms (records newer than `as_of − grace` are `pending`).
    pub grace_ms: i64,
    /// Timestamp tolerance, ms (skews within it are not breaks).
    pub tolerance_ms: i64,
    /// History start declared for our records, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_since_ms: Option<i64>,
    /// History start declared for their records, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_since_ms: Option<i64>,
    /// Instrument precision (symbol → step) used by positions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub precision: BTreeMap<String, String>,
    /// Every input, with its SHA-256.
    pub inputs: Vec<InputRecord>,
    /// The time window both sides cover, up to `as_of`.
    pub window: Window,
}

/// A reconciliation report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Counts and verdict.
    pub summary: Summary,
    /// Breaks, sorted by class then key.
    pub breaks: Vec<Break>,
    /// Rows that could not be read, and notes.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Per-asset or per-instrument figures (balances, positions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// How the report was produced.
    pub run: Run,
}

impl Report {
    /// Sorts breaks and findings, recounts classes and sets the verdict.
    pub(crate) fn finish(&mut self) {
        self.breaks.sort_by(|a, b| {
            a.class
                .cmp(&b.class)
                .then_with(|| cmp_keys(&a.key, &b.key))
                .then_with(|| a.id.cmp(&b.id))
        });
        self.findings.sort_by(|a, b| {
            (a.severity, &a.role, &a.file, a.line, &a.message)
                .cmp(&(b.severity, &b.role, &b.file, b.line, &b.message))
        });
        let mut classes: BTreeMap<Class, u64> = Class::BREAKS.iter().map(|c| (*c, 0)).collect();
        for b in &self.breaks {
            *classes.entry(b.class).or_insert(0) += 1;
        }
        self.summary.classes = classes;
        self.summary.verdict = self.verdict();
    }

    /// The verdict from the breaks and findings.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        let errors = self.findings.iter().any(|f| f.severity == Severity::Error);
        if errors || self.breaks.iter().any(|b| b.class.is_mismatch()) {
            Verdict::Breaks
        } else if self.breaks.iter().any(|b| b.class == Class::Pending) {
            Verdict::PendingOnly
        } else {
            Verdict::Clean
        }
    }

    /// The exit code for the verdict (0 clean, 1 breaks, 3 only pending).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.verdict().exit_code()
    }

    /// Whether the report covers `w`: its window starts at or before `w`'s
    /// start and its `as_of` is at or after `w`'s end. A report whose start
    /// is unknown covers nothing.
    #[must_use]
    pub fn covers(&self, w: Window) -> bool {
        let Some(start) = self.run.window.start_ms else {
            return false;
        };
        let wanted_start = w.start_ms.unwrap_or(i64::MIN);
        start <= wanted_start && self.run.window.end_ms >= w.end_ms
    }

    /// Whether nothing is left to act on: no `pending` and no mismatch
    /// (`incomplete_window` is not one) except breaks whose IDs are in
    /// `accepted`, and no error finding except accepted ones.
    #[must_use]
    pub fn is_clean_or_accepted(&self, accepted: &BTreeSet<String>) -> bool {
        self.breaks
            .iter()
            .filter(|b| b.class != Class::IncompleteWindow)
            .all(|b| accepted.contains(&b.id))
            && self
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .all(|f| accepted.contains(&f.id))
    }

    /// Breaks of one class.
    pub fn breaks_of(&self, class: Class) -> impl Iterator<Item = &Break> {
        self.breaks.iter().filter(move |b| b.class == class)
    }

    /// The report as pretty JSON (the shape in the module docs).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a report back from JSON.
    ///
    /// # Errors
    /// The JSON error (with line and column).
    pub fn from_json(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Checks every input still hashes to what the report recorded.
    /// Returns one `(input, problem)` per mismatch (empty: all verified).
    #[must_use]
    pub fn verify_inputs(&self, base: Option<&std::path::Path>) -> Vec<(InputRecord, String)> {
        let mut out = Vec::new();
        for i in &self.run.inputs {
            let p = std::path::Path::new(&i.path);
            let p = match base {
                Some(b) if p.is_relative() => b.join(p),
                _ => p.to_path_buf(),
            };
            match crate::input::hash_file(&p) {
                Ok(d) => {
                    let sha = d.sha256;
                    if sha != i.sha256 {
                        out.push((
                            i.clone(),
                            format!("SHA-256 is now {sha}, the report recorded {}", i.sha256),
                        ));
                    }
                }
                Err(e) => out.push((i.clone(), format!("cannot read: {e}"))),
            }
        }
        out
    }
}

/// Orders keys field by field; cells that are both whole numbers compare by value.
#[must_use]
pub fn cmp_keys(a: &Map<String, Value>, b: &Map<String, Value>) -> Ordering {
    for ((ka, va), (kb, vb)) in a.iter().zip(b.iter()) {
        let o = ka.cmp(kb).then_with(|| cmp_cell(va, vb));
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn cmp_cell(a: &Value, b: &Value) -> Ordering {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s)
            if !s.is_empty() && s.len() < 20 && s.bytes().all(|c| c.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("exchange".into(), "binance".into());
        m.insert("symbol".into(), "BTCUSDT".into());
        m.insert("trade_id".into(), t.into());
        m
    }

    #[test]
    fn ids_are_stable_and_depend_on_class_and_key() {
        let a = break_id(Kind::Fills, Class::ValueDiff, &key("9"));
        assert_eq!(a, break_id(Kind::Fills, Class::ValueDiff, &key("9")));
        assert_ne!(a, break_id(Kind::Fills, Class::Conflict, &key("9")));
        assert_ne!(a, break_id(Kind::Fills, Class::ValueDiff, &key("10")));
        assert_eq!(a.len(), 17);
        assert!(a.starts_with('R'));
    }

    #[test]
    fn keys_sort_numbers_by_value() {
        assert_eq!(cmp_keys(&key("9"), &key("10")), Ordering::Less);
        assert_eq!(cmp_keys(&key("10"), &key("9")), Ordering::Greater);
        assert_eq!(cmp_keys(&key("a"), &key("9")), Ordering::Greater);
    }

    #[test]
    fn verdict_and_exit_codes() {
        assert_eq!(Verdict::Clean.exit_code(), 0);
        assert_eq!(Verdict::Breaks.exit_code(), 1);
        assert_eq!(Verdict::PendingOnly.exit_code(), 3);
        assert!(!Class::Pending.is_mismatch());
        assert!(!Class::IncompleteWindow.is_mismatch());
        assert!(Class::Corrected.is_mismatch());
    }
}
