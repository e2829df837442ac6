//! The signing key pair of evidence bundles (minisign format) and where
//! it goes by default.

use std::path::{Path, PathBuf};

use opsbook_evidence::bundle;
use serde::Serialize;

use crate::OpsError;

/// Where the signing keys go by default: the user's opsbook config directory.
///
/// # Errors
/// None of `APPDATA`, `XDG_CONFIG_HOME`, `HOME` is set.
pub fn default_key_dir() -> Result<PathBuf, OpsError> {
    let base = std::env::var_os("APPDATA")
        .or_else(|| std::env::var_os("XDG_CONFIG_HOME"))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| OpsError::invalid("no APPDATA/XDG_CONFIG_HOME/HOME: pass --out DIR"))?;
    Ok(base.join("opsbook"))
}

/// The signing key pair that [`keygen`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Keys {
    /// The secret key (keep it off the SSOT).
    pub secret: String,
    /// The public key (give it to whoever verifies bundles).
    pub public: String,
}

/// Creates the signing key pair (minisign format) in `dir`.
///
/// # Errors
/// A key already there (never replaced), I/O.
pub fn keygen(dir: &Path) -> Result<Keys, OpsError> {
    let (sk, pk) = bundle::keygen(dir)?;
    Ok(Keys {
        secret: sk.display().to_string(),
        public: pk.display().to_string(),
    })
}
