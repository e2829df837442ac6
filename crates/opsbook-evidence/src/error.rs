//! Why evidence work failed: I/O naming the path, a refusal to release
//! (fail closed), bad input.

use std::path::{Path, PathBuf};

/// Why collecting or sealing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// I/O on a file or directory.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The bundle must not be released (fail closed).
    #[error("no bundle released: {0}")]
    Refused(String),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}
