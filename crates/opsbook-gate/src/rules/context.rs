//! What the checks share: the SSOT's indexes ([`Ctx`]) for the whole-tree
//! checks, and [`FileChecks`], the per-runbook checks that run while
//! runbooks stream in.

use crate::Finding;
use crate::rules::Rule;
use opsbook_core::contracts::Contracts;
use opsbook_core::model;
use opsbook_core::model::RunbookMeta;
use opsbook_core::model::VerificationPlan;
use opsbook_core::ssot::FileKind;
use opsbook_core::ssot::SourceFile;
use opsbook_core::ssot::Ssot;
use opsbook_core::yaml::Pos;
use std::collections::HashMap;
use std::collections::HashSet;

use crate::rules::links::files::links_runbook;
use crate::rules::lint::lint_runbook;
use crate::rules::schema::contract::schema_file;

/// Shared state for the checks.
pub struct Ctx<'a> {
    /// The SSOT.
    pub ssot: &'a Ssot,
    /// Runbook URL base override (`--runbook-base`).
    pub runbook_base: Option<&'a str>,
    /// Registered runbook IDs.
    pub registered: HashSet<String>,
    /// Runbook ID (from front matter) → active?
    pub active: HashMap<String, bool>,
    /// Whether a registry file exists.
    pub has_registry: bool,
    /// Findings so far.
    pub out: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    /// Builds the indexes the checks share.
    #[must_use]
    pub fn new(ssot: &'a Ssot, runbook_base: Option<&'a str>) -> Ctx<'a> {
        let reg = ssot.file_of(&FileKind::Registry);
        let registered = reg
            .and_then(SourceFile::value)
            .map(model::registry_entries)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| !e.id.is_empty())
            .map(|e| e.id)
            .collect();
        let mut active = HashMap::new();
        for rb in &ssot.runbooks {
            if let Some(id) = &rb.meta.id {
                active.entry(id.clone()).or_insert(rb.meta.is_active());
            }
        }
        Ctx {
            ssot,
            runbook_base,
            registered,
            active,
            has_registry: reg.is_some(),
            out: Vec::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        code: &'static Rule,
        file: &str,
        pos: Pos,
        message: String,
        help: String,
    ) {
        self.out
            .push(Finding::new(code, file, pos.line, pos.col, message, help));
    }

    /// Whether an ID is a registered (or, without a registry, existing) runbook.
    pub(crate) fn known(&self, id: &str) -> bool {
        if self.has_registry {
            self.registered.contains(id)
        } else {
            self.active.contains_key(id)
        }
    }

    pub(crate) fn is_active(&self, id: &str) -> bool {
        self.known(id) && self.active.get(id).copied().unwrap_or(true)
    }
}

/// Column 1 of `line`.
pub(crate) fn at(line: usize) -> Pos {
    Pos { line, col: 1 }
}

/// The per-runbook checks, with what they need from the rest of the SSOT.
/// Runs while runbooks stream in ([`Ssot::load_streaming`]), so that a
/// runbook is checked and released before the next ones are parsed.
pub struct FileChecks<'a> {
    pub(crate) contracts: &'a Contracts,
    pub(crate) as_of: jiff::civil::Date,
    pub(crate) plan: VerificationPlan,
    pub(crate) must_drill: HashSet<String>,
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
        }
    }

    /// Every single-file check of one runbook: contract (OB201), lint
    /// (OB1xx), expiry (OB5xx) and links (OB701).
    #[must_use]
    pub fn runbook(&self, f: &SourceFile, meta: &RunbookMeta) -> Vec<Finding> {
        let mut out = schema_file(self.contracts, f);
        out.extend(lint_runbook(f, meta));
        out.extend(self.expiry(f, meta));
        out.extend(links_runbook(f));
        out
    }
}
