//! The required sections of a runbook (OB101–OB104, D-RB-SECTIONS): present, bilingual, not empty, not repeated.

use std::collections::BTreeMap;

use opsbook_core::adopt::{SECTIONS, required_sections};
use opsbook_core::markdown::Body;
use opsbook_core::model::RunbookMeta;
use opsbook_core::ssot::SourceFile;

use crate::Finding;
use crate::rules::{self, Level, Rule};

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

fn normalize_en(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits `English / 日本語` (also `／`), returning (en, ja).
fn split_heading(text: &str) -> (String, Option<String>) {
    for sep in [" / ", "／", " /", "/ ", "/"] {
        if let Some((a, b)) = text.split_once(sep) {
            return (
                a.trim().to_string(),
                Some(b.trim().to_string()).filter(|s| !s.is_empty()),
            );
        }
    }
    (text.trim().to_string(), None)
}

fn section_index(text: &str) -> Option<(usize, Option<String>, bool)> {
    let (en, ja) = split_heading(text);
    let ne = normalize_en(&en);
    if let Some(i) = SECTIONS.iter().position(|(e, _)| normalize_en(e) == ne) {
        return Some((i, ja, true));
    }
    // Japanese only, or Japanese first.
    let t = text.trim();
    SECTIONS
        .iter()
        .position(|(_, j)| t == *j || t.starts_with(&format!("{j} /")) || en == *j)
        .map(|i| (i, None, false))
}

/// A heading that was probably meant as required section `i`: the right
/// name at the wrong level, the glossary's Japanese with another English
/// text, or an English name a typo away.
fn near_miss(
    body: &opsbook_core::markdown::Body,
    i: usize,
) -> Option<(&opsbook_core::markdown::Heading, &'static str)> {
    let (en, ja) = SECTIONS[i];
    let target = normalize_en(en);
    body.headings.iter().find_map(|h| {
        if section_index(&h.text).is_some_and(|(j, _, _)| j == i) && h.level != 2 {
            return Some((h, "is not a level-2 heading"));
        }
        if h.level != 2 || section_index(&h.text).is_some() {
            return None;
        }
        let (h_en, h_ja) = split_heading(&h.text);
        if h_ja.as_deref() == Some(ja) || rules::edit_distance(&normalize_en(&h_en), &target) <= 2 {
            return Some((h, "looks like a misspelling of it"));
        }
        None
    })
}

/// The characters of an ATX heading line as written: `#`s, a space, the text.
fn heading_chars(h: &opsbook_core::markdown::Heading) -> usize {
    usize::from(h.level) + 1 + h.text.chars().count()
}

/// OB101–OB104: the sections `meta.kind` requires are present, bilingual,
/// not empty and not repeated.
pub(crate) fn check(f: &SourceFile, body: &Body, meta: &RunbookMeta, found: &mut Vec<Finding>) {
    let deprecated = !meta.is_active();
    // Sections.
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for s in &body.sections {
        let Some((i, ja, en_first)) = section_index(&s.heading.text) else {
            continue;
        };
        let (en_name, ja_name) = SECTIONS[i];
        if let Some(first) = seen.get(&i) {
            found.push(
                Finding::new(
                    rules::lint::DUPLICATE_SECTION,
                    &f.rel,
                    s.heading.line,
                    1,
                    format!("section `{en_name}` appears again (first at line {first})"),
                    "merge the two sections into one".into(),
                )
                .spanning(heading_chars(&s.heading))
                .with_related_covering(
                    &f.rel,
                    *first,
                    1,
                    format!("first `{en_name}` section"),
                    crate::span::Extent::Line,
                ),
            );
            continue;
        }
        seen.insert(i, s.heading.line);
        let expected = format!("## {en_name} / {ja_name}");
        if !en_first || ja.as_deref() != Some(ja_name) {
            let what = match (&ja, en_first) {
                (_, false) => "is not `English / 日本語` (English first)".to_string(),
                (None, _) => format!("lacks the Japanese `{ja_name}`"),
                (Some(j), _) => format!("has `{j}`, the glossary term is `{ja_name}`"),
            };
            found.push(
                Finding::new(
                    rules::lint::HEADING_NOT_BILINGUAL,
                    &f.rel,
                    s.heading.line,
                    1,
                    format!("heading `## {}` {what}", s.heading.text),
                    format!("write `{expected}`"),
                )
                .spanning(heading_chars(&s.heading)),
            );
        }
        if !s.has_content {
            found.push(
                Finding::new(
                    rules::lint::EMPTY_SECTION,
                    &f.rel,
                    s.heading.line,
                    1,
                    format!("section `{en_name}` is empty"),
                    "write the content, or `Not applicable / 該当なし — <reason>`".into(),
                )
                .spanning(heading_chars(&s.heading)),
            );
        }
    }
    let required = required_sections(meta.kind.as_deref(), deprecated);
    let missing: Vec<usize> = required
        .iter()
        .copied()
        .filter(|i| !seen.contains_key(i))
        .collect();
    for i in missing {
        let (en, ja) = SECTIONS[i];
        let kind = meta.kind.as_deref().unwrap_or("unknown");
        let (line, chars, message) = match near_miss(body, i) {
            Some((h, why)) => (
                h.line,
                heading_chars(h),
                format!(
                    "missing section `{en}` (required for kind {kind}): `{} {}` {why}",
                    "#".repeat(usize::from(h.level)),
                    h.text
                ),
            ),
            None => (
                body.headings.first().map_or(1, |h| h.line),
                body.headings.first().map_or(1, heading_chars),
                format!("missing section `{en}` (required for kind {kind})"),
            ),
        };
        found.push(
            Finding::new(
                rules::lint::MISSING_SECTION,
                &f.rel,
                line,
                1,
                message,
                format!("write it as `## {en} / {ja}`"),
            )
            .spanning(chars),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_forms() {
        assert_eq!(
            section_index("Backout / 切り戻し"),
            Some((7, Some("切り戻し".into()), true))
        );
        assert_eq!(
            section_index("Post-Recovery Watch / 復旧後監視").map(|x| x.0),
            Some(8)
        );
        assert_eq!(
            section_index("Do Not Do").map(|x| (x.0, x.1)),
            Some((10, None))
        );
        assert_eq!(section_index("切り戻し").map(|x| x.2), Some(false));
        assert_eq!(section_index("Meaning"), None);
    }
}
