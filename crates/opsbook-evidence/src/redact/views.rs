//! Views: a text seen another way (without ANSI codes and invisible
//! characters, JSON-unescaped, percent-decoded, base64 runs), each byte
//! mapped back to the span of the original it came from.

/// A view of a text: the text seen another way, each of its bytes mapped
/// to the span of the original it came from.
pub(super) struct View {
    pub(super) name: &'static str,
    pub(super) text: String,
    pub(super) start: Vec<usize>,
    pub(super) end: Vec<usize>,
}

impl View {
    pub(super) fn push(&mut self, s: &str, from: usize, to: usize) {
        self.text.push_str(s);
        for _ in 0..s.len() {
            self.start.push(from);
            self.end.push(to);
        }
    }

    /// A char copied from the original at `at`: each byte maps to itself.
    pub(super) fn push_char(&mut self, c: char, at: usize) {
        self.text.push(c);
        for k in 0..c.len_utf8() {
            self.start.push(at + k);
            self.end.push(at + k + 1);
        }
    }

    pub(super) fn original(&self, s: usize, e: usize) -> (usize, usize) {
        (self.start[s], self.end[e - 1])
    }
}

/// A fast byte-level pre-check for [`is_invisible`] characters (their UTF-8
/// lead bytes), confirmed char by char only when it fires.
pub(super) fn maybe_invisible(b: &[u8]) -> bool {
    // Lead bytes of the invisible characters' UTF-8 forms, found by memchr
    // (ASCII logs have none); then their second byte.
    let lead = |i: usize| {
        matches!(
            (b[i], b.get(i + 1)),
            (0xE2, Some(0x80 | 0x81))
                | (0xEF, Some(0xBB))
                | (0xC2, Some(0xAD))
                | (0xE1, Some(0xA0))
        )
    };
    (memchr::memchr3_iter(0xE2, 0xEF, 0xC2, b).any(lead) || memchr::memchr_iter(0xE1, b).any(lead))
        && std::str::from_utf8(b).is_ok_and(|t| t.chars().any(is_invisible))
}

pub(super) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Without ANSI escape sequences and invisible characters.
pub(super) fn clean_view(text: &str) -> Option<View> {
    if !text.contains('\u{1b}') && !text.chars().any(is_invisible) {
        return None;
    }
    let mut v = View {
        name: "clean",
        text: String::with_capacity(text.len()),
        start: Vec::with_capacity(text.len()),
        end: Vec::with_capacity(text.len()),
    };
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b {
            // CSI: ESC [ params final-byte; OSC: ESC ] … BEL/ST; other: ESC x.
            let mut j = i + 1;
            if j < b.len() && b[j] == b'[' {
                j += 1;
                while j < b.len() && !(0x40..=0x7e).contains(&b[j]) {
                    j += 1;
                }
                j = (j + 1).min(b.len());
            } else if j < b.len() && b[j] == b']' {
                while j < b.len() && b[j] != 0x07 && !(b[j] == 0x1b && b.get(j + 1) == Some(&b'\\'))
                {
                    j += 1;
                }
                j = (j + if b.get(j) == Some(&0x1b) { 2 } else { 1 }).min(b.len());
            } else if j < b.len() {
                // ESC + one character (which may be several bytes).
                j += text[j..].chars().next().map_or(1, char::len_utf8);
            }
            // Never stop inside a character.
            while j < b.len() && !text.is_char_boundary(j) {
                j += 1;
            }
            i = j;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or('\0');
        let n = c.len_utf8();
        if !is_invisible(c) {
            v.push_char(c, i);
        }
        i += n;
    }
    Some(v)
}

/// JSON string escapes resolved (`\n`, `\"`, `\/`, `\\`, `\uXXXX`).
pub(super) fn json_view(text: &str) -> Option<View> {
    // Windows paths are full of backslashes: only JSON-ish escapes count.
    if !["\\n", "\\\"", "\\/", "\\u", "\\r", "\\t"]
        .iter()
        .any(|e| text.contains(e))
    {
        return None;
    }
    let mut v = View {
        name: "json",
        text: String::with_capacity(text.len()),
        start: Vec::with_capacity(text.len()),
        end: Vec::with_capacity(text.len()),
    };
    let b = text.as_bytes();
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let simple = match b[i + 1] {
                b'n' => Some("\n"),
                b'r' => Some("\r"),
                b't' => Some("\t"),
                b'"' => Some("\""),
                b'\\' => Some("\\"),
                b'/' => Some("/"),
                _ => None,
            };
            if let Some(s) = simple {
                v.push(s, i, i + 2);
                i += 2;
                changed = true;
                continue;
            }
            if b[i + 1] == b'u'
                && i + 6 <= b.len()
                && let Some(c) = text
                    .get(i + 2..i + 6)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
            {
                v.push(c.encode_utf8(&mut [0u8; 4]), i, i + 6);
                i += 6;
                changed = true;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or('\0');
        v.push_char(c, i);
        i += c.len_utf8();
    }
    changed.then_some(v)
}

/// `%XX` decoded (only when the result is UTF-8).
pub(super) fn percent_view(text: &str) -> Option<View> {
    let b = text.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    if !b
        .windows(3)
        .any(|w| w[0] == b'%' && hex(w[1]).is_some() && hex(w[2]).is_some())
    {
        return None;
    }
    // All escapes decoded; if that is not UTF-8 (`%FF`), only those that
    // decode to ASCII, the others kept as they are.
    let decode = |ascii_only: bool| {
        let mut out: Vec<u8> = Vec::with_capacity(b.len());
        let mut start = Vec::with_capacity(b.len());
        let mut end = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%'
                && i + 2 < b.len()
                && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
                && (!ascii_only || h < 8)
            {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                start.push(i);
                end.push(i + 3);
                i += 3;
                continue;
            }
            out.push(b[i]);
            start.push(i);
            end.push(i + 1);
            i += 1;
        }
        String::from_utf8(out).ok().map(|text| View {
            name: "percent",
            text,
            start,
            end,
        })
    };
    decode(false).or_else(|| decode(true))
}

/// Base64 wrapped over two or more lines: consecutive lines that are each
/// one base64 run (after indentation, before an optional CR), all but the
/// last of the same length (at least 40 characters) and without `=`.
/// Returns `(start, end, the runs joined)`, at most 4 MiB each.
pub(super) fn wrapped_base64(text: &str, runs: &[(usize, usize)]) -> Vec<(usize, usize, String)> {
    let b = text.as_bytes();
    // A run that is its line's whole content.
    let whole_line = |&(s, e): &(usize, usize)| {
        let ls = memchr::memrchr(b'\n', &b[..s]).map_or(0, |i| i + 1);
        let rest = &b[e..];
        b[ls..s].iter().all(|c| matches!(c, b' ' | b'\t'))
            && (rest.is_empty() || rest.starts_with(b"\n") || rest.starts_with(b"\r\n"))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let (s0, e0) = runs[i];
        let width = e0 - s0;
        if width < 40 || b[s0..e0].contains(&b'=') || !whole_line(&runs[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut joined = text[s0..e0].to_string();
        while j + 1 < runs.len() {
            let (s, e) = runs[j + 1];
            let (_, pe) = runs[j];
            // The next line directly below, nothing but indentation between.
            let between = &b[pe..s];
            let one_break = between.strip_prefix(b"\r").unwrap_or(between);
            let adjacent = one_break.first() == Some(&b'\n')
                && one_break[1..].iter().all(|c| matches!(c, b' ' | b'\t'));
            let (ps, _) = runs[j];
            let last_was_full = pe - ps == width && !b[ps..pe].contains(&b'=');
            if !adjacent || !last_was_full || e - s > width || !whole_line(&runs[j + 1]) {
                break;
            }
            joined.push_str(&text[s..e]);
            j += 1;
            if joined.len() > 4 << 20 {
                break;
            }
        }
        if j > i {
            out.push((s0, runs[j].1, joined));
        }
        i = j + 1;
    }
    out
}

/// Runs of at least 24 base64 (standard or URL-safe) characters with up to
/// two `=` after them: `(start, end)`, left to right, not overlapping (what
/// the regex `[A-Za-z0-9+/_-]{24,}={0,2}` finds).
///
/// The text is read 64 bytes at a time as a bit mask of its base64 bytes
/// (16-byte SIMD compares through `wide`: SSE2 on x86-64, NEON on ARM);
/// bit `i` of `m & m >> 1 & … ` (shifts 1, 2, 4, 8, 8, over this block and
/// the next) is set where 24 base64 bytes start at `i`, so a block without
/// one costs a few instructions, and a run's end is found byte by byte.
/// Measured on the benchmark's clean logs: 3× the previous byte-table
/// scan, which checked backwards from the farthest byte a run must cover.
pub(super) fn base64_runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    const MIN: usize = 24;
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    // No run starts before `next` (the end of the last one).
    let mut next = 0usize;
    let mut cur = block_mask(b, 0);
    let mut base = 0usize;
    while base + MIN <= n {
        let following = block_mask(b, base + 64);
        let w = u128::from(cur) | (u128::from(following) << 64);
        let mut r = w & (w >> 1);
        r &= r >> 2;
        r &= r >> 4;
        r &= r >> 8;
        r &= r >> 8;
        // Bits for starts in this block only, at or after `next`.
        let mut starts = r as u64;
        if next > base {
            starts &= from_bit(next - base);
        }
        while starts != 0 {
            let start = base + starts.trailing_zeros() as usize;
            let mut end = start + MIN;
            while end < n && is_base64(b[end]) {
                end += 1;
            }
            let run_end = end;
            while end < n && end - run_end < 2 && b[end] == b'=' {
                end += 1;
            }
            out.push((start, end));
            next = end;
            starts &= from_bit(end - base);
        }
        base += 64;
        cur = following;
    }
    out.into_iter()
}

/// The bits from `i` up (none when `i` is 64 or more).
fn from_bit(i: usize) -> u64 {
    u32::try_from(i)
        .ok()
        .and_then(|i| u64::MAX.checked_shl(i))
        .unwrap_or(0)
}

/// A byte of the base64 alphabets (`[A-Za-z0-9+/_-]`).
fn is_base64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'_' | b'-')
}

/// Bit `i` set where `b[at + i]` is a base64 byte, for the 64 bytes from
/// `at` (bytes past the end count as not base64).
fn block_mask(b: &[u8], at: usize) -> u64 {
    use wide::u8x16;
    let Some(block) = b.get(at..).filter(|r| !r.is_empty()) else {
        return 0;
    };
    let mut m = 0u64;
    if let Some(block) = block.get(..64) {
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            let mut lanes = [0u8; 16];
            lanes.copy_from_slice(chunk);
            let v = u8x16::new(lanes);
            let letter = (v | u8x16::splat(0x20)) - u8x16::splat(b'a');
            let letter = letter.min(u8x16::splat(25)).simd_eq(letter);
            let digit = v - u8x16::splat(b'0');
            let digit = digit.min(u8x16::splat(9)).simd_eq(digit);
            let sign = v.simd_eq(u8x16::splat(b'+'))
                | v.simd_eq(u8x16::splat(b'/'))
                | v.simd_eq(u8x16::splat(b'_'))
                | v.simd_eq(u8x16::splat(b'-'));
            m |= u64::from((letter | digit | sign).to_bitmask()) << (16 * k);
        }
    } else {
        for (i, &c) in block.iter().enumerate() {
            m |= u64::from(is_base64(c)) << i;
        }
    }
    m
}
