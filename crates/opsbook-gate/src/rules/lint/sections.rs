//! The required sections of a runbook (OB101–OB104, D-RB-SECTIONS): present, bilingual, not empty, not repeated.

use crate::rules::{Level, Rule};

/// `OB101` `missing-section`: a runbook lacks a section its kind requires.
pub const MISSING_SECTION: &Rule = &Rule {
    code: "OB101",
    name: "missing-section",
    level: Level::Error,
    requirement: "D-RB-SECTIONS",
    summary: "a runbook lacks a section its kind requires",
    doc: "## What it does
Checks that each runbook has every level-2 section its `kind` requires (see `docs/formats.md`): Prerequisites, Triage, Safety, Evidence, Mitigation, Recovery, Validation, Backout, Post-Recovery Watch, Related, Do-Not-Do.

## Why is this bad?
The seed's order safe → evidence → observe → recover → verify → learn only works if every runbook walks it. A runbook without Backout leaves the operator stranded when the fix goes wrong.

## Example
A MITIGATION runbook with no `## Backout / 切り戻し`.

Use instead: add the section; if it truly does not apply, say so: `Not applicable / 該当なし — <reason>`.",
};

/// `OB102` `heading-not-bilingual`: a required section heading is not `English / 日本語` as in the glossary.
pub const HEADING_NOT_BILINGUAL: &Rule = &Rule {
    code: "OB102",
    name: "heading-not-bilingual",
    level: Level::Error,
    requirement: "D-I18N",
    summary: "a required section heading is not `English / 日本語` as in the glossary",
    doc: "## What it does
Checks that required section headings carry both languages, English first, with the glossary's Japanese term: `## Backout / 切り戻し`.

## Why is this bad?
The seed requires ja/en headings at least (D-I18N): the on-call operator may read either language, and the gate, the console and search rely on one name per term.

## Example
`## Backout`

Use instead: `## Backout / 切り戻し`.",
};

/// `OB103` `empty-section`: a required section has no content.
pub const EMPTY_SECTION: &Rule = &Rule {
    code: "OB103",
    name: "empty-section",
    level: Level::Error,
    requirement: "D-RB-SECTIONS",
    summary: "a required section has no content",
    doc: "## What it does
Reports opsbook sections that say nothing before the next section: nothing at all, or only an HTML comment, a horizontal rule, an empty code fence, `&nbsp;`, an anchor, or sub-headings without text under them.

## Why is this bad?
An empty section passes a heading check while telling the operator nothing.

## Example
```markdown
## Backout / 切り戻し

## Related / 関連
```
Use instead: write the steps, or `Not applicable / 該当なし — <reason>`.",
};

/// `OB104` `duplicate-section`: a required section appears twice.
pub const DUPLICATE_SECTION: &Rule = &Rule {
    code: "OB104",
    name: "duplicate-section",
    level: Level::Error,
    requirement: "D-RB-SECTIONS",
    summary: "a required section appears twice",
    doc: "## What it does
Reports a required section heading that appears more than once in a runbook.

## Why is this bad?
Two Backout sections mean the operator has to guess which one is current.

## Example
Two `## Backout / 切り戻し` headings.

Use instead: merge them.",
};
