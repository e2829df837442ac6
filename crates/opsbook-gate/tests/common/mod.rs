//! What the gate's integration tests share: a copy of the example SSOT.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A copy of `examples/ops` (what `opsbook init` writes) at `<tmp>/ops`.
pub fn example_ssot() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("ops");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ops"),
        &root,
    );
    (t, root)
}

/// The gate's options for tests: as of 2026-11-29, no base, no baseline.
pub fn options() -> opsbook_gate::Options {
    opsbook_gate::Options {
        as_of: jiff::civil::date(2026, 11, 29),
        runbook_base: None,
        baseline: None,
    }
}
