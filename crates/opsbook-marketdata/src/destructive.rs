//! Destructive recovery (D-DATA-DESTRUCTIVE): replay, reprocess, re-ingest
//! or overwrite of data others consume. This crate never asks for
//! confirmation itself: every call here takes an [`Approval`] that the
//! operations layer produces only after the safety matrix allowed
//! `replay_reprocess_data`, no freeze blocked it, the one-person high-danger
//! confirmation passed and evidence of the inputs was sealed. The only
//! "overwrite" offered is a pointer switch to a new version, the previous one
//! kept (backout = switch back), as the data-integrity spec requires.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The safety-matrix action every destructive data operation falls under.
pub const ACTION: &str = "replay_reprocess_data";

/// Proof that a destructive data action was approved. Implemented by the
/// operations layer; a value must exist only after its checks passed.
pub trait Approval {
    /// The approved safety-matrix action (must be [`ACTION`]).
    fn action(&self) -> &str;
    /// The exact target the approval names (the pointer file's path as typed).
    fn target(&self) -> &str;
    /// The approval record: confirmation / decision-log reference.
    fn approval_ref(&self) -> &str;
    /// The sealed evidence of the inputs, taken before.
    fn evidence_ref(&self) -> &str;
}

/// What a pointer switch did (enough to switch back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    /// The pointer file.
    pub pointer: PathBuf,
    /// The version it named before (empty when new).
    pub previous: String,
    /// The version it names now.
    pub current: String,
    /// Approval reference.
    pub approval_ref: String,
    /// Evidence reference.
    pub evidence_ref: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

/// Points `pointer` (a one-line file naming the current data version, e.g.
/// `CURRENT`) at `new_version`, a directory beside it that must exist; the
/// previous version is left as it is. Each switch is appended to
/// `<pointer>.history.jsonl`.
///
/// # Errors
/// [`Error::Usage`] when the approval is for another action or target, or
/// carries no approval or evidence reference, or `new_version` does not
/// exist; I/O errors.
pub fn switch_version(
    approval: &dyn Approval,
    pointer: &Path,
    new_version: &str,
) -> Result<Switch, Error> {
    if approval.action() != ACTION {
        return Err(Error::Usage(format!(
            "refused: the approval is for `{}`, not `{ACTION}`",
            approval.action()
        )));
    }
    if Path::new(approval.target()) != pointer {
        return Err(Error::Usage(format!(
            "refused: the approval names `{}`, not `{}`",
            approval.target(),
            pointer.display()
        )));
    }
    if approval.approval_ref().trim().is_empty() || approval.evidence_ref().trim().is_empty() {
        return Err(Error::Usage(
            "refused: an approval needs a confirmation reference and sealed evidence taken before"
                .into(),
        ));
    }
    let dir = pointer
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if new_version.contains(['/', '\\']) || !dir.join(new_version).is_dir() {
        return Err(Error::Usage(format!(
            "refused: `{new_version}` is not a version directory beside {}; write the new version first, never over the old",
            pointer.display()
        )));
    }
    let previous = match std::fs::read_to_string(pointer) {
        Ok(s) => s.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(pointer, e)),
    };
    let sw = Switch {
        pointer: pointer.to_path_buf(),
        previous,
        current: new_version.to_string(),
        approval_ref: approval.approval_ref().to_string(),
        evidence_ref: approval.evidence_ref().to_string(),
        at: jiff::Timestamp::now().to_string(),
    };
    let mut hist = pointer.as_os_str().to_owned();
    hist.push(".history.jsonl");
    let hist = PathBuf::from(hist);
    let mut bytes = match std::fs::read(&hist) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(&hist, e)),
    };
    bytes.extend_from_slice(serde_json::to_string(&sw).unwrap_or_default().as_bytes());
    bytes.push(b'\n');
    opsbook_core::fsutil::write_atomic(&hist, &bytes).map_err(|e| Error::io(&hist, e))?;
    opsbook_core::fsutil::write_atomic(pointer, format!("{new_version}\n").as_bytes())
        .map_err(|e| Error::io(pointer, e))?;
    Ok(sw)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A(&'static str, String, &'static str);
    impl Approval for A {
        fn action(&self) -> &str {
            self.0
        }
        fn target(&self) -> &str {
            &self.1
        }
        fn approval_ref(&self) -> &str {
            self.2
        }
        fn evidence_ref(&self) -> &str {
            "EVB-1"
        }
    }

    #[test]
    fn switch_needs_the_right_approval_and_keeps_the_old_version() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("CURRENT");
        std::fs::create_dir(t.path().join("v1")).unwrap();
        std::fs::create_dir(t.path().join("v2")).unwrap();
        std::fs::write(&p, "v1\n").unwrap();
        let target = p.display().to_string();
        assert!(switch_version(&A("restart_service", target.clone(), "C-1"), &p, "v2").is_err());
        assert!(switch_version(&A(ACTION, "other".into(), "C-1"), &p, "v2").is_err());
        assert!(switch_version(&A(ACTION, target.clone(), ""), &p, "v2").is_err());
        assert!(switch_version(&A(ACTION, target.clone(), "C-1"), &p, "v3").is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "v1\n");
        let s = switch_version(&A(ACTION, target, "C-1"), &p, "v2").unwrap();
        assert_eq!((s.previous.as_str(), s.current.as_str()), ("v1", "v2"));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "v2\n");
        assert!(t.path().join("v1").is_dir());
        let h = std::fs::read_to_string(t.path().join("CURRENT.history.jsonl")).unwrap();
        assert!(h.contains("\"previous\":\"v1\"") && h.contains("C-1"));
    }
}
