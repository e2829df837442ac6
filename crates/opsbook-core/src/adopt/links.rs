//! Links of an adopted page: what each relative link (or image) reached in
//! the source collection, read as the collection's site generator reads it,
//! and the destination that reaches the same thing after adoption.
//!
//! A link "resolved in the source" when, from the page's directory (for an
//! index page also from its parent, for Hugo's pretty URLs also from
//! `dir/<page>/`; a `/…` link from the source root), it names a file, a
//! directory (with its `_index.md`/`index.md`/`README.md`), or a Markdown
//! page by its rendered name: `page`, `page.html` for `page.html.md` or
//! `page.html.md.erb`, `page/` for `page.md`. Such links are rewritten to the
//! adopted page, or to a copy of the file under `assets/`; a link that did
//! not resolve in the source is left as written (the gate reports it, which
//! is true in both trees).

use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};

/// Markdown source extensions, longest first.
pub(super) use crate::syntax::markdown::MARKDOWN_EXTS as MD_EXTS;

/// Directory index pages, in the order site generators prefer them.
const INDEX_PAGES: &[&str] = &[
    "_index.md",
    "index.md",
    "index.html.md",
    "index.html.md.erb",
    "index.markdown",
    "index.mdx",
    "README.md",
    "readme.md",
    "README.markdown",
];

/// What a source link reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A file (page or asset), relative to the source root.
    File(String),
    /// A directory without an index page, relative to the source root.
    Dir(String),
}

/// Joins a `/`-separated relative `link` onto `base` (a directory relative
/// to the root, `""` for the root), collapsing `.` and `..`. `None` when it
/// climbs out of the root.
fn join(base: &str, link: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn is_index_page(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_lowercase();
    let stem = MD_EXTS
        .iter()
        .find_map(|e| name.strip_suffix(e))
        .unwrap_or(&name);
    matches!(stem, "_index" | "index" | "readme")
}

/// The file or directory `p` names under `root` as a site generator serves it.
fn lookup(root: &Path, p: &str, trailing_slash: bool) -> Option<Target> {
    let full = root.join(p);
    if !p.is_empty() && full.is_file() && !trailing_slash {
        return Some(Target::File(p.to_string()));
    }
    if full.is_dir() {
        for idx in INDEX_PAGES {
            if full.join(idx).is_file() {
                let rel = if p.is_empty() {
                    (*idx).to_string()
                } else {
                    format!("{p}/{idx}")
                };
                return Some(Target::File(rel));
            }
        }
    }
    if !p.is_empty() {
        // A page by its rendered name: `x`, `x/`, `x.html`.
        let stem = p
            .strip_suffix(".html")
            .or_else(|| p.strip_suffix(".htm"))
            .unwrap_or(p);
        for ext in MD_EXTS {
            let cand = format!("{stem}{ext}");
            if root.join(&cand).is_file() {
                return Some(Target::File(cand));
            }
        }
    }
    if full.is_dir() && !p.is_empty() {
        return Some(Target::Dir(p.to_string()));
    }
    None
}

/// Resolves `dest` (as pulldown-cmark gives it) of a link on page `from`
/// (relative to `root`). `None` for links that are not files (URLs,
/// fragments, templates) and links that did not resolve in the source.
pub(super) fn resolve(root: &Path, from: &str, dest: &str) -> Option<(Target, String)> {
    let d = dest.trim();
    if !is_relative_file_link(d) {
        return None;
    }
    let cut = d.find(['#', '?']).unwrap_or(d.len());
    let (path, suffix) = d.split_at(cut);
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .replace('\\', "/");
    if path.is_empty() {
        return None;
    }
    let trailing = path.ends_with('/');
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    let page = MD_EXTS
        .iter()
        .find_map(|e| {
            let l = from.to_lowercase();
            l.ends_with(e).then(|| &from[..from.len() - e.len()])
        })
        .unwrap_or(from);
    let bases: Vec<String> = if let Some(abs) = path.strip_prefix('/') {
        return join("", abs)
            .and_then(|p| lookup(root, &p, trailing))
            .map(|t| (t, suffix.to_string()));
    } else {
        let mut b = vec![dir.to_string()];
        if is_index_page(from) {
            b.push(dir.rsplit_once('/').map_or("", |(p, _)| p).to_string());
        }
        // Hugo's pretty URLs serve `dir/page.md` at `dir/page/`.
        b.push(page.to_string());
        b
    };
    bases.iter().find_map(|base| {
        join(base, &path)
            .and_then(|p| lookup(root, &p, trailing))
            .map(|t| (t, suffix.to_string()))
    })
}

/// Whether a link is a relative (or site-absolute) path to a file.
pub(super) use crate::syntax::markdown::is_file_link as is_relative_file_link;

/// The path from directory `from_dir` to `to` (both relative to one root).
pub(super) fn relative(from_dir: &str, to: &str) -> String {
    let a: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    let b: Vec<&str> = to.split('/').filter(|s| !s.is_empty()).collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out: Vec<&str> = vec![".."; a.len() - common];
    out.extend(&b[common..]);
    out.join("/")
}

/// A link destination in a Markdown body: its byte range (the destination
/// only, as written) and its value as pulldown-cmark reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Dest {
    pub range: Range<usize>,
    pub url: String,
}

/// Every inline link, image and reference definition destination of `body`.
pub(super) fn dests(body: &str) -> Vec<Dest> {
    let mut out = Vec::new();
    let parser = Parser::new_ext(
        body,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_HEADING_ATTRIBUTES,
    );
    let mut it = parser.into_offset_iter();
    for (ev, range) in it.by_ref() {
        let (link_type, url) = match ev {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            })
            | Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            }) => (link_type, dest_url),
            _ => continue,
        };
        if link_type != LinkType::Inline {
            continue;
        }
        if let Some(r) = inline_dest(&body[range.clone()]) {
            out.push(Dest {
                range: range.start + r.start..range.start + r.end,
                url: url.to_string(),
            });
        }
    }
    for (_, def) in it.reference_definitions().iter() {
        let span = def.span.clone();
        if let Some(r) = definition_dest(&body[span.clone()]) {
            out.push(Dest {
                range: span.start + r.start..span.start + r.end,
                url: def.dest.to_string(),
            });
        }
    }
    out.sort_by_key(|d| d.range.start);
    out.dedup_by_key(|d| d.range.start);
    out
}

/// The destination in `[text](dest "title")`: inside the last balanced
/// parentheses group that ends the element.
fn inline_dest(src: &str) -> Option<Range<usize>> {
    let bytes = src.as_bytes();
    if *bytes.last()? != b')' {
        return None;
    }
    let mut depth = 0i32;
    let mut open = None;
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b')' if !escaped(bytes, i) => depth += 1,
            b'(' if !escaped(bytes, i) => {
                depth -= 1;
                if depth == 0 {
                    open = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let open = open?;
    if open == 0 || bytes[open - 1] != b']' {
        return None;
    }
    dest_at(src, open + 1, bytes.len() - 1)
}

/// The destination in `[label]: dest "title"`.
fn definition_dest(src: &str) -> Option<Range<usize>> {
    let colon = src.find("]:")?;
    dest_at(src, colon + 2, src.len())
}

fn escaped(bytes: &[u8], i: usize) -> bool {
    bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 1
}

/// The destination starting after whitespace at `from`: `<…>` (inside the
/// brackets) or up to whitespace / unbalanced `)`.
fn dest_at(src: &str, from: usize, end: usize) -> Option<Range<usize>> {
    let s = &src[from..end];
    let lead = s.len() - s.trim_start().len();
    let start = from + lead;
    let rest = &src[start..end];
    if let Some(inner) = rest.strip_prefix('<') {
        let close = inner.find('>')?;
        return Some(start + 1..start + 1 + close);
    }
    let mut depth = 0i32;
    let mut len = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                len = i;
                break;
            }
            ')' => depth -= 1,
            c if c.is_whitespace() => {
                len = i;
                break;
            }
            _ => {}
        }
    }
    (len > 0).then_some(start..start + len)
}

/// A destination as written in Markdown: spaces and parentheses escaped.
pub(super) fn encode(dest: &str) -> String {
    dest.replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_found_where_they_are_written() {
        let body = "See [a](../x/a.md#fix), ![img](<images/my pic.png> \"t\"), [b][ref], [c](d(1).md) and <https://x.example>.\n\n[ref]: other.html.md.erb \"T\"\n";
        let got: Vec<(&str, String)> = dests(body)
            .iter()
            .map(|d| (&body[d.range.clone()], d.url.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("../x/a.md#fix", "../x/a.md#fix".to_string()),
                ("images/my pic.png", "images/my pic.png".to_string()),
                ("d(1).md", "d(1).md".to_string()),
                ("other.html.md.erb", "other.html.md.erb".to_string()),
            ]
        );
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative("runbooks/platform/a", "runbooks/platform/b/c.md"),
            "../b/c.md"
        );
        assert_eq!(
            relative("runbooks/security", "assets/images/x.png"),
            "../../assets/images/x.png"
        );
        assert_eq!(relative("", "a/b.md"), "a/b.md");
        assert_eq!(join("a/b", "../../c"), Some("c".into()));
        assert_eq!(join("a", "../../c"), None);
    }

    #[test]
    fn links_resolve_as_the_site_serves_them() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for f in [
            "manual/alerts.html.md",
            "manual/dns.html.md.erb",
            "manual/index.html.md",
            "images/x.png",
            "comp/_index.md",
            "comp/AlertA.md",
            "comp/AlertB.md",
            "empty/.keep",
        ] {
            let p = r.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let res = |from: &str, d: &str| resolve(r, from, d);
        let file = |p: &str, s: &str| Some((Target::File(p.into()), s.into()));
        assert_eq!(
            res("manual/alerts.html.md", "dns.html#fix"),
            file("manual/dns.html.md.erb", "#fix")
        );
        assert_eq!(
            res("manual/alerts.html.md", "/manual/dns.html"),
            file("manual/dns.html.md.erb", "")
        );
        assert_eq!(
            res("manual/alerts.html.md", "../images/x.png"),
            file("images/x.png", "")
        );
        assert_eq!(
            res("manual/index.html.md", "manual/alerts"),
            file("manual/alerts.html.md", ""),
            "an index page is served as its directory"
        );
        assert_eq!(
            res("comp/AlertA.md", "../AlertB/"),
            file("comp/AlertB.md", ""),
            "Hugo's pretty URL of a sibling"
        );
        assert_eq!(res("comp/AlertA.md", "./"), file("comp/_index.md", ""));
        assert_eq!(
            res("comp/AlertA.md", "../empty"),
            Some((Target::Dir("empty".into()), String::new()))
        );
        assert_eq!(res("comp/AlertA.md", "nowhere.md"), None);
        assert_eq!(res("comp/AlertA.md", "https://x.example/a.md"), None);
        assert_eq!(res("comp/AlertA.md", "../../outside.md"), None);
    }
}
