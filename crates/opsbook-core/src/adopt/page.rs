//! The plan for one adopted page: its front matter, its links rewritten to
//! reach what they reached in the source, its sections grouped under
//! opsbook's, and what the gate will say is missing (D-RB-TEMPLATE).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::links::{self, Target};
use super::sections::{SECTIONS, index_of, required_sections, target_of};
use super::source;
use super::{Asset, Item, SectionMove, parse_interval};
use crate::syntax::markdown;

/// Where every adopted page goes: source path → (runbook ID, destination).
pub(super) struct Placements {
    pub by_rel: BTreeMap<String, (String, String)>,
}

impl Placements {
    /// The destination directory of adopted pages under source directory `d`
    /// (the first one's, when categories split it).
    fn dir_dest(&self, d: &str) -> Option<String> {
        let prefix = format!("{d}/");
        self.by_rel
            .iter()
            .find(|(rel, _)| rel.starts_with(&prefix))
            .map(|(rel, (_, dest))| {
                let below = rel[prefix.len()..].matches('/').count() + 1;
                let mut p = dest.as_str();
                for _ in 0..below {
                    p = p.rsplit_once('/').map_or("", |(a, _)| a);
                }
                p.to_string()
            })
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn yaml_scalar(v: &Value) -> String {
    // JSON is valid YAML flow syntax; dates stay quoted strings.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

/// `time-drift` → `time drift`; `KubeNodeNotReady` stays as it is.
fn humanize(stem: &str) -> String {
    stem.replace(['-', '_'], " ")
}

/// What the links of one page became.
struct Rewritten {
    body: String,
    assets: Vec<Asset>,
    rewritten: usize,
    unresolved: usize,
    /// Line (0-based in the body) → adopted pages its links reach (IDs).
    page_links: BTreeMap<usize, Vec<String>>,
}

/// Rewrites every link of `body` that resolved in the source.
fn rewrite_links(root: &Path, rel: &str, dest: &str, body: &str, at: &Placements) -> Rewritten {
    let dest_dir = dest.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Rewritten {
        body: String::new(),
        assets: Vec::new(),
        rewritten: 0,
        unresolved: 0,
        page_links: BTreeMap::new(),
    };
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for d in links::dests(body) {
        let line = body[..d.range.start].matches('\n').count();
        let Some((target, suffix)) = links::resolve(root, rel, &d.url) else {
            if links::is_relative_file_link(&d.url) {
                out.unresolved += 1;
            }
            continue;
        };
        let new_target = match &target {
            Target::File(t) => match at.by_rel.get(t) {
                Some((id, page_dest)) => {
                    out.page_links.entry(line).or_default().push(id.clone());
                    page_dest.clone()
                }
                None => {
                    let to = format!("assets/{t}");
                    out.assets.push(Asset {
                        from: t.clone(),
                        to: to.clone(),
                    });
                    to
                }
            },
            Target::Dir(dir) => match at.dir_dest(dir) {
                Some(p) => p,
                None => continue,
            },
        };
        let new = links::encode(&links::relative(dest_dir, &new_target)) + &suffix;
        if new != body[d.range.clone()] {
            edits.push((d.range, new));
            out.rewritten += 1;
        }
    }
    let mut s = body.to_string();
    for (r, new) in edits.into_iter().rev() {
        s.replace_range(r, &new);
    }
    out.body = s;
    out
}

/// Plans one page. `rel` is its path in the source, `root` the source root.
pub(super) fn plan_page(
    root: &Path,
    rel: &str,
    text: &str,
    category: &str,
    at: &Placements,
) -> Item {
    let (id, dest) = at.by_rel.get(rel).cloned().unwrap_or_default();
    let front = source::front(text);
    let mut notes = front.notes.clone();
    let fm = front.value.clone();
    let body_line = front.body_line;
    let rw = rewrite_links(root, rel, &dest, front.body, at);
    let body = rw.body.as_str();
    if rw.unresolved > 0 {
        notes.push(format!(
            "{} relative link{} did not resolve in the source either: left as written",
            rw.unresolved,
            if rw.unresolved == 1 { "" } else { "s" }
        ));
    }
    let lower_rel = rel.to_lowercase();
    if lower_rel.ends_with(".mdx") {
        notes.push("MDX: `import`/`export` lines and JSX components are kept as text".into());
    }
    let parsed = markdown::parse_body(body, body_line);
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = super::strip_ext(file_name);
    let parent = rel.rsplit('/').nth(1);

    // Title: front matter, else the first level-1 heading, else the file name.
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
    let t = source::title(&fm_title.or(h1).unwrap_or_else(|| stem.to_string()));
    let title_ja = t.ja.clone();
    let title = match t.en.clone() {
        Some(en) => en,
        None => {
            notes.push(format!(
                "the title is Japanese only: `title.en` taken from the file name (`{}`)",
                humanize(stem)
            ));
            humanize(stem)
        }
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

    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let h2: Vec<&markdown::Heading> = parsed.headings.iter().filter(|h| h.level == 2).collect();
    let first_h2_idx = h2.first().map_or(lines.len(), |h| h.line - body_line);

    // Deprecation: the directory, the title, the front matter, or the intro
    // saying the page was replaced; the replacement from a link on that line.
    let intro_replaced: Vec<usize> = (0..first_h2_idx)
        .filter(|i| source::says_replaced(lines[*i]))
        .collect();
    let deprecated = source::in_deprecated_dir(rel)
        || t.deprecated
        || source::front_deprecated(fm.as_ref())
        || !intro_replaced.is_empty();
    let replaced_by = if deprecated {
        let fm_replacement = get("replaced_by").or_else(|| get("superseded_by"));
        // The line that says so, else the first intro line linking a page
        // ("Use [the DNS runbook](…) instead.").
        let candidates: Vec<usize> = if intro_replaced.is_empty() {
            (0..first_h2_idx).collect()
        } else {
            intro_replaced
        };
        fm_replacement
            .and_then(|r| {
                at.by_rel
                    .values()
                    .find(|(id, _)| *id == r)
                    .map(|(id, _)| id.clone())
                    .or_else(|| match links::resolve(root, rel, &r) {
                        Some((Target::File(f), _)) => at.by_rel.get(&f).map(|(id, _)| id.clone()),
                        _ => None,
                    })
            })
            .or_else(|| {
                candidates
                    .iter()
                    .find_map(|i| rw.page_links.get(i).and_then(|ids| ids.first().cloned()))
            })
            .filter(|r| *r != id)
    } else {
        None
    };
    if deprecated {
        notes.push(match &replaced_by {
            Some(r) => {
                format!("deprecated in the source: adopted as a deprecated stub, replaced by {r}")
            }
            None => {
                "deprecated in the source, replacement not found: set `replaced_by` (OB601)".into()
            }
        });
    }

    // Sections: group level-2 sections under opsbook sections.
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
        let idx = index_of(target).unwrap_or(1);
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
    let shells: BTreeSet<markdown::Shell> = parsed
        .code_blocks
        .iter()
        .filter_map(markdown::CodeBlock::shell)
        .collect();
    let platform = if shells.contains(&markdown::Shell::PowerShell) {
        "windows_powershell"
    } else if shells.contains(&markdown::Shell::Posix) {
        "bash"
    } else {
        "any"
    };

    let mut out = String::from("---\n");
    out.push_str(&format!("runbook_id: {id}\n"));
    out.push_str(&format!("title:\n  en: {}\n", json_str(&title)));
    if let Some(ja) = &title_ja {
        out.push_str(&format!("  ja: {}\n", json_str(ja)));
    }
    out.push_str(&format!("kind: {kind}\ncategory: {category}\n"));
    if let Some(p) = parent {
        out.push_str(&format!("applies_to: [{}]\n", json_str(p)));
    }
    let alerts = if alert_like && !deprecated {
        format!("[{}]", json_str(stem))
    } else {
        "[]".to_string()
    };
    out.push_str(&format!("triggers:\n  symptoms: []\n  alerts: {alerts}\n"));
    out.push_str("required_evidence: []\ndangerous_ops: []\n");
    out.push_str(&format!("platform: {platform}\nmaturity: draft\n"));
    out.push_str(&format!(
        "last_verified: {}\nlast_drilled: null\nstatus: {}\n",
        last_verified
            .as_deref()
            .map_or_else(|| "null".to_string(), json_str),
        if deprecated { "deprecated" } else { "active" }
    ));
    if deprecated {
        out.push_str(&format!(
            "replaced_by: {}\n",
            replaced_by.as_deref().unwrap_or("null")
        ));
    }
    out.push_str("related: []\nadopted:\n");
    out.push_str(&format!("  original_path: {}\n", json_str(rel)));
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

    // What the gate will report: required sections absent (OB101), and
    // sections present with nothing in them (OB103).
    let present = markdown::split_front_matter(&out)
        .map(|s| markdown::parse_body(s.body, s.body_line))
        .unwrap_or_default();
    let missing: Vec<String> = required_sections(Some(kind), deprecated)
        .into_iter()
        .filter(|i| !groups.contains_key(i))
        .map(|i| SECTIONS[i].0.to_string())
        .collect();
    let empty: Vec<String> = present
        .sections
        .iter()
        .filter(|s| !s.has_content)
        .filter_map(|s| {
            SECTIONS
                .iter()
                .find(|(en, ja)| s.heading.text == format!("{en} / {ja}"))
                .map(|(en, _)| (*en).to_string())
        })
        .collect();
    let mut assets = rw.assets;
    assets.sort_by(|a, b| a.from.cmp(&b.from));
    assets.dedup();
    Item {
        original_path: rel.to_string(),
        dest,
        runbook_id: id,
        title,
        title_ja,
        kind: kind.to_string(),
        category: category.to_string(),
        status: if deprecated { "deprecated" } else { "active" }.to_string(),
        replaced_by,
        last_verified,
        review_in,
        sections: moves,
        missing_sections: missing,
        empty_sections: empty,
        links_rewritten: rw.rewritten,
        assets,
        notes,
        content: out,
    }
}
