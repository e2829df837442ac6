//! Streams of any size scanned in pieces cut at safe line ends, with
//! bounded memory and the line numbers of the whole stream.

use std::io::Read;
use std::time::Instant;

use opsbook_core::text::{self, bomless_utf16};

use super::Hit;
use super::outcome::Encoding;
use super::rules::RuleSet;

/// Where to cut `text` after about `target` bytes: at a line end, never
/// before an indented continuation line, never inside a PEM private key
/// block. `None` when the cut needs text not read yet (the END line of a
/// key that began before `target`); at `eof` the whole text is one piece.
pub(super) fn safe_cut(text: &str, target: usize, eof: bool) -> Option<usize> {
    if eof || text.len() <= target {
        return eof.then_some(text.len());
    }
    let b = text.as_bytes();
    let line_end = |from: usize| memchr::memchr(b'\n', &b[from..]).map(|i| from + i + 1);
    let mut end = line_end(target)?;
    while end < b.len() && matches!(b[end], b' ' | b'\t') {
        end = line_end(end)?;
    }
    if let Some(begin) = memchr::memmem::rfind(&b[..end], b"-----BEGIN ")
        && memchr::memmem::find(&b[begin..end], b"-----END ").is_none()
    {
        let e = memchr::memmem::find(&b[end..], b"-----END ")?;
        end = line_end(end + e)?;
    }
    Some(end)
}

/// [`bomless_utf16`] of a piece cut anywhere: trimmed by up to 3 bytes so
/// that a unit or surrogate pair cut at its end does not spoil the guess.
fn guess_utf16(b: &[u8]) -> Option<text::Encoding> {
    (0..4.min(b.len() + 1)).find_map(|cut| bomless_utf16(&b[..b.len() - cut]))
}

/// Decodes a stream of bytes as UTF-8 or UTF-16 piece by piece, carrying an
/// incomplete character over to the next piece.
pub(super) struct StreamDecoder {
    pub(super) enc: Option<Encoding>,
    pub(super) carry: Vec<u8>,
    pub(super) at: u64,
}

impl StreamDecoder {
    pub(super) fn push(&mut self, bytes: &[u8], out: &mut String) -> Result<(), String> {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        let mut body: &[u8] = &buf;
        if self.enc.is_none() {
            if body.len() < 3 && !bytes.is_empty() {
                self.carry = buf;
                return Ok(());
            }
            let (enc, skip) = if body.starts_with(&[0xEF, 0xBB, 0xBF]) {
                (Encoding::Utf8Bom, 3)
            } else if body.starts_with(&[0xFF, 0xFE]) {
                (Encoding::Utf16le, 2)
            } else if body.starts_with(&[0xFE, 0xFF]) {
                (Encoding::Utf16be, 2)
            } else {
                // Without a BOM: UTF-16 only when the text of the first
                // piece confirms it (core's one guesser).
                match guess_utf16(body) {
                    Some(text::Encoding::Utf16Le) => (Encoding::Utf16le, 0),
                    Some(_) => (Encoding::Utf16be, 0),
                    None => (Encoding::Utf8, 0),
                }
            };
            self.enc = Some(enc);
            body = &body[skip..];
            self.at += skip as u64;
        }
        match self.enc {
            Some(Encoding::Utf16le | Encoding::Utf16be) => {
                let le = self.enc == Some(Encoding::Utf16le);
                let mut units: Vec<u16> = text::utf16_units(body, le).collect();
                let mut keep = body.len() % 2;
                // A high surrogate at the end waits for its pair.
                if !bytes.is_empty() && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
                    units.pop();
                    keep += 2;
                }
                let text = String::from_utf16(&units)
                    .map_err(|_| format!("not valid UTF-16 after byte {}: not scanned", self.at))?;
                out.push_str(&text);
                self.at += (body.len() - keep) as u64;
                self.carry = body[body.len() - keep..].to_vec();
            }
            _ if self.at > 0
                && memchr::memchr(0, body).is_some()
                && guess_utf16(body).is_some() =>
            {
                return Err(format!(
                    "UTF-16 text without a BOM after byte {} of a file read as UTF-8: not scanned",
                    self.at
                ));
            }
            _ => match std::str::from_utf8(body) {
                Ok(t) => {
                    out.push_str(t);
                    self.at += body.len() as u64;
                }
                Err(e) if e.error_len().is_none() && !bytes.is_empty() => {
                    let ok = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&body[..ok]).unwrap_or_default());
                    self.at += ok as u64;
                    self.carry = body[ok..].to_vec();
                }
                Err(e) => {
                    return Err(format!(
                        "not UTF-8 or UTF-16 text at byte {}: not scanned",
                        self.at + e.valid_up_to() as u64
                    ));
                }
            },
        }
        if bytes.is_empty() && !self.carry.is_empty() {
            return Err(format!(
                "the text ends inside a character at byte {}: not scanned",
                self.at
            ));
        }
        Ok(())
    }
}

impl RuleSet {
    /// Scans a stream of any size (UTF-8 with or without BOM, UTF-16 with a
    /// BOM) in pieces of about `window` bytes cut at safe line ends, with
    /// memory bounded by a few windows; hits carry the line numbers of the
    /// whole stream.
    ///
    /// # Errors
    /// Read errors, bytes that are not text (named by offset: nothing is
    /// silently skipped), or the time budget.
    pub fn scan_stream<R: Read>(
        &self,
        mut r: R,
        window: usize,
        deadline: Option<Instant>,
    ) -> Result<Vec<Hit>, String> {
        let mut dec = StreamDecoder {
            enc: None,
            carry: Vec::new(),
            at: 0,
        };
        let mut pending = String::new();
        let mut chunk = vec![0u8; window.clamp(4096, 64 << 20)];
        let mut hits = Vec::new();
        let mut lines_before = 0usize;
        let mut carry_cols = 0usize;
        let mut seen = std::collections::HashSet::new();
        let mut eof = false;
        while !eof || !pending.is_empty() {
            if !eof {
                let n = r
                    .read(&mut chunk)
                    .map_err(|e| format!("cannot be read: {e}"))?;
                eof = n == 0;
                dec.push(&chunk[..n], &mut pending)?;
            }
            // Past 4 windows without a safe cut (one very long line, or a
            // key whose END never comes): cut at the last line end, else at
            // the last space or separator, so no token is split (the header
            // rule still flags a cut key).
            let cut = safe_cut(&pending, window, eof).or_else(|| {
                (pending.len() > 4 * window).then(|| {
                    let b = pending.as_bytes();
                    memchr::memrchr(b'\n', b).map_or_else(
                        || {
                            let from = b.len().saturating_sub(64 << 10);
                            b[from..]
                                .iter()
                                .rposition(|c| matches!(c, b' ' | b'\t' | b',' | b';'))
                                .map_or(b.len(), |i| from + i + 1)
                        },
                        |i| i + 1,
                    )
                })
            });
            let Some(cut) = cut else { continue };
            let piece = &pending[..cut];
            for mut h in self.scan(piece, deadline)? {
                if h.line == 1 {
                    h.column += carry_cols;
                }
                h.line += lines_before;
                // A hit in the overlap of two pieces is reported once.
                if seen.insert((h.rule.clone(), h.line, h.column)) {
                    hits.push(h);
                }
            }
            // A cut may fall between a label and its value: inside a line
            // (at a space: `password: VALUE`) or at a line end (`password:`
            // with the value below). The next piece starts again up to
            // 4 KiB before the cut (at a space, or at the start of one of
            // the last three lines), so both are seen together.
            let b = piece.as_bytes();
            let back = cut - (4096).min(cut / 2);
            let keep = if eof {
                cut
            } else if piece.ends_with('\n') {
                let mut ls = cut - 1;
                for _ in 0..3 {
                    match memchr::memrchr(b'\n', &b[back..ls]) {
                        Some(i) => ls = back + i,
                        None => break,
                    }
                }
                if ls + 1 < cut && ls >= back {
                    ls + 1
                } else {
                    cut
                }
            } else {
                b[back..cut.saturating_sub(1)]
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t' | b',' | b';'))
                    .map_or(cut, |i| back + i + 1)
            };
            let done = &pending[..keep];
            let newlines = memchr::memchr_iter(b'\n', done.as_bytes()).count();
            // Columns continue on a line cut in the middle.
            carry_cols = match memchr::memrchr(b'\n', done.as_bytes()) {
                Some(i) => done[i + 1..].chars().count(),
                None => carry_cols + done.chars().count(),
            };
            lines_before += newlines;
            pending.drain(..keep);
        }
        Ok(hits)
    }
}
