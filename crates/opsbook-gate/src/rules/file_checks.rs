//! [`FileChecks`]: the per-runbook checks (contract, lint, expiry, links),
//! run while runbooks stream in.

use std::collections::HashSet;

use opsbook_core::contracts::Contracts;
use opsbook_core::model::{self, RunbookMeta, VerificationPlan};
use opsbook_core::ssot::{FileKind, SourceFile, Ssot};

use crate::Finding;
use crate::rules::links::files::links_runbook;
use crate::rules::lint::{lint_runbook_with, tier_rules_off};
use crate::rules::schema::contract::schema_file;

/// The per-runbook checks, with what they need from the rest of the SSOT.
/// Runs while runbooks stream in ([`Ssot::load_streaming`]), so that a
/// runbook is checked and released before the next ones are parsed.
pub struct FileChecks<'a> {
    pub(crate) contracts: &'a Contracts,
    pub(crate) as_of: jiff::civil::Date,
    pub(crate) plan: VerificationPlan,
    pub(crate) must_drill: HashSet<String>,
    /// Classify the steps (OB115–OB121); false when `[gate.levels]` turns
    /// every one of those rules off, so their work is skipped too.
    pub(crate) classify: bool,
}

impl<'a> FileChecks<'a> {
    /// Reads the verification plan and the coverage matrix of `ssot`
    /// (runbooks need not be loaded yet).
    #[must_use]
    pub fn new(ssot: &Ssot, contracts: &'a Contracts, as_of: jiff::civil::Date) -> FileChecks<'a> {
        let plan = ssot
            .plan("verification")
            .and_then(SourceFile::value)
            .map(VerificationPlan::from_value)
            .unwrap_or_default();
        let must_drill = if plan.drilled_required_for.is_empty() {
            HashSet::new()
        } else {
            ssot.file_of(&FileKind::CoverageMatrix)
                .and_then(SourceFile::value)
                .map(model::coverage_entries)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| {
                    e.severity
                        .as_ref()
                        .is_some_and(|s| plan.drilled_required_for.contains(s))
                })
                .flat_map(|e| e.runbooks)
                .collect()
        };
        FileChecks {
            contracts,
            as_of,
            plan,
            must_drill,
            classify: !tier_rules_off(&ssot.config.levels),
        }
    }

    /// Every single-file check of one runbook: contract (OB201), lint
    /// (OB1xx), expiry (OB5xx) and links (OB701).
    #[must_use]
    pub fn runbook(&self, f: &SourceFile, meta: &RunbookMeta) -> Vec<Finding> {
        let mut out = schema_file(self.contracts, f);
        out.extend(lint_runbook_with(f, meta, self.classify));
        out.extend(self.expiry(f, meta));
        out.extend(links_runbook(f));
        out
    }
}
