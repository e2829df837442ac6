//! Signing keys and bundle signatures (D-EVD-BUNDLE): where the key comes
//! from, creating a key pair, and the minisign signature whose trusted
//! comment pins the bundle ID and the custody head.

use std::path::{Path, PathBuf};

use crate::error::{EvidenceError, io};
use crate::hash::file_sha256;

/// Where the signing key comes from: `env:VAR` (the variable holds the key
/// file's path) or `file:PATH`.
///
/// # Errors
/// An unknown form.
pub fn key_path(key_ref: &str) -> Result<Option<PathBuf>, EvidenceError> {
    if let Some(var) = key_ref.strip_prefix("env:") {
        return Ok(std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from));
    }
    if let Some(p) = key_ref.strip_prefix("file:") {
        return Ok(Some(PathBuf::from(p)));
    }
    Err(EvidenceError::Invalid(format!(
        "signature key_ref `{key_ref}`: expected env:VAR (holding the key file's path) or file:PATH"
    )))
}

/// Creates an unencrypted minisign key pair: `<dir>/opsbook-evidence.key`
/// (secret; keep it off the SSOT) and `<dir>/opsbook-evidence.pub`.
///
/// # Errors
/// Existing files (never overwritten), I/O errors.
pub fn keygen(dir: &Path) -> Result<(PathBuf, PathBuf), EvidenceError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let sk = dir.join("opsbook-evidence.key");
    let pk = dir.join("opsbook-evidence.pub");
    for p in [&sk, &pk] {
        if p.exists() {
            return Err(EvidenceError::Invalid(format!(
                "`{}` exists; keys are never overwritten",
                p.display()
            )));
        }
    }
    let kp = minisign::KeyPair::generate_unencrypted_keypair()
        .map_err(|e| EvidenceError::Invalid(format!("key generation failed: {e}")))?;
    let sk_box = kp
        .sk
        .to_box(Some("opsbook evidence signing key"))
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    let pk_box = kp
        .pk
        .to_box()
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    write_new_private(&sk, sk_box.to_string().as_bytes()).map_err(io(&sk))?;
    opsbook_core::fsutil::write_atomic(&pk, pk_box.to_string().as_bytes()).map_err(io(&pk))?;
    Ok((sk, pk))
}

/// Writes a secret file that did not exist: a temporary file created for
/// its owner alone (mode 0600 on Unix from the first byte; on Windows the
/// user profile's ACL does this: keep the key under `%APPDATA%`), synced,
/// then published by a hard link, which fails rather than replace a file
/// that appeared meanwhile.
///
/// # Errors
/// `AlreadyExists` when `path` exists; I/O errors.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let written = o.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let published = written.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists && !path.exists() => {
            // A file system without hard links: a rename, after the check.
            std::fs::rename(&tmp, path)
        }
        r => r,
    });
    let _ = std::fs::remove_file(&tmp);
    published
}

/// Signs the ZIP with the key at `key`: writes `<zip>.minisig` whose trusted
/// comment is `bundle_id:<id> custody_head:<hash> sha256:<zip hash>`.
///
/// # Errors
/// Unreadable or encrypted key, I/O errors.
pub fn sign(
    zip: &Path,
    bundle_id: &str,
    custody_head: &str,
    key: &Path,
) -> Result<PathBuf, EvidenceError> {
    let text = std::fs::read_to_string(key).map_err(io(key))?;
    let sk = minisign::SecretKeyBox::from_string(&text)
        .and_then(minisign::SecretKeyBox::into_unencrypted_secret_key)
        .map_err(|e| {
            EvidenceError::Invalid(format!(
                "`{}` is not an unencrypted minisign secret key: {e}",
                key.display()
            ))
        })?;
    // Streamed: a bundle of hundreds of MB is never held in memory.
    let trusted = format!(
        "bundle_id:{bundle_id} custody_head:{custody_head} sha256:{}",
        file_sha256(zip)?
    );
    let data = std::io::BufReader::new(std::fs::File::open(zip).map_err(io(zip))?);
    let sig = minisign::sign(
        None,
        &sk,
        data,
        Some(&trusted),
        Some("opsbook evidence bundle"),
    )
    .map_err(|e| EvidenceError::Invalid(format!("signing failed: {e}")))?;
    let mut out = zip.as_os_str().to_os_string();
    out.push(".minisig");
    let out = PathBuf::from(out);
    opsbook_core::fsutil::write_atomic(&out, sig.to_string().as_bytes()).map_err(io(&out))?;
    Ok(out)
}
