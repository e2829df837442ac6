//! A fresh starter SSOT (what `opsbook init` writes) in a temporary
//! directory, for library tests that work on a real tree.

use std::path::{Path, PathBuf};

/// Writes the starter SSOT into `dir` (created).
///
/// # Panics
/// If a file cannot be written (a test environment problem).
pub fn write_starter(dir: &Path) {
    for (rel, bytes) in opsbook_core::scaffold::files() {
        let p = dir.join(&rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create a directory");
        }
        std::fs::write(&p, bytes).expect("write a starter file");
    }
}

/// Replaces the first `from` in the file at `path` by `to`.
///
/// # Panics
/// If the file does not hold `from` (the test's assumption broke).
pub fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).expect("read");
    assert!(s.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).expect("write");
}

/// Appends `text` to `opsbook.toml` under `root`.
///
/// # Panics
/// If it cannot be read or written.
pub fn append_config(root: &Path, text: &str) {
    let p = root.join("opsbook.toml");
    let mut s = std::fs::read_to_string(&p).expect("read opsbook.toml");
    s.push_str(text);
    std::fs::write(p, s).expect("write opsbook.toml");
}

/// A TOML basic string (Windows paths carry backslashes).
#[must_use]
pub fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The root of a starter SSOT under `base` (`base/ops`).
#[must_use]
pub fn starter_in(base: &Path) -> PathBuf {
    let root = base.join("ops");
    write_starter(&root);
    root
}
