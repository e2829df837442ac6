//! Destinations and the local spool (D-EVD-SPOOL).
//!
//! A sealed bundle (`EVB-….zip`, `.zip.sha256`, optional `.zip.minisig`) is
//! written to the local spool first (temp → fsync → rename). Delivery copies
//! each file to the destination as `<name>.partial`, fsyncs, renames, then
//! re-reads the destination's ZIP and compares its SHA-256; only a verified
//! copy lets the spool copy go. Every step can be interrupted: a `.partial`
//! is overwritten by the next attempt, an already delivered and verified
//! bundle is not copied twice, and the spool copy is removed last.
//!
//! Destinations: a directory or UNC share (`\\server\share\path`), or
//! S3-compatible object storage (`s3://bucket/prefix`, see [`crate::s3`]). For
//! tests and drills, `OPSBOOK_FAULT` injects a failure at one step:
//! `unreachable`, `mid-upload`, `before-verify`, `abort-after-copy`.

use std::path::{Path, PathBuf};

use crate::destination::fault;
pub use crate::destination::{Destination, S3Target, strip_credentials};

/// The files of a bundle in a directory: ZIP, `.sha256`, `.minisig` if any.
#[must_use]
pub fn bundle_files(zip: &Path) -> Vec<PathBuf> {
    let mut v = vec![zip.to_path_buf()];
    for ext in [".sha256", ".minisig"] {
        let mut p = zip.as_os_str().to_os_string();
        p.push(ext);
        let p = PathBuf::from(p);
        if p.is_file() {
            v.push(p);
        }
    }
    v
}

/// Copies `src` into `dir` as `<name>.partial`, fsyncs and renames it:
/// streamed, so a bundle of hundreds of MB is never held in memory.
fn copy_atomic(src: &Path, dir: &Path) -> Result<PathBuf, String> {
    use std::io::Read;
    let name = src
        .file_name()
        .ok_or_else(|| format!("{}: no file name", src.display()))?;
    let dest = dir.join(name);
    let mut partial = dest.as_os_str().to_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut from = std::fs::File::open(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mut f =
        std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    if fault("mid-upload") {
        let len = from.metadata().map_or(0, |m| m.len());
        let _ = std::io::copy(&mut Read::by_ref(&mut from).take(len / 2), &mut f);
        return Err(format!(
            "{}: injected failure mid-upload",
            partial.display()
        ));
    }
    std::io::copy(&mut from, &mut f).map_err(|e| format!("{}: {e}", partial.display()))?;
    f.sync_all()
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    drop(f);
    std::fs::rename(&partial, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(dest)
}

/// Delivers the bundle at `zip` (with its side files) to `dest` and
/// verifies the destination copy's SHA-256 against `sha256`. Returns where
/// the ZIP now is: a path, or `s3://bucket/key`.
///
/// # Errors
/// A message naming the step that failed (unreachable, copy, verify).
pub fn deliver(zip: &Path, sha256: &str, dest: &Destination) -> Result<String, String> {
    let dir = match dest {
        Destination::Dir(d) => d,
        #[cfg(feature = "s3")]
        Destination::S3(t) => return crate::s3::deliver(&bundle_files(zip), sha256, t),
        #[cfg(not(feature = "s3"))]
        Destination::S3(t) => {
            return Err(format!(
                "{}: this opsbook was built without the `s3` feature; the bundle stays in the spool",
                t.display()
            ));
        }
    };
    if fault("unreachable") {
        return Err(format!(
            "{}: injected failure: destination unreachable",
            dir.display()
        ));
    }
    if !dir.is_dir() {
        return Err(format!(
            "{}: destination unreachable (not a directory or share that exists)",
            dir.display()
        ));
    }
    let name = zip.file_name().ok_or_else(|| "no file name".to_string())?;
    let target = dir.join(name);
    // Already there and verified: idempotent. A different file under the
    // same name is never overwritten.
    let already = match crate::bundle::file_sha256(&target) {
        Ok(h) if h == sha256 => true,
        Ok(h) => {
            return Err(format!(
                "{}: a different file (SHA-256 {h}) already has this name at the destination: not overwritten",
                target.display()
            ));
        }
        Err(_) => false,
    };
    if !already {
        for f in bundle_files(zip) {
            copy_atomic(&f, dir)?;
        }
        if fault("abort-after-copy") {
            std::process::abort();
        }
        if fault("before-verify") {
            return Err(format!(
                "{}: injected failure after upload, before verification",
                target.display()
            ));
        }
    } else {
        // Side files may be missing after an interrupted earlier attempt.
        for f in bundle_files(zip).into_iter().skip(1) {
            copy_atomic(&f, dir)?;
        }
    }
    let h = crate::bundle::file_sha256(&target).map_err(|e| {
        format!(
            "{}: cannot read back for verification: {e}",
            target.display()
        )
    })?;
    if h != sha256 {
        return Err(format!(
            "{}: the destination copy's SHA-256 is {h}, expected {sha256}",
            target.display()
        ));
    }
    Ok(target.display().to_string())
}

/// Bundles waiting in the spool: (bundle ID, ZIP path, SHA-256 from its
/// `.sha256`), oldest name first.
#[must_use]
pub fn spooled(spool: &Path) -> Vec<(String, PathBuf, String)> {
    let Ok(rd) = std::fs::read_dir(spool) else {
        return Vec::new();
    };
    let mut v: Vec<(String, PathBuf, String)> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .filter_map(|p| {
            let id = p.file_stem()?.to_str()?.to_string();
            let mut side = p.as_os_str().to_os_string();
            side.push(".sha256");
            let sha = std::fs::read_to_string(PathBuf::from(side)).ok()?;
            let sha = sha.split_whitespace().next()?.to_string();
            Some((id, p, sha))
        })
        .collect();
    v.sort();
    v
}

/// Bytes used by the spool.
#[must_use]
pub fn spool_bytes(spool: &Path) -> u64 {
    std::fs::read_dir(spool)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Removes a delivered bundle's files from the spool (last step).
///
/// # Errors
/// I/O errors.
pub fn remove_from_spool(zip: &Path) -> std::io::Result<()> {
    for f in bundle_files(zip).into_iter().rev() {
        std::fs::remove_file(f)?;
    }
    Ok(())
}

/// The default spool: `%ProgramData%\opsbook\spool` on Windows,
/// `$XDG_DATA_HOME/opsbook/spool` (or `~/.local/share/opsbook/spool`)
/// elsewhere; `OPSBOOK_SPOOL` overrides; `%VAR%` in a policy path expands.
#[must_use]
pub fn spool_dir(policy_path: Option<&str>) -> PathBuf {
    opsbook_core::fsutil::machine_dir("OPSBOOK_SPOOL", policy_path, "spool")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_leave() {
        assert_eq!(
            strip_credentials("s3://AKIAX:secret@host/bucket/p?X-Amz-Signature=abc"),
            "s3://host/bucket/p"
        );
        assert_eq!(
            strip_credentials("https://u:p@ss@minio:9000/b"),
            "https://minio:9000/b"
        );
        assert_eq!(
            strip_credentials(r"\\fileserver01\evidence"),
            r"\\fileserver01\evidence"
        );
    }
}
