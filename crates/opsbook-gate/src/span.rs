//! Span ends of findings, found in the source text once the checks are
//! done: a check knows *what* its finding points at (the YAML key or value
//! at a position, a fence's info string or one of its attributes, a piece
//! of text on the line) but the loaded SSOT keeps only where things start.
//! [`resolve`] reads each file that has such findings once (only those
//! files) and turns the [`Extent`] into [`Finding::end`] (and the end of a
//! related place), so the human report underlines the real span and SARIF
//! gets a real region. A subject that cannot be found leaves the finding
//! as it was: the end is then unknown, never guessed.

use std::collections::HashMap;
use std::path::Path;

use crate::{Finding, Point};

/// What a finding (or a related place) points at, when its end is to be
/// found in the source line. Never serialised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Extent {
    /// Nothing to find: the end is known already, or the subject has no
    /// extent (a whole file, a missing thing).
    #[default]
    Known,
    /// The YAML (or, in a `.toml` file, TOML) key or scalar that starts at
    /// the column — or at the first non-blank character after it: a quoted
    /// string to its closing quote, a flow collection to its closing
    /// bracket, a plain scalar to `: `, ` #` or the end of the line.
    Token,
    /// A YAML mapping entry on one line: the key at the column (as
    /// [`Extent::Token`]) through its value when the value is on that line
    /// (`safety_label: reversible`, without a trailing comment).
    Entry,
    /// The rest of the line from the first non-blank character at or after
    /// the column, without trailing blanks (a heading, a list item, one
    /// event of a JSON Lines ledger).
    Line,
    /// This many bytes of the line from the column (a scanner's hit,
    /// whose text is not repeated).
    Bytes(usize),
    /// This text, on the start line at or after the column (else anywhere
    /// on it): the start moves to it.
    Text(String),
    /// The info string of the fence that opens on the start line
    /// (`powershell {step=1 tier=T1}`): the start moves to it.
    FenceInfo,
    /// The `key=value` attribute of the fence that opens on the start line
    /// (the info string when the attribute is absent).
    FenceAttr(&'static str),
}

/// Fills in the span end of every finding (and related place) that has an
/// [`Extent`] to find, reading each such file under `root` once.
pub fn resolve(findings: &mut [Finding], root: &Path) {
    let mut sources: HashMap<String, Option<Vec<String>>> = HashMap::new();
    for f in findings.iter_mut() {
        let extent = std::mem::take(&mut f.extent);
        if let Some((start, end)) = place(&mut sources, root, &extent, &f.file, f.line, f.column) {
            f.column = start;
            f.end = Some(end);
        }
        for l in &mut f.related {
            let extent = std::mem::take(&mut l.extent);
            if let Some((start, end)) =
                place(&mut sources, root, &extent, &l.file, l.line, l.column)
            {
                l.column = start;
                l.end = Some(end);
            }
        }
    }
}

/// The start column and the end of `extent` at `file`:`line`:`column`,
/// reading the file into `sources` the first time it is asked for.
fn place(
    sources: &mut HashMap<String, Option<Vec<String>>>,
    root: &Path,
    extent: &Extent,
    file: &str,
    line: usize,
    column: usize,
) -> Option<(usize, Point)> {
    if *extent == Extent::Known {
        return None;
    }
    let lines = sources
        .entry(file.to_string())
        .or_insert_with(|| read_lines(&root.join(file)))
        .as_ref()?;
    let text = lines.get(line.checked_sub(1)?)?;
    let (start, end) = find(extent, text, column, is_toml(file))?;
    Some((start, Point { line, column: end }))
}

fn is_toml(file: &str) -> bool {
    file.ends_with(".toml")
}

/// The lines of a file as the gate decoded it (BOM, UTF-16, CRLF); `None`
/// when unreadable, undecodable or over 32 MiB (no span then).
fn read_lines(path: &Path) -> Option<Vec<String>> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() > 32 << 20 {
        return None;
    }
    let d = opsbook_core::text::decode(&bytes).ok()?;
    Some(d.text.lines().map(str::to_string).collect())
}

/// (start, end) columns (1-based, characters; end just past the last
/// character) of `extent` on `line`, from 1-based `column`.
#[must_use]
pub fn find(extent: &Extent, line: &str, column: usize, toml: bool) -> Option<(usize, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let from = column.saturating_sub(1).min(chars.len());
    let (s, e) = match extent {
        Extent::Known => return None,
        Extent::Token => {
            let s = past_item_marker(&chars, first_non_blank(&chars, from)?)?;
            (s, token_end(&chars, s, toml))
        }
        Extent::Entry => {
            let s = past_item_marker(&chars, first_non_blank(&chars, from)?)?;
            let key = token_end(&chars, s, toml);
            let value = (chars.get(key) == Some(&':'))
                .then(|| first_non_blank(&chars, key + 1))
                .flatten()
                .filter(|&v| chars[v] != '#');
            (s, value.map_or(key, |v| token_end(&chars, v, toml)))
        }
        Extent::Line => {
            let s = first_non_blank(&chars, from)?;
            (s, trimmed_len(&chars))
        }
        Extent::Bytes(n) => {
            let start: usize = chars[..from].iter().map(|c| c.len_utf8()).sum();
            let stop = start + n;
            let mut at = start;
            let e = from
                + chars[from..]
                    .iter()
                    .take_while(|c| {
                        at += c.len_utf8();
                        at <= stop
                    })
                    .count();
            (from, e)
        }
        Extent::Text(t) => {
            let t: Vec<char> = t.lines().next().unwrap_or("").chars().collect();
            let s = position(&chars, &t, from).or_else(|| position(&chars, &t, 0))?;
            (s, s + t.len())
        }
        Extent::FenceInfo => fence_info(&chars)?,
        Extent::FenceAttr(key) => fence_attr(&chars, key).or_else(|| fence_info(&chars))?,
    };
    (e > s).then_some((s + 1, e + 1))
}

fn first_non_blank(chars: &[char], from: usize) -> Option<usize> {
    (from..chars.len()).find(|&i| !chars[i].is_whitespace())
}

/// `s`, or past a YAML block sequence's `- ` when it starts there.
fn past_item_marker(chars: &[char], s: usize) -> Option<usize> {
    if chars[s] == '-' && chars.get(s + 1).is_some_and(|c| c.is_whitespace()) {
        first_non_blank(chars, s + 1)
    } else {
        Some(s)
    }
}

fn trimmed_len(chars: &[char]) -> usize {
    chars.len() - chars.iter().rev().take_while(|c| c.is_whitespace()).count()
}

fn position(hay: &[char], needle: &[char], from: usize) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()] == *needle)
}

/// The end (exclusive index) of the YAML/TOML token starting at `s`.
fn token_end(chars: &[char], s: usize, toml: bool) -> usize {
    let eol = trimmed_len(chars);
    match chars[s] {
        '"' => {
            let mut i = s + 1;
            while i < chars.len() {
                match chars[i] {
                    '\\' => i += 2,
                    '"' => return i + 1,
                    _ => i += 1,
                }
            }
            eol
        }
        '\'' => {
            let mut i = s + 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') && !toml {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            eol
        }
        '[' | '{' => {
            let mut depth = 0usize;
            let mut quote: Option<char> = None;
            for (i, &c) in chars.iter().enumerate().skip(s) {
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '"' | '\'') => quote = Some(c),
                    (None, '[' | '{') => depth += 1,
                    (None, ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    (None, '#') if i > 0 && chars[i - 1].is_whitespace() => break,
                    _ => {}
                }
            }
            eol
        }
        '|' | '>' if !toml => eol,
        _ if toml => {
            let mut i = s;
            while i < eol && !matches!(chars[i], ' ' | '\t' | '=' | ',' | ']' | '}' | '#') {
                i += 1;
            }
            i
        }
        _ => {
            let flow = in_flow(&chars[..s]);
            let mut i = s;
            while i < eol {
                let c = chars[i];
                let next = chars.get(i + 1).copied();
                if c == ':' && next.is_none_or(char::is_whitespace) {
                    break;
                }
                if c == '#' && i > s && chars[i - 1].is_whitespace() {
                    break;
                }
                if flow && matches!(c, ',' | ']' | '}') {
                    break;
                }
                i += 1;
            }
            while i > s && chars[i - 1].is_whitespace() {
                i -= 1;
            }
            i
        }
    }
}

/// Whether the end of `prefix` is inside a flow collection opened on the
/// line (`{ from: NORMAL, to: ` or `[RB-A, `), outside quotes.
fn in_flow(prefix: &[char]) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, &c) in prefix.iter().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, '#') if i > 0 && prefix[i - 1].is_whitespace() => break,
            _ => {}
        }
    }
    depth > 0
}

/// The opening fence's marker run (``` or ~~~, 3 or more) on the line.
fn fence_marker(chars: &[char]) -> Option<(usize, usize)> {
    let s = chars.iter().position(|&c| c == '`' || c == '~')?;
    let m = chars[s];
    let e = s + chars[s..].iter().take_while(|&&c| c == m).count();
    (e - s >= 3).then_some((s, e))
}

/// The info string of the fence on the line (the marker when it has none).
fn fence_info(chars: &[char]) -> Option<(usize, usize)> {
    let (ms, me) = fence_marker(chars)?;
    match first_non_blank(chars, me) {
        Some(s) => Some((s, trimmed_len(chars))),
        None => Some((ms, me)),
    }
}

/// `key=value` (or `key="value"`, `key: value`) in the fence's info string.
fn fence_attr(chars: &[char], key: &str) -> Option<(usize, usize)> {
    let (_, me) = fence_marker(chars)?;
    let key: Vec<char> = key.chars().collect();
    let mut from = me;
    while let Some(s) = position(chars, &key, from) {
        from = s + 1;
        let boundary = s == 0 || !(chars[s - 1].is_alphanumeric() || chars[s - 1] == '_');
        let mut i = s + key.len();
        while chars.get(i).is_some_and(|c| *c == ' ') {
            i += 1;
        }
        if !boundary || !matches!(chars.get(i), Some('=' | ':')) {
            continue;
        }
        i += 1;
        while chars.get(i).is_some_and(|c| *c == ' ') {
            i += 1;
        }
        if let Some(q @ ('"' | '\'')) = chars.get(i).copied() {
            let close = (i + 1..chars.len()).find(|&j| chars[j] == q)?;
            return Some((s, close + 1));
        }
        while chars
            .get(i)
            .is_some_and(|c| !c.is_whitespace() && !matches!(c, '}' | ','))
        {
            i += 1;
        }
        return Some((s, i));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(extent: &Extent, line: &str, col: usize) -> Option<String> {
        let toml = false;
        find(extent, line, col, toml).map(|(s, e)| line.chars().skip(s - 1).take(e - s).collect())
    }

    #[test]
    fn yaml_tokens() {
        let t = Extent::Token;
        assert_eq!(
            cut(&t, "severity: P1   # the level", 1).unwrap(),
            "severity"
        );
        assert_eq!(cut(&t, "severity: P1   # the level", 11).unwrap(), "P1");
        assert_eq!(cut(&t, "  - RB-A-B", 5).unwrap(), "RB-A-B");
        assert_eq!(
            cut(&t, "url: https://x.invalid/a", 6).unwrap(),
            "https://x.invalid/a"
        );
        assert_eq!(
            cut(&t, r#"title: "a \" b: c" # x"#, 8).unwrap(),
            r#""a \" b: c""#
        );
        assert_eq!(cut(&t, "k: 'it''s' x", 4).unwrap(), "'it''s'");
        assert_eq!(
            cut(&t, "runbooks: [RB-A, RB-B]", 11).unwrap(),
            "[RB-A, RB-B]"
        );
        assert_eq!(cut(&t, "runbooks: [RB-A, RB-B]", 18).unwrap(), "RB-B");
        let flow = "  - { from: NORMAL, to: DEGRADE, direction: escalate }";
        assert_eq!(cut(&t, flow, 25).unwrap(), "DEGRADE");
        assert_eq!(cut(&t, flow, 7).unwrap(), "from");
        assert_eq!(cut(&t, "when: 日本語の値", 7).unwrap(), "日本語の値");
        // From column 1 of an indented key: the key.
        assert_eq!(cut(&t, "    owner: team", 1).unwrap(), "owner");
        assert_eq!(cut(&t, "", 1), None);
        let e = Extent::Entry;
        assert_eq!(
            cut(&e, "safety_label: reversible  # why", 1).unwrap(),
            "safety_label: reversible"
        );
        assert_eq!(cut(&e, "  title:", 3).unwrap(), "title");
        assert_eq!(
            cut(&e, "  - alert: GatewayDown", 1).unwrap(),
            "alert: GatewayDown"
        );
        assert_eq!(cut(&t, "- id: RB-A", 1).unwrap(), "id");
        assert_eq!(
            cut(&Extent::Bytes(4), "é token=abcd rest", 9).unwrap(),
            "abcd"
        );
        assert_eq!(
            cut(&e, "  backout: Step 3 (restart)", 3).unwrap(),
            "backout: Step 3 (restart)"
        );
    }

    #[test]
    fn toml_tokens() {
        let line = r#"OB101 = "loud"  # why"#;
        assert_eq!(find(&Extent::Token, line, 1, true), Some((1, 6)));
        assert_eq!(find(&Extent::Token, line, 9, true), Some((9, 15)));
    }

    #[test]
    fn text_and_lines() {
        let line = "Run [the check](../checks/missing.md) now ";
        assert_eq!(
            cut(&Extent::Text("../checks/missing.md".into()), line, 5).unwrap(),
            "../checks/missing.md"
        );
        assert_eq!(cut(&Extent::Text("absent".into()), line, 1), None);
        assert_eq!(cut(&Extent::Line, "## Heading  ", 1).unwrap(), "## Heading");
    }

    #[test]
    fn fences() {
        let line = "```powershell {step=2 tier=T1 op=\"restart x\"}";
        assert_eq!(
            cut(&Extent::FenceInfo, line, 1).unwrap(),
            "powershell {step=2 tier=T1 op=\"restart x\"}"
        );
        assert_eq!(cut(&Extent::FenceAttr("tier"), line, 1).unwrap(), "tier=T1");
        assert_eq!(
            cut(&Extent::FenceAttr("op"), line, 1).unwrap(),
            "op=\"restart x\""
        );
        assert_eq!(cut(&Extent::FenceAttr("step"), line, 1).unwrap(), "step=2");
        // Absent: the info string.
        assert_eq!(
            cut(&Extent::FenceAttr("op"), "~~~bash {tier=T0}", 1).unwrap(),
            "bash {tier=T0}"
        );
        assert_eq!(cut(&Extent::FenceInfo, "  ```", 1).unwrap(), "```");
        assert_eq!(cut(&Extent::FenceInfo, "no fence here", 1), None);
    }

    #[test]
    fn resolve_sets_ends_moves_starts_and_leaves_the_unknown_alone() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("a.yaml"),
            "\u{feff}- { id: RB-A, path: a.md }\r\n- { id: RB-A, path: b.md }\r\n",
        )
        .unwrap();
        let rule = crate::rules::registry::DUPLICATE_RUNBOOK_ID;
        let dup = Finding::new(rule, "a.yaml", 2, 3, "twice".into(), "fix".into())
            .text("RB-A")
            .with_related_covering("a.yaml", 1, 3, "first".into(), Extent::Text("RB-A".into()));
        let gone = Finding::new(rule, "missing.yaml", 1, 1, "x".into(), "y".into()).token();
        let absent = Finding::new(rule, "a.yaml", 2, 3, "x".into(), "y".into()).text("RB-Z");
        let mut fs = vec![dup, gone, absent];
        resolve(&mut fs, t.path());
        assert_eq!(
            (fs[0].column, fs[0].end),
            (
                9,
                Some(Point {
                    line: 2,
                    column: 13
                })
            )
        );
        let l = &fs[0].related[0];
        assert_eq!(
            (l.column, l.end),
            (
                9,
                Some(Point {
                    line: 1,
                    column: 13
                })
            )
        );
        assert_eq!(fs[1].end, None);
        assert_eq!((fs[2].column, fs[2].end), (3, None));
        // Resolved once: nothing left to find.
        assert_eq!(fs[0].extent, Extent::Known);
    }
}
