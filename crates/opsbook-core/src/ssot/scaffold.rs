//! The starter SSOT (`scaffold/` in the repository), embedded in the binary.
//!
//! `opsbook init DIR` writes exactly these files; `examples/ops/` in the
//! repository is a copy kept identical by a test.

use include_dir::{Dir, include_dir};

static SCAFFOLD: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../scaffold");

/// Every scaffold file as (path relative to the SSOT root with `/`, bytes),
/// sorted by path.
#[must_use]
pub fn files() -> Vec<(String, &'static [u8])> {
    let mut out = Vec::new();
    collect(&SCAFFOLD, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
    for f in dir.files() {
        out.push((f.path().to_string_lossy().replace('\\', "/"), f.contents()));
    }
    for d in dir.dirs() {
        collect(d, out);
    }
}

/// One scaffold file's bytes by relative path.
#[must_use]
pub fn file(path: &str) -> Option<&'static [u8]> {
    SCAFFOLD.get_file(path).map(include_dir::File::contents)
}
