//! A runbook's `required_evidence`: what evidence the runbook asks for
//! (D-EVD-BUNDLE, seed §5.1 "no zero-evidence").
//!
//! Each item is either free text for the operator (`"w32tm /query /status
//! output"`) or a structured item that `opsbook evidence collect --runbook`
//! collects by itself:
//!
//! ```yaml
//! required_evidence:
//!   - what: "W32Time status"
//!     command: "w32tm /query /status /verbose"   # PowerShell on Windows
//!     name: w32tm-status                         # optional; from `what` if absent
//!   - what: "Engine and gateway logs"
//!     path: 'D:\trading\logs\*.log'             # a file or a glob
//! ```

use serde_json::Value;

/// One required-evidence item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    /// What is asked for, for people.
    pub what: String,
    /// A file or glob to collect.
    pub path: Option<String>,
    /// A read-only command whose output to collect (PowerShell on Windows,
    /// `sh -c` elsewhere).
    pub command: Option<String>,
    /// The command output's name in the bundle (`[a-z0-9-]`).
    pub name: String,
}

impl EvidenceItem {
    /// `what`, with the path or command it names.
    #[must_use]
    pub fn describe(&self) -> String {
        match (&self.path, &self.command) {
            (Some(p), _) => format!("{} (file: {p})", self.what),
            (_, Some(c)) => format!("{} (command: {c})", self.what),
            _ => self.what.clone(),
        }
    }
}

/// `[a-z0-9-]` slug of `s`, at most 40 characters, `evidence` if empty.
#[must_use]
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "evidence".into()
    } else {
        out
    }
}

/// The items of a runbook's front matter (`required_evidence`); items of
/// another shape are skipped (the runbook contract reports them).
#[must_use]
pub fn items(front_matter: &Value) -> Vec<EvidenceItem> {
    front_matter
        .get("required_evidence")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(EvidenceItem {
                        what: s.clone(),
                        path: None,
                        command: None,
                        name: slug(s),
                    }),
                    Value::Object(o) => {
                        let get = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
                        let what = get("what")?;
                        Some(EvidenceItem {
                            name: get("name").map_or_else(|| slug(&what), |n| slug(&n)),
                            path: get("path"),
                            command: get("command"),
                            what,
                        })
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_structured_items() {
        let v: Value = serde_json::json!({"required_evidence": [
            "Listing of %ProgramData%\\opsbook\\spool",
            {"what": "W32Time status", "command": "w32tm /query /status /verbose"},
            {"what": "Logs", "path": "D:\\trading\\logs\\*.log", "name": "Engine Logs"},
            42
        ]});
        let i = items(&v);
        assert_eq!(i.len(), 3);
        assert_eq!(i[0].name, "listing-of-programdata-opsbook-spool");
        assert_eq!(i[0].command, None);
        assert_eq!(i[1].name, "w32time-status");
        assert_eq!(
            i[1].describe(),
            "W32Time status (command: w32tm /query /status /verbose)"
        );
        assert_eq!(i[2].name, "engine-logs");
        assert_eq!(i[2].path.as_deref(), Some("D:\\trading\\logs\\*.log"));
        assert_eq!(slug("日本語"), "evidence");
    }
}
