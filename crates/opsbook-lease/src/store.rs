//! Where lease records live: the [`Store`] contract (load, and compare-and-
//! swap against the version read) and the local backend for one host.
//!
//! [`LocalStore`] keeps `<dir>/<name>.lease.json` and takes an exclusive
//! lock on the sidecar `<dir>/<name>.lease.lock` around each swap (Windows
//! locks are mandatory: a locked byte range cannot be read, so the record
//! itself is never locked). The record is replaced atomically (temp file,
//! fsync, rename, and on Unix an fsync of the directory), so a reader sees
//! the old record or the new one, never a torn one, and a crash keeps the
//! last complete write. A process that dies while holding the lock loses it
//! with its handle: the operating system releases it.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use crate::model::Record;

/// An opaque version of a stored record: the ETag on S3, the record's
/// `write_id` locally. A swap succeeds only against the current version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(pub String);

/// A record with the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The record.
    pub record: Record,
    /// Its version.
    pub version: Version,
}

/// Why a store operation failed (the outcome is unknown or the store is
/// unusable; a lost race is not an error but `Ok(None)` from [`Store::swap`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// File-system I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The stored record cannot be read: never treated as free.
    #[error(
        "{what}: not a lease record ({message}); inspect it, never delete it (its token is the floor of the next grant)"
    )]
    Corrupt {
        /// File or object.
        what: String,
        /// Why.
        message: String,
    },
    /// The object store failed (network, credentials, bucket).
    #[error("{0}")]
    Backend(String),
    /// The store cannot do conditional writes, so it cannot hold a lease.
    #[error("{0}")]
    Unsupported(String),
}

/// A place that holds lease records and can replace one only if it is
/// still the version that was read.
pub trait Store: Send + Sync {
    /// Where, for messages and events: `file:C:\ProgramData\opsbook\leases`,
    /// `s3://bucket/prefix`.
    fn describe(&self) -> String;

    /// The record of `name` and its version; `None` if there is none.
    ///
    /// # Errors
    /// I/O, backend errors, or [`StoreError::Corrupt`].
    fn load(&self, name: &str) -> Result<Option<Stored>, StoreError>;

    /// Writes `record` if the current version is `expected` (`None`: only if
    /// no record exists). Returns the new version, or `None` when the
    /// record changed since it was read (another writer won).
    ///
    /// # Errors
    /// I/O or backend errors: the write may or may not have happened.
    fn swap(
        &self,
        name: &str,
        expected: Option<&Version>,
        record: &Record,
    ) -> Result<Option<Version>, StoreError>;
}

/// Parses a stored record; `what` names it in errors.
///
/// # Errors
/// [`StoreError::Corrupt`] with the parser's line and column.
pub fn parse_record(what: &str, bytes: &[u8]) -> Result<Record, StoreError> {
    let text = opsbook_core::text::decode(bytes).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text.text).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        message: e.to_string(),
    })
}

/// A record as stored: pretty JSON and a final newline (readable with
/// `Get-Content` and `ConvertFrom-Json`).
///
/// # Errors
/// Never in practice; an encoding failure is a [`StoreError::Backend`].
pub fn encode_record(record: &Record) -> Result<Vec<u8>, StoreError> {
    let mut bytes = serde_json::to_vec_pretty(record)
        .map_err(|e| StoreError::Backend(format!("cannot encode the record: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The local backend: one directory on this host.
#[derive(Debug, Clone)]
pub struct LocalStore {
    dir: PathBuf,
}

impl LocalStore {
    /// Records under `dir` (created on the first write). Put it in the
    /// per-machine data directory (`%ProgramData%\opsbook\leases`), not in
    /// a git-tracked SSOT: the record changes every renewal.
    #[must_use]
    pub fn new(dir: &Path) -> LocalStore {
        LocalStore {
            dir: dir.to_path_buf(),
        }
    }

    /// The record file of `name`.
    #[must_use]
    pub fn record_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.lease.json"))
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.lease.lock"))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes a rename durable: on Unix the directory entry must be synced too.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Atomic replace; on Windows a reader holding the file without
/// delete-sharing (an editor, `Get-Content -Wait`) makes the rename fail for
/// a moment: retried briefly.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tries = 0;
    loop {
        match opsbook_core::fsutil::write_atomic(path, bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            r => return r,
        }
    }
}

impl Store for LocalStore {
    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }

    fn load(&self, name: &str) -> Result<Option<Stored>, StoreError> {
        let p = self.record_path(name);
        let bytes = match std::fs::read(&p) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&p)(e)),
        };
        let record = parse_record(&p.display().to_string(), &bytes)?;
        let version = Version(record.write_id.clone());
        Ok(Some(Stored { record, version }))
    }

    fn swap(
        &self,
        name: &str,
        expected: Option<&Version>,
        record: &Record,
    ) -> Result<Option<Version>, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let lp = self.lock_path(name);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lp)
            .map_err(io(&lp))?;
        lock.lock().map_err(io(&lp))?;
        let result = (|| {
            let current = self.load(name)?.map(|s| s.version);
            if current.as_ref() != expected {
                return Ok(None);
            }
            let p = self.record_path(name);
            replace(&p, &encode_record(record)?).map_err(io(&p))?;
            sync_dir(&self.dir).map_err(io(&self.dir))?;
            Ok(Some(Version(record.write_id.clone())))
        })();
        let _ = lock.unlock();
        result
    }
}
