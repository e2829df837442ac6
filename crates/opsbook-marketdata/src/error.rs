//! The crate's one error type: every variant names the file (and the line or
//! row when there is one) and what was expected.

use std::path::{Path, PathBuf};

/// Why a scan or a repair step could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record is not what its format requires.
    #[error("{}:{line}: {expected}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// 1-based line (text) or row (JSON, Arrow, Parquet).
        line: u64,
        /// What was expected and what was found.
        expected: String,
    },
    /// The file is none of the formats the scan reads, or does not fit the
    /// declared scheme.
    #[error("{}: {reason}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A repair step would overwrite something that exists.
    #[error("{}: already exists; refusing to overwrite (choose another destination)", path.display())]
    Exists {
        /// The path that exists.
        path: PathBuf,
    },
    /// A usage error (bad option value).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A bad record at `path:line`.
    pub fn record(path: &Path, line: u64, expected: impl Into<String>) -> Error {
        Error::Record {
            path: path.to_path_buf(),
            line,
            expected: expected.into(),
        }
    }
}
