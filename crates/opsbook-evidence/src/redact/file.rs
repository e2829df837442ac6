//! One file's bytes (D-EVD-LIMITS): read every way they read as text,
//! redacted and re-encoded exactly as they were, archives opened, anything
//! that cannot be scanned excluded with the reason.
//!
//! The encoding comes from `opsbook_core::text::readings`: a BOM decides;
//! without one the bytes are read as UTF-8 and, when they hold a NUL byte,
//! as UTF-16LE and UTF-16BE too. The reading the decoded text confirms is
//! redacted; every other reading is scanned as well and must come out clean,
//! or the file is excluded: a UTF-8 log followed by the NUL run of an
//! unclean shutdown is never shipped on a guess that it is UTF-16.

use std::time::Instant;

use opsbook_core::text::{self, Reading};

use super::archive::{self, ArchiveLimits, Ctx};
use super::outcome::{Cut, Encoding, FileOutcome, cut_marker};
use super::rules::RuleSet;
use super::{Hit, SecretValues};

impl RuleSet {
    /// Decides what one file's bytes become in the bundle.
    #[must_use]
    pub fn redact_file(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
    ) -> FileOutcome {
        self.file_at(bytes, &ctx(limits, deadline, true), 1)
    }

    /// As [`RuleSet::redact_file`] for the hits only (no redacted copy is
    /// made): `Err` with the reason when the file cannot be scanned. The
    /// hits are what redaction removes, and of every reading of the bytes.
    ///
    /// # Errors
    /// The reason the file would be excluded.
    pub fn scan_file(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
    ) -> Result<Vec<Hit>, String> {
        match self.file_at(bytes, &ctx(limits, deadline, false), 1) {
            FileOutcome::Kept { hits, .. } => Ok(hits),
            FileOutcome::Excluded { reason } => Err(reason),
        }
    }

    /// As [`RuleSet::scan_file`], with the secret values found (what
    /// [`RuleSet::with_values`] takes to look for them in other files, as a
    /// bundle does).
    ///
    /// # Errors
    /// The reason the file would be excluded.
    pub fn scan_file_values(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
    ) -> Result<(Vec<Hit>, SecretValues), String> {
        match self.file_at(bytes, &ctx(limits, deadline, false), 1) {
            FileOutcome::Kept { hits, values, .. } => Ok((hits, values)),
            FileOutcome::Excluded { reason } => Err(reason),
        }
    }

    /// Whether [`RuleSet::scan_file`] could find more in `bytes` with this
    /// rule set than with the same rules without its known values
    /// ([`RuleSet::with_values`]): a known value occurs in one of the
    /// readings the scan reads or in one of their views (escapes resolved,
    /// base64 decoded), or the bytes are an archive (not opened here). So
    /// when the rules alone found nothing in exactly these bytes and this is
    /// `false`, the full scan finds nothing either — the post-seal scan of a
    /// clean file is this search for the values, not the rules.
    #[must_use]
    pub fn may_hold_known_values(&self, bytes: &[u8]) -> bool {
        if archive::kind(bytes).is_some() || archive::unsupported(bytes).is_some() {
            return true;
        }
        if self.values.is_empty() {
            return false;
        }
        // As the scan reads them: the text and its views (a value found in
        // one file, percent-encoded or base64 in this one), every reading,
        // and the bytes without their NULs.
        let holds = |t: &str, nul_free: bool| {
            self.known_value_in(t, nul_free) || self.known_in_views(t, nul_free)
        };
        let (readings, nul) = text::readings_nul(bytes);
        if readings.iter().any(|r| holds(&r.text, !nul)) {
            return true;
        }
        nul && {
            let stripped: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
            holds(&String::from_utf8_lossy(&stripped), false)
        }
    }

    /// One file's bytes at nesting `depth` (1 for a file, 2 for a member of
    /// an archive, …).
    pub(super) fn file_at(&self, bytes: &[u8], ctx: &Ctx<'_>, depth: u8) -> FileOutcome {
        let excluded = |reason: String| FileOutcome::Excluded { reason };
        if let Some(kind) = archive::kind(bytes) {
            return self.archive(kind, bytes, ctx, depth);
        }
        if let Some(format) = archive::unsupported(bytes) {
            return excluded(format!(
                "{format}-compressed: opsbook opens gzip, ZIP and tar only, so it cannot be scanned and is not shipped; decompress it and collect the result"
            ));
        }
        let (readings, nul) = text::readings_nul(bytes);
        let Some(primary) = readings.iter().position(|r| r.confirmed) else {
            return excluded(
                "binary or undecodable (not UTF-8 or UTF-16 text): cannot be scanned, so not shipped"
                    .into(),
            );
        };
        let r = &readings[primary];
        let found = match self.redact_found(&r.text, ctx.deadline, ctx.build) {
            Err(e) => return excluded(e),
            Ok(f) => f.filter(|f| !f.hits.is_empty()),
        };
        let out = match (&found, ctx.build) {
            (Some(f), true) => r.encode(&f.text),
            (None, true) => bytes.to_vec(),
            (_, false) => Vec::new(),
        };
        let (mut hits, values) = found.map(|f| (f.hits, f.values)).unwrap_or_default();
        // Every other reading of the bytes: scanned too (a guess is never
        // trusted alone). When building, of the output: what is left there
        // is what the post-seal scan would find.
        let checked = if ctx.build { &out[..] } else { bytes };
        // Bytes without a NUL have one reading, and so do the same bytes
        // shipped unchanged: no second pass over a clean file.
        let others = if !nul && (!ctx.build || hits.is_empty()) {
            Vec::new()
        } else {
            match self.other_readings(checked, r, ctx.deadline) {
                Ok(o) => o,
                Err(e) => return excluded(e),
            }
        };
        // Scanning, the lines of the reading without NULs are those of the
        // primary reading: the same class on the same line there is the
        // same secret, reported once (as redaction removes it once).
        // Building, `others` are of the output: anything found excludes.
        let primary = hits.len();
        for (view, mut h) in others {
            if !ctx.build && view == WITHOUT_NUL {
                h.retain(|x| {
                    !hits[..primary]
                        .iter()
                        .any(|p| p.rule == x.rule && p.line == x.line)
                });
                if h.is_empty() {
                    continue;
                }
            }
            if ctx.build {
                return excluded(format!(
                    "read as {view} the bytes hold secrets ({} at line {}) that redacting them as {} cannot remove: not shipped",
                    h[0].rule,
                    h[0].line,
                    Encoding::view(r)
                ));
            }
            hits.extend(h.into_iter().map(|mut x| {
                x.view = view;
                x
            }));
        }
        FileOutcome::Kept {
            bytes: out,
            encoding: Encoding::of(r),
            hits,
            values,
        }
    }

    /// A file over the size limit (D-EVD-LIMITS): `head` is its first
    /// bytes, `tail` its last, `size` its size. Both are decoded in the
    /// file's encoding (from the head), the head kept to its last whole
    /// line, the tail from its first line that does not continue something
    /// cut off ([`tail_skip`]), joined by the [`cut_marker`] line, and
    /// redacted as one text in which no match runs across the marker. An
    /// archive cannot be cut and stay readable: it is excluded.
    #[must_use]
    pub fn redact_cut(
        &self,
        head: &[u8],
        tail: &[u8],
        size: u64,
        deadline: Option<Instant>,
    ) -> (FileOutcome, Option<Cut>) {
        let excluded = |reason: String| (FileOutcome::Excluded { reason }, None);
        if archive::kind(head).is_some() || archive::unsupported(head).is_some() {
            return excluded(
                "an archive over limits.max_file_bytes cannot be cut and stay readable: not shipped; raise the limit or extract what matters"
                    .into(),
            );
        }
        let Some(r) = sniff(head) else {
            return excluded(
                "binary or undecodable (not UTF-8 or UTF-16 text): cannot be scanned, so not shipped"
                    .into(),
            );
        };
        let bom = if r.bom {
            if r.encoding == text::Encoding::Utf8Bom {
                3
            } else {
                2
            }
        } else {
            0
        };
        let utf16 = matches!(
            r.encoding,
            text::Encoding::Utf16Le | text::Encoding::Utf16Be
        );
        let le = r.encoding == text::Encoding::Utf16Le;
        let Some((mut head_text, _)) = decode_prefix(&head[bom.min(head.len())..], utf16, le)
        else {
            return excluded(format!(
                "not {} text in its first {} bytes: cannot be scanned, so not shipped",
                Encoding::view(&r),
                head.len()
            ));
        };
        // The head ends at a line end when there is one in its last MiB.
        if let Some(i) = head_text
            .rfind('\n')
            .filter(|i| head_text.len() - i < 1 << 20)
        {
            head_text.truncate(i + 1);
        }
        // The tail starts on a character: a UTF-16 unit boundary counted
        // from the BOM, past UTF-8 continuation bytes.
        let start = size - tail.len() as u64;
        let mut skip = 0usize;
        if utf16 && (start.saturating_sub(bom as u64)) % 2 == 1 {
            skip = 1;
        }
        if !utf16 {
            skip = tail
                .iter()
                .take(3)
                .take_while(|&&b| (0x80..0xC0).contains(&b))
                .count();
        }
        let tail = &tail[skip.min(tail.len())..];
        let Some((tail_text, used)) = decode_prefix(tail, utf16, le) else {
            return excluded(format!(
                "not {} text in its last {} bytes: cannot be scanned, so not shipped",
                Encoding::view(&r),
                tail.len()
            ));
        };
        let rest = &tail[used..];
        if rest.iter().any(|&b| b != 0) {
            return excluded(format!(
                "not {} text at the end of the file: cannot be scanned, so not shipped",
                Encoding::view(&r)
            ));
        }
        let from = tail_skip(tail_text.as_bytes());
        let tail_text = &tail_text[from..];
        let units = |t: &str| {
            if utf16 {
                2 * t.encode_utf16().count() as u64
            } else {
                t.len() as u64
            }
        };
        let head_bytes = bom as u64 + units(&head_text);
        let tail_bytes = units(tail_text) + rest.len() as u64;
        let cut = Cut {
            head_bytes,
            tail_bytes,
            cut_bytes: size.saturating_sub(head_bytes + tail_bytes),
        };
        let whole = format!("{head_text}\n{}\n{tail_text}", cut_marker(&cut, size));
        let reading = Reading {
            text: whole.as_str().into(),
            padding: rest.len(),
            ..r
        };
        let found = match self.redact_found(&whole, deadline, true) {
            Err(e) => return excluded(e),
            Ok(f) => f.filter(|f| !f.hits.is_empty()),
        };
        let (hits, values, out) = match found {
            Some(f) => (f.hits, f.values, reading.encode(&f.text)),
            None => (Vec::new(), SecretValues::default(), reading.encode(&whole)),
        };
        // The other readings of what ships, as for a whole file.
        match self.other_readings(&out, &r, deadline) {
            Err(e) => return excluded(e),
            Ok(o) => {
                if let Some((view, h)) = o.first() {
                    return excluded(format!(
                        "read as {view} the kept head and tail hold secrets ({} at line {}): not shipped",
                        h[0].rule, h[0].line
                    ));
                }
            }
        }
        (
            FileOutcome::Kept {
                bytes: out,
                encoding: Encoding::of(&r),
                hits,
                values,
            },
            Some(cut),
        )
    }
}

impl RuleSet {
    /// The hits of every reading of `bytes` other than `main` (only bytes
    /// with a NUL have others), and of the bytes without their NULs, each
    /// with its name as a view; readings without hits are left out.
    fn other_readings(
        &self,
        bytes: &[u8],
        main: &Reading<'_>,
        deadline: Option<Instant>,
    ) -> Result<Vec<(&'static str, Vec<Hit>)>, String> {
        if memchr::memchr(0, bytes).is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for other in text::readings(bytes)
            .iter()
            .filter(|o| (o.encoding, o.bom) != (main.encoding, main.bom))
        {
            let h = self.scan(&other.text, deadline)?;
            if !h.is_empty() {
                out.push((Encoding::view(other), h));
            }
        }
        // Without its NUL bytes: UTF-16 text of ASCII at an odd offset (a
        // byte lost or added before it), which no aligned reading decodes,
        // reads as the ASCII it is.
        if !main.bom {
            let stripped: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
            let h = self.scan(&String::from_utf8_lossy(&stripped), deadline)?;
            if !h.is_empty() {
                out.push((WITHOUT_NUL, h));
            }
        }
        Ok(out)
    }
}

/// The view name of the bytes read without their NUL bytes.
const WITHOUT_NUL: &str = "without-nul";

fn ctx(limits: &ArchiveLimits, deadline: Option<Instant>, build: bool) -> Ctx<'_> {
    Ctx {
        limits,
        deadline,
        build,
        room: std::cell::Cell::new(limits.max_unpacked_bytes),
    }
}

/// The encoding of a file from its first bytes (cut anywhere): the reading
/// the text confirms, of the prefix trimmed by up to 3 bytes so that a
/// character cut at the end does not spoil it. The text is not kept.
fn sniff(head: &[u8]) -> Option<Reading<'static>> {
    let probe = &head[..head.len().min(1 << 20)];
    (0..4.min(probe.len() + 1)).find_map(|cut| {
        text::readings(&probe[..probe.len() - cut])
            .into_iter()
            .find(|r| r.confirmed)
            .map(|r| Reading {
                text: String::new().into(),
                ..r
            })
    })
}

/// The longest prefix of `b` that decodes (UTF-8, or UTF-16 in the given
/// byte order) when only a character cut at its end is missing: `(text,
/// bytes used)`; `None` when the bytes are not that encoding.
fn decode_prefix(b: &[u8], utf16: bool, le: bool) -> Option<(String, usize)> {
    if !utf16 {
        return match std::str::from_utf8(b) {
            Ok(t) => Some((t.to_string(), b.len())),
            Err(e) if e.error_len().is_none() => {
                let n = e.valid_up_to();
                std::str::from_utf8(&b[..n])
                    .ok()
                    .map(|t| (t.to_string(), n))
            }
            Err(_) => None,
        };
    }
    let mut units: Vec<u16> = text::utf16_units(b, le).collect();
    // A low surrogate first (its pair cut off) and a high one last.
    let first = usize::from(units.first().is_some_and(|u| (0xDC00..0xE000).contains(u)));
    if units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
        units.pop();
    }
    let t = String::from_utf16(&units[first.min(units.len())..]).ok()?;
    // `first` units were skipped at the start: report them as used too.
    Some((t, 2 * units.len()))
}

/// How many bytes to drop at the start of a kept tail, so that nothing whose
/// label was cut off starts it (D-EVD-LIMITS): the partial first line, then
/// lines that continue something above (blank, indented, a bare token such
/// as a wrapped key, the rest of a PEM block up to its END line); in a
/// single long line, the first three words. At most 1 MiB.
#[must_use]
pub fn tail_skip(tail: &[u8]) -> usize {
    let lim = tail.len().min(1 << 20);
    let b = &tail[..lim];
    let Some(first) = memchr::memchr(b'\n', b) else {
        // One long line: `passw|ord: VALUE` must not start with the value.
        let mut at = 0;
        for _ in 0..3 {
            while at < lim && !b[at].is_ascii_whitespace() {
                at += 1;
            }
            while at < lim && b[at].is_ascii_whitespace() {
                at += 1;
            }
        }
        return at;
    };
    let line_end = |from: usize| memchr::memchr(b'\n', &b[from..]).map(|i| from + i);
    let mut at = first + 1;
    // Inside a private key block: past its END line.
    if let Some(e) = memchr::memmem::find(b, b"-----END ")
        && memchr::memmem::find(&b[..e], b"-----BEGIN ").is_none()
        && let Some(le) = line_end(e)
    {
        at = at.max(le + 1);
    }
    while at < lim {
        let Some(le) = line_end(at) else { break };
        let line = b[at..le].strip_suffix(b"\r").unwrap_or(&b[at..le]);
        let bare_token = line.len() >= 8
            && line
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=_-.".contains(c));
        if line.iter().all(u8::is_ascii_whitespace)
            || line.starts_with(b" ")
            || line.starts_with(b"\t")
            || bare_token
        {
            at = le + 1;
        } else {
            break;
        }
    }
    at
}
