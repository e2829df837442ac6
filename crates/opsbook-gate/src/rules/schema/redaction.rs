//! Redaction classes of `policy/evidence.yaml` (OB203, OB204, D-EVD-LIMITS).

use crate::Finding;
use crate::rules;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};
use serde_json::Value;

/// `OB203` `redaction-class-invalid`: a redaction class of the evidence policy cannot be used.
pub const REDACTION_CLASS_INVALID: &Rule = &Rule {
    code: "OB203",
    name: "redaction-class-invalid",
    level: Level::Error,
    requirement: "D-EVD-LIMITS",
    summary: "a redaction class of the evidence policy cannot be used",
    doc: "## What it does
Compiles each class of `policy/evidence.yaml` `redaction.classes` as the redaction does (Rust `regex` syntax) and reports a pattern that does not compile, whose shortest match is empty (`x*`, a bare `\\b`), or that matches only white space or line breaks (`\\n`, `\\s+`).

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

/// `redaction.classes` of `policy/evidence.yaml` (D-EVD-LIMITS): each
/// pattern compiles and cannot match the empty string (OB203), and when the
/// class has `keywords`, one of them appears in the pattern (OB204).
pub fn redaction_classes(cx: &mut Ctx<'_>) {
    let Some(f) = cx.ssot.policy("evidence") else {
        return;
    };
    let Some(d) = f.doc() else { return };
    let Some(Value::Array(classes)) = d.doc.value.get("redaction").and_then(|r| r.get("classes"))
    else {
        return;
    };
    let mut found = Vec::new();
    for (i, c) in classes.iter().enumerate() {
        let id = c.get("id").and_then(Value::as_str).unwrap_or("?");
        let Some(pattern) = c.get("pattern").and_then(Value::as_str) else {
            continue;
        };
        let p = d.pos(&format!("/redaction/classes/{i}/pattern"));
        // The evidence crate's own check: the gate refuses what collect would.
        let problem = match opsbook_evidence::redact::check_pattern(pattern) {
            Ok(_) => None,
            Err(opsbook_evidence::redact::PatternProblem::DoesNotCompile(e)) => Some((
                format!(
                    "class `{id}`: the pattern does not compile: {}",
                    e.lines().last().unwrap_or_default().trim()
                ),
                "use Rust regex syntax (no look-around); `opsbook evidence collect` refuses to run until it compiles",
            )),
            Err(opsbook_evidence::redact::PatternProblem::MatchesEmpty) => Some((
                format!("class `{id}`: the pattern can match an empty span"),
                "require at least one character, e.g. `+` instead of `*`; a bare `\\b` matches nothing to redact",
            )),
            Err(opsbook_evidence::redact::PatternProblem::OnlySpace) => Some((
                format!("class `{id}`: the pattern matches only white space or line breaks"),
                "match the secret itself, e.g. `token=(?P<secret>\\S+)`: a class of white space would redact the layout of every file",
            )),
        };
        if let Some((message, help)) = problem {
            found.push(
                Finding::new(
                    rules::schema::REDACTION_CLASS_INVALID,
                    &f.rel,
                    p.line,
                    p.col,
                    message,
                    help.into(),
                )
                .token(),
            );
        }
        if let Some(Value::Array(kw)) = c.get("keywords") {
            let lower = pattern.to_ascii_lowercase();
            let words: Vec<&str> = kw.iter().filter_map(Value::as_str).collect();
            if !words.is_empty()
                && !words
                    .iter()
                    .any(|w| lower.contains(&w.trim().to_ascii_lowercase()))
            {
                let p = d.pos(&format!("/redaction/classes/{i}/keywords"));
                found.push(Finding::new(
                    rules::schema::REDACTION_KEYWORD_UNUSED,
                    &f.rel,
                    p.line,
                    p.col,
                    format!(
                        "class `{id}`: none of its keywords ({}) appears in its pattern",
                        words.join(", ")
                    ),
                    "the class runs only where a keyword is found: use a word every match contains, or drop `keywords`".into(),
                ).token());
            }
        }
    }
    cx.out.extend(found);
}
