//! One line per event for timelines ([`describe`], D-INC-TIMELINE), control
//! characters shown escaped.

use serde_json::Value;

use super::*;
use crate::ledger::Event;

/// One line describing an event for timelines (no timestamp, no seq).
/// Control characters typed into a note or a title (a line break that
/// would forge a timeline line, an escape sequence that would repaint the
/// terminal) are shown escaped ([`crate::syntax::text::escape_controls`]).
#[must_use]
pub fn describe(e: &Event) -> String {
    crate::syntax::text::escape_controls(&describe_raw(e))
}

pub(crate) fn describe_raw(e: &Event) -> String {
    let d = &e.data;
    let g = |k: &str| s(d, k).unwrap_or_default();
    let reason = |d: &Value| {
        s(d, "reason")
            .map(|r| format!(" — {r}"))
            .unwrap_or_default()
    };
    match e.kind.as_str() {
        "opened" => {
            let mut t = format!("opened {} \"{}\"", g("severity"), g("title"));
            if let Some(r) = s(d, "rule") {
                t.push_str(&format!(" (rule {r})"));
            }
            t.push_str(&reason(d));
            t
        }
        "status_changed" => format!("{} → {}{}", g("from"), g("to"), reason(d)),
        "severity_changed" => format!("severity {} → {}{}", g("from"), g("to"), reason(d)),
        "decision" => {
            let alts = strs(d, "alternatives");
            format!(
                "decided: {}{}{}",
                g("decision"),
                reason(d),
                if alts.is_empty() {
                    String::new()
                } else {
                    format!(" (rejected: {})", alts.join("; "))
                }
            )
        }
        "safety_decision" => format!(
            "safety state {}{}{}",
            g("to"),
            s(d, "decision")
                .map(|x| format!(": {x}"))
                .unwrap_or_default(),
            reason(d)
        ),
        "note" => g("text"),
        "scope" => {
            let mut parts = Vec::new();
            let a = strs(d, "affected");
            if !a.is_empty() {
                parts.push(format!("affected: {}", a.join(", ")));
            }
            let n = strs(d, "not_affected");
            if !n.is_empty() {
                parts.push(format!("not affected: {}", n.join(", ")));
            }
            for k in ["detected_at", "impact_started_at", "impact_ended_at"] {
                if let Some(t) = s(d, k) {
                    parts.push(format!(
                        "{} {t}",
                        k.trim_end_matches("_at").replace('_', " ")
                    ));
                }
            }
            if let Some(t) = s(d, "text") {
                parts.push(t);
            }
            format!("scope: {}", parts.join("; "))
        }
        "evidence_attached" => {
            let sha = g("sha256");
            format!(
                "evidence {} {} (sha256 {}…)",
                s(d, "kind").unwrap_or_else(|| "bundle".into()),
                s(d, "ref")
                    .or_else(|| s(d, "bundle_id"))
                    .unwrap_or_default(),
                sha.get(..12).unwrap_or(&sha)
            )
        }
        "linked" => format!(
            "linked: {} {}",
            g("relation").replace('_', " "),
            g("incident_id")
        ),
        "recovery_acceptance" => {
            let checks = d
                .get("checks")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let failed: Vec<String> = checks
                .iter()
                .filter(|c| c.get("result").and_then(Value::as_str) != Some("pass"))
                .filter_map(|c| s(c, "id"))
                .collect();
            if d.get("passed").and_then(Value::as_bool) == Some(true) {
                format!("recovery acceptance passed ({} checks)", checks.len())
            } else {
                format!("recovery acceptance FAILED: {}", failed.join(", "))
            }
        }
        "postmortem_attached" => format!("postmortem attached: {}", g("path")),
        "merged" => format!("merged into {}{}", g("into"), reason(d)),
        "correction" => format!(
            "corrects #{}{}{}",
            d.get("corrects_seq").and_then(Value::as_u64).unwrap_or(0),
            s(d, "text").map(|t| format!(": {t}")).unwrap_or_default(),
            reason(d)
        ),
        "runbook_step" => format!(
            "runbook {} step {}: {}{}",
            g("runbook"),
            d.get("step")
                .map(|v| v.to_string().trim_matches('"').to_string())
                .unwrap_or_default(),
            g("result"),
            s(d, "note").map(|t| format!(" — {t}")).unwrap_or_default()
        ),
        other => {
            let mut t = other.replace('_', " ");
            if let Some(x) = s(d, "text").or_else(|| s(d, "reason")) {
                t.push_str(&format!(": {x}"));
            }
            t
        }
    }
}
