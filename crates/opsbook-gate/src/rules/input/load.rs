//! Problems met while loading the SSOT (OB001–OB007): unreadable, undecodable, oversized or empty files, syntax errors and front matter.

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use crate::span::Extent;
use opsbook_core::ssot::ProblemKind;

/// `OB001` `unreadable-file`: a file of the SSOT cannot be read or walked.
pub const UNREADABLE_FILE: &Rule = &Rule {
    code: "OB001",
    name: "unreadable-file",
    level: Level::Error,
    requirement: "D-VERIFY",
    summary: "a file of the SSOT cannot be read or walked",
    doc: "## What it does
Reports files and directories the gate cannot read: permission errors, files that vanish during the run, unreadable directories and symbolic-link loops.

## Why is this bad?
A file the gate cannot read is a file nobody has checked. At 3 a.m. the operator trusts that every runbook passed the gate.

## Example
```text
runbooks/platform/loop -> ../platform   (a symlink to its own parent)
```
Use instead: remove the loop, or fix the permissions so the CI user can read every file.",
};

/// `OB002` `undecodable-text`: a file is not text in a supported encoding.
pub const UNDECODABLE_TEXT: &Rule = &Rule {
    code: "OB002",
    name: "undecodable-text",
    level: Level::Error,
    requirement: "D-WIN",
    summary: "a file is not text in a supported encoding",
    doc: "## What it does
Reports files that are not UTF-8, UTF-8 with BOM, or UTF-16LE/BE with BOM, naming the line and byte of the first bad byte. Binary junk named `.md` and UTF-16 saved without a BOM land here.

## Why is this bad?
A runbook that cannot be decoded cannot be linted, rendered in the console, or searched by symptom.

## Example
A runbook saved by an old editor in Shift_JIS.

Use instead: in PowerShell, `Get-Content old.md -Encoding Default | Set-Content new.md -Encoding utf8`.",
};

/// `OB003` `file-too-large`: a file is over the size limit for its kind.
pub const FILE_TOO_LARGE: &Rule = &Rule {
    code: "OB003",
    name: "file-too-large",
    level: Level::Error,
    requirement: "D-VERIFY",
    summary: "a file is over the size limit for its kind",
    doc: "## What it does
Reports runbooks over 2 MiB and other SSOT files over 32 MiB. They are not parsed.

## Why is this bad?
A runbook is read under pressure; a multi-megabyte runbook is a log dump or an accident, not a procedure. Large files also slow every gate run.

## Example
A 50 MB Markdown file with a pasted log.

Use instead: keep logs in an evidence bundle and link its ID from the runbook.",
};

/// `OB004` `empty-file`: a file is empty.
pub const EMPTY_FILE: &Rule = &Rule {
    code: "OB004",
    name: "empty-file",
    level: Level::Error,
    requirement: "D-VERIFY",
    summary: "a file is empty",
    doc: "## What it does
Reports empty (or whitespace-only) runbooks, registries, policies and plans.

## Why is this bad?
An empty file in the SSOT is either unfinished work or a truncated write; either way it promises something it does not hold.

## Example
`policy/time.yaml` with zero bytes.

Use instead: restore the file from git, or delete it and its references.",
};

/// `OB005` `invalid-syntax`: YAML, TOML or JSON does not parse (syntax, duplicate key, tab indentation).
pub const INVALID_SYNTAX: &Rule = &Rule {
    code: "OB005",
    name: "invalid-syntax",
    level: Level::Error,
    requirement: "D-CONTRACTS",
    summary: "YAML, TOML or JSON does not parse (syntax, duplicate key, tab indentation)",
    doc: "## What it does
Reports syntax errors in YAML (including duplicate mapping keys and tab indentation), TOML and JSON Lines, with the line and column.

## Why is this bad?
A YAML file with a duplicate key silently keeps one of the values in most tools; opsbook refuses to guess which one you meant.

## Example
```yaml
severity: P1
severity: P0
```
Use instead: one key, one value.",
};

/// `OB006` `missing-front-matter`: a runbook or postmortem has no YAML front matter.
pub const MISSING_FRONT_MATTER: &Rule = &Rule {
    code: "OB006",
    name: "missing-front-matter",
    level: Level::Error,
    requirement: "D-RB-TEMPLATE",
    summary: "a runbook or postmortem has no YAML front matter",
    doc: "## What it does
Reports runbooks and postmortems that do not start with a `---` front-matter block on line 1 — including front matter after blank lines and TOML front matter (`+++`), which are named as such (`opsbook adopt` converts both).

## Why is this bad?
The front matter carries the ID, kind, owner, danger tiers and verification dates that every other check relies on.

## Example
```markdown
# Clock drift
...
```
Use instead:
```markdown
---
runbook_id: RB-PLAT-TIME-DRIFT
...
---
# Clock drift
```",
};

/// `OB007` `invalid-front-matter`: front matter is not terminated or is not a mapping.
pub const INVALID_FRONT_MATTER: &Rule = &Rule {
    code: "OB007",
    name: "invalid-front-matter",
    level: Level::Error,
    requirement: "D-RB-TEMPLATE",
    summary: "front matter is not terminated or is not a mapping",
    doc: "## What it does
Reports a front matter that opens with `---` but never closes, or that is not a mapping of `key: value` lines.

## Why is this bad?
An unterminated front matter swallows the whole runbook into metadata.

## Example
```markdown
---
runbook_id: RB-X-Y
# Title
```
Use instead: close the block with a line `---`.",
};

/// The line of the first definition that a duplicate-key message names
/// (`… (first defined at line N)`, as `opsbook_core::ssot` words it).
fn first_definition(message: &str) -> Option<usize> {
    message
        .strip_suffix(')')?
        .rsplit_once("(first defined at line ")?
        .1
        .parse()
        .ok()
}

/// OB001–OB007: problems met while loading.
pub fn load_problems(cx: &mut Ctx<'_>) {
    for p in &cx.ssot.problems {
        let (code, help) = match p.kind {
            ProblemKind::Io | ProblemKind::Walk => (
                rules::input::UNREADABLE_FILE,
                "fix permissions or remove the link loop",
            ),
            ProblemKind::Decode => (
                rules::input::UNDECODABLE_TEXT,
                "save the file as UTF-8 (PowerShell: `Set-Content -Encoding utf8`)",
            ),
            ProblemKind::TooLarge => (
                rules::input::FILE_TOO_LARGE,
                "move bulk data into an evidence bundle and link it",
            ),
            ProblemKind::Empty => (
                rules::input::EMPTY_FILE,
                "restore the file from git, or delete it and its references",
            ),
            ProblemKind::Yaml => (
                rules::input::INVALID_SYNTAX,
                "fix the YAML at the line shown; YAML indents with spaces, never tabs",
            ),
            ProblemKind::Toml => (
                rules::input::INVALID_SYNTAX,
                "fix the TOML at the line shown (`key = \"value\"`, `[table]`)",
            ),
            ProblemKind::Json => (
                rules::input::INVALID_SYNTAX,
                "each line of a .jsonl file must be one complete JSON object",
            ),
            ProblemKind::FrontMatterMissing => (
                rules::input::MISSING_FRONT_MATTER,
                "start the file with `---`, the metadata (see runbooks/templates/runbook.md), and `---`",
            ),
            ProblemKind::FrontMatterInvalid => (
                rules::input::INVALID_FRONT_MATTER,
                "front matter is `---`, then `key: value` lines (see runbooks/templates/runbook.md), then a closing `---`",
            ),
        };
        let mut finding = Finding::new(
            code,
            &p.file,
            p.line,
            p.col,
            p.message.clone(),
            help.to_string(),
        );
        if let Some(first) = first_definition(&p.message) {
            // A duplicate key: the second key, and the first as a label.
            finding = finding.token().with_related_covering(
                &p.file,
                first,
                1,
                "first defined here".into(),
                Extent::Token,
            );
        } else if matches!(p.kind, ProblemKind::FrontMatterInvalid) {
            // The `---` that opens a block that never closes.
            finding = finding.covering(Extent::Line);
        }
        cx.out.push(finding);
    }
}
