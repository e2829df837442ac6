//! Text decoding for files as Windows writes them (DESIGN §4, "Windows first").
//!
//! Every file opsbook reads goes through [`decode`]: UTF-8 with or without a
//! byte-order mark, UTF-16LE and UTF-16BE with a BOM (what Windows PowerShell
//! 5.1 writes with `Out-File`), LF, CRLF or lone CR line endings. The decoded
//! text always uses `\n`; the original encoding and line-ending style are kept
//! in [`Decoded`] so that a rewrite can restore them.
//!
//! Evidence is not ours to reject: [`readings`] gives every exact reading of
//! arbitrary bytes (a BOM-less UTF-16 log, a UTF-8 log followed by the run of
//! NUL bytes an unclean shutdown leaves) and says which ones the decoded text
//! confirms. It is the one place that guesses an encoding without a BOM;
//! [`decode`]'s hints use it too.

use std::fmt;

/// The byte encoding a file was stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 without byte-order mark.
    Utf8,
    /// UTF-8 with the `EF BB BF` byte-order mark.
    Utf8Bom,
    /// UTF-16 little endian with the `FF FE` byte-order mark.
    Utf16Le,
    /// UTF-16 big endian with the `FE FF` byte-order mark.
    Utf16Be,
}

/// The line-ending style that dominates a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineEnding {
    /// `\n` (or no line break at all).
    Lf,
    /// `\r\n`, as Windows tools write.
    CrLf,
    /// A lone `\r`.
    Cr,
}

/// A decoded text file.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text with every line ending normalised to `\n` and the BOM removed.
    pub text: String,
    /// The encoding the bytes were in.
    pub encoding: Encoding,
    /// The dominant line ending of the original bytes.
    pub line_ending: LineEnding,
}

/// Why a byte sequence is not text opsbook can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// 1-based line of the first bad byte (counted in the decodable prefix).
    pub line: usize,
    /// Byte offset of the first bad byte in the file.
    pub offset: usize,
    /// What was found and what was expected.
    pub reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} (byte {}): {}",
            self.line, self.offset, self.reason
        )
    }
}

impl std::error::Error for DecodeError {}

/// Decodes file bytes into text.
///
/// Accepts UTF-8 (with or without BOM) and UTF-16LE/BE with BOM. Bytes that
/// are not valid in the detected encoding, NUL bytes in UTF-8 text (binary
/// junk, or UTF-16 written without a BOM) and an odd-length UTF-16 file give a
/// [`DecodeError`] naming the line and byte offset.
///
/// # Errors
/// Returns [`DecodeError`] when the bytes are not decodable text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let (encoding, text) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (Encoding::Utf8Bom, decode_utf8(rest, 3)?)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (Encoding::Utf16Le, decode_utf16(rest, true)?)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (Encoding::Utf16Be, decode_utf16(rest, false)?)
    } else {
        (Encoding::Utf8, decode_utf8(bytes, 0)?)
    };
    let (text, line_ending) = normalize_newlines(text);
    Ok(Decoded {
        text,
        encoding,
        line_ending,
    })
}

fn line_of(bytes: &[u8], upto: usize) -> usize {
    1 + bytes[..upto.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn decode_utf8(bytes: &[u8], bom_len: usize) -> Result<String, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            if let Some(pos) = memchr_nul(bytes) {
                let best = readings(bytes).into_iter().find(|r| r.confirmed);
                let hint = match best {
                    Some(r) if matches!(r.encoding, Encoding::Utf16Le | Encoding::Utf16Be) => {
                        "a NUL byte: this looks like UTF-16 without a byte-order mark; save the file as UTF-8"
                    }
                    Some(r) if r.padding > 0 && !r.text.contains('\0') => {
                        "a run of NUL bytes after the text (what Windows leaves in a file after an unclean shutdown): remove them"
                    }
                    _ => "a NUL byte: this looks like binary data, not text",
                };
                return Err(DecodeError {
                    line: line_of(bytes, pos),
                    offset: pos + bom_len,
                    reason: hint.to_string(),
                });
            }
            Ok(s.to_string())
        }
        Err(e) => {
            let pos = e.valid_up_to();
            Err(DecodeError {
                line: line_of(bytes, pos),
                offset: pos + bom_len,
                reason: format!(
                    "invalid UTF-8 (byte 0x{:02X}); expected UTF-8, UTF-8 with BOM or UTF-16 with BOM (a file saved as Shift_JIS/CP932 or ANSI by an old Windows editor looks like this)",
                    bytes[pos]
                ),
            })
        }
    }
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

fn decode_utf16(bytes: &[u8], little_endian: bool) -> Result<String, DecodeError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError {
            line: 1,
            offset: bytes.len() + 1,
            reason: "UTF-16 file has an odd number of bytes (truncated?)".to_string(),
        });
    }
    let units = utf16_units(bytes, little_endian);
    let mut out = String::with_capacity(bytes.len() / 2);
    let mut line = 1;
    for (i, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok('\0') => {
                return Err(DecodeError {
                    line,
                    offset: 2 + i * 2,
                    reason: "a NUL character: this looks like binary data, not text".to_string(),
                });
            }
            Ok(c) => {
                if c == '\n' {
                    line += 1;
                }
                out.push(c);
            }
            Err(_) => {
                return Err(DecodeError {
                    line,
                    offset: 2 + i * 2,
                    reason: "unpaired UTF-16 surrogate".to_string(),
                });
            }
        }
    }
    Ok(out)
}

/// The UTF-16 code units of `bytes` in the given byte order (a last odd
/// byte is left out).
pub fn utf16_units(bytes: &[u8], little_endian: bool) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks_exact(2).map(move |c| {
        if little_endian {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    })
}

/// Normalises `\r\n` and lone `\r` to `\n` and reports the dominant style.
fn normalize_newlines(text: String) -> (String, LineEnding) {
    if !text.contains('\r') {
        return (text, LineEnding::Lf);
    }
    let (mut crlf, mut cr, mut lf) = (0usize, 0usize, 0usize);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                    crlf += 1;
                } else {
                    cr += 1;
                }
                out.push('\n');
            }
            '\n' => {
                lf += 1;
                out.push('\n');
            }
            _ => out.push(c),
        }
    }
    let ending = if crlf >= lf && crlf >= cr {
        LineEnding::CrLf
    } else if cr > lf {
        LineEnding::Cr
    } else {
        LineEnding::Lf
    };
    (out, ending)
}

/// Encodes text (with `\n` line endings) back into the given encoding and
/// line-ending style, the inverse of [`decode`].
#[must_use]
pub fn encode(text: &str, encoding: Encoding, line_ending: LineEnding) -> Vec<u8> {
    let nl = match line_ending {
        LineEnding::Lf => "\n",
        LineEnding::CrLf => "\r\n",
        LineEnding::Cr => "\r",
    };
    let text = if nl == "\n" {
        text.to_string()
    } else {
        text.replace('\n', nl)
    };
    match encoding {
        Encoding::Utf8 => text.into_bytes(),
        Encoding::Utf8Bom => {
            let mut v = vec![0xEF, 0xBB, 0xBF];
            v.extend_from_slice(text.as_bytes());
            v
        }
        Encoding::Utf16Le => {
            let mut v = vec![0xFF, 0xFE];
            for u in text.encode_utf16() {
                v.extend_from_slice(&u.to_le_bytes());
            }
            v
        }
        Encoding::Utf16Be => {
            let mut v = vec![0xFE, 0xFF];
            for u in text.encode_utf16() {
                v.extend_from_slice(&u.to_be_bytes());
            }
            v
        }
    }
}

/// An argument as it must be typed in a printed command (hints that must
/// work as printed): as is when plain, else single-quoted — PowerShell, the
/// canonical shell, doubles a `'` inside; single quotes work in bash too.
#[must_use]
pub fn quote_arg(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '/' | '\\' | '.' | '-' | '_' | ':' | '+' | '=' | ',')
        });
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// One exact reading of a file's bytes as text ([`readings`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Reading<'a> {
    /// The encoding read ([`Encoding::Utf16Le`] / [`Encoding::Utf16Be`] also
    /// without a BOM: see `bom`).
    pub encoding: Encoding,
    /// Whether the bytes start with the encoding's byte-order mark.
    pub bom: bool,
    /// The text, exactly: CR and CRLF kept, NUL characters inside kept as
    /// U+0000; without the BOM and without the trailing NUL bytes.
    pub text: std::borrow::Cow<'a, str>,
    /// Trailing NUL bytes after the text (what an unclean shutdown leaves),
    /// not part of `text`; a rewrite appends them as they were.
    pub padding: usize,
    /// Whether the decoded text confirms the reading: a BOM, or UTF-8 without
    /// NUL bytes, or (a guess) at most 2 % control characters and isolated
    /// NULs and, for UTF-16 without a BOM, at least 30 % ASCII text (real
    /// UTF-16 logs hold digits, spaces and line breaks; 8-bit text read as
    /// UTF-16 glues byte pairs into characters of other scripts and has none).
    pub confirmed: bool,
    /// Share of the text's characters that are printable ASCII, tab or line
    /// breaks (runs of 4 or more NULs not counted), 0.0–1.0; 1.0 when there
    /// was nothing to weigh (a BOM, or UTF-8 without NUL: one reading).
    pub ascii: f32,
}

impl Reading<'_> {
    /// `text` (this reading's text, or an edited copy of it) encoded the way
    /// the bytes were: the same encoding, the BOM if there was one, the
    /// trailing NUL padding as it was. `reading.encode(&reading.text)` gives
    /// back the original bytes.
    #[must_use]
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut v = Vec::with_capacity(text.len() * 2 + 3 + self.padding);
        match self.encoding {
            Encoding::Utf8 | Encoding::Utf8Bom => {
                if self.bom {
                    v.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
                }
                v.extend_from_slice(text.as_bytes());
            }
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let le = self.encoding == Encoding::Utf16Le;
                if self.bom {
                    v.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
                }
                for u in text.encode_utf16() {
                    v.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
                }
            }
        }
        v.resize(v.len() + self.padding, 0);
        v
    }
}

/// Every exact reading of `bytes` as text, confirmed readings first, the
/// most ASCII-like first among them (UTF-8 first on a tie).
///
/// With a byte-order mark there is one reading (when it decodes). Without
/// one: UTF-8 when the bytes are valid UTF-8 and, only when they hold a NUL
/// byte, UTF-16LE and UTF-16BE when they decode. A reading that is not
/// confirmed is still listed: a caller that must not miss anything (the
/// evidence scan) reads the bytes every way, never on a guess. Empty when the
/// bytes decode no way (binary).
#[must_use]
pub fn readings(bytes: &[u8]) -> Vec<Reading<'_>> {
    readings_nul(bytes).0
}

/// As [`readings`], and whether `bytes` hold a NUL byte, found by the pass
/// that decides the readings (a caller that must know it reads the bytes
/// once less: the evidence scan of a 1 GB log corpus).
#[must_use]
pub fn readings_nul(bytes: &[u8]) -> (Vec<Reading<'_>>, bool) {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF])
        || bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
    {
        return (readings_inner(bytes), memchr::memchr(0, bytes).is_some());
    }
    // One SIMD memchr: most files have no NUL at all.
    if memchr::memchr(0, bytes).is_none() {
        let one = std::str::from_utf8(bytes)
            .ok()
            .map(|t| Reading {
                encoding: Encoding::Utf8,
                bom: false,
                ascii: 1.0,
                text: std::borrow::Cow::Borrowed(t),
                padding: 0,
                confirmed: true,
            })
            .into_iter()
            .collect();
        return (one, false);
    }
    (readings_inner(bytes), true)
}

/// The readings of bytes that start with a BOM or hold a NUL byte.
fn readings_inner(bytes: &[u8]) -> Vec<Reading<'_>> {
    use std::borrow::Cow;
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let (body, padding) = split_padding(rest, 1);
        return std::str::from_utf8(body)
            .ok()
            .map(|t| Reading {
                encoding: Encoding::Utf8Bom,
                bom: true,
                ascii: 1.0,
                text: Cow::Borrowed(t),
                padding,
                confirmed: true,
            })
            .into_iter()
            .collect();
    }
    for (bom, encoding) in [
        ([0xFF, 0xFE], Encoding::Utf16Le),
        ([0xFE, 0xFF], Encoding::Utf16Be),
    ] {
        if let Some(rest) = bytes.strip_prefix(&bom) {
            return utf16_reading(rest, encoding == Encoding::Utf16Le)
                .map(|(text, padding)| Reading {
                    encoding,
                    bom: true,
                    ascii: 1.0,
                    text: Cow::Owned(text),
                    padding,
                    confirmed: true,
                })
                .into_iter()
                .collect();
        }
    }
    // No BOM: `readings_nul` found a NUL byte.
    let mut out = Vec::new();
    let (body, padding) = split_padding(bytes, 1);
    if let Ok(t) = std::str::from_utf8(body) {
        let shape = Shape::of(t);
        out.push(Reading {
            encoding: Encoding::Utf8,
            bom: false,
            ascii: shape.ascii(),
            confirmed: shape.text_like(),
            text: Cow::Borrowed(t),
            padding,
        });
    }
    for (encoding, le) in [(Encoding::Utf16Le, true), (Encoding::Utf16Be, false)] {
        if let Some((t, padding)) = utf16_reading(bytes, le) {
            let shape = Shape::of(&t);
            out.push(Reading {
                encoding,
                bom: false,
                ascii: shape.ascii(),
                confirmed: shape.text_like() && shape.ascii() >= 0.3,
                text: Cow::Owned(t),
                padding,
            });
        }
    }
    out.sort_by(|a, b| {
        b.confirmed
            .cmp(&a.confirmed)
            .then(b.ascii.total_cmp(&a.ascii))
    });
    out
}

/// The encoding of BOM-less UTF-16 text, when its decoded text confirms it
/// (see [`Reading::confirmed`]) better than any other reading.
#[must_use]
pub fn bomless_utf16(bytes: &[u8]) -> Option<Encoding> {
    readings(bytes)
        .into_iter()
        .next()
        .filter(|r| r.confirmed && !r.bom)
        .map(|r| r.encoding)
        .filter(|e| matches!(e, Encoding::Utf16Le | Encoding::Utf16Be))
}

/// `bytes` without its trailing NUL bytes, and how many there were; the
/// kept part's length is a multiple of `unit` (2 for UTF-16: a unit whose
/// high byte is zero stays whole).
fn split_padding(bytes: &[u8], unit: usize) -> (&[u8], usize) {
    let zeros = bytes.iter().rev().take_while(|&&b| b == 0).count();
    let keep = (bytes.len() - zeros).div_ceil(unit) * unit;
    let keep = keep.min(bytes.len());
    (&bytes[..keep], bytes.len() - keep)
}

/// `bytes` (after any BOM) as UTF-16 without the trailing NUL padding:
/// `(text, padding bytes)`, or `None` when the rest does not decode.
fn utf16_reading(bytes: &[u8], le: bool) -> Option<(String, usize)> {
    let (body, padding) = split_padding(bytes, 2);
    if !body.len().is_multiple_of(2) {
        return None;
    }
    char::decode_utf16(utf16_units(body, le))
        .collect::<Result<String, _>>()
        .ok()
        .map(|t| (t, padding))
}

/// What a decoded text is made of, to confirm a guessed encoding.
#[derive(Debug, Default)]
struct Shape {
    /// Characters counted (runs of 4 or more NULs are not).
    chars: u64,
    /// Printable ASCII, tab, CR, LF.
    ascii: u64,
    /// Control characters other than tab, CR, LF, FF and ESC; NULs outside
    /// long runs; noncharacters.
    bad: u64,
}

impl Shape {
    fn of(t: &str) -> Shape {
        let mut s = Shape::default();
        let mut nuls = 0u64;
        let end_run = |s: &mut Shape, nuls: &mut u64| {
            if *nuls > 0 && *nuls < 4 {
                s.chars += *nuls;
                s.bad += *nuls;
            }
            *nuls = 0;
        };
        for c in t.chars() {
            if c == '\0' {
                nuls += 1;
                continue;
            }
            end_run(&mut s, &mut nuls);
            s.chars += 1;
            match c {
                ' '..='~' | '\t' | '\r' | '\n' => s.ascii += 1,
                '\u{c}' | '\u{1b}' => {}
                c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => s.bad += 1,
                _ => {}
            }
        }
        end_run(&mut s, &mut nuls);
        s
    }

    #[allow(clippy::cast_precision_loss)] // a share: precision is not needed
    fn ascii(&self) -> f32 {
        if self.chars == 0 {
            1.0
        } else {
            self.ascii as f32 / self.chars as f32
        }
    }

    /// At most 2 % bad characters.
    fn text_like(&self) -> bool {
        self.bad * 50 <= self.chars
    }
}

/// Levenshtein distance in characters (for "did you mean" suggestions).
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `text` with every control character shown escaped (`\n`, `\r`, `\t`,
/// `\u{1b}`): for one-line output of what a person typed (issue 13).
/// Text without control characters is returned unchanged.
#[must_use]
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped_and_plain_text_is_unchanged() {
        assert_eq!(
            escape_controls("ok\nINC-1 #9 resolved\u{1b}[2J\t."),
            "ok\\nINC-1 #9 resolved\\u{1b}[2J\\t."
        );
        assert_eq!(escape_controls("時計ズレ -1021"), "時計ズレ -1021");
    }

    #[test]
    fn utf8_bom_crlf() {
        let d = decode(b"\xEF\xBB\xBFa\r\nb\r\n").unwrap();
        assert_eq!(d.text, "a\nb\n");
        assert_eq!(d.encoding, Encoding::Utf8Bom);
        assert_eq!(d.line_ending, LineEnding::CrLf);
    }

    #[test]
    fn utf16le_as_powershell_writes_it() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "## 証跡\r\nx".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, "## 証跡\nx");
        assert_eq!(d.encoding, Encoding::Utf16Le);
        assert_eq!(encode(&d.text, d.encoding, d.line_ending), bytes);
    }

    #[test]
    fn utf16be() {
        let mut bytes = vec![0xFE, 0xFF];
        for u in "ok\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode(&bytes).unwrap().text, "ok\n");
    }

    #[test]
    fn invalid_utf8_names_line_and_offset() {
        let e = decode(b"ok\nok\n\xFFbad").unwrap_err();
        assert_eq!((e.line, e.offset), (3, 6));
        assert!(e.reason.contains("0xFF"), "{}", e.reason);
    }

    #[test]
    fn utf16_without_bom_is_rejected_clearly() {
        let e = decode(b"a\0b\0").unwrap_err();
        assert!(
            e.reason.contains("UTF-16 without a byte-order mark"),
            "{}",
            e.reason
        );
    }

    fn utf16(text: &str, le: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect()
    }

    #[test]
    fn a_utf8_log_with_a_nul_tail_reads_as_utf8_not_as_utf16() {
        // What an unclean shutdown leaves: the log, then a cluster of NULs.
        let log = "2026-11-29T02:10:00Z INFO order filled\r\npassword=AKfakeNulTail0123\r\n";
        for tail in [1, 2, 7, 4096, 65_537] {
            let mut b = log.as_bytes().to_vec();
            b.resize(b.len() + tail, 0);
            let r = readings(&b);
            assert_eq!(r[0].encoding, Encoding::Utf8, "tail {tail}");
            assert!(r[0].confirmed && !r[0].bom);
            assert_eq!((r[0].text.as_ref(), r[0].padding), (log, tail));
            assert_eq!(r[0].encode(&r[0].text), b);
            // The UTF-16 readings of the same bytes are listed, unconfirmed.
            assert!(r[1..].iter().all(|x| !x.confirmed), "{:?}", &r[1..]);
            assert_eq!(bomless_utf16(&b), None);
            let e = decode(&b).unwrap_err();
            assert!(e.reason.contains("unclean shutdown"), "{}", e.reason);
        }
    }

    #[test]
    fn utf16_without_a_bom_is_confirmed_by_its_text() {
        for (text, le) in [
            ("2026-11-29 INFO ok\r\npassword=x\r\n", true),
            ("2026-11-29 注文が約定しました id=1\r\n", true),
            ("2026-11-29 INFO ok\n", false),
        ] {
            let mut b = utf16(text, le);
            let want = if le {
                Encoding::Utf16Le
            } else {
                Encoding::Utf16Be
            };
            assert_eq!(bomless_utf16(&b), Some(want), "{text}");
            let r = &readings(&b)[0];
            assert_eq!((r.text.as_ref(), r.bom, r.padding), (text, false, 0));
            assert_eq!(r.encode(&r.text), b);
            // With an odd NUL tail after it (a BOM-less file cut by a crash).
            b.extend_from_slice(&[0; 5]);
            let r = &readings(&b)[0];
            assert_eq!((r.encoding, r.text.as_ref()), (want, text));
            assert_eq!(r.encode(&r.text), b);
        }
    }

    #[test]
    fn a_bom_is_one_reading_and_keeps_an_odd_nul_tail() {
        let mut b = vec![0xFF, 0xFE];
        b.extend(utf16("a\r\nb", true));
        b.extend_from_slice(&[0, 0, 0]);
        let r = readings(&b);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].encoding, r[0].bom, r[0].text.as_ref(), r[0].padding),
            (Encoding::Utf16Le, true, "a\r\nb", 3)
        );
        assert_eq!(r[0].encode(&r[0].text), b);
    }

    #[test]
    fn binary_confirms_no_reading() {
        for b in [
            &[0u8, 159, 146, 150, 0, 1][..],
            &[
                0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0,
            ],
        ] {
            assert!(readings(b).iter().all(|r| !r.confirmed), "{b:?}");
        }
    }

    proptest::proptest! {
        /// Every reading of any bytes is exact: encoding its text gives the
        /// bytes back.
        #[test]
        fn every_reading_round_trips(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), tail in 0usize..9) {
            let mut b = b;
            b.resize(b.len() + tail, 0);
            for r in readings(&b) {
                proptest::prop_assert_eq!(r.encode(&r.text), b.clone());
            }
        }

        /// `readings_nul` says whether the bytes hold a NUL, whatever their
        /// BOM, and a text without one holds no U+0000 in any reading.
        #[test]
        fn readings_nul_tells_the_nul(bom in 0usize..4, b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let boms: [&[u8]; 4] = [b"", b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xFE\xFF"];
            let b = [boms[bom], &b].concat();
            let (all, nul) = readings_nul(&b);
            proptest::prop_assert_eq!(nul, b.contains(&0));
            if !nul {
                proptest::prop_assert!(all.iter().all(|r| !r.text.contains('\0')));
            }
        }
    }

    #[test]
    fn lone_cr() {
        let d = decode(b"a\rb\r").unwrap();
        assert_eq!(d.text, "a\nb\n");
        assert_eq!(d.line_ending, LineEnding::Cr);
    }
}
