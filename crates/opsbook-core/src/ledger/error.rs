//! Why a ledger operation failed ([`LedgerError`]).

use std::path::{Path, PathBuf};

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// I/O on the log or its lock.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The log ends with an incomplete line: appending would hide it.
    #[error(
        "{path}: the last line is incomplete (a write was interrupted): set it aside before appending"
    )]
    Torn {
        /// The log.
        path: PathBuf,
    },
    /// The last complete line is not a ledger event.
    #[error("{path}:{line}: the last event cannot be read ({message})")]
    BadTail {
        /// The log.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Why.
        message: String,
    },
    /// `data` or the event could not be encoded.
    #[error("cannot encode the event: {0}")]
    Encode(String),
    /// The chain is broken before the end: nothing is appended to it.
    #[error("{path}:{line}: {message}")]
    Broken {
        /// The log.
        path: PathBuf,
        /// 1-based line of the first break.
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// The operation's seam refused the event (text too long, …): nothing written.
    #[error("{path}: {message}")]
    Rejected {
        /// The log.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Repair refused: the damage is not a torn tail.
    #[error("{path}: not repairable: {message}")]
    NotRepairable {
        /// The log.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl LedgerError {
    /// The step that would help: set a torn line aside, or see where a
    /// chain breaks.
    #[must_use]
    pub fn next(&self) -> Option<crate::next::NextStep> {
        use crate::next::NextStep;
        match self {
            LedgerError::Torn { path } => Some(NextStep::RepairLedger {
                path: path.display().to_string(),
            }),
            LedgerError::BadTail { path, .. } | LedgerError::Broken { path, .. } => {
                Some(NextStep::VerifyLedger {
                    path: path.display().to_string(),
                })
            }
            _ => None,
        }
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    }
}
