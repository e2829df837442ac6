//! `OB1xx`: runbook lint (D-GATE-LINT): sections, steps, dangerous operations, front-matter claims.

pub mod dangerous_ops;
pub mod front_matter;
pub mod sections;
pub mod steps;

pub use dangerous_ops::{DANGEROUS_OP_WITHOUT_BACKOUT, DANGEROUS_OP_WITHOUT_CONFIRMATION};
pub use front_matter::{MATURITY_WITHOUT_DATE, SAFETY_LABEL_MISMATCH, TITLE_MISSING_JA};
pub use sections::{DUPLICATE_SECTION, EMPTY_SECTION, HEADING_NOT_BILINGUAL, MISSING_SECTION};
pub use steps::{
    BAD_STEP_NUMBER, DANGEROUS_STEP_WITHOUT_OP, STEP_TIER_EXCEEDS_OP, STEP_WITHOUT_TIER, UNKNOWN_OP,
};

use crate::Finding;
use crate::rules;
use crate::rules::Rule;
use crate::rules::context::at;
use opsbook_core::adopt::SECTIONS;
use opsbook_core::adopt::required_sections;
use opsbook_core::model;
use opsbook_core::model::RunbookMeta;
use opsbook_core::model::Tier;
use opsbook_core::ssot::SourceFile;
use sections::{near_miss, section_index};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::collections::HashMap;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    MISSING_SECTION,
    HEADING_NOT_BILINGUAL,
    EMPTY_SECTION,
    DUPLICATE_SECTION,
    DANGEROUS_OP_WITHOUT_BACKOUT,
    DANGEROUS_OP_WITHOUT_CONFIRMATION,
    STEP_WITHOUT_TIER,
    DANGEROUS_STEP_WITHOUT_OP,
    UNKNOWN_OP,
    STEP_TIER_EXCEEDS_OP,
    SAFETY_LABEL_MISMATCH,
    BAD_STEP_NUMBER,
    MATURITY_WITHOUT_DATE,
    TITLE_MISSING_JA,
];

/// OB101–OB114: runbook lint.
#[must_use]
pub fn lint_runbook(f: &SourceFile, meta: &RunbookMeta) -> Vec<Finding> {
    let mut found = Vec::new();
    {
        let Some(body) = &f.body else { return found };
        // Without usable front matter the kind, the operations and the tiers
        // are unknown: report the front matter (OB006/OB007/OB005), not a
        // cascade of sections and steps that follow from it.
        if !f.parsed {
            return found;
        }
        let fm = f.doc();
        let fm_pos = |ptr: &str| fm.map_or(at(1), |d| d.key_pos(ptr));
        let deprecated = !meta.is_active();
        // Sections.
        let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
        for s in &body.sections {
            let Some((i, ja, en_first)) = section_index(&s.heading.text) else {
                continue;
            };
            let (en_name, ja_name) = SECTIONS[i];
            if let Some(first) = seen.get(&i) {
                found.push(Finding::new(
                    rules::lint::DUPLICATE_SECTION,
                    &f.rel,
                    s.heading.line,
                    1,
                    format!("section `{en_name}` appears again (first at line {first})"),
                    "merge the two sections into one".into(),
                ));
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
                found.push(Finding::new(
                    rules::lint::HEADING_NOT_BILINGUAL,
                    &f.rel,
                    s.heading.line,
                    1,
                    format!("heading `## {}` {what}", s.heading.text),
                    format!("write `{expected}`"),
                ));
            }
            if !s.has_content {
                found.push(Finding::new(
                    rules::lint::EMPTY_SECTION,
                    &f.rel,
                    s.heading.line,
                    1,
                    format!("section `{en_name}` is empty"),
                    "write the content, or `Not applicable / 該当なし — <reason>`".into(),
                ));
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
            let (line, message) = match near_miss(body, i) {
                Some((h, why)) => (
                    h.line,
                    format!(
                        "missing section `{en}` (required for kind {kind}): `{} {}` {why}",
                        "#".repeat(usize::from(h.level)),
                        h.text
                    ),
                ),
                None => (
                    body.headings.first().map_or(1, |h| h.line),
                    format!("missing section `{en}` (required for kind {kind})"),
                ),
            };
            found.push(Finding::new(
                rules::lint::MISSING_SECTION,
                &f.rel,
                line,
                1,
                message,
                format!("write it as `## {en} / {ja}`"),
            ));
        }
        if meta.title_en.is_some() && meta.title_ja.is_none() {
            let p = fm_pos("/title");
            found.push(Finding::new(
                rules::lint::TITLE_MISSING_JA,
                &f.rel,
                p.line,
                p.col,
                "title has no Japanese (`title.ja`)".into(),
                "add `ja:` under `title:`".into(),
            ));
        }
        // Dangerous operations.
        let ops: HashMap<&str, &model::DangerousOp> = meta
            .dangerous_ops
            .iter()
            .map(|o| (o.id.as_str(), o))
            .collect();
        let mut max_tier = Tier::T0;
        let mut tiers_known = true;
        for op in &meta.dangerous_ops {
            let Some(t) = op.tier else { continue };
            max_tier = max_tier.max(t);
            if t == Tier::T0 {
                continue;
            }
            let p = fm_pos(&op.pointer);
            if op.backout.is_none() {
                found.push(Finding::new(
                    rules::lint::DANGEROUS_OP_WITHOUT_BACKOUT,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("{t:?} operation `{}` has no backout", op.id),
                    "add `backout:` naming the step or procedure that undoes it".into(),
                ));
            }
            if op.confirmation.is_none() {
                found.push(Finding::new(
                    rules::lint::DANGEROUS_OP_WITHOUT_CONFIRMATION,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("{t:?} operation `{}` has no confirmation", op.id),
                    "add `confirmation:` saying how the target is checked before running it".into(),
                ));
            }
        }
        // Steps.
        let mut steps: BTreeMap<String, usize> = BTreeMap::new();
        for c in body.code_blocks.iter().filter(|c| c.is_script()) {
            if let Some(step) = c.attr("step") {
                let valid = step.parse::<u32>().is_ok_and(|n| n > 0);
                if !valid {
                    found.push(Finding::new(
                        rules::lint::BAD_STEP_NUMBER,
                        &f.rel,
                        c.line,
                        1,
                        format!("step number `{step}` is not a positive integer"),
                        "use `step=1`, `step=2`, …".into(),
                    ));
                } else if let Some(first) = steps.get(step) {
                    found.push(Finding::new(
                        rules::lint::BAD_STEP_NUMBER,
                        &f.rel,
                        c.line,
                        1,
                        format!("step {step} is used twice (first at line {first})"),
                        "renumber the steps".into(),
                    ));
                } else {
                    steps.insert(step.to_string(), c.line);
                }
            }
            let Some(tier_s) = c.attr("tier") else {
                tiers_known = false;
                found.push(Finding::new(
                    rules::lint::STEP_WITHOUT_TIER,
                    &f.rel,
                    c.line,
                    1,
                    format!("`{}` block has no danger tier", c.lang),
                    format!("add `{{tier=T0}}` (read-only), `T1` (reversible) or `T2` (irreversible) after `{}`", c.lang),
                ));
                continue;
            };
            let Some(tier) = Tier::parse(tier_s) else {
                tiers_known = false;
                found.push(Finding::new(
                    rules::lint::STEP_WITHOUT_TIER,
                    &f.rel,
                    c.line,
                    1,
                    format!("tier `{tier_s}` is not T0, T1 or T2"),
                    "use T0, T1 or T2".into(),
                ));
                continue;
            };
            max_tier = max_tier.max(tier);
            if tier == Tier::T0 {
                continue;
            }
            match c.attr("op") {
                None => found.push(Finding::new(
                    rules::lint::DANGEROUS_STEP_WITHOUT_OP,
                    &f.rel,
                    c.line,
                    1,
                    format!("{tier:?} step does not name its dangerous operation"),
                    "add `op=<id>` naming a `dangerous_ops` entry with backout and confirmation"
                        .into(),
                )),
                Some(op) => match ops.get(op) {
                    None => found.push(Finding::new(
                        rules::lint::UNKNOWN_OP,
                        &f.rel,
                        c.line,
                        1,
                        format!(
                            "step names operation `{op}`, which `dangerous_ops` does not declare"
                        ),
                        format!(
                            "declare it, or use one of: {}",
                            if ops.is_empty() {
                                "(none declared)".to_string()
                            } else {
                                ops.keys()
                                    .copied()
                                    .collect::<BTreeSet<_>>()
                                    .into_iter()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    )),
                    Some(o) => {
                        if o.tier.is_some_and(|ot| tier > ot) {
                            found.push(Finding::new(
                                rules::lint::STEP_TIER_EXCEEDS_OP,
                                &f.rel,
                                c.line,
                                1,
                                format!(
                                    "{tier:?} step runs `{op}`, declared as {:?}",
                                    o.tier.unwrap_or(Tier::T0)
                                ),
                                format!("raise `{op}` to tier {tier:?} in `dangerous_ops`"),
                            ));
                        }
                    }
                },
            }
        }
        if tiers_known && let Some(label) = &meta.safety_label {
            let expected = max_tier.safety_label();
            if label != expected
                && ["read_only", "reversible", "irreversible"].contains(&label.as_str())
            {
                let p = fm_pos("/safety_label");
                found.push(Finding::new(
                    rules::lint::SAFETY_LABEL_MISMATCH,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("safety_label is `{label}` but the highest tier is {max_tier:?}"),
                    format!("set `safety_label: {expected}`"),
                ));
            }
        }
        let maturity = meta.maturity.as_deref().unwrap_or("");
        if matches!(maturity, "verified" | "drilled") && meta.last_verified.is_none() {
            let p = fm_pos("/maturity");
            found.push(Finding::new(
                rules::lint::MATURITY_WITHOUT_DATE,
                &f.rel,
                p.line,
                p.col,
                format!("maturity `{maturity}` without `last_verified`"),
                "record the verification date or lower the maturity".into(),
            ));
        }
        if maturity == "drilled" && meta.last_drilled.is_none() {
            let p = fm_pos("/maturity");
            found.push(Finding::new(
                rules::lint::MATURITY_WITHOUT_DATE,
                &f.rel,
                p.line,
                p.col,
                "maturity `drilled` without `last_drilled`".into(),
                "record the drill date or lower the maturity".into(),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_by_kind() {
        assert_eq!(required_sections(Some("TRIAGE"), false).len(), 11);
        assert_eq!(
            required_sections(Some("GOVERNANCE"), false),
            vec![0, 3, 6, 9, 10]
        );
        assert_eq!(required_sections(Some("TRIAGE"), true), vec![9]);
    }
}
