//! The checks of the gate (seed §4.1.6, DESIGN §3.1). Each function reads the
//! loaded SSOT and pushes [`Finding`]s; rule codes and docs are in
//! [`crate::rules`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use opsbook_core::alerts::{self, LinkStatus, Resolver, SeverityMap};
use opsbook_core::contracts::Contracts;
use opsbook_core::model::{self, RunbookMeta, SafetyModel, Tier, VerificationPlan};
use opsbook_core::ssot::{FileKind, ParsedDoc, ProblemKind, SourceFile, Ssot};
use opsbook_core::yaml::Pos;
use serde_json::Value;

use crate::Finding;
use crate::rules::{self, Rule};

/// The opsbook runbook sections (English, Japanese), in order (D-RB-SECTIONS).
pub use opsbook_core::adopt::SECTIONS;

/// Sections required per runbook `kind` (shared with `opsbook adopt`, whose
/// plan must say what the gate reports).
pub use opsbook_core::adopt::required_sections;

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

    fn push(&mut self, code: &'static Rule, file: &str, pos: Pos, message: String, help: String) {
        self.out
            .push(Finding::new(code, file, pos.line, pos.col, message, help));
    }

    /// Whether an ID is a registered (or, without a registry, existing) runbook.
    fn known(&self, id: &str) -> bool {
        if self.has_registry {
            self.registered.contains(id)
        } else {
            self.active.contains_key(id)
        }
    }

    fn is_active(&self, id: &str) -> bool {
        self.known(id) && self.active.get(id).copied().unwrap_or(true)
    }
}

fn at(line: usize) -> Pos {
    Pos { line, col: 1 }
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
        cx.out.push(Finding::new(
            code,
            &p.file,
            p.line,
            p.col,
            p.message.clone(),
            help.to_string(),
        ));
    }
}

/// OB008, OB201, OB202: every file against its contract.
pub fn schemas(cx: &mut Ctx<'_>, contracts: &Contracts) {
    for e in &contracts.errors {
        let file = if e.origin == "embedded" {
            "contracts".to_string()
        } else {
            e.origin.clone()
        };
        cx.push(
            rules::input::INVALID_CONTRACT,
            &file,
            at(1),
            format!("contract `{}` is unusable: {}", e.name, e.message),
            "run `opsbook contracts export contracts/` to restore the shipped contracts".into(),
        );
    }
    let mut found = Vec::new();
    // Runbooks are validated as they stream; incident events by OB802,
    // which names the event (seq, type) rather than only the line.
    for f in cx
        .ssot
        .files
        .iter()
        .filter(|f| !matches!(f.kind, FileKind::Runbook | FileKind::IncidentEvents))
    {
        found.extend(schema_file(contracts, f));
    }
    cx.out.extend(found);
}

/// Contract violations that a runbook-lint rule reports with a better
/// message at the same place: a T1/T2 operation without backout (OB105) or
/// confirmation (OB106). One mistake, one finding.
fn reported_by_lint(kind: &FileKind, v: &opsbook_core::contracts::Violation) -> bool {
    *kind == FileKind::Runbook
        && v.pointer
            .strip_prefix("/dangerous_ops/")
            .is_some_and(|i| i.bytes().all(|b| b.is_ascii_digit()))
        && (v.message.contains("\"backout\" is a required property")
            || v.message
                .contains("\"confirmation\" is a required property"))
}

/// OB201/OB202 for one file: every document against the file's contract.
#[must_use]
pub fn schema_file(contracts: &Contracts, f: &SourceFile) -> Vec<Finding> {
    let mut found = Vec::new();
    let Some(name) = f.kind.contract() else {
        return found;
    };
    if f.docs.is_empty() {
        return found;
    }
    if !contracts.has(&name) {
        if matches!(f.kind, FileKind::Policy(_) | FileKind::Plan(_)) {
            found.push(Finding::new(
                rules::schema::NO_CONTRACT,
                &f.rel,
                1,
                1,
                format!("no contract `{name}` for this file"),
                format!(
                    "rename the file to a known policy/plan, or add `contracts/{name}.schema.json`"
                ),
            ));
        }
        return found;
    }
    for d in &f.docs {
        let Some(violations) = contracts.validate(&name, &d.doc.value) else {
            continue;
        };
        for v in violations {
            if reported_by_lint(&f.kind, &v) {
                continue;
            }
            let pos = d.pos(&v.pointer);
            let path = if v.pointer.is_empty() {
                "/".to_string()
            } else {
                v.pointer.clone()
            };
            found.push(Finding::new(
                rules::schema::SCHEMA_VIOLATION,
                &f.rel,
                pos.line,
                pos.col,
                format!("`{path}`: {}", v.message),
                format!("see contracts/{name}.schema.json (`opsbook contracts export DIR` writes it out)"),
            ));
        }
    }
    found
}

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

/// OB301–OB305: registry consistency both ways.
pub fn registry(cx: &mut Ctx<'_>) {
    let ssot = cx.ssot;
    let mut found = Vec::new();
    let Some(reg) = ssot.file_of(&FileKind::Registry) else {
        for rb in &ssot.runbooks {
            let f = ssot.runbook_file(rb);
            found.push(Finding::new(
                rules::registry::UNREGISTERED_RUNBOOK,
                &f.rel,
                1,
                1,
                "runbook is not registered: runbooks/runbooks.yaml does not exist".into(),
                "create runbooks/runbooks.yaml listing every runbook".into(),
            ));
        }
        cx.out.extend(found);
        return;
    };
    let Some(doc) = reg.doc() else { return };
    let entries = model::registry_entries(&doc.doc.value);
    let by_path: HashMap<&str, &opsbook_core::ssot::Runbook> = ssot
        .runbooks
        .iter()
        .map(|r| (r.registry_path.as_str(), r))
        .collect();
    let mut seen_ids: HashMap<&str, usize> = HashMap::new();
    let mut seen_paths: HashMap<&str, usize> = HashMap::new();
    for e in &entries {
        let p = doc.pos(&e.pointer);
        if !e.id.is_empty() {
            if let Some(first) = seen_ids.get(e.id.as_str()) {
                found.push(Finding::new(
                    rules::registry::DUPLICATE_RUNBOOK_ID,
                    &reg.rel,
                    p.line,
                    p.col,
                    format!(
                        "runbook ID `{}` is registered twice (first at line {first})",
                        e.id
                    ),
                    "keep one entry per runbook".into(),
                ));
            } else {
                seen_ids.insert(&e.id, p.line);
            }
        }
        if e.path.is_empty() {
            continue;
        }
        if let Some(first) = seen_paths.get(e.path.as_str()) {
            found.push(Finding::new(
                rules::registry::DUPLICATE_RUNBOOK_ID,
                &reg.rel,
                p.line,
                p.col,
                format!(
                    "path `{}` is registered twice (first at line {first})",
                    e.path
                ),
                "keep one entry per file".into(),
            ));
            continue;
        }
        seen_paths.insert(&e.path, p.line);
        match by_path.get(e.path.as_str()) {
            None => {
                let pp = doc.pos(&format!("{}/path", e.pointer));
                found.push(Finding::new(
                    rules::registry::REGISTERED_FILE_MISSING,
                    &reg.rel,
                    pp.line,
                    pp.col,
                    format!("registered file `runbooks/{}` does not exist", e.path),
                    if e.path.contains('\\') {
                        format!(
                            "paths in runbooks.yaml use forward slashes, even on Windows: `{}`",
                            e.path.replace('\\', "/")
                        )
                    } else {
                        "fix the path, or deprecate the runbook instead of deleting it".into()
                    },
                ));
            }
            Some(rb) => {
                if let Some(fid) = &rb.meta.id
                    && fid != &e.id
                {
                    found.push(Finding::new(
                        rules::registry::REGISTRY_MISMATCH,
                        &reg.rel,
                        p.line,
                        p.col,
                        format!(
                            "registry says `{}` but `runbooks/{}` has runbook_id `{fid}`",
                            e.id, e.path
                        ),
                        "make the registry ID and the front matter agree".into(),
                    ));
                }
                if let Some(st) = &e.status
                    && !rb.meta.status.is_empty()
                    && st != &rb.meta.status
                {
                    let sp = doc.pos(&format!("{}/status", e.pointer));
                    found.push(Finding::new(
                        rules::registry::REGISTRY_MISMATCH,
                        &reg.rel,
                        sp.line,
                        sp.col,
                        format!(
                            "registry status `{st}` but the file says `{}`",
                            rb.meta.status
                        ),
                        "update the registry status".into(),
                    ));
                }
            }
        }
    }
    let registered_paths: HashSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let mut file_ids: HashMap<&str, &str> = HashMap::new();
    for rb in &ssot.runbooks {
        let f = ssot.runbook_file(rb);
        if !registered_paths.contains(rb.registry_path.as_str()) {
            found.push(Finding::new(
                rules::registry::UNREGISTERED_RUNBOOK,
                &f.rel,
                1,
                1,
                format!("runbook is not registered in {}", reg.rel),
                format!(
                    "add `- {{id: {}, path: {}, status: {}}}` to runbooks.yaml",
                    rb.meta.id.as_deref().unwrap_or("RB-…"),
                    rb.registry_path,
                    if rb.meta.status.is_empty() {
                        "active"
                    } else {
                        &rb.meta.status
                    }
                ),
            ));
        }
        if let Some(id) = &rb.meta.id {
            if let Some(other) = file_ids.get(id.as_str()) {
                let p = rb.pos("/runbook_id");
                found.push(Finding::new(
                    rules::registry::DUPLICATE_RUNBOOK_ID,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("runbook_id `{id}` is also used by `{other}`"),
                    "give each runbook its own ID".into(),
                ));
            } else {
                file_ids.insert(id, &f.rel);
            }
        }
    }
    // Drills name registered runbooks.
    if let Some(drills) = ssot.file_of(&FileKind::Drills)
        && let Some(d) = drills.doc()
    {
        for e in model::drill_entries(&d.doc.value) {
            if e.runbook.is_empty() {
                continue;
            }
            let p = d.pos(&format!("{}/runbook", e.pointer));
            if !cx.known(&e.runbook) {
                found.push(Finding::new(
                    rules::registry::DRILL_UNKNOWN_RUNBOOK,
                    &drills.rel,
                    p.line,
                    p.col,
                    format!(
                        "drill `{}` exercises `{}`, which is not registered",
                        e.id, e.runbook
                    ),
                    "use a registered runbook ID".into(),
                ));
            } else if !cx.is_active(&e.runbook) {
                found.push(Finding::new(
                    rules::deprecated::ROUTES_TO_DEPRECATED,
                    &drills.rel,
                    p.line,
                    p.col,
                    format!(
                        "drill `{}` exercises deprecated runbook `{}`",
                        e.id, e.runbook
                    ),
                    "drill the replacement instead".into(),
                ));
            }
        }
    }
    cx.out.extend(found);
}

/// OB401–OB403 (+OB603): the coverage matrix.
pub fn coverage_matrix(cx: &mut Ctx<'_>) {
    let Some(f) = cx.ssot.file_of(&FileKind::CoverageMatrix) else {
        return;
    };
    let Some(d) = f.doc() else { return };
    let rel = f.rel.clone();
    let mut found = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for e in model::coverage_entries(&d.doc.value) {
        let p = d.pos(&e.pointer);
        if !e.id.is_empty() {
            if let Some(first) = ids.get(&e.id) {
                found.push(Finding::new(
                    rules::coverage::COVERAGE_UNKNOWN_RUNBOOK,
                    &rel,
                    p.line,
                    p.col,
                    format!(
                        "coverage entry ID `{}` is used twice (first at line {first})",
                        e.id
                    ),
                    "give each entry its own ID".into(),
                ));
            } else {
                ids.insert(e.id.clone(), p.line);
            }
        }
        let mut active = 0;
        for (i, id) in e.runbooks.iter().enumerate() {
            let rp = d.pos(&format!("{}/runbooks/{i}", e.pointer));
            if !cx.known(id) {
                found.push(Finding::new(
                    rules::coverage::COVERAGE_UNKNOWN_RUNBOOK,
                    &rel,
                    rp.line,
                    rp.col,
                    format!(
                        "coverage entry `{}` names `{id}`, which is not registered",
                        e.id
                    ),
                    "use a registered runbook ID (runbooks/runbooks.yaml)".into(),
                ));
            } else if !cx.is_active(id) {
                found.push(Finding::new(
                    rules::deprecated::ROUTES_TO_DEPRECATED,
                    &rel,
                    rp.line,
                    rp.col,
                    format!(
                        "coverage entry `{}` routes to deprecated runbook `{id}`",
                        e.id
                    ),
                    "route to its replacement".into(),
                ));
            } else {
                active += 1;
            }
        }
        if active == 0 {
            let what = e.symptom.clone().unwrap_or_else(|| e.alerts.join(", "));
            let sev = e.severity.as_deref().unwrap_or("P0");
            let code = if sev == "P0" {
                rules::coverage::P0_COVERAGE_HOLE
            } else {
                rules::coverage::COVERAGE_HOLE
            };
            found.push(Finding::new(
                code,
                &rel,
                p.line,
                p.col,
                format!("{sev} entry `{}` ({what}) has no active runbook", e.id),
                "write a runbook for it and list its ID under `runbooks:`".into(),
            ));
        }
    }
    cx.out.extend(found);
}

/// Alert names (lower-case) covered by the coverage matrix or a runbook's
/// `triggers.alerts`, with an active runbook.
#[must_use]
pub fn alerts_covered_elsewhere(cx: &Ctx<'_>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    if let Some(d) = cx
        .ssot
        .file_of(&FileKind::CoverageMatrix)
        .and_then(SourceFile::doc)
    {
        for e in model::coverage_entries(&d.doc.value) {
            if let Some(rb) = e.runbooks.iter().find(|id| cx.is_active(id)) {
                for a in &e.alerts {
                    m.entry(a.to_lowercase()).or_insert_with(|| rb.clone());
                }
            }
        }
    }
    for rb in &cx.ssot.runbooks {
        if let Some(id) = &rb.meta.id
            && cx.is_active(id)
        {
            for a in &rb.meta.alerts {
                m.entry(a.to_lowercase()).or_insert_with(|| id.clone());
            }
        }
    }
    m
}

/// One alert's coverage, as `opsbook coverage` reports it: two facts — the
/// link the operator clicks, and the coverage matrix — and what they add up
/// to (D-GATE-COVERAGE).
#[derive(Debug, Clone, serde::Serialize)]
pub struct AlertCoverage {
    /// Alert name.
    pub alert: String,
    /// File (relative to the SSOT root when inside it).
    pub file: String,
    /// 1-based line of the `alert:` key.
    pub line: usize,
    /// `severity` label.
    pub severity: Option<String>,
    /// P0 | P1 | P2 by `alert_severity_map`; an unmapped or absent label
    /// escalates to P0.
    pub priority: String,
    /// Whether the `severity` label is in `alert_severity_map`.
    pub severity_mapped: bool,
    /// The runbook link as written.
    pub runbook_url: Option<String>,
    /// What the link leads to: ok | missing | dead | foreign |
    /// anchor-missing | case-mismatch | templated.
    pub link: LinkStatus,
    /// The runbook the link reaches, if any.
    pub link_runbook: Option<String>,
    /// The active runbook the coverage matrix (or a runbook's
    /// `triggers.alerts`) routes the alert to, if any.
    pub matrix: Option<String>,
    /// The runbook of the report: the link's, else the matrix's.
    pub runbook_id: Option<String>,
    /// covered (the link leads to an active runbook) | missing | templated |
    /// deprecated.
    pub status: String,
    /// Why, when the link is not `ok`.
    pub reason: Option<String>,
}

/// Checks every alert rule's link and coverage-matrix entry against the SSOT.
#[must_use]
pub fn alert_coverage(cx: &Ctx<'_>, rules: &[alerts::AlertRule]) -> Vec<AlertCoverage> {
    if rules.is_empty() {
        return Vec::new();
    }
    let base = cx
        .runbook_base
        .map(str::to_string)
        .or_else(|| cx.ssot.config.runbook_url_base.clone());
    let resolver = Resolver::new(cx.ssot, base.as_deref());
    let sevmap = SeverityMap::from_policy(cx.ssot.policy("severity").and_then(SourceFile::value));
    let elsewhere = alerts_covered_elsewhere(cx);
    rules
        .iter()
        .map(|r| {
            let priority = sevmap.priority(r.severity.as_deref());
            let mut check = resolver.check(r.runbook_url.as_deref());
            if let Some(id) = check.runbook.clone()
                && !cx.known(&id)
            {
                check = alerts::LinkCheck {
                    status: LinkStatus::Dead,
                    runbook: None,
                    detail: Some(format!("`{id}` is not registered")),
                };
            }
            let matrix = elsewhere.get(&r.alert.to_lowercase()).cloned();
            let deprecated = check.runbook.as_deref().is_some_and(|id| !cx.is_active(id));
            let status = match check.status {
                _ if deprecated => "deprecated",
                s if s.reaches_page() => "covered",
                LinkStatus::Templated => "templated",
                _ => "missing",
            };
            let reason = if deprecated {
                Some(format!(
                    "links to deprecated runbook `{}`",
                    check.runbook.clone().unwrap_or_default()
                ))
            } else {
                check.detail.clone().map(|d| match (&matrix, status) {
                    (Some(m), "missing") => format!(
                        "{d} (the coverage matrix routes it to `{m}`, but the operator clicks the link)"
                    ),
                    _ => d,
                })
            };
            AlertCoverage {
                alert: r.alert.clone(),
                file: r.file.clone(),
                line: r.line,
                severity: r.severity.clone(),
                priority: priority.level,
                severity_mapped: priority.mapped,
                runbook_url: r.runbook_url.clone(),
                link: check.status,
                link_runbook: check.runbook.clone(),
                runbook_id: check.runbook.or_else(|| matrix.clone()),
                matrix,
                status: status.to_string(),
                reason,
            }
        })
        .collect()
}

/// OB404–OB408 (+OB603): alert rule files named in `[gate] alerts`.
pub fn alert_rules(cx: &mut Ctx<'_>) {
    let mut rules = Vec::new();
    for f in cx.ssot.files.iter().filter(|f| f.kind == FileKind::Alerts) {
        rules.extend(alerts::extract(&f.rel, &f.docs));
    }
    let cov = alert_coverage(cx, &rules);
    let labels = SeverityMap::from_policy(cx.ssot.policy("severity").and_then(SourceFile::value));
    for a in cov {
        let pos = at(a.line);
        let url = a.runbook_url.clone().unwrap_or_default();
        if !a.severity_mapped {
            cx.push(
                rules::coverage::ALERT_SEVERITY_UNMAPPED,
                &a.file,
                pos,
                match &a.severity {
                    Some(s) => format!(
                        "alert `{}` has severity `{s}`, which alert_severity_map does not list: treated as P0",
                        a.alert
                    ),
                    None => format!(
                        "alert `{}` has no severity label: treated as P0",
                        a.alert
                    ),
                },
                format!(
                    "use one of {} in `labels.severity`, or map the value in policy/severity.yaml `alert_severity_map`",
                    labels.labels().join(", ")
                ),
            );
        }
        match a.status.as_str() {
            "missing" => {
                let code = if a.priority == "P0" {
                    rules::coverage::P0_ALERT_WITHOUT_RUNBOOK
                } else {
                    rules::coverage::ALERT_WITHOUT_RUNBOOK
                };
                let help = match a.link {
                    LinkStatus::Missing => {
                        "add `runbook_url` with the runbook's URL under `runbook_url_base` (`…/runbooks/<path without .md>`)"
                    }
                    LinkStatus::Foreign => {
                        "link the runbook in this SSOT (under `runbook_url_base`), or set `runbook_url_base` to where the runbooks are published"
                    }
                    LinkStatus::AnchorMissing => {
                        "link a heading of the page (its slug, e.g. `#mitigation`) or add the anchor (`{#id}` or `<a id=\"…\">`) where the procedure is"
                    }
                    _ => {
                        "fix the link to name a registered runbook (`runbooks/<path without .md>` under `runbook_url_base`), or write the runbook"
                    }
                };
                cx.push(
                    code,
                    &a.file,
                    pos,
                    format!(
                        "{} alert `{}` does not lead to its runbook: link {}: {}",
                        a.priority,
                        a.alert,
                        a.link.as_str(),
                        a.reason.unwrap_or_default()
                    ),
                    help.into(),
                );
            }
            "templated" => cx.push(
                rules::coverage::TEMPLATED_RUNBOOK_LINK,
                &a.file,
                pos,
                format!("alert `{}` has a templated runbook link `{url}`", a.alert),
                "use a literal link, or map the alert in coverage_matrix.yaml".into(),
            ),
            "deprecated" => cx.push(
                rules::deprecated::ROUTES_TO_DEPRECATED,
                &a.file,
                pos,
                format!("alert `{}` links to a deprecated runbook", a.alert),
                "link the replacement".into(),
            ),
            _ => {
                if a.link == LinkStatus::CaseMismatch {
                    cx.push(
                        rules::coverage::RUNBOOK_LINK_CASE_MISMATCH,
                        &a.file,
                        pos,
                        format!("alert `{}`: {}", a.alert, a.reason.unwrap_or_default()),
                        "write the link with the page's exact letter case".into(),
                    );
                }
            }
        }
    }
}

fn parse_date(s: &str) -> Option<jiff::civil::Date> {
    s.parse().ok()
}

/// Which date an expiry check is about.
struct DateField {
    key: &'static str,
    noun: &'static str,
    codes: (&'static Rule, &'static Rule),
    help: &'static str,
}

const VERIFIED: DateField = DateField {
    key: "last_verified",
    noun: "verified",
    codes: (
        rules::expiry::VERIFICATION_EXPIRING,
        rules::expiry::VERIFICATION_EXPIRED,
    ),
    help: "walk the runbook on the current platform and update `last_verified`",
};

const DRILLED: DateField = DateField {
    key: "last_drilled",
    noun: "drilled",
    codes: (rules::expiry::DRILL_EXPIRING, rules::expiry::DRILL_EXPIRED),
    help: "run the drill (runbooks/drills.yaml) and record it with the date",
};

/// One date against its window: unparsable or future (OB506), past the
/// warn age, past the fail age. With `review_in` (adopted review metadata)
/// the due date is `date + review_in` and the fail grace is the plan's
/// fail − warn difference.
fn expiry_finding(
    as_of: jiff::civil::Date,
    file: &str,
    pos: Pos,
    field: &DateField,
    value: &str,
    window: model::ExpiryWindow,
    review_in: Option<&str>,
) -> Option<Finding> {
    let at = |code: &'static Rule, message: String, help: &str| {
        Some(Finding::new(
            code,
            file,
            pos.line,
            pos.col,
            message,
            help.to_string(),
        ))
    };
    let Some(date) = parse_date(value) else {
        return at(
            rules::expiry::IMPLAUSIBLE_DATE,
            format!("{} `{value}` is not a date (YYYY-MM-DD)", field.key),
            "write the date as YYYY-MM-DD",
        );
    };
    if date > as_of {
        return at(
            rules::expiry::IMPLAUSIBLE_DATE,
            format!("{} {date} is after the as-of date {}", field.key, as_of),
            "record the date it really happened",
        );
    }
    let (warn, fail) = field.codes;
    if let Some((due, every)) =
        review_in.and_then(|r| Some((opsbook_core::adopt::due_date(value, r)?, r)))
    {
        if as_of <= due {
            return None;
        }
        let late = i64::from((as_of - due).get_days());
        let code = if late > window.fail_after_days - window.warn_after_days {
            fail
        } else {
            warn
        };
        return at(
            code,
            format!(
                "review overdue: last {} {date}, due {due} (every {every}), {late} days late",
                field.noun
            ),
            field.help,
        );
    }
    let age = i64::from((as_of - date).get_days());
    let (code, limit) = if age > window.fail_after_days {
        (fail, window.fail_after_days)
    } else if age > window.warn_after_days {
        (warn, window.warn_after_days)
    } else {
        return None;
    };
    at(
        code,
        format!(
            "last {} {date}, {age} days ago (limit {limit} days)",
            field.noun
        ),
        field.help,
    )
}

/// The per-runbook checks, with what they need from the rest of the SSOT.
/// Runs while runbooks stream in ([`Ssot::load_streaming`]), so that a
/// runbook is checked and released before the next ones are parsed.
pub struct FileChecks<'a> {
    contracts: &'a Contracts,
    as_of: jiff::civil::Date,
    plan: VerificationPlan,
    must_drill: HashSet<String>,
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

    /// OB501–OB507: verification and drill expiry (WARN → FAIL).
    #[must_use]
    pub fn expiry(&self, f: &SourceFile, meta: &RunbookMeta) -> Vec<Finding> {
        let mut found = Vec::new();
        if !meta.is_active() || !f.parsed {
            return found;
        }
        let plan = &self.plan;
        let (vw, dw) = plan.windows_for(meta.id.as_deref(), meta.category.as_deref());
        let fm = f.doc();
        let pos = |k: &str| fm.map_or(at(1), |d: &ParsedDoc| d.pos(k));
        let review_in = fm
            .and_then(|d| d.doc.value.get("adopted"))
            .and_then(|a| a.get("review_in"))
            .and_then(Value::as_str);
        match meta.last_verified.as_deref() {
            None => {
                let p = pos("/last_verified");
                found.push(Finding::new(
                    rules::expiry::NEVER_VERIFIED,
                    &f.rel,
                    p.line,
                    p.col,
                    "runbook has never been verified (`last_verified` is null)".into(),
                    "walk it on the current platform and record `last_verified: YYYY-MM-DD`".into(),
                ));
            }
            Some(d) => found.extend(expiry_finding(
                self.as_of,
                &f.rel,
                pos("/last_verified"),
                &VERIFIED,
                d,
                vw,
                review_in,
            )),
        }
        match meta.last_drilled.as_deref() {
            Some(d) => found.extend(expiry_finding(
                self.as_of,
                &f.rel,
                pos("/last_drilled"),
                &DRILLED,
                d,
                dw,
                None,
            )),
            None if meta
                .id
                .as_ref()
                .is_some_and(|id| self.must_drill.contains(id)) =>
            {
                let p = pos("/last_drilled");
                found.push(Finding::new(
                    rules::expiry::NEVER_DRILLED,
                    &f.rel,
                    p.line,
                    p.col,
                    format!(
                        "runbook for {} entries has never been drilled",
                        plan.drilled_required_for.join("/")
                    ),
                    "run its drill (runbooks/drills.yaml) and record `last_drilled: YYYY-MM-DD`"
                        .into(),
                ));
            }
            None => {}
        }
        found
    }
}

/// OB601–OB603: deprecation stubs and what routes to them.
pub fn deprecated(cx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    for rb in &cx.ssot.runbooks {
        let f = cx.ssot.runbook_file(rb);
        let meta = &rb.meta;
        if !meta.is_active() {
            let p = rb.pos("/status");
            match &meta.replaced_by {
                None => found.push(Finding::new(
                    rules::deprecated::DEPRECATED_WITHOUT_REPLACEMENT,
                    &f.rel,
                    p.line,
                    p.col,
                    "deprecated runbook does not name its replacement".into(),
                    "add `replaced_by: RB-…` naming the active runbook".into(),
                )),
                Some(r) if !cx.is_active(r) => {
                    let p = rb.pos("/replaced_by");
                    let why = if cx.known(r) {
                        "is itself deprecated"
                    } else {
                        "is not registered"
                    };
                    found.push(Finding::new(
                        rules::deprecated::REPLACEMENT_NOT_ACTIVE,
                        &f.rel,
                        p.line,
                        p.col,
                        format!("replaced_by `{r}` {why}"),
                        "point straight at an active, registered runbook".into(),
                    ));
                }
                Some(_) => {}
            }
        }
        for (i, r) in meta.related.iter().enumerate() {
            let p = rb.pos(&format!("/related/{i}"));
            if !cx.known(r) {
                found.push(Finding::new(
                    rules::links::UNKNOWN_RELATED_RUNBOOK,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("related runbook `{r}` is not registered"),
                    "use a registered runbook ID".into(),
                ));
            } else if !cx.is_active(r) && meta.is_active() {
                found.push(Finding::new(
                    rules::deprecated::ROUTES_TO_DEPRECATED,
                    &f.rel,
                    p.line,
                    p.col,
                    format!("related runbook `{r}` is deprecated"),
                    "relate to its replacement".into(),
                ));
            }
        }
    }
    cx.out.extend(found);
}

/// OB701: relative links (and images) in runbooks resolve; e-mail
/// autolinks and URIs with a scheme are not files.
#[must_use]
pub fn links_runbook(f: &SourceFile) -> Vec<Finding> {
    let mut found = Vec::new();
    {
        let Some(body) = &f.body else { return found };
        let dir = f
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        for l in &body.links {
            let d = l.dest.trim();
            // Site-absolute `/…` links depend on where the site is served.
            if l.kind == opsbook_core::markdown::LinkKind::Email
                || !opsbook_core::markdown::is_file_link(d)
                || d.starts_with('/')
            {
                continue;
            }
            let path = d.split(['#', '?']).next().unwrap_or("");
            if path.is_empty() {
                continue;
            }
            let decoded = path.replace("%20", " ");
            if !dir.join(&decoded).exists() {
                found.push(Finding::new(
                    rules::links::BROKEN_LINK,
                    &f.rel,
                    l.line,
                    l.col,
                    format!(
                        "{} `{d}` does not resolve to a file",
                        if l.kind == opsbook_core::markdown::LinkKind::Image {
                            "image"
                        } else {
                            "link"
                        }
                    ),
                    "fix the relative path (it is resolved from this file's directory)".into(),
                ));
            }
        }
    }
    found
}

/// OB801–OB804: every ledger verifies; incident logs satisfy the contract
/// and the D-ORDER guards; closed P0/P1 incidents have a postmortem.
/// Ledgers are checked in parallel (10,000 incidents are 10,000 files).
pub fn ledgers(cx: &mut Ctx<'_>, contracts: &Contracts) {
    use rayon::prelude::*;
    let files: Vec<&SourceFile> = cx
        .ssot
        .files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Ledger | FileKind::IncidentEvents))
        .collect();
    let root = &cx.ssot.root;
    let machine = cx
        .ssot
        .policy("degraded")
        .and_then(SourceFile::value)
        .and_then(|v| opsbook_core::safety::Machine::from_value(v).ok());
    let found: Vec<Finding> = files
        .par_iter()
        .flat_map_iter(|f| {
            let mut v = ledger_findings(root, f, contracts);
            if f.rel == "ledger/safety.jsonl"
                && v.is_empty()
                && let Some(m) = &machine
            {
                v.extend(safety_findings(root, f, m));
            }
            v
        })
        .collect();
    cx.out.extend(found);
}

/// OB810: the safety ledger replayed against the state machine.
fn safety_findings(
    root: &std::path::Path,
    f: &SourceFile,
    m: &opsbook_core::safety::Machine,
) -> Vec<Finding> {
    let Ok(events) = opsbook_core::ledger::read(&root.join(&f.rel)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut state = m.initial.clone();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    for (i, e) in events.iter().enumerate() {
        if e.kind != "state_entered" {
            continue;
        }
        let to = s(&e.data, "state").unwrap_or_default();
        let from = s(&e.data, "from").unwrap_or_default();
        let source = s(&e.data, "source").unwrap_or_default();
        let mut why = Vec::new();
        if from != state {
            why.push(format!("it leaves {from}, but the ledger was in {state}"));
        }
        match m.transition(&state, &to) {
            None if to != state => why.push(format!(
                "{state} → {to} is not a transition of policy/degraded.yaml"
            )),
            Some(t) => {
                if source.starts_with("auto:") && !(t.escalate && t.automatic) {
                    why.push(format!(
                        "an automatic source ({source}) may not take {state} → {to}"
                    ));
                }
                if !t.escalate
                    && t.requires.iter().any(|r| r == "evidence")
                    && e.data.get("evidence").is_none()
                {
                    why.push(format!("the de-escalation {state} → {to} has no evidence"));
                }
            }
            None => {}
        }
        if !why.is_empty() {
            out.push(Finding::new(
                rules::ledger::SAFETY_ORDER,
                &f.rel,
                i + 1,
                1,
                format!("event seq {}: {}", e.seq, why.join("; ")),
                "use `opsbook safety set` (it checks the guards); keep the log and record the real state with a new `opsbook safety set … --manual`".into(),
            ));
        }
        state = to;
    }
    out
}

fn ledger_findings(root: &std::path::Path, f: &SourceFile, contracts: &Contracts) -> Vec<Finding> {
    use opsbook_core::ledger;
    let path = if f.path.as_os_str().is_empty() {
        root.join(&f.rel)
    } else {
        f.path.clone()
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            return vec![Finding::new(
                rules::input::UNREADABLE_FILE,
                &f.rel,
                1,
                1,
                format!("cannot read: {e}"),
                "check permissions".into(),
            )];
        }
    };
    let v = ledger::verify_bytes(&f.rel, &bytes);
    if let Some(b) = v.first_break {
        let help = if b.damage == ledger::Damage::Torn {
            format!(
                "run `opsbook ledger repair --root {}` (sets every torn last line aside; complete events are kept)",
                opsbook_core::text::quote_arg(&root.display().to_string())
            )
        } else {
            "restore the ledger from git or backup; never edit a ledger, append a `correction` event".to_string()
        };
        return vec![Finding::new(
            rules::ledger::LEDGER_BROKEN,
            &f.rel,
            b.line,
            1,
            format!("ledger chain broken: {}", b.message),
            help,
        )];
    }
    if f.kind != FileKind::IncidentEvents {
        return Vec::new();
    }
    incident_findings(root, f, &path, &bytes, contracts)
}

fn incident_findings(
    root: &std::path::Path,
    f: &SourceFile,
    path: &std::path::Path,
    bytes: &[u8],
    contracts: &Contracts,
) -> Vec<Finding> {
    use opsbook_core::incident::{Incident, Status, severity_rank};
    let mut out = Vec::new();
    let events = match opsbook_core::ledger::read_bytes(path, bytes) {
        Ok(e) => e,
        Err(e) => {
            out.push(Finding::new(
                rules::ledger::INCIDENT_EVENT_CONTRACT,
                &f.rel,
                1,
                1,
                e.to_string(),
                "restore the log".into(),
            ));
            return out;
        }
    };
    for (i, ev) in events.iter().enumerate() {
        let Ok(value) = serde_json::to_value(ev) else {
            continue;
        };
        if let Some(violations) = contracts.validate("incident-event", &value) {
            for vi in violations {
                out.push(Finding::new(
                    rules::ledger::INCIDENT_EVENT_CONTRACT,
                    &f.rel,
                    i + 1,
                    1,
                    format!(
                        "event seq {} ({}): {} at `{}`",
                        ev.seq,
                        ev.kind,
                        vi.message,
                        if vi.pointer.is_empty() { "/" } else { &vi.pointer }
                    ),
                    "write incident events with the `opsbook incident` commands; fix a past event with a `correction` event".into(),
                ));
            }
        }
    }
    let id = f
        .rel
        .strip_prefix("incidents/")
        .and_then(|r| r.split('/').next())
        .unwrap_or_default()
        .to_string();
    let inc = match Incident::replay(&id, events) {
        Ok(inc) => inc,
        Err(e) => {
            out.push(Finding::new(
                rules::ledger::INCIDENT_ORDER,
                &f.rel,
                1,
                1,
                e,
                "an incident log starts with its `opened` event: `opsbook incident open`".into(),
            ));
            return out;
        }
    };
    for (seq, m) in &inc.violations {
        out.push(Finding::new(
            rules::ledger::INCIDENT_ORDER,
            &f.rel,
            usize::try_from(*seq).unwrap_or(1),
            1,
            format!("event seq {seq}: {m}"),
            "use the `opsbook incident` commands, which check the order; keep the log and add a `correction` event explaining it".into(),
        ));
    }
    if inc.status == Status::Closed && severity_rank(&inc.severity) <= 1 {
        let line = inc
            .events
            .iter()
            .rposition(|e| e.kind == "status_changed")
            .map_or(1, |i| i + 1);
        let pm = root.join("incidents").join(&id).join("postmortem.md");
        let why = match (&inc.postmortem, pm.is_file()) {
            (None, _) => Some(format!(
                "{id} is a CLOSED {} incident without a `postmortem_attached` event",
                inc.severity
            )),
            (Some(_), false) => Some(format!(
                "{id} is a CLOSED {} incident but incidents/{id}/postmortem.md is missing",
                inc.severity
            )),
            _ => None,
        };
        if let Some(why) = why {
            out.push(Finding::new(
                rules::ledger::CLOSED_WITHOUT_POSTMORTEM,
                &f.rel,
                line,
                1,
                why,
                format!("`opsbook postmortem new {id}`, then restore or write it; seed §3.3: serious incidents end in improvements"),
            ));
        }
    }
    out
}

/// OB805–OB809: postmortem action items (D-LEARN).
pub fn postmortems(cx: &mut Ctx<'_>, as_of: jiff::civil::Date) {
    use opsbook_core::postmortem::{self, Known};
    let files: Vec<&SourceFile> = cx
        .ssot
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Postmortem)
        .collect();
    if files.is_empty() {
        return;
    }
    let known = Known::from_ssot(cx.ssot);
    let error_days = i64::from(cx.ssot.config.action_overdue_error_days.unwrap_or(14));
    let mut found = Vec::new();
    for f in files {
        let Some(d) = f.doc() else {
            continue;
        };
        let pm =
            postmortem::from_value(&d.doc.value, &|i| d.pos(&format!("/action_items/{i}")).line);
        // A draft of an incident still being worked on is not judged yet:
        // drafting early must not turn CI red. Once the incident is CLOSED,
        // or the postmortem is reviewed/final, every rule applies.
        if pm.status.as_deref().unwrap_or("draft") == "draft" {
            let id = f
                .rel
                .strip_prefix("incidents/")
                .and_then(|r| r.split('/').next())
                .unwrap_or_default();
            let log = cx.ssot.root.join("incidents").join(id).join("events.jsonl");
            let closed = opsbook_core::ledger::read(&log)
                .ok()
                .and_then(|ev| opsbook_core::incident::Incident::replay(id, ev).ok())
                .is_some_and(|i| i.status == opsbook_core::incident::Status::Closed);
            if !closed {
                continue;
            }
        }
        for p in postmortem::check_items(&pm.items, &known, as_of) {
            let code = postmortem_rule(&p, error_days);
            found.push(Finding::new(code, &f.rel, p.line, 1, p.message, p.help));
        }
    }
    cx.out.extend(found);
}

/// The rule of a postmortem action-item problem (core's
/// `ItemProblem::code` names the same codes as strings).
fn postmortem_rule(p: &opsbook_core::postmortem::ItemProblem, error_days: i64) -> &'static Rule {
    use opsbook_core::postmortem::ItemProblemKind as K;
    use rules::ledger::{
        ACTION_ITEM_DONE_WITHOUT_REF, ACTION_ITEM_LONG_OVERDUE, ACTION_ITEM_OVERDUE,
        ACTION_ITEM_UNKNOWN_TARGET, ACTION_ITEM_VAGUE,
    };
    match p.kind {
        K::Vague => ACTION_ITEM_VAGUE,
        K::UnknownTarget => ACTION_ITEM_UNKNOWN_TARGET,
        K::DoneWithoutRef => ACTION_ITEM_DONE_WITHOUT_REF,
        K::Overdue if p.days_overdue > error_days => ACTION_ITEM_LONG_OVERDUE,
        K::Overdue => ACTION_ITEM_OVERDUE,
    }
}

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
        match regex::RegexBuilder::new(pattern).size_limit(64 << 20).build() {
            Err(e) => found.push(Finding::new(
                rules::schema::REDACTION_CLASS_INVALID,
                &f.rel,
                p.line,
                p.col,
                format!(
                    "class `{id}`: the pattern does not compile: {}",
                    e.to_string().lines().last().unwrap_or_default().trim()
                ),
                "use Rust regex syntax (no look-around); `opsbook evidence collect` refuses to run until it compiles".into(),
            )),
            Ok(re)
                if re.is_match("")
                    || regex_syntax::parse(pattern)
                        .is_ok_and(|h| h.properties().minimum_len() == Some(0)) =>
            {
                found.push(Finding::new(
                rules::schema::REDACTION_CLASS_INVALID,
                &f.rel,
                p.line,
                p.col,
                format!("class `{id}`: the pattern can match an empty span"),
                "require at least one character, e.g. `+` instead of `*`; a bare `\\b` matches nothing to redact".into(),
            ));
            }
            Ok(_) => {}
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
                ));
            }
        }
    }
    cx.out.extend(found);
}

/// OB703–OB706: the safety state machine and the actions matrix.
pub fn safety_model(cx: &mut Ctx<'_>) {
    let degraded = cx.ssot.policy("degraded");
    let matrix = cx.ssot.policy("safety-matrix");
    let model = SafetyModel::from_values(
        degraded.and_then(SourceFile::value),
        matrix.and_then(SourceFile::value),
    );
    let mut found = Vec::new();
    let states: BTreeSet<&str> = model.states.iter().map(String::as_str).collect();
    if let (Some(df), Some(dd)) = (degraded, degraded.and_then(SourceFile::doc))
        && !model.states.is_empty()
    {
        let initial = model
            .initial
            .clone()
            .unwrap_or_else(|| model.states[0].clone());
        let mut fwd: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut back: HashMap<&str, Vec<&str>> = HashMap::new();
        if let Some(Value::Array(ts)) = dd.doc.value.get("transitions") {
            for (i, t) in ts.iter().enumerate() {
                for k in ["from", "to"] {
                    if let Some(s) = t.get(k).and_then(Value::as_str)
                        && !states.contains(s)
                    {
                        let p = dd.pos(&format!("/transitions/{i}/{k}"));
                        found.push(Finding::new(
                            rules::links::SAFETY_STATE_UNREACHABLE,
                            &df.rel,
                            p.line,
                            p.col,
                            format!("transition {k} `{s}`, which is not a declared state"),
                            format!("use one of: {}", model.states.join(", ")),
                        ));
                    }
                }
            }
        }
        for (a, b, _) in &model.transitions {
            fwd.entry(a).or_default().push(b);
            back.entry(b).or_default().push(a);
        }
        let reach = |g: &HashMap<&str, Vec<&str>>, start: &str| -> HashSet<String> {
            let mut seen = HashSet::from([start.to_string()]);
            let mut q = VecDeque::from([start.to_string()]);
            while let Some(s) = q.pop_front() {
                for n in g.get(s.as_str()).into_iter().flatten() {
                    if seen.insert((*n).to_string()) {
                        q.push_back((*n).to_string());
                    }
                }
            }
            seen
        };
        let from_initial = reach(&fwd, &initial);
        let to_initial = reach(&back, &initial);
        for (i, s) in model.states.iter().enumerate() {
            let p = dd.pos(&format!("/states/{i}"));
            if !from_initial.contains(s) {
                found.push(Finding::new(
                    rules::links::SAFETY_STATE_UNREACHABLE,
                    &df.rel,
                    p.line,
                    p.col,
                    format!("state `{s}` cannot be reached from `{initial}`"),
                    format!("add an escalation transition into `{s}`"),
                ));
            }
            if !to_initial.contains(s) {
                found.push(Finding::new(
                    rules::links::SAFETY_STATE_NO_WAY_BACK,
                    &df.rel,
                    p.line,
                    p.col,
                    format!("state `{s}` has no way back to `{initial}`"),
                    format!("add a de-escalation path from `{s}` with its requirements"),
                ));
            }
        }
    }
    if let (Some(mf), Some(md)) = (matrix, matrix.and_then(SourceFile::doc)) {
        let m = md.doc.value.get("matrix").and_then(Value::as_object);
        let declared: BTreeSet<&str> = model.actions.iter().map(String::as_str).collect();
        if let Some(m) = m {
            for (action, row) in m {
                let rp = md.key_pos(&format!("/matrix/{action}"));
                if !declared.contains(action.as_str()) {
                    found.push(Finding::new(
                        rules::links::SAFETY_MATRIX_UNKNOWN,
                        &mf.rel,
                        rp.line,
                        rp.col,
                        format!("matrix row `{action}` is not a declared action"),
                        "declare it under `actions:` or fix the name".into(),
                    ));
                }
                if let Some(row) = row.as_object() {
                    for st in row.keys() {
                        if !states.is_empty() && !states.contains(st.as_str()) {
                            let p = md.key_pos(&format!("/matrix/{action}/{st}"));
                            found.push(Finding::new(
                                rules::links::SAFETY_MATRIX_UNKNOWN,
                                &mf.rel,
                                p.line,
                                p.col,
                                format!("matrix cell `{action}` × `{st}`: `{st}` is not a state of degraded.yaml"),
                                format!("use one of: {}", model.states.join(", ")),
                            ));
                        }
                    }
                }
            }
        }
        for (i, action) in model.actions.iter().enumerate() {
            let row = m.and_then(|m| m.get(action)).and_then(Value::as_object);
            let missing: Vec<&str> = model
                .states
                .iter()
                .filter(|s| {
                    row.and_then(|r| r.get(s.as_str()))
                        .and_then(Value::as_str)
                        .is_none_or(|v| !matches!(v, "ALLOW" | "CONFIRM" | "DENY"))
                })
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                let p = if row.is_some() {
                    md.key_pos(&format!("/matrix/{action}"))
                } else {
                    md.pos(&format!("/actions/{i}"))
                };
                found.push(Finding::new(
                    rules::links::SAFETY_MATRIX_INCOMPLETE,
                    &mf.rel,
                    p.line,
                    p.col,
                    format!(
                        "action `{action}` has no ALLOW/CONFIRM/DENY for {}",
                        missing.join(", ")
                    ),
                    "decide every cell: ALLOW, CONFIRM (checklist) or DENY".into(),
                ));
            }
        }
    }
    cx.out.extend(found);
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

    #[test]
    fn postmortem_rules_agree_with_core_codes() {
        use opsbook_core::postmortem::{ItemProblem, ItemProblemKind as K};
        for (kind, days) in [
            (K::Vague, 0),
            (K::UnknownTarget, 0),
            (K::DoneWithoutRef, 0),
            (K::Overdue, 3),
            (K::Overdue, 30),
        ] {
            let p = ItemProblem {
                item: "A1".into(),
                line: 1,
                kind,
                days_overdue: days,
                message: String::new(),
                help: String::new(),
            };
            assert_eq!(postmortem_rule(&p, 14).code, p.code(14), "{kind:?} {days}");
        }
    }

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
