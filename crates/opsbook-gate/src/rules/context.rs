//! What the whole-tree checks share: the SSOT's indexes ([`Ctx`]).

use crate::Finding;
use crate::rules::Rule;
use opsbook_core::model;
use opsbook_core::ssot::FileKind;
use opsbook_core::ssot::SourceFile;
use opsbook_core::ssot::Ssot;
use opsbook_core::yaml::Pos;
use std::collections::HashMap;
use std::collections::HashSet;

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
