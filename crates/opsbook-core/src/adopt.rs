//! Adoption of an existing Markdown runbook collection (`opsbook adopt`).
//!
//! [`plan`] reads a source tree and proposes, per runbook: an ID from the
//! path, front matter (title, kind, category, review metadata carried into
//! `last_verified` and a review interval), and a body whose sections are
//! grouped under opsbook's bilingual sections with the original headings and
//! text kept as subsections. Nothing the gate can check is invented: what the
//! source does not say (owner, safety label, Do-Not-Do, …) is left out so that
//! `opsbook gate` names it. [`apply`] writes the plan; the source is never
//! modified.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use crate::markdown;
use crate::ssot::{self, rel_path};
use crate::text;
use crate::yaml;

/// The opsbook runbook sections, in order, as (English, Japanese) (D-RB-SECTIONS).
pub const SECTIONS: [(&str, &str); 11] = [
    ("Prerequisites", "前提条件"),
    ("Triage", "トリアージ"),
    ("Safety", "安全確保"),
    ("Evidence", "証跡"),
    ("Mitigation", "緩和"),
    ("Recovery", "復旧"),
    ("Validation", "検証"),
    ("Backout", "切り戻し"),
    ("Post-Recovery Watch", "復旧後監視"),
    ("Related", "関連"),
    ("Do-Not-Do", "やってはいけないこと"),
];

/// Section names used by real collections, mapped to opsbook sections.
/// Matching is case-insensitive on the heading text without numbering.
pub const SECTION_ALIASES: &[(&str, &str)] = &[
    ("prerequisites", "Prerequisites"),
    ("pre-requisites", "Prerequisites"),
    ("requirements", "Prerequisites"),
    ("before you begin", "Prerequisites"),
    ("before you start", "Prerequisites"),
    ("preparation", "Prerequisites"),
    ("overview", "Triage"),
    ("summary", "Triage"),
    ("meaning", "Triage"),
    ("impact", "Triage"),
    ("description", "Triage"),
    ("alert description", "Triage"),
    ("symptoms", "Triage"),
    ("diagnosis", "Triage"),
    ("troubleshooting", "Triage"),
    ("investigation", "Triage"),
    ("triage", "Triage"),
    ("background", "Triage"),
    ("context", "Triage"),
    ("safety", "Safety"),
    ("evidence", "Evidence"),
    ("mitigation", "Mitigation"),
    ("workaround", "Mitigation"),
    ("remediation", "Mitigation"),
    ("recommended actions", "Mitigation"),
    ("fix", "Mitigation"),
    ("resolution", "Recovery"),
    ("recovery", "Recovery"),
    ("restore", "Recovery"),
    ("procedure", "Recovery"),
    ("steps", "Recovery"),
    ("validation", "Validation"),
    ("verification", "Validation"),
    ("verify", "Validation"),
    ("testing", "Validation"),
    ("rollback", "Backout"),
    ("backout", "Backout"),
    ("revert", "Backout"),
    ("post-recovery watch", "Post-Recovery Watch"),
    ("monitoring", "Post-Recovery Watch"),
    ("follow-up", "Post-Recovery Watch"),
    ("related", "Related"),
    ("see also", "Related"),
    ("references", "Related"),
    ("links", "Related"),
    ("additional resources", "Related"),
    ("further reading", "Related"),
    ("do-not-do", "Do-Not-Do"),
    ("do not", "Do-Not-Do"),
    ("don'ts", "Do-Not-Do"),
    ("what not to do", "Do-Not-Do"),
];

/// Files never taken as runbooks, whatever `--skip` says.
pub const DEFAULT_SKIP: &[&str] = &[
    "**/_index.md",
    "**/README.md",
    "**/CHANGELOG.md",
    "**/CONTRIBUTING.md",
    "**/LICENSE*",
    "**/.*/**",
];

/// Options for [`plan`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra globs (relative to the source root) of files that are not runbooks.
    pub skip: Vec<String>,
    /// Category for adopted runbooks when no keyword decides (default `platform`).
    pub category: Option<String>,
    /// `runbook_url_base` to record in a new `opsbook.toml`.
    pub runbook_base: Option<String>,
}

/// How one source section was placed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SectionMove {
    /// The original heading text.
    pub from: String,
    /// The opsbook section it now sits under.
    pub to: String,
    /// True when the name matched an alias, false when it follows the
    /// previous mapped section.
    pub by_name: bool,
}

/// The plan for one runbook.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    /// Path in the source, relative to the source root.
    pub original_path: String,
    /// Path in the SSOT, relative to the root.
    pub dest: String,
    /// Proposed runbook ID.
    pub runbook_id: String,
    /// Proposed title.
    pub title: String,
    /// Proposed kind.
    pub kind: String,
    /// Proposed category.
    pub category: String,
    /// `last_verified` carried from review metadata.
    pub last_verified: Option<String>,
    /// Review interval carried from review metadata (e.g. `6 months`).
    pub review_in: Option<String>,
    /// Section moves.
    pub sections: Vec<SectionMove>,
    /// opsbook sections the source does not have.
    pub missing_sections: Vec<String>,
    /// Warnings (unparsable front matter, …).
    pub notes: Vec<String>,
    /// The file content to write.
    #[serde(skip)]
    pub content: String,
}

/// A file that was not adopted, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    /// Path relative to the source root.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The whole adoption plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Source root as given.
    pub source: String,
    /// Destination SSOT root.
    pub into: String,
    /// Whether the destination is a new SSOT (scaffold without example runbooks).
    pub creates_ssot: bool,
    /// Runbooks to write, sorted by destination.
    pub items: Vec<Item>,
    /// Files skipped.
    pub skipped: Vec<Skipped>,
    /// `runbook_url_base` to record.
    pub runbook_base: Option<String>,
    /// Destination files that already exist: `--write` refuses while any is listed.
    pub conflicts: Vec<String>,
}

/// Why adoption cannot proceed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdoptError {
    /// The source is not a directory.
    #[error("source `{0}` is not a directory")]
    NotADirectory(PathBuf),
    /// A `--skip` glob is invalid.
    #[error("invalid --skip glob `{glob}`: {message}")]
    BadGlob {
        /// The glob.
        glob: String,
        /// Why.
        message: String,
    },
    /// Writing would overwrite a file.
    #[error(
        "`{0}` already exists; adopt never overwrites (remove it or adopt into another directory)"
    )]
    Exists(PathBuf),
    /// The registry could not be updated safely.
    #[error("cannot update `{path}`: {message}")]
    Registry {
        /// The registry path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AdoptError + '_ {
    move |source| AdoptError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn globs(list: &[String]) -> Result<GlobSet, AdoptError> {
    let mut b = GlobSetBuilder::new();
    for g in DEFAULT_SKIP
        .iter()
        .map(|s| (*s).to_string())
        .chain(list.iter().cloned())
    {
        let glob = Glob::new(&g).map_err(|e| AdoptError::BadGlob {
            glob: g.clone(),
            message: e.to_string(),
        })?;
        b.add(glob);
    }
    b.build().map_err(|e| AdoptError::BadGlob {
        glob: list.join(","),
        message: e.to_string(),
    })
}

/// `etcdMembersDown` → `ETCD-MEMBERS-DOWN`; `add-a-new-runbook` → `ADD-A-NEW-RUNBOOK`.
fn id_part(s: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if c.is_ascii_uppercase()
                && let Some(p) = prev
                && (p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next_lower))
            {
                out.push('-');
            }
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        prev = Some(c);
    }
    out.trim_matches('-').to_string()
}

fn strip_ext(name: &str) -> &str {
    for ext in [".html.md.erb", ".md.erb", ".markdown", ".md"] {
        if let Some(s) = name.strip_suffix(ext) {
            return s;
        }
    }
    name
}

fn is_markdown(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.ends_with(".md") || l.ends_with(".markdown") || l.ends_with(".md.erb")
}

fn section_key(heading: &str) -> String {
    // Drop numbering like "1)", "2.", "Step 3:" and trailing punctuation.
    let h = heading.trim().trim_end_matches([':', '.']).to_lowercase();
    let h = h.trim_start_matches(|c: char| c.is_ascii_digit() || c == ')' || c == '.' || c == ' ');
    h.trim().to_string()
}

fn target_of(heading: &str) -> Option<&'static str> {
    let key = section_key(heading);
    // "Triage / トリアージ" style headings already in opsbook form.
    let en = key.split(" / ").next().unwrap_or(&key).trim();
    SECTION_ALIASES
        .iter()
        .find(|(a, _)| *a == en)
        .map(|(_, t)| *t)
}

/// Parses a review interval like `6 months`, `1 year`, `2 weeks`, `90 days`.
/// Returns (count, unit) with unit one of `months`, `days`.
#[must_use]
pub fn parse_interval(s: &str) -> Option<(i64, &'static str)> {
    let mut it = s.split_whitespace();
    let n: i64 = it.next()?.parse().ok()?;
    let unit = it.next()?.to_lowercase();
    if it.next().is_some() || n <= 0 {
        return None;
    }
    match unit.trim_end_matches('s') {
        "month" => Some((n, "months")),
        "year" => Some((n * 12, "months")),
        "week" => Some((n * 7, "days")),
        "day" => Some((n, "days")),
        _ => None,
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn yaml_scalar(v: &Value) -> String {
    // JSON is valid YAML flow syntax; dates stay quoted strings.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

struct Src<'a> {
    rel: &'a str,
    text: &'a str,
}

fn plan_one(src: &Src<'_>, opts: &Options, used_ids: &mut BTreeSet<String>) -> Item {
    let mut notes = Vec::new();
    let (fm, body, body_line) = match markdown::split_front_matter(src.text) {
        Ok(s) => {
            let fm = s.front_matter.and_then(|f| match yaml::parse(f) {
                Ok(d) => Some(d.value),
                Err(e) => {
                    notes.push(format!(
                        "original front matter not parsed ({e}); kept in the body"
                    ));
                    None
                }
            });
            if s.front_matter.is_some() && fm.is_none() {
                (None, src.text, 1)
            } else {
                (fm, s.body, s.body_line)
            }
        }
        Err(e) => {
            notes.push(format!(
                "front matter not terminated (line {}); whole file kept as body",
                e.line
            ));
            (None, src.text, 1)
        }
    };
    let parsed = markdown::parse_body(body, body_line);
    let file_name = src.rel.rsplit('/').next().unwrap_or(src.rel);
    let stem = strip_ext(file_name);
    let parent = src.rel.rsplit('/').nth(1);

    // ID from the path: RB-<PARENT>-<STEM>, unique.
    let mut id = match parent {
        Some(p) => format!("RB-{}-{}", id_part(p), id_part(stem)),
        None => format!("RB-ADOPTED-{}", id_part(stem)),
    };
    if id.matches('-').count() < 1 || id.ends_with('-') {
        id = format!("RB-ADOPTED-{}", used_ids.len() + 1);
    }
    let base = id.clone();
    let mut n = 2;
    while !used_ids.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }

    let fm_title = fm
        .as_ref()
        .and_then(|f| f.get("title"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let h1 = parsed
        .headings
        .iter()
        .find(|h| h.level == 1 && !h.text.contains("<%"))
        .map(|h| h.text.clone());
    let title = fm_title.or(h1).unwrap_or_else(|| stem.to_string());

    let lower = src.rel.to_lowercase();
    let category = if [
        "security",
        "leak",
        "credential",
        "secret",
        "vulnerab",
        "intrusion",
        "auth",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        "security".to_string()
    } else {
        opts.category
            .clone()
            .unwrap_or_else(|| "platform".to_string())
    };

    // Review metadata (e.g. last_reviewed_on + review_in).
    let get = |k: &str| {
        fm.as_ref()
            .and_then(|f| f.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let last_verified = get("last_reviewed_on")
        .or_else(|| get("last_reviewed"))
        .or_else(|| get("reviewed_on"))
        .or_else(|| get("last_verified"))
        .filter(|d| d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-');
    let review_in = get("review_in").or_else(|| get("review_interval"));
    if let Some(r) = &review_in
        && parse_interval(r).is_none()
    {
        notes.push(format!(
            "review interval `{r}` not understood (expected e.g. `6 months`)"
        ));
    }

    // Sections: group level-2 sections under opsbook sections.
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let h2: Vec<&markdown::Heading> = parsed.headings.iter().filter(|h| h.level == 2).collect();
    let first_h2_idx = h2.first().map_or(lines.len(), |h| h.line - body_line);
    let mut groups: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut moves = Vec::new();
    let mut current: Option<&'static str> = None;
    let heading_lines: BTreeSet<usize> = parsed
        .headings
        .iter()
        .filter(|h| h.level >= 2)
        .map(|h| h.line - body_line)
        .collect();
    for (i, h) in h2.iter().enumerate() {
        let start = h.line - body_line;
        let end = h2.get(i + 1).map_or(lines.len(), |n| n.line - body_line);
        let (target, by_name) = match target_of(&h.text) {
            Some(t) => (t, true),
            None => (current.unwrap_or("Triage"), false),
        };
        if by_name {
            current = Some(target);
        }
        moves.push(SectionMove {
            from: h.text.clone(),
            to: target.to_string(),
            by_name,
        });
        let idx = SECTIONS.iter().position(|(e, _)| *e == target).unwrap_or(1);
        let mut chunk = String::new();
        for (li, line) in lines.iter().enumerate().take(end).skip(start) {
            if heading_lines.contains(&li) && line.starts_with('#') && !line.starts_with("######") {
                chunk.push('#');
            }
            chunk.push_str(line);
        }
        if !chunk.ends_with('\n') {
            chunk.push('\n');
        }
        groups.entry(idx).or_default().push(chunk);
    }
    let missing: Vec<String> = SECTIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| !groups.contains_key(i))
        .map(|(_, (e, _))| (*e).to_string())
        .collect();
    let kind = if moves
        .iter()
        .any(|m| m.by_name && (m.to == "Triage" || m.to == "Mitigation"))
        && !moves.iter().all(|m| m.to == "Prerequisites")
    {
        "TRIAGE"
    } else {
        "GOVERNANCE"
    };
    let alert_like = stem.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && stem.chars().all(|c| c.is_ascii_alphanumeric())
        && stem.chars().any(|c| c.is_ascii_uppercase());
    let mut langs = BTreeSet::new();
    for c in &parsed.code_blocks {
        langs.insert(c.lang.clone());
    }
    let platform = if langs
        .iter()
        .any(|l| matches!(l.as_str(), "powershell" | "pwsh" | "ps1"))
    {
        "windows_powershell"
    } else if langs
        .iter()
        .any(|l| matches!(l.as_str(), "bash" | "sh" | "shell" | "console"))
    {
        "bash"
    } else {
        "any"
    };

    let mut out = String::from("---\n");
    out.push_str(&format!("runbook_id: {id}\n"));
    out.push_str(&format!("title:\n  en: {}\n", json_str(&title)));
    out.push_str(&format!("kind: {kind}\ncategory: {category}\n"));
    if let Some(p) = parent {
        out.push_str(&format!("applies_to: [{}]\n", json_str(p)));
    }
    let alerts = if alert_like {
        format!("[{}]", json_str(stem))
    } else {
        "[]".to_string()
    };
    out.push_str(&format!("triggers:\n  symptoms: []\n  alerts: {alerts}\n"));
    out.push_str("required_evidence: []\ndangerous_ops: []\n");
    out.push_str(&format!("platform: {platform}\nmaturity: draft\n"));
    out.push_str(&format!(
        "last_verified: {}\nlast_drilled: null\nstatus: active\nrelated: []\n",
        last_verified
            .as_deref()
            .map_or_else(|| "null".to_string(), json_str)
    ));
    out.push_str("adopted:\n");
    out.push_str(&format!("  original_path: {}\n", json_str(src.rel)));
    if let Some(r) = &review_in {
        out.push_str(&format!("  review_in: {}\n", json_str(r)));
    }
    if let Some(f) = &fm {
        out.push_str(&format!("  original_front_matter: {}\n", yaml_scalar(f)));
    }
    out.push_str("---\n");
    // Title and intro (everything before the first level-2 heading), unchanged.
    for line in lines.iter().take(first_h2_idx) {
        out.push_str(line);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for (idx, chunks) in &groups {
        let (en, ja) = SECTIONS[*idx];
        out.push_str(&format!("\n## {en} / {ja}\n\n"));
        for c in chunks {
            out.push_str(c);
        }
    }
    let dir = src.rel.rsplit_once('/').map_or("", |(d, _)| d);
    let dest = if dir.is_empty() {
        format!("runbooks/{category}/{stem}.md")
    } else {
        format!("runbooks/{category}/{dir}/{stem}.md")
    };
    Item {
        original_path: src.rel.to_string(),
        dest,
        runbook_id: id,
        title,
        kind: kind.to_string(),
        category,
        last_verified,
        review_in,
        sections: moves,
        missing_sections: missing,
        notes,
        content: out,
    }
}

/// Builds the adoption plan for `source` into `into`.
///
/// # Errors
/// [`AdoptError`] when the source is not a directory, a glob is invalid, or
/// a source file cannot be read. Undecodable files are skipped with a reason.
pub fn plan(source: &Path, into: &Path, opts: &Options) -> Result<Plan, AdoptError> {
    if !source.is_dir() {
        return Err(AdoptError::NotADirectory(source.to_path_buf()));
    }
    let skip = globs(&opts.skip)?;
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    let mut used = BTreeSet::new();
    if let Ok(s) = ssot::Ssot::load_metadata(into) {
        for rb in &s.runbooks {
            if let Some(id) = &rb.meta.id {
                used.insert(id.clone());
            }
        }
    }
    let walker = walkdir::WalkDir::new(source)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|e| AdoptError::Io {
            path: e
                .path()
                .map_or_else(|| source.to_path_buf(), Path::to_path_buf),
            source: std::io::Error::other(e.to_string()),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = rel_path(source, entry.path());
        if !is_markdown(&rel) {
            continue;
        }
        if skip.is_match(&rel) {
            skipped.push(Skipped {
                path: rel,
                reason: "matches a skip glob".into(),
            });
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(io(entry.path()))?;
        let decoded = match text::decode(&bytes) {
            Ok(d) => d,
            Err(e) => {
                skipped.push(Skipped {
                    path: rel,
                    reason: format!("not decodable text: {e}"),
                });
                continue;
            }
        };
        items.push(plan_one(
            &Src {
                rel: &rel,
                text: &decoded.text,
            },
            opts,
            &mut used,
        ));
    }
    items.sort_by(|a, b| a.dest.cmp(&b.dest));
    let conflicts = items
        .iter()
        .filter(|i| into.join(&i.dest).exists())
        .map(|i| i.dest.clone())
        .collect();
    Ok(Plan {
        conflicts,
        source: source.display().to_string(),
        into: into.display().to_string(),
        creates_ssot: !into.join(ssot::CONFIG_FILE).is_file(),
        items,
        skipped,
        runbook_base: opts.runbook_base.clone(),
    })
}

fn registry_entry_yaml(item: &Item) -> String {
    let path = item.dest.strip_prefix("runbooks/").unwrap_or(&item.dest);
    format!(
        "  - id: {}\n    path: {}\n    status: active\n    original_path: {}\n",
        item.runbook_id,
        json_str(path),
        json_str(&item.original_path)
    )
}

/// Writes a plan: the runbooks, the registry entries and, for a new SSOT,
/// the scaffold without its example runbooks. Never overwrites a file.
///
/// # Errors
/// [`AdoptError::Exists`] before anything is written when a target exists;
/// [`AdoptError::Io`] / [`AdoptError::Registry`] on write failures.
pub fn apply(plan: &Plan, into: &Path) -> Result<Vec<String>, AdoptError> {
    for item in &plan.items {
        let p = into.join(&item.dest);
        if p.exists() {
            return Err(AdoptError::Exists(p));
        }
    }
    let mut written = Vec::new();
    let entries: String = plan.items.iter().map(registry_entry_yaml).collect();
    if plan.creates_ssot {
        for (rel, bytes) in crate::scaffold::files() {
            let example = rel.starts_with("runbooks/")
                && !rel.starts_with("runbooks/templates/")
                && rel.matches('/').count() >= 2;
            if example || rel.starts_with("alerts/") {
                continue;
            }
            let content: Vec<u8> = match rel.as_str() {
                "runbooks/runbooks.yaml" => {
                    format!("# Registry: every runbook exactly once (written by `opsbook adopt`).\nrunbooks:\n{entries}")
                        .into_bytes()
                }
                "runbooks/coverage_matrix.yaml" => {
                    b"# Coverage matrix: symptom/alert -> runbooks. Fill in from your alert rules.\nentries: []\n".to_vec()
                }
                "runbooks/drills.yaml" => b"# Drill registry.\ndrills: []\n".to_vec(),
                "opsbook.toml" => {
                    let t = String::from_utf8_lossy(bytes).into_owned();
                    let t = match &plan.runbook_base {
                        Some(b) => t
                            .lines()
                            .map(|l| {
                                if l.trim_start().starts_with("runbook_url_base") {
                                    format!("runbook_url_base = {}", json_str(b))
                                } else {
                                    l.to_string()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                            + "\n",
                        None => t,
                    };
                    t.into_bytes()
                }
                _ => bytes.to_vec(),
            };
            let p = into.join(&rel);
            if p.exists() {
                continue;
            }
            crate::fsutil::write_atomic(&p, &content).map_err(io(&p))?;
        }
    } else {
        let reg = into.join("runbooks").join("runbooks.yaml");
        let old = std::fs::read(&reg).map_err(io(&reg))?;
        let decoded = text::decode(&old).map_err(|e| AdoptError::Registry {
            path: reg.clone(),
            message: e.to_string(),
        })?;
        let mut t = decoded.text.clone();
        let v = yaml::parse(&t).map_err(|e| AdoptError::Registry {
            path: reg.clone(),
            message: e.to_string(),
        })?;
        let before = crate::model::registry_entries(&v.value).len();
        if v.value
            .get("runbooks")
            .is_some_and(|r| r.as_array().is_some_and(Vec::is_empty))
        {
            t = t
                .lines()
                .filter(|l| !l.trim_start().starts_with("runbooks:"))
                .collect::<Vec<_>>()
                .join("\n");
            t.push_str("\nrunbooks:\n");
        }
        if !t.ends_with('\n') {
            t.push('\n');
        }
        t.push_str(&entries);
        let after = yaml::parse(&t)
            .map(|d| crate::model::registry_entries(&d.value).len())
            .map_err(|e| AdoptError::Registry {
                path: reg.clone(),
                message: format!("appending entries would break it: {e}"),
            })?;
        if after != before + plan.items.len() {
            return Err(AdoptError::Registry {
                path: reg.clone(),
                message: "`runbooks:` is not the last block of the file; add the entries by hand (see the plan)".into(),
            });
        }
        crate::fsutil::write_atomic(
            &reg,
            &text::encode(&t, decoded.encoding, decoded.line_ending),
        )
        .map_err(io(&reg))?;
    }
    for item in &plan.items {
        let p = into.join(&item.dest);
        crate::fsutil::write_atomic(&p, item.content.as_bytes()).map_err(io(&p))?;
        written.push(item.dest.clone());
    }
    written.push("runbooks/runbooks.yaml".to_string());
    Ok(written)
}

/// A proposed `last_verified` + interval as `(YYYY-MM-DD due date)`.
///
/// # Errors
/// `None` when the date or the interval does not parse.
#[must_use]
pub fn due_date(last: &str, interval: &str) -> Option<jiff::civil::Date> {
    let d: jiff::civil::Date = last.parse().ok()?;
    let (n, unit) = parse_interval(interval)?;
    let span = if unit == "months" {
        jiff::Span::new().months(n)
    } else {
        jiff::Span::new().days(n)
    };
    d.checked_add(span).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_paths() {
        assert_eq!(id_part("etcdMembersDown"), "ETCD-MEMBERS-DOWN");
        assert_eq!(
            id_part("KubeAPIErrorBudgetBurn"),
            "KUBE-API-ERROR-BUDGET-BURN"
        );
        assert_eq!(id_part("add-a-new-runbook"), "ADD-A-NEW-RUNBOOK");
        assert_eq!(id_part("cluster-etcd-operator"), "CLUSTER-ETCD-OPERATOR");
    }

    #[test]
    fn intervals_and_due_dates() {
        assert_eq!(parse_interval("6 months"), Some((6, "months")));
        assert_eq!(parse_interval("1 year"), Some((12, "months")));
        assert_eq!(parse_interval("2 weeks"), Some((14, "days")));
        assert_eq!(parse_interval("soon"), None);
        assert_eq!(
            due_date("2025-08-31", "6 months").unwrap().to_string(),
            "2026-02-28"
        );
    }

    #[test]
    fn sections_are_grouped_and_text_kept() {
        let src = "---\ntitle: Foo Down\nlast_reviewed_on: 2026-01-02\nreview_in: 3 months\n---\n# FooDown\n\nIntro.\n\n## Meaning\n\nM text.\n\n### Detail\n\nd\n\n## Mitigation\n\nfix it\n\n## Impact\n\nI text.\n";
        let mut used = BTreeSet::new();
        let item = plan_one(
            &Src {
                rel: "comp/FooDown.md",
                text: src,
            },
            &Options::default(),
            &mut used,
        );
        assert_eq!(item.runbook_id, "RB-COMP-FOO-DOWN");
        assert_eq!(item.kind, "TRIAGE");
        assert_eq!(item.last_verified.as_deref(), Some("2026-01-02"));
        assert_eq!(item.review_in.as_deref(), Some("3 months"));
        let c = &item.content;
        let triage = c.find("## Triage / トリアージ").unwrap();
        let meaning = c.find("### Meaning").unwrap();
        let impact = c.find("### Impact").unwrap();
        let mitigation = c.find("## Mitigation / 緩和").unwrap();
        assert!(
            triage < meaning && meaning < impact && impact < mitigation,
            "{c}"
        );
        assert!(c.contains("#### Detail"), "{c}");
        for t in ["M text.", "I text.", "fix it", "Intro.", "# FooDown"] {
            assert!(c.contains(t), "{t} lost");
        }
        assert!(item.missing_sections.contains(&"Do-Not-Do".to_string()));
        let fm = markdown::split_front_matter(c)
            .unwrap()
            .front_matter
            .unwrap();
        let v = yaml::parse(fm).unwrap().value;
        assert_eq!(
            v["adopted"]["original_front_matter"]["review_in"],
            "3 months"
        );
        assert_eq!(v["triggers"]["alerts"][0], "FooDown");
    }
}
