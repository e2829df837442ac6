//! Text decoding for files as Windows writes them (DESIGN §4, "Windows first").
//!
//! Every file opsbook reads goes through [`decode`]: UTF-8 with or without a
//! byte-order mark, UTF-16LE and UTF-16BE with a BOM (what Windows PowerShell
//! 5.1 writes with `Out-File`), LF, CRLF or lone CR line endings. The decoded
//! text always uses `\n`; the original encoding and line-ending style are kept
//! in [`Decoded`] so that a rewrite can restore them.

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
                let hint = if pos % 2 == 1 || bytes.get(pos + 2) == Some(&0) {
                    "a NUL byte: this looks like UTF-16 without a byte-order mark, or binary data; save the file as UTF-8"
                } else {
                    "a NUL byte: this looks like binary data, not text"
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
    let units = bytes.chunks_exact(2).map(|c| {
        if little_endian {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn lone_cr() {
        let d = decode(b"a\rb\r").unwrap();
        assert_eq!(d.text, "a\nb\n");
        assert_eq!(d.line_ending, LineEnding::Cr);
    }
}
