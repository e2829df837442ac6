//! File-system helpers: atomic writes (temp file + rename) so that no reader
//! ever sees a half-written file.

use std::io::Write;
use std::path::Path;

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
