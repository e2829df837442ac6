//! Redaction of opsbook's own records (D-EVD-LIMITS, issue 13 item 2): the
//! free texts of a ledger event or a postmortem, which an operator types
//! (titles, notes, reasons, references) or a hook prints (stdout/stderr),
//! scanned by the same classes as evidence before they are written — a
//! hash-chained log cannot be cleaned later.
//!
//! The rule set for records is the evidence policy's secret classes without
//! the personal-data ones (an operator's e-mail or a `C:\Users\NAME` spool
//! path in a custody event is the record itself, not a leak). Each string of
//! a JSON value is scanned on its own, so two fields never combine into a
//! match (`"token": "…"` is a field name, not a labelled secret).

use serde_json::Value;

use super::{Personal, RuleError, RuleSet};

/// One redaction in a JSON record: where (a JSON pointer such as `/note`
/// or `/steps/2/stdout`) and which class — never the value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordHit {
    /// JSON pointer of the string (RFC 6901), `""` for a bare string.
    pub pointer: String,
    /// Class ID.
    pub class: String,
}

impl RuleSet {
    /// The classes for opsbook's own records: built-ins and the policy's
    /// `redaction.classes` (and `replacement`), personal-data classes off.
    /// `policy` is the document of `policy/evidence.yaml` (or `None`: the
    /// built-ins).
    ///
    /// # Errors
    /// A policy class without an ID or pattern, or one that does not compile.
    pub fn for_records(policy: Option<&Value>) -> Result<RuleSet, RuleError> {
        let mut doc = policy.cloned().unwrap_or_else(|| serde_json::json!({}));
        if let Some(o) = doc.as_object_mut() {
            let red = o
                .entry("redaction")
                .or_insert_with(|| serde_json::json!({}));
            if let Some(r) = red.as_object_mut() {
                let off = Personal {
                    email: false,
                    ip: false,
                    windows_user: false,
                };
                r.insert(
                    "personal_data".into(),
                    serde_json::to_value(off).unwrap_or(Value::Null),
                );
            }
        }
        RuleSet::from_policy(Some(&doc))
    }

    /// Redacts every string of `value` in place (object keys are kept);
    /// returns what was redacted, in document order. A string that cannot
    /// be scanned becomes `[REDACTED:unscannable]` (fail closed).
    pub fn redact_json(&self, value: &mut Value) -> Vec<RecordHit> {
        let mut hits = Vec::new();
        walk(
            value,
            &mut String::new(),
            &mut |ptr, s| match self.redact(s, None) {
                Ok(r) if r.hits.is_empty() => None,
                Ok(r) => {
                    let mut classes: Vec<String> = r.hits.iter().map(|h| h.rule.clone()).collect();
                    classes.dedup();
                    for class in classes {
                        hits.push(RecordHit {
                            pointer: ptr.to_string(),
                            class,
                        });
                    }
                    Some(r.text)
                }
                Err(_) => {
                    hits.push(RecordHit {
                        pointer: ptr.to_string(),
                        class: "unscannable".into(),
                    });
                    Some("[REDACTED:unscannable]".into())
                }
            },
        );
        hits
    }

    /// What [`RuleSet::redact_json`] would redact in `value`, without
    /// changing it.
    #[must_use]
    pub fn scan_json(&self, value: &Value) -> Vec<RecordHit> {
        let mut copy = value.clone();
        self.redact_json(&mut copy)
    }
}

/// Calls `f(pointer, text)` on every string of `v`; a returned text
/// replaces the string.
fn walk(v: &mut Value, ptr: &mut String, f: &mut dyn FnMut(&str, &str) -> Option<String>) {
    match v {
        Value::String(s) => {
            if let Some(t) = f(ptr, s) {
                *s = t;
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                walk(x, ptr, f);
                ptr.truncate(len);
            }
        }
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&k.replace('~', "~0").replace('/', "~1"));
                walk(x, ptr, f);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_string_of_a_record_is_redacted_on_its_own() {
        let rs = RuleSet::for_records(None).unwrap();
        let mut v = serde_json::json!({
            "title": "key leak AKIAIOSFODNN7EXAMPLE seen",
            "token": "plain",
            "steps": [{"stdout": "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345'"}],
            "who": "ops@example.com",
            "n": 3
        });
        let hits = rs.redact_json(&mut v);
        assert_eq!(
            v["title"], "key leak [REDACTED:aws_access_key_id] seen",
            "{v}"
        );
        assert_eq!(v["token"], "plain");
        assert!(
            !v["steps"][0]["stdout"]
                .as_str()
                .unwrap()
                .contains("abcdefghijklmnop"),
            "{v}"
        );
        // Personal data is not a secret in a record.
        assert_eq!(v["who"], "ops@example.com");
        let at: Vec<(&str, &str)> = hits
            .iter()
            .map(|h| (h.pointer.as_str(), h.class.as_str()))
            .collect();
        assert!(at.contains(&("/title", "aws_access_key_id")), "{at:?}");
        assert!(at.iter().any(|(p, _)| *p == "/steps/0/stdout"), "{at:?}");
        assert!(
            !at.iter().any(|(p, _)| *p == "/token" || *p == "/who"),
            "{at:?}"
        );
        assert!(rs.scan_json(&v).is_empty());
    }
}
