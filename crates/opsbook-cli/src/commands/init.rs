//! `opsbook init DIR`: write the starter SSOT.

use anyhow::{Context, bail};

use crate::cli::InitArgs;

pub fn run(a: &InitArgs) -> anyhow::Result<u8> {
    let dir = &a.dir;
    if dir.exists() {
        if !dir.is_dir() {
            bail!("`{}` exists and is not a directory", dir.display());
        }
        let non_empty = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read `{}`", dir.display()))?
            .next()
            .is_some();
        if non_empty && !a.force {
            bail!(
                "`{}` is not empty; refusing to write into it (use --force to add the starter files; existing files are never overwritten)",
                dir.display()
            );
        }
    }
    let mut written = 0usize;
    let mut kept = Vec::new();
    for (rel, bytes) in opsbook_core::scaffold::files() {
        let p = dir.join(&rel);
        if p.exists() {
            kept.push(rel);
            continue;
        }
        opsbook_core::fsutil::write_atomic(&p, bytes)
            .with_context(|| format!("cannot write `{}`", p.display()))?;
        written += 1;
    }
    let mut msg = format!(
        "Created the opsbook SSOT in `{}` ({written} files).\n",
        dir.display()
    );
    if !kept.is_empty() {
        msg.push_str(&format!("Kept {} existing files unchanged:\n", kept.len()));
        for k in &kept {
            msg.push_str(&format!("  {k}\n"));
        }
    }
    msg.push_str(&format!(
        "Next:\n  opsbook gate --root {}          # check it (exit 0 = no error)\n  opsbook explain --all             # what the gate checks\n",
        dir.display()
    ));
    crate::output::emit(&msg, None)?;
    Ok(crate::exit::OK)
}
