//! The changed-file summary against `--base` (OB901, D-GATE-SUMMARY). Not a finding: `Report::changes`.

use crate::rules::{Level, Rule};

/// `OB901` `changed-files`: the changed-file summary against --base.
pub const CHANGED_FILES: &Rule = &Rule {
    code: "OB901",
    name: "changed-files",
    level: Level::Info,
    requirement: "D-GATE-SUMMARY",
    summary: "the changed-file summary against --base",
    doc: "## What it does
With `--base REF`, lists the files changed against the git ref (committed, staged, unstaged and untracked), each with its kind (runbook, policy, plan, …), in every report format, and appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when that is set. When the summary cannot be made (not a git work tree, unknown ref) the gate stops with exit 2: a CI gate that silently skips its summary would hide documentation changes.

## Why is this bad?
Seed §4.1.6: documentation changes must always be visible in the CI summary, so reviewers see which runbooks and policies a change touches.

## Example
`opsbook gate --base origin/mian`

Use instead: a ref that exists (`git fetch --depth=1 origin main` first in shallow CI clones).",
};
