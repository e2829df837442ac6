//! Characters PowerShell reads as ASCII but the grammars do not: non-ASCII
//! dashes, curly quotes and odd spaces. Each is reported as a [`Finding`];
//! for PowerShell the code is normalised to what PowerShell reads before it
//! is parsed, with a map back to the original byte offsets.
//!
//! What PowerShell's tokenizer treats as ASCII (System.Management.Automation
//! `CharExtensions`): dashes U+2013 EN DASH, U+2014 EM DASH, U+2015
//! HORIZONTAL BAR; single quotes U+2018–U+201B; double quotes U+201C–U+201E;
//! whitespace U+00A0, U+0085 and the Unicode space separators. U+2212 MINUS
//! SIGN and zero-width characters are NOT read as ASCII: they are reported
//! but left as they are.

use serde::Serialize;

/// What kind of character a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// En dash, em dash, horizontal bar or minus sign.
    NonAsciiDash,
    /// A curly (typographic) single or double quote.
    NonAsciiQuote,
    /// A no-break or other non-ASCII space.
    NonAsciiSpace,
    /// A zero-width or byte-order-mark character, invisible in an editor.
    InvisibleCharacter,
}

/// A non-ASCII character a runbook author most likely pasted from a word
/// processor or chat (the gate makes it an error, D-AUTO-BOUNDARY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The kind of character.
    pub kind: FindingKind,
    /// The code point, e.g. `U+2013`.
    pub code_point: String,
    /// What PowerShell reads it as, if it reads it as ASCII (`-`, `'`, `"`,
    /// ` `); `None` when it does not (U+2212, zero-width characters).
    pub powershell_reads_as: Option<char>,
    /// 1-based line in the code.
    pub line: usize,
    /// 1-based column (in characters) in the code.
    pub column: usize,
    /// Byte offsets in the code.
    pub span: crate::Span,
    /// One line for the author.
    pub message: String,
}

/// Classifies one character: its kind, ASCII reading and name.
fn odd(c: char) -> Option<(FindingKind, Option<char>, &'static str)> {
    Some(match c {
        '\u{2013}' => (FindingKind::NonAsciiDash, Some('-'), "EN DASH"),
        '\u{2014}' => (FindingKind::NonAsciiDash, Some('-'), "EM DASH"),
        '\u{2015}' => (FindingKind::NonAsciiDash, Some('-'), "HORIZONTAL BAR"),
        '\u{2212}' => (FindingKind::NonAsciiDash, None, "MINUS SIGN"),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{FE63}' | '\u{FF0D}' => {
            (FindingKind::NonAsciiDash, None, "HYPHEN-LIKE CHARACTER")
        }
        '\u{2018}' => (
            FindingKind::NonAsciiQuote,
            Some('\''),
            "LEFT SINGLE QUOTATION MARK",
        ),
        '\u{2019}' => (
            FindingKind::NonAsciiQuote,
            Some('\''),
            "RIGHT SINGLE QUOTATION MARK",
        ),
        '\u{201A}' => (
            FindingKind::NonAsciiQuote,
            Some('\''),
            "SINGLE LOW-9 QUOTATION MARK",
        ),
        '\u{201B}' => (
            FindingKind::NonAsciiQuote,
            Some('\''),
            "SINGLE HIGH-REVERSED-9 QUOTATION MARK",
        ),
        '\u{201C}' => (
            FindingKind::NonAsciiQuote,
            Some('"'),
            "LEFT DOUBLE QUOTATION MARK",
        ),
        '\u{201D}' => (
            FindingKind::NonAsciiQuote,
            Some('"'),
            "RIGHT DOUBLE QUOTATION MARK",
        ),
        '\u{201E}' => (
            FindingKind::NonAsciiQuote,
            Some('"'),
            "DOUBLE LOW-9 QUOTATION MARK",
        ),
        '\u{00A0}' => (FindingKind::NonAsciiSpace, Some(' '), "NO-BREAK SPACE"),
        '\u{0085}' => (FindingKind::NonAsciiSpace, Some(' '), "NEXT LINE"),
        '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
            (FindingKind::NonAsciiSpace, Some(' '), "NON-ASCII SPACE")
        }
        '\u{2028}' => (FindingKind::NonAsciiSpace, Some(' '), "LINE SEPARATOR"),
        '\u{2029}' => (FindingKind::NonAsciiSpace, Some(' '), "PARAGRAPH SEPARATOR"),
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => (
            FindingKind::InvisibleCharacter,
            None,
            "ZERO-WIDTH CHARACTER",
        ),
        _ => return None,
    })
}

/// The code after normalisation, with the way back to original offsets.
#[derive(Debug, Clone)]
pub(crate) struct Normalized {
    /// The text the parser sees.
    pub text: String,
    /// (offset in `text`, offset in the original) at each replaced
    /// character and right after it, ascending.
    map: Vec<(usize, usize)>,
    /// Offsets in `text` of characters that were replaced.
    pub replaced: Vec<usize>,
}

impl Normalized {
    /// The original byte offset of an offset in the normalised text.
    pub(crate) fn original(&self, off: usize) -> usize {
        match self.map.binary_search_by(|(n, _)| n.cmp(&off)) {
            Ok(i) => self.map[i].1,
            Err(0) => off,
            Err(i) => {
                let (n, o) = self.map[i - 1];
                o + (off - n)
            }
        }
    }

    /// Whether any replaced character lies in `[start, end)` of the text.
    pub(crate) fn touches(&self, start: usize, end: usize) -> bool {
        let i = self.replaced.partition_point(|&r| r < start);
        self.replaced.get(i).is_some_and(|&r| r < end)
    }
}

/// Finds the odd characters of `code`; when `as_powershell`, also returns
/// the normalised text.
pub(crate) fn scan(code: &str, as_powershell: bool) -> (Vec<Finding>, Normalized) {
    let mut findings = Vec::new();
    let mut text = String::with_capacity(code.len());
    let mut map = Vec::new();
    let mut replaced = Vec::new();
    let (mut line, mut col) = (1usize, 1usize);
    for (off, c) in code.char_indices() {
        if let Some((kind, reads, name)) = odd(c) {
            let cp = format!("U+{:04X}", u32::from(c));
            let message = match reads {
                Some(r) => format!(
                    "{cp} {name}: PowerShell reads it as `{r}` but the author probably did not mean it; type `{r}`"
                ),
                None => format!(
                    "{cp} {name}: not ASCII and easy to miss; PowerShell does not read it as punctuation"
                ),
            };
            findings.push(Finding {
                kind,
                code_point: cp,
                powershell_reads_as: reads,
                line,
                column: col,
                span: crate::Span {
                    start: off,
                    end: off + c.len_utf8(),
                },
                message,
            });
            if as_powershell && let Some(r) = reads {
                replaced.push(text.len());
                map.push((text.len(), off));
                text.push(r);
                map.push((text.len(), off + c.len_utf8()));
                col += 1;
                continue;
            }
        }
        text.push(c);
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (
        findings,
        Normalized {
            text,
            map,
            replaced,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_back() {
        let code = "Stop-Service x \u{2013}WhatIf; \u{201C}a\u{201D}";
        let (f, n) = scan(code, true);
        assert_eq!(f.len(), 3);
        assert_eq!(n.text, "Stop-Service x -WhatIf; \"a\"");
        let dash = n
            .text
            .find('-')
            .map(|i| n.text[i + 1..].find('-').map_or(0, |j| i + 1 + j))
            .unwrap_or(0);
        assert_eq!(&code[n.original(dash)..n.original(dash + 1)], "\u{2013}");
        assert!(n.touches(dash, dash + 7));
        assert!(!n.touches(0, dash));
        let w = n.text.find("WhatIf").unwrap_or(0);
        assert_eq!(&code[n.original(w)..n.original(w + 6)], "WhatIf");
        assert_eq!(f[0].column, 16);
        assert_eq!(f[0].powershell_reads_as, Some('-'));
    }

    #[test]
    fn minus_sign_is_reported_not_read() {
        let (f, n) = scan("Remove-Item x \u{2212}WhatIf", true);
        assert_eq!(f[0].kind, FindingKind::NonAsciiDash);
        assert_eq!(f[0].powershell_reads_as, None);
        assert!(n.text.contains('\u{2212}'));
    }
}
