//! Fragment targets of a Markdown page (`page#fragment`): the anchors that
//! the sites runbooks are published on give each heading, plus explicit ones.
//!
//! A fragment resolves when it names one of:
//! - a heading slug by GitHub's rule (github-slugger: lower case, drop
//!   punctuation, spaces to `-`, duplicates `-1`, `-2`), which Hugo's default
//!   (`autoHeadingIDType = "github"`) shares, Hugo's `github-ascii` and
//!   legacy `blackfriday` rules, and MkDocs' (Python-Markdown `toc`: NFKD,
//!   ASCII, runs of space and `-` to one `-`, duplicates `_1`, `_2`; and its
//!   Unicode variant);
//! - a `{#id}` heading attribute (Hugo, MkDocs `attr_list`, Pandoc);
//! - an explicit HTML anchor: `<a id="…">`, `<a name="…">` or any tag's `id`.
//!
//! Used by the coverage check (D-GATE-COVERAGE): an alert whose
//! `runbook_url` names a fragment the page does not have does not lead to
//! the procedure.

use std::collections::{BTreeSet, HashMap};

use unicode_normalization::UnicodeNormalization;

use crate::syntax::markdown::Body;

/// GitHub's heading slug (github-slugger), before de-duplication.
#[must_use]
pub fn github_slug(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Hugo's `github` rule: as GitHub, but every Unicode space becomes `-`.
#[must_use]
pub fn hugo_slug(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_whitespace() || c == '-' {
                Some('-')
            } else if c.is_alphanumeric() || c == '_' {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

/// Hugo's `github-ascii` rule: accents folded, other non-ASCII dropped.
#[must_use]
pub fn hugo_ascii_slug(text: &str) -> String {
    hugo_slug(&ascii_fold(text))
}

/// Hugo's legacy `blackfriday` rule: runs of anything but letters and digits
/// become one `-`, trimmed at both ends.
#[must_use]
pub fn blackfriday_slug(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.to_lowercase().chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// MkDocs' default (Python-Markdown `toc.slugify`): NFKD, ASCII only, drop
/// what is not a word character, space or `-`, lower case, runs of spaces
/// and `-` to one `-`. With `unicode`, the `slugify_unicode` variant.
#[must_use]
pub fn mkdocs_slug(text: &str, unicode: bool) -> String {
    let folded: String = if unicode {
        text.to_string()
    } else {
        ascii_fold(text)
    };
    let kept: String = folded
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-') || c.is_whitespace())
        .collect();
    let lower = kept.trim().to_lowercase();
    let mut out = String::new();
    let mut sep = false;
    for c in lower.chars() {
        if c.is_whitespace() || c == '-' {
            sep = true;
        } else {
            if sep {
                out.push('-');
            }
            sep = false;
            out.push(c);
        }
    }
    if sep {
        out.push('-');
    }
    out
}

/// NFKD, then only ASCII (accents folded: `café` → `cafe`).
fn ascii_fold(text: &str) -> String {
    text.nfkd().filter(char::is_ascii).collect()
}

/// De-duplicates slugs as a site generator does: the second `x` becomes
/// `x{sep}1`, the third `x{sep}2`.
struct Dedup {
    sep: &'static str,
    seen: HashMap<String, usize>,
}

impl Dedup {
    fn new(sep: &'static str) -> Dedup {
        Dedup {
            sep,
            seen: HashMap::new(),
        }
    }

    fn next(&mut self, slug: String) -> String {
        let n = self.seen.entry(slug.clone()).or_insert(0);
        let out = if *n == 0 {
            slug
        } else {
            format!("{slug}{}{n}", self.sep)
        };
        *n += 1;
        out
    }
}

/// Every fragment a page's body answers to (see the module docs).
#[must_use]
pub fn anchors(body: &Body) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut gh = Dedup::new("-");
    let mut hugo = Dedup::new("-");
    let mut hugo_ascii = Dedup::new("-");
    let mut bf = Dedup::new("-");
    let mut mk = Dedup::new("_");
    let mut mku = Dedup::new("_");
    for h in &body.headings {
        if let Some(id) = &h.id {
            out.insert(id.clone());
        }
        out.insert(gh.next(github_slug(&h.text)));
        out.insert(hugo.next(hugo_slug(&h.text)));
        out.insert(hugo_ascii.next(hugo_ascii_slug(&h.text)));
        out.insert(bf.next(blackfriday_slug(&h.text)));
        out.insert(mk.next(mkdocs_slug(&h.text, false)));
        out.insert(mku.next(mkdocs_slug(&h.text, true)));
    }
    out.extend(body.html_anchors.iter().cloned());
    out.remove("");
    out
}

/// Whether `fragment` (as written after `#`, percent-encoded or not) names
/// one of `anchors`. GitHub's `user-content-` prefix is accepted; letter
/// case is not significant (GitHub and browsers' anchor lookups in rendered
/// docs tolerate it, and slugs are lower case).
#[must_use]
pub fn has_fragment(anchors: &BTreeSet<String>, fragment: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(fragment)
        .decode_utf8_lossy()
        .into_owned();
    let f = decoded.strip_prefix("user-content-").unwrap_or(&decoded);
    if f.is_empty() || anchors.contains(f) {
        return true;
    }
    let lower = f.to_lowercase();
    anchors.iter().any(|a| a.to_lowercase() == lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::markdown::parse_body;

    #[test]
    fn github_hugo_and_mkdocs_rules() {
        assert_eq!(
            github_slug("Alert Name: ThanosCompactHalted"),
            "alert-name-thanoscompacthalted"
        );
        assert_eq!(
            github_slug("What's `kubectl` -- really?"),
            "whats-kubectl----really"
        );
        assert_eq!(github_slug("Backout / 切り戻し"), "backout--切り戻し");
        assert_eq!(hugo_slug("Backout / 切り戻し"), "backout--切り戻し");
        assert_eq!(hugo_ascii_slug("Café au lait / 切り戻し"), "cafe-au-lait--");
        assert_eq!(
            blackfriday_slug("What's `kubectl` -- really?"),
            "what-s-kubectl-really"
        );
        assert_eq!(
            mkdocs_slug("What's `kubectl` -- really?", false),
            "whats-kubectl-really"
        );
        assert_eq!(mkdocs_slug("Café au lait", false), "cafe-au-lait");
        assert_eq!(mkdocs_slug("復旧 手順", true), "復旧-手順");
    }

    #[test]
    fn page_anchors_with_duplicates_attributes_and_html() {
        let b = parse_body(
            "# Runbook\n\n## Diagnosis\n\n## Diagnosis\n\n## Mitigation {#fix-it}\n\n<a name=\"legacy-anchor\"></a>\n\ntext <a id='inline'></a>\n",
            1,
        );
        let a = anchors(&b);
        for want in [
            "runbook",
            "diagnosis",
            "diagnosis-1",
            "diagnosis_1",
            "fix-it",
            "mitigation",
            "legacy-anchor",
            "inline",
        ] {
            assert!(a.contains(want), "{want} not in {a:?}");
        }
        assert!(
            !a.contains("mitigation-fix-it"),
            "{{#id}} is not heading text: {a:?}"
        );
        assert!(has_fragment(&a, "Diagnosis"));
        assert!(has_fragment(&a, "user-content-diagnosis"));
        assert!(!has_fragment(&a, "alert-name-thanoscompacthalted"));
        assert!(!has_fragment(&a, "diagnosis-2"));
    }

    #[test]
    fn percent_encoded_fragments() {
        let b = parse_body("## 復旧 / Recovery\n", 1);
        let a = anchors(&b);
        let enc: String = percent_encoding::utf8_percent_encode(
            "復旧--recovery",
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string()
        .replace("%2D", "-");
        assert!(has_fragment(&a, &enc), "{enc} in {a:?}");
    }
}
