//! The one place where every free text an operation writes into an
//! immutable record is redacted (issue 13 item 2, D-EVD-LIMITS): a
//! [`Seam`] every ledger writer of a [`Context`](crate::Context) goes
//! through, and [`Scrub::text`] for postmortem drafts and other files.
//!
//! Titles, notes, decisions, reasons, hook stdout/stderr, attach references
//! (credentials in URLs), acceptance notes, drill notes: each string of an
//! event's `data` is scanned by the classes of `policy/evidence.yaml` (its
//! secret classes; personal data is the record itself) and a secret is
//! stored as `[REDACTED:<class>]`. A hash-chained log cannot be cleaned
//! later, so this happens before the append, and the operation warns
//! (which field, which class — never the value).
//!
//! The scan never stops a write: with a missing or broken evidence policy
//! the built-in classes apply and the operation warns (a HALT must not wait
//! on a policy file).
//!
//! Length is the one thing the seam refuses (issue 13 item 11): a title
//! longer than [`TITLE_MAX_CHARS`] or a free text of [`FREE_TEXT_FIELDS`]
//! longer than [`TEXT_MAX_BYTES`] is not written ([`check_text`] names the
//! field, the length and the limit). Operations that act on the platform
//! before they write (`safety set`, `halt`) check first, so nothing happens.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use opsbook_core::layout::Layout;
use opsbook_core::ledger::{LedgerError, Seam, SharedSeam};
use opsbook_core::policy::Evidence;
use opsbook_evidence::redact::RuleSet;
use serde::Serialize;
use serde_json::Value;

/// The longest title an event may carry, in characters (Unicode scalar
/// values, not bytes): one line an operator reads in a list. Details go
/// into a note.
pub const TITLE_MAX_CHARS: usize = 200;

/// The longest free text (note, reason, decision, …) an event may carry,
/// in bytes of UTF-8 (4 KiB): a paragraph, not a pasted log — a log is
/// evidence (`opsbook evidence collect`, `opsbook incident attach`).
pub const TEXT_MAX_BYTES: usize = 4096;

/// The fields of an event's `data` (top level) capped at
/// [`TEXT_MAX_BYTES`]; `title` is capped at [`TITLE_MAX_CHARS`].
pub const FREE_TEXT_FIELDS: &[&str] = &[
    "text",
    "note",
    "notes",
    "reason",
    "decision",
    "override_reason",
    "answer",
];

/// Checks one free text bound for a ledger against its limit: `title`
/// against [`TITLE_MAX_CHARS`] (characters), every field of
/// [`FREE_TEXT_FIELDS`] against [`TEXT_MAX_BYTES`] (bytes); other fields
/// pass.
///
/// # Errors
/// Too long: the message names the field, its length and the limit, with
/// the unit, and where the rest belongs.
pub fn check_text(field: &str, text: &str) -> Result<(), String> {
    if field == "title" {
        let n = text.chars().count();
        if n > TITLE_MAX_CHARS {
            return Err(format!(
                "the title is {n} characters long; the limit is {TITLE_MAX_CHARS} characters: keep it to one line and put the details in a note (`opsbook incident log`)"
            ));
        }
    } else if FREE_TEXT_FIELDS.contains(&field) && text.len() > TEXT_MAX_BYTES {
        return Err(format!(
            "the {field} is {} bytes long; the limit is {TEXT_MAX_BYTES} bytes (4 KiB): write a paragraph, and keep logs and long outputs as evidence (`opsbook evidence collect`, `opsbook incident attach`)",
            text.len()
        ));
    }
    Ok(())
}

/// [`check_text`] for an operation's input, before it acts.
///
/// # Errors
/// [`OpsError::Invalid`](crate::OpsError::Invalid) naming the field.
pub fn check_input(field: &str, text: &str) -> Result<(), crate::OpsError> {
    check_text(field, text).map_err(crate::OpsError::invalid)
}

/// One redaction made in a record an operation wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redaction {
    /// The file, relative to the SSOT root (`ledger/safety.jsonl`,
    /// `incidents/INC-…/events.jsonl`, `postmortems/….md`).
    pub file: String,
    /// The event type (`note`, `hook_failed`, …), or `text` for a file.
    pub kind: String,
    /// Where in the event's `data` (a JSON pointer such as `/note`), or
    /// `""` for a whole text.
    pub field: String,
    /// The class that matched (`aws_access_key_id`, …).
    pub class: String,
}

/// The redacting seam of a context (shared by its clones).
pub(crate) struct Scrub {
    layout: Layout,
    rules: OnceLock<Option<RuleSet>>,
    warnings: Arc<Mutex<Vec<String>>>,
    found: Mutex<Vec<Redaction>>,
    /// A test's seam, after the redaction.
    inner: Option<SharedSeam>,
}

impl Scrub {
    pub(crate) fn new(
        layout: Layout,
        warnings: Arc<Mutex<Vec<String>>>,
        inner: Option<SharedSeam>,
    ) -> Scrub {
        Scrub {
            layout,
            rules: OnceLock::new(),
            warnings,
            found: Mutex::new(Vec::new()),
            inner,
        }
    }

    fn warn(&self, text: String) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(text);
        }
    }

    /// The record classes: `policy/evidence.yaml`'s, or the built-ins with
    /// a warning when it is missing-but-broken or a class does not compile.
    fn rules(&self) -> Option<&RuleSet> {
        self.rules
            .get_or_init(|| {
            let doc = match opsbook_core::policy::load_optional::<Evidence>(&self.layout) {
                Ok(p) => p.map(|p| p.redaction_document()),
                Err(e) => {
                    self.warn(format!(
                        "warning: {e}; free texts are redacted with the built-in classes only"
                    ));
                    None
                }
            };
            match RuleSet::for_records(doc.as_ref()) {
                Ok(r) => Some(r),
                Err(e) => {
                    self.warn(format!(
                        "warning: policy/evidence.yaml: {e}; free texts are redacted with the built-in classes only"
                    ));
                    // The built-ins always compile (opsbook-evidence tests them).
                    RuleSet::for_records(None).ok()
                }
            }
        })
            .as_ref()
    }

    fn redact(&self, v: &mut Value) -> Vec<opsbook_evidence::redact::RecordHit> {
        self.rules().map(|r| r.redact_json(v)).unwrap_or_default()
    }

    fn rel(&self, path: &Path) -> String {
        path.strip_prefix(self.layout.root())
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    fn record(&self, found: Vec<Redaction>) {
        for r in &found {
            let at = if r.field.is_empty() {
                String::new()
            } else {
                format!(" field `{}`", r.field.trim_start_matches('/'))
            };
            self.warn(format!(
                "warning: a secret ({}) in the{at} of this `{}` was stored as [REDACTED:{}] in {}: a ledger cannot be cleaned later; rotate the secret if it was real",
                r.class, r.kind, r.class, r.file
            ));
        }
        if let Ok(mut f) = self.found.lock() {
            f.extend(found);
        }
    }

    /// `text` with every secret replaced, for a file written at `path`
    /// (a postmortem draft); warns per class found.
    pub(crate) fn text(&self, path: &Path, text: &str) -> String {
        let mut v = Value::String(text.to_string());
        let hits = self.redact(&mut v);
        let file = self.rel(path);
        let mut classes: Vec<String> = hits.into_iter().map(|h| h.class).collect();
        classes.sort();
        classes.dedup();
        self.record(
            classes
                .into_iter()
                .map(|class| Redaction {
                    file: file.clone(),
                    kind: "text".into(),
                    field: String::new(),
                    class,
                })
                .collect(),
        );
        match v {
            Value::String(s) => s,
            _ => text.to_string(),
        }
    }

    /// The redactions made so far.
    pub(crate) fn found(&self) -> Vec<Redaction> {
        self.found.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

impl Seam for Scrub {
    fn prepare(&self, path: &Path, kind: &str, data: &mut Value) -> Result<(), LedgerError> {
        if let Value::Object(m) = &*data {
            for (field, v) in m {
                if let Value::String(s) = v {
                    check_text(field, s).map_err(|message| LedgerError::Rejected {
                        path: path.to_path_buf(),
                        message: format!("`{kind}`: {message}; nothing was written"),
                    })?;
                }
            }
        }
        let hits = self.redact(data);
        if !hits.is_empty() {
            let file = self.rel(path);
            self.record(
                hits.into_iter()
                    .map(|h| Redaction {
                        file: file.clone(),
                        kind: kind.to_string(),
                        field: h.pointer,
                        class: h.class,
                    })
                    .collect(),
            );
        }
        match &self.inner {
            Some(s) => s.prepare(path, kind, data),
            None => Ok(()),
        }
    }

    fn before_write(&self, path: &Path, kinds: &[String]) -> Result<(), LedgerError> {
        match &self.inner {
            Some(s) => s.before_write(path, kinds),
            None => Ok(()),
        }
    }
}

/// Redacts `v` with the built-in record classes: for the ledger tools that
/// work on a path outside any SSOT (`ledger append`, `ledger set-aside`).
pub(crate) fn builtin(v: &mut Value) -> Vec<opsbook_evidence::redact::RecordHit> {
    static RULES: OnceLock<Option<RuleSet>> = OnceLock::new();
    RULES
        .get_or_init(|| RuleSet::for_records(None).ok())
        .as_ref()
        .map(|r| r.redact_json(v))
        .unwrap_or_default()
}
