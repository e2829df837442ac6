//! From spans found to a redacted text, with one verdict (D-EVD-LIMITS).
//!
//! The spans of every view are merged (a secret's class and extent win over
//! the personal data around it); every other occurrence of a value already
//! found is added (`secret=V` redacts a later bare `V` too, and, through
//! [`RuleSet::with_values`], in every file of a bundle); then the redacted
//! text is scanned again, near what changed, until nothing more is found. A
//! replacement can bring a label closer to a value (`"apiKey":"…64…",
//! "sign":"…"` shrinks the key and puts `key` within reach of the
//! signature): what such a rescan, and so the post-seal scan, would find,
//! redaction has already removed. A text that does not settle in
//! [`ROUNDS`] rounds is an error (the caller excludes the file, naming why).
//!
//! NUL characters (the runs an unclean shutdown leaves) are scanned as
//! spaces, so they neither hide a secret nor join one to what follows; the
//! output keeps them.

use std::borrow::Cow;
use std::time::Instant;

use super::catalog::PERSONAL;
use super::rules::RuleSet;
use super::scan::{Span, extend_wrapped, find, find_unless, known_in_views, outside_markers};
use super::values::{Known, SecretValues, automaton, occurrences, repeatable};
use super::{Hit, Redacted};

/// Rescans after redaction before a text is given up as unsettled.
pub const ROUNDS: usize = 8;

/// One replacement: the original span and where its marker is in the output.
#[derive(Debug, Clone, Copy)]
struct Replaced {
    start: usize,
    end: usize,
    out_start: usize,
    out_end: usize,
}

/// The ranges of `t` between the lines that stand for what was cut out of
/// a file ([`super::file::cut_marker`]): no match runs across one, in the
/// redaction and in the post-seal scan alike.
fn parts(t: &str) -> Vec<(usize, usize)> {
    static CUT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^\[opsbook: [0-9]+ bytes cut here \(head [0-9]+ \+ tail [0-9]+ of [0-9]+ kept\)\]\r?$",
        )
        .expect("a valid pattern")
    });
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    for m in CUT_OPENING.find_iter(b) {
        if m < at || (m > 0 && b[m - 1] != b'\n') {
            continue;
        }
        let end = memchr::memchr(b'\n', &b[m..]).map_or(b.len(), |i| m + i);
        if CUT.is_match(&t[m..end]) {
            // The line break before the marker belongs to neither side.
            out.push((at, m.saturating_sub(1).max(at)));
            at = (end + 1).min(t.len());
        }
    }
    out.push((at, t.len()));
    out
}

/// How every cut marker line starts.
static CUT_OPENING: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"[opsbook: "));

/// `text` with NUL characters as spaces (same length, same offsets).
fn nul_as_space(text: &str) -> Cow<'_, str> {
    if memchr::memchr(0, text.as_bytes()).is_some() {
        Cow::Owned(text.replace('\0', " "))
    } else {
        Cow::Borrowed(text)
    }
}

impl RuleSet {
    /// `text` with every secret replaced; for opsbook's own records (names,
    /// paths, destinations, reasons) that must never carry one.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        self.redact(text, None)
            .map(|r| r.text)
            .unwrap_or_else(|_| "[REDACTED:unscannable]".into())
    }

    /// Finds secrets in `text` (every view) without changing it: exactly
    /// what [`RuleSet::redact`] would replace.
    ///
    /// # Errors
    /// The time budget ran out, or the text does not settle (fail closed:
    /// the caller excludes the file).
    pub fn scan(&self, text: &str, deadline: Option<Instant>) -> Result<Vec<Hit>, String> {
        Ok(self
            .redact_found(text, deadline, false)?
            .map(|r| r.hits)
            .unwrap_or_default())
    }

    /// Redacts `text`: every span found in any view is replaced by
    /// `[REDACTED:<class>]`; overlapping spans are merged; a rescan of the
    /// result finds nothing.
    ///
    /// # Errors
    /// The time budget ran out, or the text does not settle.
    pub fn redact(&self, text: &str, deadline: Option<Instant>) -> Result<Redacted, String> {
        Ok(self
            .redact_found(text, deadline, true)?
            .unwrap_or_else(|| Redacted {
                text: text.to_string(),
                hits: Vec::new(),
                values: SecretValues::default(),
            }))
    }

    /// As [`RuleSet::redact`], `None` when nothing fired (no copy of a
    /// clean text is made). With `build` false the returned `text` is empty.
    pub(super) fn redact_found(
        &self,
        text: &str,
        deadline: Option<Instant>,
        build: bool,
    ) -> Result<Option<Redacted>, String> {
        let mut spans = self.plan(text, &[], deadline, None)?;
        if spans.is_empty() {
            return Ok(None);
        }
        let mut settled = false;
        let mut out = String::new();
        for _ in 0..ROUNDS {
            let values = self.values_of(text, &spans);
            let replaced;
            (out, replaced) = self.apply(text, &spans);
            let near = windows(&out, &replaced);
            let extra = self.plan(&out, &values, deadline, Some(&near))?;
            if extra.is_empty() {
                settled = true;
                break;
            }
            let before = spans.clone();
            spans.extend(
                extra
                    .into_iter()
                    .map(|(s, e, r, v)| (map_start(&replaced, s), map_end(&replaced, e), r, v)),
            );
            spans = self.merge(spans, text);
            if spans == before {
                break;
            }
        }
        if !settled {
            let (line, class) = spans.first().map_or((0, ""), |s| {
                (
                    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..s.0]).count(),
                    self.rules[s.2].id.as_str(),
                )
            });
            return Err(format!(
                "redaction does not settle: a rescan of the redacted text still finds secrets (first redaction: {class} at line {line}); not shipped"
            ));
        }
        let values = SecretValues(
            self.values_of(text, &spans)
                .into_iter()
                .map(|(r, v)| (self.rules[r].id.clone(), v))
                .collect(),
        );
        Ok(Some(Redacted {
            hits: self.hits(text, &spans),
            text: if build { out } else { String::new() },
            values,
        }))
    }

    /// Whether a value known to this rule set ([`RuleSet::with_values`])
    /// occurs in `text` where [`RuleSet::scan`] looks for it (NULs read as
    /// spaces); one inside an earlier redaction counts too (conservative).
    ///
    /// `nul_free`: the caller knows `text` holds no NUL (one pass less).
    pub(super) fn known_value_in(&self, text: &str, nul_free: bool) -> bool {
        self.known().ac.as_ref().is_some_and(|ac| {
            if nul_free {
                ac.is_match(text.as_bytes())
            } else {
                ac.is_match(nul_as_space(text).as_bytes())
            }
        })
    }

    /// Whether a value known to this rule set occurs in one of the views
    /// [`RuleSet::scan`] reads (escapes resolved, base64 decoded) of `text`
    /// (NULs read as spaces; `nul_free`: the caller knows there are none).
    pub(super) fn known_in_views(&self, text: &str, nul_free: bool) -> bool {
        if self.known().ac.is_none() {
            return false;
        }
        if nul_free {
            known_in_views(self, text)
        } else {
            known_in_views(self, &nul_as_space(text))
        }
    }

    /// The known values (of other files) in one automaton, built on first
    /// use: their classes (rule indexes) and the automaton.
    pub(super) fn known(&self) -> &Known {
        self.values_ac.get_or_init(|| {
            let (classes, values): (Vec<usize>, Vec<&str>) = self
                .values
                .0
                .iter()
                .filter_map(|(class, v)| {
                    let r = self.rules.iter().position(|r| &r.id == class)?;
                    Some((r, v.as_str()))
                })
                .unzip();
            Known {
                ac: automaton(&values),
                classes,
            }
        })
    }

    /// Spans found in `text` (NULs scanned as spaces) and the occurrences of
    /// the known values and of `values`, merged; with `near`, only those
    /// ranges of the text are scanned (the values are looked for
    /// everywhere).
    fn plan(
        &self,
        text: &str,
        values: &[(usize, String)],
        deadline: Option<Instant>,
        near: Option<&[(usize, usize)]>,
    ) -> Result<Vec<Span>, String> {
        // The whole text in one parallel pass when no block holds a NUL or
        // a cut marker's opening (each block checked while in the cache):
        // the text is then its own NUL-as-space form and one part, so this
        // is exactly the loop below, which otherwise runs.
        let fast = match near {
            None => find_unless(self, text, deadline, |b| {
                memchr::memchr(0, b).is_some() || CUT_OPENING.find(b).is_some()
            })?,
            Some(_) => None,
        };
        let (t, mut spans) = match fast {
            Some(spans) => (Cow::Borrowed(text), spans),
            None => {
                let t = nul_as_space(text);
                let mut spans = Vec::new();
                let whole = [(0, t.len())];
                for &(wa, wb) in near.unwrap_or(&whole) {
                    for (a, b) in parts(&t[wa..wb]) {
                        let (a, b) = (wa + a, wa + b);
                        spans.extend(
                            find(self, &t[a..b], deadline)?
                                .into_iter()
                                .map(|(s, e, r, v)| (s + a, e + a, r, v)),
                        );
                    }
                }
                (t, spans)
            }
        };
        for s in &mut spans {
            s.1 = extend_wrapped(&t, s.1);
        }
        let known = self.known();
        spans.extend(occurrences(&t, known.ac.as_ref(), &known.classes));
        if !values.is_empty() {
            let (classes, words): (Vec<usize>, Vec<&str>) =
                values.iter().map(|(r, v)| (*r, v.as_str())).unzip();
            spans.extend(occurrences(&t, automaton(&words).as_ref(), &classes));
        }
        if spans.is_empty() {
            return Ok(spans);
        }
        // Found values again inside the spans' own neighbourhood are merged;
        // one inside an earlier redaction is no hit.
        let mut trimmed: Vec<(usize, usize, usize)> =
            spans.iter().map(|s| (s.0, s.1, s.2)).collect();
        outside_markers(&t, &mut trimmed, None);
        let spans = spans
            .into_iter()
            .zip(trimmed)
            .filter(|(_, t)| t.0 < t.1)
            .map(|(s, t)| (t.0, t.1, s.2, s.3))
            .collect();
        Ok(self.merge(spans, text))
    }

    /// Spans merged: a personal-data match that overlaps a secret is the
    /// secret's neighbourhood seen wrongly (`user:pass@host` read as an
    /// e-mail address): the secret's class and extent win, so the host
    /// stays. Overlapping spans become one (the first one's class); spans are
    /// kept on the text's character boundaries.
    fn merge(&self, mut spans: Vec<Span>, text: &str) -> Vec<Span> {
        let personal = |r: usize| PERSONAL.iter().any(|c| c.id == self.rules[r].id);
        let mut secrets: Vec<(usize, usize)> = spans
            .iter()
            .filter(|s| !personal(s.2))
            .map(|s| (s.0, s.1))
            .collect();
        if !secrets.is_empty() && secrets.len() < spans.len() {
            secrets.sort_unstable();
            // The furthest end among secrets starting at or before each one.
            let reach: Vec<usize> = secrets
                .iter()
                .scan(0, |m, &(_, e)| {
                    *m = (*m).max(e);
                    Some(*m)
                })
                .collect();
            spans.retain(|s| {
                let n = secrets.partition_point(|&(a, _)| a < s.1);
                !personal(s.2) || n == 0 || reach[n - 1] <= s.0
            });
        }
        for s in &mut spans {
            s.0 = (0..=s.0.min(text.len()))
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            s.1 = (s.1.min(text.len())..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
        }
        spans.retain(|s| s.0 < s.1);
        spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
        let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
        for s in spans {
            match merged.last_mut() {
                Some(last) if s.0 < last.1 => last.1 = last.1.max(s.1),
                _ => merged.push(s),
            }
        }
        merged
    }

    /// `text` with the merged `spans` replaced, and where each replacement
    /// went.
    fn apply(&self, text: &str, spans: &[Span]) -> (String, Vec<Replaced>) {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut replaced = Vec::with_capacity(spans.len());
        for &(s, e, r, _) in spans {
            out.push_str(&text[at..s]);
            let out_start = out.len();
            out.push_str(&self.replacement(&self.rules[r].id));
            replaced.push(Replaced {
                start: s,
                end: e,
                out_start,
                out_end: out.len(),
            });
            at = e;
        }
        out.push_str(&text[at..]);
        (out, replaced)
    }

    /// The values of the merged `spans` worth redacting wherever else they
    /// appear ([`repeatable`]), as (rule index, value).
    fn values_of(&self, text: &str, spans: &[Span]) -> Vec<(usize, String)> {
        let mut out: Vec<(usize, String)> = Vec::new();
        for &(s, e, r, _) in spans {
            let v = text[s..e].trim_matches(|c: char| c.is_whitespace() || c == '\0');
            if repeatable(v) && !out.iter().any(|x| x.1 == v) {
                out.push((r, v.to_string()));
            }
        }
        out
    }

    /// One [`Hit`] per merged span, located in `text`.
    fn hits(&self, text: &str, spans: &[Span]) -> Vec<Hit> {
        let mut hits = Vec::with_capacity(spans.len());
        // Line counting runs forward with the sorted spans.
        let (mut line, mut counted, mut line_start) = (1usize, 0usize, 0usize);
        for &(s, e, r, view) in spans {
            let gap = &text.as_bytes()[counted..s];
            line += memchr::memchr_iter(b'\n', gap).count();
            if let Some(i) = memchr::memrchr(b'\n', gap) {
                line_start = counted + i + 1;
            }
            counted = s;
            hits.push(Hit {
                rule: self.rules[r].id.clone(),
                line,
                column: text[line_start..s].chars().count() + 1,
                bytes: e - s,
                view,
                member: None,
            });
        }
        hits
    }
}

/// What a rescan after redaction looks at: 4 KiB of whole lines around
/// each replacement, merged. A new match needs a replacement to bring its
/// parts together, so it lies there; the post-seal scan of the whole file
/// (and a property test) check that nothing was missed.
fn windows(out: &str, replaced: &[Replaced]) -> Vec<(usize, usize)> {
    const AROUND: usize = 4096;
    let b = out.as_bytes();
    let mut w: Vec<(usize, usize)> = Vec::with_capacity(replaced.len());
    for r in replaced {
        let from = r.out_start.saturating_sub(AROUND);
        let from = memchr::memrchr(b'\n', &b[..from]).map_or(0, |i| i + 1);
        let to = (r.out_end + AROUND).min(b.len());
        let to = memchr::memchr(b'\n', &b[to..]).map_or(b.len(), |i| to + i + 1);
        match w.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => w.push((from, to)),
        }
    }
    w
}

/// Where a start position of the redacted text was in the original: inside
/// a marker, the start of what it replaced.
fn map_start(replaced: &[Replaced], pos: usize) -> usize {
    let i = replaced.partition_point(|r| r.out_start <= pos);
    match i.checked_sub(1).map(|i| replaced[i]) {
        None => pos,
        Some(r) if pos < r.out_end => r.start,
        Some(r) => r.end + (pos - r.out_end),
    }
}

/// Where an end position of the redacted text was in the original: inside
/// a marker (or at its end), the end of what it replaced.
fn map_end(replaced: &[Replaced], pos: usize) -> usize {
    let i = replaced.partition_point(|r| r.out_start < pos);
    match i.checked_sub(1).map(|i| replaced[i]) {
        None => pos,
        Some(r) if pos <= r.out_end => r.end,
        Some(r) => r.end + (pos - r.out_end),
    }
}
