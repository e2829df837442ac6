//! File-system helpers: atomic writes (temp file + rename) so that no reader
//! ever sees a half-written file, and the per-machine data directory
//! (`%ProgramData%\opsbook\…`) of what must not live in the SSOT's git
//! tree (the evidence spool, local leases).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory is written, flushed to disk, and renamed over `path`.
///
/// A target that exists and is not a regular file (`/dev/null`, a FIFO,
/// Windows `NUL`) is written to directly: renaming over a device would
/// replace it.
///
/// # Errors
/// Any I/O error; the target is left untouched in that case.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) || is_windows_device(path)
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        return f.write_all(bytes);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A per-machine data directory: the environment variable `env_var` when
/// set, else `configured` (with `%VAR%` expanded; a value with an unset
/// variable, or with backslashes off Windows, is ignored), else
/// `%ProgramData%\opsbook\<leaf>` on Windows and
/// `$XDG_DATA_HOME/opsbook/<leaf>` (or `~/.local/share/opsbook/<leaf>`)
/// elsewhere.
#[must_use]
pub fn machine_dir(env_var: &str, configured: Option<&str>, leaf: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = configured.and_then(expand_percent_vars)
        && !p.is_empty()
        && (cfg!(windows) || !p.contains('\\'))
    {
        return PathBuf::from(p);
    }
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData")
            .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
        return base.join("opsbook").join(leaf);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))
        .unwrap_or_else(|| PathBuf::from("/var/lib"));
    base.join("opsbook").join(leaf)
}

/// `%VAR%` replaced by the variable's value; `None` when one is unset. A
/// lone `%` is kept.
fn expand_percent_vars(p: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = p;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('%') {
            Some(j) => {
                out.push_str(&std::env::var(&after[..j]).ok()?);
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Whether a path names a reserved Windows device (`NUL`, `CON`, `COM1`, …).
fn is_windows_device(path: &Path) -> bool {
    cfg!(windows)
        && path.file_stem().and_then(|s| s.to_str()).is_some_and(|s| {
            let s = s.to_ascii_uppercase();
            matches!(s.as_str(), "NUL" | "CON" | "PRN" | "AUX")
                || ((s.starts_with("COM") || s.starts_with("LPT"))
                    && s.len() == 4
                    && s.as_bytes()[3].is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_dir_order_env_then_configured_then_platform() {
        let d = machine_dir(
            "OPSBOOK_TEST_MACHINE_DIR_UNSET",
            Some("/srv/opsbook/leases"),
            "leases",
        );
        assert_eq!(d, Path::new("/srv/opsbook/leases"));
        // An unset %VAR% falls back to the platform default.
        let d = machine_dir(
            "OPSBOOK_TEST_MACHINE_DIR_UNSET",
            Some("%OPSBOOK_TEST_UNSET_VAR%/x"),
            "leases",
        );
        assert!(d.ends_with(Path::new("opsbook").join("leases")), "{d:?}");
        assert_eq!(expand_percent_vars("a%b").as_deref(), Some("a%b"));
        assert_eq!(expand_percent_vars("%OPSBOOK_TEST_UNSET_VAR%"), None);
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn dev_null_stays_a_device() {
        write_atomic(Path::new("/dev/null"), b"x").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    }
}
