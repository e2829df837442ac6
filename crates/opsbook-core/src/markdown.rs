//! Markdown runbooks: front matter split, headings, sections, code blocks
//! (steps) and links, each with its 1-based line number.
//!
//! The front matter is split off by hand (a block that starts with `---` on
//! line 1 and ends with `---` or `...` on its own line), as the pulldown-cmark
//! metadata extension can mistake a thematic break for metadata. The body is
//! parsed with pulldown-cmark's offset iterator so that every element keeps
//! its position in the original file.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

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
    /// The heading text, inline markup removed, trimmed.
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
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

    /// Whether this block is a runnable step (PowerShell or POSIX shell).
    #[must_use]
    pub fn is_script(&self) -> bool {
        matches!(
            self.lang.as_str(),
            "powershell" | "pwsh" | "ps1" | "ps" | "bash" | "sh" | "shell" | "cmd" | "bat"
        )
    }
}

/// A link in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The destination as written.
    pub dest: String,
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
    /// True when anything but whitespace follows the heading before the next
    /// heading of level 1 or 2.
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
    /// Inline links in order.
    pub links: Vec<Link>,
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
    let mut heading: Option<(u8, String, usize)> = None;
    let mut code: Option<CodeBlock> = None;
    // Byte offset where the current level-1/2 section's content starts.
    let mut section_content_start: Option<usize> = None;
    let prev_section_end = |out: &mut Body, start: Option<usize>, end: usize| {
        if let (Some(s), Some(sec)) = (start, out.sections.last_mut()) {
            sec.has_content = body[s.min(end)..end].chars().any(|c| !c.is_whitespace());
        }
    };
    let parser = Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .into_offset_iter();
    for (ev, range) in parser {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                let lvl = heading_level(level);
                if lvl <= 2 {
                    prev_section_end(&mut out, section_content_start.take(), range.start);
                }
                heading = Some((lvl, String::new(), line_col(range.start).0));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text, line)) = heading.take() {
                    let h = Heading {
                        level,
                        text: text.trim().to_string(),
                        line,
                    };
                    if level == 2 {
                        out.sections.push(Section {
                            heading: h.clone(),
                            has_content: false,
                        });
                        section_content_start = Some(range.end);
                    }
                    out.headings.push(h);
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let (lang, attrs) = parse_info(&info);
                code = Some(CodeBlock {
                    lang,
                    attrs,
                    code: String::new(),
                    line: line_col(range.start).0,
                    section: out.sections.len().checked_sub(1),
                });
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(c) = code.take() {
                    out.code_blocks.push(c);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let (line, col) = line_col(range.start);
                out.links.push(Link {
                    dest: dest_url.to_string(),
                    line,
                    col,
                    section: out.sections.len().checked_sub(1),
                });
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, s, _)) = heading.as_mut() {
                    s.push_str(&t);
                } else if let Some(c) = code.as_mut() {
                    c.code.push_str(&t);
                }
            }
            _ => {}
        }
    }
    prev_section_end(&mut out, section_content_start, body.len());
    out
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
                line: 4
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
}
