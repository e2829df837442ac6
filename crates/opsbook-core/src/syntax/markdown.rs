//! Markdown runbooks: front matter split, headings, sections, code blocks
//! (steps) and links, each with its 1-based line number.
//!
//! The front matter is split off by hand (a block that starts with `---` on
//! line 1 and ends with `---` or `...` on its own line), as the pulldown-cmark
//! metadata extension can mistake a thematic break for metadata. The body is
//! parsed with pulldown-cmark's offset iterator so that every element keeps
//! its position in the original file. Heading attributes (`## Title {#id}`)
//! are parsed, not kept in the heading text.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

/// A Markdown file split into front matter and body.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The YAML between the delimiters, if there is front matter.
    pub front_matter: Option<&'a str>,
    /// 1-based line of the first front-matter line (the one after `---`).
    pub front_matter_line: usize,
    /// The body after the closing delimiter (or the whole text).
    pub body: &'a str,
    /// 1-based line on which the body starts.
    pub body_line: usize,
}

/// Why the front matter could not be split off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Splits YAML front matter from a Markdown text (with `\n` line endings).
///
/// # Errors
/// [`FrontMatterError`] when the text opens with `---` but no closing
/// delimiter follows (unterminated front matter).
pub fn split_front_matter(text: &str) -> Result<Split<'_>, FrontMatterError> {
    let first_line = text.split('\n').next().unwrap_or("");
    if first_line.trim_end() != "---" {
        return Ok(Split {
            front_matter: None,
            front_matter_line: 0,
            body: text,
            body_line: 1,
        });
    }
    let start = first_line.len() + 1;
    if start > text.len() {
        return Err(FrontMatterError {
            line: 1,
            message: "front matter opened with `---` on line 1 but never closed".to_string(),
        });
    }
    let mut offset = start;
    for (line, l) in (2..).zip(text[start..].split_inclusive('\n')) {
        let t = l.trim_end();
        if t == "---" || t == "..." {
            let fm = &text[start..offset];
            let body_off = offset + l.len();
            return Ok(Split {
                front_matter: Some(fm),
                front_matter_line: 2,
                body: &text[body_off.min(text.len())..],
                body_line: line + 1,
            });
        }
        offset += l.len();
    }
    Err(FrontMatterError {
        line: 1,
        message: "front matter opened with `---` on line 1 but never closed: expected a line `---` after the YAML"
            .to_string(),
    })
}

/// A heading in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `#`, 2 for `##`, …
    pub level: u8,
    /// The heading text, inline markup and `{#id .class}` attributes
    /// removed, trimmed.
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
    /// The explicit anchor of a `{#id}` attribute (Hugo, MkDocs attr_list,
    /// Pandoc), when present.
    pub id: Option<String>,
}

/// The shell a fenced code block is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shell {
    /// Windows PowerShell / PowerShell 7 (`powershell`, `pwsh`, `ps1`, `posh`, …).
    PowerShell,
    /// A POSIX shell or a transcript of one (`bash`, `sh`, `zsh`, `console`, …).
    Posix,
    /// `cmd.exe` (`cmd`, `bat`, `batch`, …).
    Cmd,
}

impl Shell {
    /// The shell of a fence's language word (lower case), if it is one.
    /// Every shell language a collection uses is a step: none escapes the
    /// tier check (D-GATE-LINT).
    #[must_use]
    pub fn of_lang(lang: &str) -> Option<Shell> {
        Some(match lang {
            "powershell" | "pwsh" | "ps1" | "ps" | "posh" | "psm1" | "ps1con" | "pwsh-session"
            | "powershell-session" => Shell::PowerShell,
            "bash" | "sh" | "shell" | "zsh" | "ksh" | "dash" | "fish" | "csh" | "tcsh"
            | "console" | "terminal" | "shell-session" | "shellsession" | "sh-session"
            | "bash-session" | "zsh-session" => Shell::Posix,
            "cmd" | "bat" | "batch" | "batchfile" | "dos" | "doscon" | "winbatch" => Shell::Cmd,
            _ => return None,
        })
    }
}

/// A fenced code block; a *step* when its shell is a script language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The language word of the info string (`powershell`), lower-cased.
    pub lang: String,
    /// `key=value` attributes from `{…}` in the info string, in order.
    pub attrs: Vec<(String, String)>,
    /// The code.
    pub code: String,
    /// 1-based line of the opening fence.
    pub line: usize,
    /// Index of the section (in [`Body::sections`]) that contains the block.
    pub section: Option<usize>,
}

impl CodeBlock {
    /// The value of an attribute, if present.
    #[must_use]
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The shell the block is written for, if any ([`Shell::of_lang`]).
    #[must_use]
    pub fn shell(&self) -> Option<Shell> {
        Shell::of_lang(&self.lang)
    }

    /// Whether this block is a runnable step (any shell of [`Shell`]).
    #[must_use]
    pub fn is_script(&self) -> bool {
        self.shell().is_some()
    }
}

/// Markdown source file extensions, longest first (`page.html.md.erb` is a
/// Middleman source of `page.html`).
pub const MARKDOWN_EXTS: &[&str] = &[
    ".html.md.erb",
    ".html.md",
    ".md.erb",
    ".markdown",
    ".mdx",
    ".md",
];

/// Whether a link destination names a URI scheme (`https:`, `mailto:`,
/// `tel:`, `slack:`): not a file. One letter is a Windows drive (`C:\…`).
#[must_use]
pub fn has_scheme(dest: &str) -> bool {
    dest.split_once(':').is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Whether a link destination is a path to a file (relative, or absolute on
/// the site `/…`), as opposed to a URL, a fragment or a template.
#[must_use]
pub fn is_file_link(dest: &str) -> bool {
    let d = dest.trim();
    !(d.is_empty()
        || d.starts_with('#')
        || d.starts_with("//")
        || d.contains("{{")
        || d.contains("<%")
        || has_scheme(d))
}

/// What kind of reference a [`Link`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `[text](dest)`, `[text][ref]`, `<https://…>`.
    Link,
    /// `![alt](dest)`: the file must exist too.
    Image,
    /// `<name@example.com>`: an e-mail address, never a file.
    Email,
}

/// A link in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The destination as written.
    pub dest: String,
    /// Link, image or e-mail autolink.
    pub kind: LinkKind,
    /// 1-based line.
    pub line: usize,
    /// 1-based column of the link start.
    pub col: usize,
    /// Index of the containing section.
    pub section: Option<usize>,
}

/// A level-2 section: its heading and whether it has content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The `##` heading.
    pub heading: Heading,
    /// True when the section says something before the next heading of
    /// level 1 or 2: text, a non-empty code block, an image, a table with
    /// text. Whitespace (`&nbsp;` included), HTML comments, horizontal rules,
    /// empty fences and sub-headings alone are not content (OB103).
    pub has_content: bool,
}

/// The structure of a Markdown body.
#[derive(Debug, Clone, Default)]
pub struct Body {
    /// All headings in order.
    pub headings: Vec<Heading>,
    /// Level-2 sections in order.
    pub sections: Vec<Section>,
    /// Fenced code blocks in order.
    pub code_blocks: Vec<CodeBlock>,
    /// Inline links and images in order.
    pub links: Vec<Link>,
    /// Explicit HTML anchors (`<a id="x">`, `<a name="x">`, any tag's
    /// `id`), in order: fragment targets besides heading slugs.
    pub html_anchors: Vec<String>,
}

/// Parses a Markdown body. `first_line` is the file line the body starts on.
#[must_use]
pub fn parse_body(body: &str, first_line: usize) -> Body {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_col = |off: usize| -> (usize, usize) {
        let idx = match line_starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let col = body[line_starts[idx]..off.min(body.len())].chars().count() + 1;
        (idx + first_line, col)
    };
    let mut out = Body::default();
    let mut heading: Option<(u8, String, usize, Option<String>)> = None;
    // The block being read and whether it is fenced (only fenced blocks are steps).
    let mut code: Option<(CodeBlock, bool)> = None;
    // HTML of the current HTML block (its lines arrive as separate events).
    let mut html_block: Option<String> = None;
    // Whether a level-2 section is open, and whether it has said anything yet.
    let mut open = false;
    let mut content = false;
    let parser = Parser::new_ext(
        body,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_HEADING_ATTRIBUTES,
    )
    .into_offset_iter();
    for (ev, range) in parser {
        match ev {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let lvl = heading_level(level);
                if lvl <= 2 {
                    if open && let Some(sec) = out.sections.last_mut() {
                        sec.has_content = content;
                    }
                    open = false;
                }
                heading = Some((
                    lvl,
                    String::new(),
                    line_col(range.start).0,
                    id.map(|i| i.to_string()),
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text, line, id)) = heading.take() {
                    let h = Heading {
                        level,
                        text: text.trim().to_string(),
                        line,
                        id,
                    };
                    if level == 2 {
                        out.sections.push(Section {
                            heading: h.clone(),
                            has_content: false,
                        });
                        open = true;
                        content = false;
                    }
                    out.headings.push(h);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let (lang, attrs, fenced) = match &kind {
                    CodeBlockKind::Fenced(info) => {
                        let (l, a) = parse_info(info);
                        (l, a, true)
                    }
                    CodeBlockKind::Indented => (String::new(), Vec::new(), false),
                };
                code = Some((
                    CodeBlock {
                        lang,
                        attrs,
                        code: String::new(),
                        line: line_col(range.start).0,
                        section: out.sections.len().checked_sub(1),
                    },
                    fenced,
                ));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((c, fenced)) = code.take() {
                    content |= c.code.chars().any(|ch| !ch.is_whitespace());
                    if fenced {
                        out.code_blocks.push(c);
                    }
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let (line, col) = line_col(range.start);
                out.links.push(Link {
                    dest: dest_url.to_string(),
                    kind: if link_type == LinkType::Email {
                        LinkKind::Email
                    } else {
                        LinkKind::Link
                    },
                    line,
                    col,
                    section: out.sections.len().checked_sub(1),
                });
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                content = true;
                let (line, col) = line_col(range.start);
                out.links.push(Link {
                    dest: dest_url.to_string(),
                    kind: LinkKind::Image,
                    line,
                    col,
                    section: out.sections.len().checked_sub(1),
                });
            }
            Event::Start(Tag::HtmlBlock) => html_block = Some(String::new()),
            Event::End(TagEnd::HtmlBlock) => {
                if let Some(h) = html_block.take() {
                    content |= html_says_something(&h);
                    out.html_anchors.extend(html_anchors(&h));
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => match html_block.as_mut() {
                Some(b) => b.push_str(&t),
                None => {
                    content |= html_says_something(&t);
                    out.html_anchors.extend(html_anchors(&t));
                }
            },
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, s, _, _)) = heading.as_mut() {
                    s.push_str(&t);
                } else if let Some((c, _)) = code.as_mut() {
                    c.code.push_str(&t);
                } else if html_block.is_none() {
                    content |= t.chars().any(|c| !c.is_whitespace());
                }
            }
            Event::FootnoteReference(_) => content = true,
            _ => {}
        }
    }
    if open && let Some(sec) = out.sections.last_mut() {
        sec.has_content = content;
    }
    out
}

/// Whether HTML says something a reader sees: text outside tags and
/// comments, or an element that shows something by itself.
fn html_says_something(html: &str) -> bool {
    let mut rest = html;
    let mut visible = String::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |i| &r[i + 3..]);
        } else if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let tag = rest[1..end].trim_start_matches('/').to_ascii_lowercase();
            if [
                "img", "table", "pre", "iframe", "video", "svg", "object", "embed",
            ]
            .iter()
            .any(|t| tag.starts_with(t))
            {
                return true;
            }
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            visible.push_str(&rest[..end]);
            rest = &rest[end..];
        }
    }
    let visible = visible.replace("&nbsp;", " ").replace("&#160;", " ");
    visible.chars().any(|c| !c.is_whitespace())
}

/// The values of `id` attributes (any tag) and `name` attributes (`<a>`)
/// in a piece of HTML: explicit fragment targets.
fn html_anchors(html: &str) -> Vec<String> {
    static RE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?is)<([a-z][a-z0-9]*)\b[^>]*?\s(id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))"#,
        )
        .ok()
    });
    let Some(re) = RE.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(html)
        .filter(|c| c[2].eq_ignore_ascii_case("id") || c[1].eq_ignore_ascii_case("a"))
        .filter_map(|c| c.get(3).or_else(|| c.get(4)).or_else(|| c.get(5)))
        .map(|m| m.as_str().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Parses an info string like `powershell {step=3 tier=T1 op=resync}`.
fn parse_info(info: &str) -> (String, Vec<(String, String)>) {
    let info = info.trim();
    let (lang, rest) = match info.find(|c: char| c.is_whitespace() || c == '{') {
        Some(i) => (&info[..i], &info[i..]),
        None => (info, ""),
    };
    let mut attrs = Vec::new();
    if let (Some(open), Some(close)) = (rest.find('{'), rest.rfind('}'))
        && open < close
    {
        let inner = &rest[open + 1..close];
        let mut chars = inner.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
                chars.next();
            }
            let mut key = String::new();
            while let Some(&c) = chars.peek() {
                if c == '=' || c.is_whitespace() {
                    break;
                }
                key.push(c);
                chars.next();
            }
            if key.is_empty() {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'=') {
                chars.next();
                if chars.peek() == Some(&'"') {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == '"' {
                            break;
                        }
                        value.push(c);
                    }
                } else {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() || c == ',' {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
            attrs.push((key, value));
        }
    }
    (lang.to_ascii_lowercase(), attrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_lines() {
        let t = "---\na: 1\n---\n# T\n\n## Triage / トリアージ\n\ntext\n\n## Empty / 空\n## Last\n";
        let s = split_front_matter(t).unwrap();
        assert_eq!(s.front_matter, Some("a: 1\n"));
        assert_eq!(s.body_line, 4);
        let b = parse_body(s.body, s.body_line);
        assert_eq!(
            b.headings[0],
            Heading {
                level: 1,
                text: "T".into(),
                line: 4,
                id: None,
            }
        );
        assert_eq!(b.sections.len(), 3);
        assert_eq!(b.sections[0].heading.line, 6);
        assert!(b.sections[0].has_content);
        assert!(!b.sections[1].has_content);
        assert!(!b.sections[2].has_content);
    }

    #[test]
    fn unterminated_front_matter() {
        let e = split_front_matter("---\na: 1\nno end\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(split_front_matter("---").is_err());
        assert!(
            split_front_matter("no front matter")
                .unwrap()
                .front_matter
                .is_none()
        );
    }

    #[test]
    fn step_attributes() {
        let t = "## Mitigation / 緩和\n\n```powershell {step=3 tier=T1 op=resync-clock note=\"two words\"}\nw32tm /resync\n```\n[x](../a.md)\n";
        let b = parse_body(t, 10);
        let c = &b.code_blocks[0];
        assert_eq!(c.lang, "powershell");
        assert_eq!(c.attr("step"), Some("3"));
        assert_eq!(c.attr("tier"), Some("T1"));
        assert_eq!(c.attr("op"), Some("resync-clock"));
        assert_eq!(c.attr("note"), Some("two words"));
        assert_eq!(c.line, 12);
        assert_eq!(c.section, Some(0));
        assert!(c.is_script());
        assert_eq!(b.links[0].dest, "../a.md");
        assert_eq!(b.links[0].line, 15);
    }

    #[test]
    fn sections_with_nothing_to_say_are_empty() {
        let t = "## A\n\n<!-- TODO -->\n\n## B\n\n---\n\n## C\n\n```bash\n```\n\n## D\n\n&nbsp;\n\n## E\n\n### Only a sub-heading\n\n## F\n\n<!--\nmulti-line\ncomment\n-->\n\n## G\n\n### Sub\n\nreal text\n\n## H\n\n![diagram](d.png)\n\n## I\n\n<a id=\"x\"></a>\n\n## J\n\n    indented output\n\n# Top\n\ntext after a level-1 heading\n";
        let b = parse_body(t, 1);
        let got: Vec<(&str, bool)> = b
            .sections
            .iter()
            .map(|s| (s.heading.text.as_str(), s.has_content))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A", false),
                ("B", false),
                ("C", false),
                ("D", false),
                ("E", false),
                ("F", false),
                ("G", true),
                ("H", true),
                ("I", false),
                ("J", true),
            ]
        );
        assert_eq!(b.html_anchors, vec!["x".to_string()]);
        assert!(b.code_blocks.len() == 1, "indented blocks are not steps");
    }

    #[test]
    fn heading_attributes_links_images_and_email() {
        let t = "## Triage / トリアージ {#triage}\n\nSee <ops@example.com>, [x](a.md) and ![i](img/p.png).\n";
        let b = parse_body(t, 1);
        assert_eq!(b.headings[0].text, "Triage / トリアージ");
        assert_eq!(b.headings[0].id.as_deref(), Some("triage"));
        let kinds: Vec<(LinkKind, &str)> =
            b.links.iter().map(|l| (l.kind, l.dest.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (LinkKind::Email, "ops@example.com"),
                (LinkKind::Link, "a.md"),
                (LinkKind::Image, "img/p.png"),
            ]
        );
    }

    #[test]
    fn every_shell_fence_is_a_step() {
        for (lang, shell) in [
            ("console", Shell::Posix),
            ("zsh", Shell::Posix),
            ("posh", Shell::PowerShell),
            ("pwsh", Shell::PowerShell),
            ("ps1", Shell::PowerShell),
            ("cmd", Shell::Cmd),
            ("bash", Shell::Posix),
            ("powershell", Shell::PowerShell),
        ] {
            let b = parse_body(&format!("```{lang}\nx\n```\n"), 1);
            assert_eq!(b.code_blocks[0].shell(), Some(shell), "{lang}");
        }
        let b = parse_body("```text\nx\n```\n", 1);
        assert!(!b.code_blocks[0].is_script());
    }
}
