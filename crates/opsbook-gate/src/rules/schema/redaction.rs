//! Redaction classes of `policy/evidence.yaml` (OB203, OB204, D-EVD-LIMITS).

use crate::rules::{Level, Rule};

/// `OB203` `redaction-class-invalid`: a redaction class of the evidence policy cannot be used.
pub const REDACTION_CLASS_INVALID: &Rule = &Rule {
    code: "OB203",
    name: "redaction-class-invalid",
    level: Level::Error,
    requirement: "D-EVD-LIMITS",
    summary: "a redaction class of the evidence policy cannot be used",
    doc: "## What it does
Compiles each class of `policy/evidence.yaml` `redaction.classes` as the redaction does (Rust `regex` syntax) and reports a pattern that does not compile or whose shortest match is empty (`x*`, a bare `\\b`).

## Why is this bad?
Redaction fails closed: `opsbook evidence collect` refuses to run with such a class, so the broken pattern is found during an incident, when evidence is needed, instead of in CI.

## Example
`pattern: '(?<=token=)\\w+'` (look-behind: not supported)

Use instead: `pattern: 'token=(?P<secret>\\w+)'`: the named group `secret` is what gets replaced.",
};

/// `OB204` `redaction-keyword-unused`: a redaction class's keywords do not appear in its pattern.
pub const REDACTION_KEYWORD_UNUSED: &Rule = &Rule {
    code: "OB204",
    name: "redaction-keyword-unused",
    level: Level::Warn,
    requirement: "D-EVD-LIMITS",
    summary: "a redaction class's keywords do not appear in its pattern",
    doc: "## What it does
Reports a class of `policy/evidence.yaml` whose `keywords` list has no word that appears (ASCII case-insensitively) in the text of its pattern.

## Why is this bad?
A class with keywords runs only on 64 KiB blocks that contain one of them. A keyword the pattern's matches do not contain (a typo, an abbreviation) can make the class never run, silently, so what it should redact is shipped in clear.

## Example
`pattern: '(?i)account[_-]?no\\s*=\\s*(?P<secret>[0-9]{6,12})'` with `keywords: [acct]`

Use instead: `keywords: [account]`, a word every match contains, or no `keywords` (the class then runs over every byte).",
};
