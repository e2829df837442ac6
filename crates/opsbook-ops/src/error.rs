//! What an operation can end in besides its outcome. Each variant maps to
//! one exit code in the CLI (`opsbook-cli/src/exit.rs`): a refusal is an
//! answer (1), a failed platform hook is its own case (4), everything else
//! is bad input, configuration or I/O (2).

use opsbook_core::next::NextStep;
use serde::Serialize;

/// A guard, a policy or the state of the record refused the step: nothing
/// was wrong with opsbook or the input, the answer is no.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Why, in words (no command lines: see `next`).
    pub message: String,
    /// The step that would let it go ahead.
    pub next: Option<NextStep>,
    /// Every unmet condition, each with its step, when the refusal names
    /// several at once (`safety set`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<opsbook_core::safety::Unmet>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The manual steps shown when a platform hook failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ManualSteps {
    /// No `manual_runbook` is configured for the hook.
    NoRunbook,
    /// The runbook is named but could not be read here.
    Unreadable {
        /// Its ID.
        runbook: String,
        /// Why.
        why: String,
    },
    /// The runbook's Mitigation and Safety sections.
    Sections {
        /// Its ID.
        runbook: String,
        /// Its file, relative to the root.
        file: String,
        /// The lines of those sections, headings included.
        lines: Vec<String>,
    },
}

/// A platform hook failed: the recorded state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookFailure {
    /// The state the hook was to switch to.
    pub to: String,
    /// The recorded state, unchanged.
    pub from: String,
    /// Re-engaging the state the platform is already recorded in.
    pub reengage: bool,
    /// Why it failed (could not start, exit code, timeout).
    pub why: String,
    /// Stopped at its timeout: the platform may be partly switched.
    pub timed_out: bool,
    /// What it wrote to stderr.
    pub stderr: String,
    /// What to do by hand.
    pub manual: ManualSteps,
    /// The incident (`halt`: opened or updated before the hook ran).
    pub incident: Option<String>,
}

impl HookFailure {
    /// The first line: what failed and what the record says now.
    #[must_use]
    pub fn headline(&self) -> String {
        if self.reengage {
            // Say how it failed: a timed-out hook is reported as timed out.
            return format!(
                "re-engaging {}: the hook failed ({}){}.",
                self.to,
                self.why,
                if self.timed_out {
                    "; it was stopped midway — check the platform"
                } else {
                    ""
                }
            );
        }
        format!(
            "the hook for {} failed ({}); the recorded state stays {}{}.",
            self.to,
            self.why,
            self.from,
            if self.timed_out {
                ", but the hook was stopped midway: the platform may be PARTLY switched — check it"
            } else {
                ""
            }
        )
    }
}

/// Why an operation did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    /// Refused (exit 1).
    #[error("{0}")]
    Refused(Refusal),
    /// The platform hook failed (exit 4).
    #[error("the hook for {} failed ({})", .0.to, .0.why)]
    HookFailed(Box<HookFailure>),
    /// Bad input: a value that is not what was expected (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// Bad input or a missing prerequisite, with the step that provides it (exit 2).
    #[error("{message}")]
    Needs {
        /// What is wrong.
        message: String,
        /// The step that would provide what is missing.
        next: NextStep,
    },
    /// A policy is missing, unreadable or invalid (exit 2).
    #[error(transparent)]
    Policy(#[from] opsbook_core::policy::PolicyError),
    /// The SSOT or its configuration cannot be used (exit 2).
    #[error(transparent)]
    Load(#[from] opsbook_core::ssot::LoadError),
    /// A ledger cannot be read or written (exit 2).
    #[error(transparent)]
    Ledger(#[from] opsbook_core::ledger::LedgerError),
    /// An incident operation failed; guards and refusals are exit 1.
    #[error(transparent)]
    Incident(#[from] opsbook_core::incident::IncidentError),
    /// Evidence collection, sealing or delivery failed (exit 2).
    #[error(transparent)]
    Evidence(#[from] opsbook_evidence::bundle::EvidenceError),
    /// A file could not be read or written (exit 2).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Anything else (exit 2).
    #[error("{0}")]
    Other(String),
}

impl OpsError {
    /// A refusal with its way forward.
    #[must_use]
    pub fn refused(message: impl Into<String>, next: Option<NextStep>) -> OpsError {
        OpsError::Refused(Refusal {
            message: message.into(),
            next,
            unmet: Vec::new(),
        })
    }

    /// A refusal naming every unmet condition; `next` is the first one's step.
    #[must_use]
    pub fn refused_unmet(
        message: impl Into<String>,
        unmet: Vec<opsbook_core::safety::Unmet>,
    ) -> OpsError {
        OpsError::Refused(Refusal {
            message: message.into(),
            next: unmet.iter().find_map(|u| u.next.clone()),
            unmet,
        })
    }

    /// Bad input.
    #[must_use]
    pub fn invalid(message: impl Into<String>) -> OpsError {
        OpsError::Invalid(message.into())
    }

    /// Bad input, with the step that provides what is missing.
    #[must_use]
    pub fn needs(message: impl Into<String>, next: NextStep) -> OpsError {
        OpsError::Needs {
            message: message.into(),
            next,
        }
    }

    /// An I/O error on `path`.
    #[must_use]
    pub fn io(path: &std::path::Path, source: std::io::Error) -> OpsError {
        OpsError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// Whether this is an answer ("no"), not a failure of opsbook.
    #[must_use]
    pub fn is_refusal(&self) -> bool {
        use opsbook_core::incident::IncidentError;
        matches!(
            self,
            OpsError::Refused(_)
                | OpsError::Incident(IncidentError::Guard(_) | IncidentError::Refused(_))
        )
    }

    /// The step that would help, when the error knows one.
    #[must_use]
    pub fn next(&self) -> Option<NextStep> {
        use opsbook_core::incident::IncidentError;
        match self {
            OpsError::Refused(r) => r.next.clone(),
            OpsError::Needs { next, .. } => Some(next.clone()),
            OpsError::Incident(IncidentError::Guard(g)) => g.next(),
            OpsError::Incident(IncidentError::Ledger(l)) | OpsError::Ledger(l) => l.next(),
            OpsError::Load(opsbook_core::ssot::LoadError::NotAnSsot(_)) => {
                Some(NextStep::CreateSsot)
            }
            OpsError::Load(opsbook_core::ssot::LoadError::Config { .. }) => Some(NextStep::RunGate),
            _ => None,
        }
    }
}

impl From<opsbook_core::drills::DrillError> for OpsError {
    fn from(e: opsbook_core::drills::DrillError) -> OpsError {
        OpsError::Other(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_out_hook_is_reported_as_timed_out_even_when_re_engaging() {
        let mut f = HookFailure {
            to: "HALTED".into(),
            from: "HALTED".into(),
            reengage: true,
            why: "timed out after 20 s and was killed".into(),
            timed_out: true,
            stderr: String::new(),
            manual: ManualSteps::NoRunbook,
            incident: None,
        };
        assert_eq!(
            f.headline(),
            "re-engaging HALTED: the hook failed (timed out after 20 s and was killed); it was stopped midway — check the platform."
        );
        f.reengage = false;
        f.from = "NORMAL".into();
        assert!(f.headline().contains("timed out after 20 s"));
        assert!(f.headline().contains("PARTLY switched"));
    }
}
