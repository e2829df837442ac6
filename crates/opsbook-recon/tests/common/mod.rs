//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Writes `head` and `rows`, one a line, to `dir/name`.
pub fn write_rows(dir: &Path, name: &str, head: &str, rows: &[impl AsRef<str>]) -> PathBuf {
    let mut text = String::from(head);
    text.push('\n');
    for r in rows {
        text.push_str(r.as_ref());
        text.push('\n');
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Asserts an insta snapshot stored in this crate's `tests/snapshots`, an
/// absolute directory (under Wine insta cannot ask cargo for the workspace).
pub fn snap(name: &str, value: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, value));
}
