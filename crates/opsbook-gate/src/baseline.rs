//! Baselines: grandfather today's findings so that a team adopting opsbook
//! fails only on new ones.
//!
//! A baseline is a JSON file `{"version": 1, "findings": [{"code", "file",
//! "message"}]}`. Findings match on code, file and message with digits
//! masked ([`Finding::stable_message`]): line numbers, dates and day counts
//! are not part of a finding's identity, so editing a file above a
//! grandfathered finding, or another day passing, does not resurrect it.
//! Each baseline entry absorbs at most one finding.

use std::collections::HashMap;
use std::path::Path;

use crate::Finding;

/// One grandfathered finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Rule code.
    pub code: String,
    /// File relative to the SSOT root.
    pub file: String,
    /// The finding's message.
    pub message: String,
}

/// A loaded baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// Grandfathered findings, sorted.
    pub findings: Vec<Entry>,
}

/// Why a baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// I/O.
    #[error("cannot read baseline `{0}`: {1}")]
    Io(String, std::io::Error),
    /// Not a baseline.
    #[error(
        "baseline `{0}` is not valid: {1} (expected {{\"version\": 1, \"findings\": [...]}}, as written by `opsbook gate --write-baseline`)"
    )]
    Invalid(String, String),
}

impl Baseline {
    /// Builds a baseline from findings.
    #[must_use]
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut v: Vec<Entry> = findings
            .iter()
            .map(|f| Entry {
                code: f.code.clone(),
                file: f.file.clone(),
                message: f.message.clone(),
            })
            .collect();
        v.sort_by(|a, b| (&a.file, &a.code, &a.message).cmp(&(&b.file, &b.code, &b.message)));
        Baseline {
            version: 1,
            findings: v,
        }
    }

    /// Reads a baseline file (UTF-8/UTF-16 accepted).
    ///
    /// # Errors
    /// [`BaselineError`] when unreadable or not a baseline.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| BaselineError::Io(shown.clone(), e))?;
        let text = opsbook_core::text::decode(&bytes)
            .map_err(|e| BaselineError::Invalid(shown.clone(), e.to_string()))?;
        let b: Baseline = serde_json::from_str(&text.text)
            .map_err(|e| BaselineError::Invalid(shown.clone(), e.to_string()))?;
        if b.version != 1 {
            return Err(BaselineError::Invalid(
                shown,
                format!("unsupported version {}", b.version),
            ));
        }
        Ok(b)
    }

    /// Serialises the baseline (pretty JSON, trailing newline).
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Removes findings covered by the baseline (each entry absorbs one).
    #[must_use]
    pub fn filter(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut budget: HashMap<(String, String, String), usize> = HashMap::new();
        for e in &self.findings {
            *budget
                .entry((
                    e.code.clone(),
                    e.file.clone(),
                    crate::mask_digits(&e.message),
                ))
                .or_default() += 1;
        }
        findings
            .into_iter()
            .filter(|f| {
                match budget.get_mut(&(f.code.clone(), f.file.clone(), f.stable_message())) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_absorbs_each_finding_once() {
        let f = Finding::new(
            crate::rules::lint::MISSING_SECTION,
            "a.md",
            3,
            1,
            "missing section `Backout`".into(),
            String::new(),
        );
        let mut g = f.clone();
        g.line = 40;
        let b = Baseline::from_findings(std::slice::from_ref(&f));
        let left = b.filter(vec![g.clone(), g.clone()]);
        assert_eq!(
            left.len(),
            1,
            "one entry absorbs one finding, even after a line move"
        );
        let round: Baseline = serde_json::from_str(&b.to_json()).unwrap();
        assert_eq!(round, b);
    }
}
