//! Adoption of an existing Markdown runbook collection (`opsbook adopt`).
//!
//! [`plan`] reads a source tree and proposes, per runbook: an ID from the
//! path, front matter (title in English and Japanese, kind, category, review
//! metadata carried into `last_verified` and a review interval, deprecation
//! with `replaced_by`), and a body whose sections are grouped under
//! opsbook's bilingual sections with the original headings and text kept as
//! subsections, and whose relative links and images still reach what they
//! reached in the source (rewritten, referenced files copied under
//! `assets/`). Nothing the gate can check is invented: what the source does
//! not say (owner, safety label, Do-Not-Do, …) is left out so that `opsbook
//! gate` names it, and the plan says in advance what the gate will report as
//! missing. [`apply`] writes the plan; the source is never modified.
//!
//! Modules: [`source`] (front matter, titles, deprecation marks), `links`
//! (what a link reached in the source), [`sections`] (section names), `page`
//! (one page's plan).

mod links;
mod page;
pub mod sections;
mod source;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::ssot::{self, rel_path};
use crate::syntax::text;
use crate::syntax::yaml;

pub use sections::{SECTION_ALIASES, SECTION_ALIASES_JA, SECTIONS, required_sections};

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
    /// Category of every adopted runbook (`--category`). Without it, a path
    /// naming security (`security`, `leak`, `credential`, …) goes to
    /// `security`, everything else to `platform`.
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
    /// Proposed title (`title.en`).
    pub title: String,
    /// Japanese title (`title.ja`), when the source has one.
    pub title_ja: Option<String>,
    /// Proposed kind.
    pub kind: String,
    /// Proposed category.
    pub category: String,
    /// `active`, or `deprecated` when the source marks the page so.
    pub status: String,
    /// The replacement of a deprecated page, when the source names it.
    pub replaced_by: Option<String>,
    /// `last_verified` carried from review metadata.
    pub last_verified: Option<String>,
    /// Review interval carried from review metadata (e.g. `6 months`).
    pub review_in: Option<String>,
    /// Section moves.
    pub sections: Vec<SectionMove>,
    /// Required sections the source does not have: what the gate reports
    /// as OB101 (by kind; a deprecated stub needs only Related).
    pub missing_sections: Vec<String>,
    /// Sections that will hold nothing but sub-headings: OB103.
    pub empty_sections: Vec<String>,
    /// Links and images rewritten to reach what they reached in the source.
    pub links_rewritten: usize,
    /// Files the page links to that are copied along.
    pub assets: Vec<Asset>,
    /// Warnings (unparsable front matter, …).
    pub notes: Vec<String>,
    /// The file content to write.
    #[serde(skip)]
    pub content: String,
}

/// A file a page links to (an image, a diagram, a page that is not a
/// runbook), copied so that the link still resolves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Asset {
    /// Path in the source, relative to the source root.
    pub from: String,
    /// Path in the SSOT (`assets/…`).
    pub to: String,
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
    /// Files copied because adopted pages link to them, sorted.
    pub assets: Vec<Asset>,
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

/// The file name without its Markdown extension (any letter case).
fn strip_ext(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    links::MD_EXTS
        .iter()
        .find(|e| lower.ends_with(*e))
        .map_or(name, |e| &name[..name.len() - e.len()])
}

/// The Markdown extension of a file name (any letter case), if it has one.
fn markdown_ext(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    links::MD_EXTS.iter().copied().find(|e| lower.ends_with(e))
}

/// Document formats that are not Markdown: listed as skipped, never silently.
const OTHER_DOC_EXTS: &[&str] = &[".rst", ".adoc", ".asciidoc", ".txt", ".org", ".textile"];

/// A file with no extension whose first line reads like Markdown.
fn looks_like_markdown(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
    head.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_end() == "---" || l.starts_with("# ") || l.starts_with("## "))
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// The category of a page: `--category` for every file; without it a
/// security keyword in the path, else `platform`.
fn category_of(rel: &str, opts: &Options) -> String {
    if let Some(c) = &opts.category {
        return c.clone();
    }
    let lower = rel.to_lowercase();
    if [
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
        "platform".to_string()
    }
}

/// The runbook ID of a source path: RB-<PARENT>-<STEM>, unique among `used`.
fn id_of(rel: &str, used: &mut BTreeSet<String>) -> String {
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = strip_ext(file_name);
    let mut id = match rel.rsplit('/').nth(1) {
        Some(p) => format!("RB-{}-{}", id_part(p), id_part(stem)),
        None => format!("RB-ADOPTED-{}", id_part(stem)),
    };
    if id.matches('-').count() < 1 || id.ends_with('-') {
        id = format!("RB-ADOPTED-{}", used.len() + 1);
    }
    let base = id.clone();
    let mut n = 2;
    while !used.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
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
    let mut skipped = Vec::new();
    let mut used = BTreeSet::new();
    if let Ok(s) = ssot::Ssot::load_metadata(into) {
        for rb in &s.runbooks {
            if let Some(id) = &rb.meta.id {
                used.insert(id.clone());
            }
        }
    }
    // Phase 1: every page, its ID and its destination (links need them all).
    let mut pages: Vec<(String, String, String)> = Vec::new(); // (rel, text, category)
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
        let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
        if markdown_ext(&name).is_none() {
            let lower = name.to_ascii_lowercase();
            if let Some(ext) = OTHER_DOC_EXTS.iter().find(|e| lower.ends_with(*e))
                && !skip.is_match(&rel)
            {
                skipped.push(Skipped {
                    path: rel,
                    reason: format!("not Markdown (`{ext}`): convert it to Markdown to adopt it"),
                });
            } else if !name.contains('.')
                && !skip.is_match(&rel)
                && looks_like_markdown(entry.path())
            {
                skipped.push(Skipped {
                    path: rel,
                    reason: "Markdown without a file extension: rename it to `.md` to adopt it"
                        .into(),
                });
            }
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
        match text::decode(&bytes) {
            Ok(d) => {
                let category = category_of(&rel, opts);
                pages.push((rel, d.text, category));
            }
            Err(e) => skipped.push(Skipped {
                path: rel,
                reason: format!("not decodable text: {e}"),
            }),
        }
    }
    let mut at = page::Placements {
        by_rel: std::collections::BTreeMap::new(),
    };
    for (rel, _, category) in &pages {
        let id = id_of(rel, &mut used);
        let stem = strip_ext(rel.rsplit('/').next().unwrap_or(rel));
        let dest = match rel.rsplit_once('/') {
            Some((dir, _)) => format!("runbooks/{category}/{dir}/{stem}.md"),
            None => format!("runbooks/{category}/{stem}.md"),
        };
        at.by_rel.insert(rel.clone(), (id, dest));
    }
    // Phase 2: each page.
    let mut items: Vec<Item> = pages
        .iter()
        .map(|(rel, text, category)| page::plan_page(source, rel, text, category, &at))
        .collect();
    items.sort_by(|a, b| a.dest.cmp(&b.dest));
    let assets: Vec<Asset> = items
        .iter()
        .flat_map(|i| i.assets.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut conflicts: Vec<String> = items
        .iter()
        .filter(|i| into.join(&i.dest).exists())
        .map(|i| i.dest.clone())
        .collect();
    for a in &assets {
        let to = into.join(&a.to);
        if to.exists() && std::fs::read(&to).ok() != std::fs::read(source.join(&a.from)).ok() {
            conflicts.push(a.to.clone());
        }
    }
    Ok(Plan {
        conflicts,
        source: source.display().to_string(),
        into: into.display().to_string(),
        creates_ssot: !into.join(ssot::CONFIG_FILE).is_file(),
        items,
        skipped,
        assets,
        runbook_base: opts.runbook_base.clone(),
    })
}

fn registry_entry_yaml(item: &Item) -> String {
    let path = item.dest.strip_prefix("runbooks/").unwrap_or(&item.dest);
    format!(
        "  - id: {}\n    path: {}\n    status: {}\n    original_path: {}\n",
        item.runbook_id,
        json_str(path),
        item.status,
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
    let source = Path::new(&plan.source);
    let mut copies = Vec::new();
    for a in &plan.assets {
        let from = source.join(&a.from);
        let bytes = std::fs::read(&from).map_err(io(&from))?;
        let to = into.join(&a.to);
        if to.exists() {
            if std::fs::read(&to).ok().as_deref() == Some(bytes.as_slice()) {
                continue;
            }
            return Err(AdoptError::Exists(to));
        }
        copies.push((to, bytes));
    }
    let mut written = Vec::new();
    let entries: String = plan.items.iter().map(registry_entry_yaml).collect();
    if plan.creates_ssot {
        for (rel, bytes) in crate::ssot::scaffold::files() {
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
            crate::host::fsutil::write_atomic(&p, &content).map_err(io(&p))?;
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
        crate::host::fsutil::write_atomic(
            &reg,
            &text::encode(&t, decoded.encoding, decoded.line_ending),
        )
        .map_err(io(&reg))?;
    }
    for item in &plan.items {
        let p = into.join(&item.dest);
        crate::host::fsutil::write_atomic(&p, item.content.as_bytes()).map_err(io(&p))?;
        written.push(item.dest.clone());
    }
    written.push("runbooks/runbooks.yaml".to_string());
    for (to, bytes) in copies {
        crate::host::fsutil::write_atomic(&to, &bytes).map_err(io(&to))?;
        written.push(rel_path(into, &to));
    }
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
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("src/comp")).unwrap();
        std::fs::write(t.path().join("src/comp/FooDown.md"), src).unwrap();
        let plan = plan(
            &t.path().join("src"),
            &t.path().join("ops"),
            &Options::default(),
        )
        .unwrap();
        let item = &plan.items[0];
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
        let fm = crate::syntax::markdown::split_front_matter(c)
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
