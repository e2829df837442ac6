//! `OB1xx`: runbook lint (D-GATE-LINT): sections, steps, dangerous operations, front-matter claims, tiers computed from the code.

pub mod dangerous_ops;
pub mod front_matter;
pub mod prompts;
pub mod sections;
pub mod steps;
pub mod tiers;

pub use dangerous_ops::{DANGEROUS_OP_WITHOUT_BACKOUT, DANGEROUS_OP_WITHOUT_CONFIRMATION};
pub use front_matter::{MATURITY_WITHOUT_DATE, SAFETY_LABEL_MISMATCH, TITLE_MISSING_JA};
pub use prompts::INTERACTIVE_PROMPT_IN_STEP;
pub use sections::{DUPLICATE_SECTION, EMPTY_SECTION, HEADING_NOT_BILINGUAL, MISSING_SECTION};
pub use steps::{
    BAD_STEP_NUMBER, DANGEROUS_STEP_WITHOUT_OP, STEP_TIER_EXCEEDS_OP, STEP_WITHOUT_TIER, UNKNOWN_OP,
};
pub use tiers::{
    BACKOUT_STEP_IS_T2, COMPUTED_DANGEROUS_STEP_WITHOUT_OP, FENCE_NEVER_EXECUTED,
    NON_ASCII_IN_SCRIPT, SAFETY_LABEL_BELOW_COMPUTED_TIER, STEP_BELOW_COMPUTED_TIER,
};

use opsbook_core::model::RunbookMeta;
use opsbook_core::ssot::SourceFile;
use opsbook_core::yaml::Pos;

use crate::Finding;
use crate::rules::Rule;
use crate::rules::context::at;

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
    STEP_BELOW_COMPUTED_TIER,
    COMPUTED_DANGEROUS_STEP_WITHOUT_OP,
    BACKOUT_STEP_IS_T2,
    SAFETY_LABEL_BELOW_COMPUTED_TIER,
    NON_ASCII_IN_SCRIPT,
    FENCE_NEVER_EXECUTED,
    INTERACTIVE_PROMPT_IN_STEP,
];

/// OB101–OB121: runbook lint (OB115–OB121 from the tiers computed by
/// `opsbook-classify`). Without usable front matter the kind, the
/// operations and the tiers are unknown: the front matter is reported
/// (OB005–OB007), not a cascade of sections and steps that follow from it.
#[must_use]
pub fn lint_runbook(f: &SourceFile, meta: &RunbookMeta) -> Vec<Finding> {
    lint_runbook_with(f, meta, true)
}

/// The rules computed from the classified code of the steps (OB115–OB121).
pub const TIER_RULES: &[&Rule] = &[
    STEP_BELOW_COMPUTED_TIER,
    COMPUTED_DANGEROUS_STEP_WITHOUT_OP,
    BACKOUT_STEP_IS_T2,
    SAFETY_LABEL_BELOW_COMPUTED_TIER,
    NON_ASCII_IN_SCRIPT,
    FENCE_NEVER_EXECUTED,
    INTERACTIVE_PROMPT_IN_STEP,
];

/// Whether `[gate.levels]` (code or name → level) turns every rule of
/// [`TIER_RULES`] off: then no step needs classifying at all (what
/// `scripts/bench-gate` uses as the gate without classification).
#[must_use]
pub fn tier_rules_off(levels: &std::collections::BTreeMap<String, String>) -> bool {
    TIER_RULES.iter().all(|r| {
        levels.iter().any(|(k, v)| {
            (k.eq_ignore_ascii_case(r.code) || k.eq_ignore_ascii_case(r.name))
                && matches!(crate::rules::Level::parse(v), Some(None))
        })
    })
}

/// [`lint_runbook`], classifying the steps (OB115–OB121) only when
/// `classify` is true.
#[must_use]
pub fn lint_runbook_with(f: &SourceFile, meta: &RunbookMeta, classify: bool) -> Vec<Finding> {
    let mut found = Vec::new();
    let Some(body) = &f.body else { return found };
    if !f.parsed {
        return found;
    }
    sections::check(f, body, meta, &mut found);
    front_matter::title(f, meta, &mut found);
    let op_tier = dangerous_ops::check(f, meta, &mut found);
    let (step_tier, tiers_known) = steps::check(f, body, meta, &mut found);
    front_matter::claims(f, meta, op_tier.max(step_tier), tiers_known, &mut found);
    if classify {
        tiers::check(f, body, meta, &mut found);
    }
    found
}

/// The position of a front-matter key (line 1 without front matter).
pub(crate) fn fm_pos(f: &SourceFile, pointer: &str) -> Pos {
    f.doc().map_or(at(1), |d| d.key_pos(pointer))
}

#[cfg(test)]
mod tests {
    use opsbook_core::adopt::required_sections;

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
