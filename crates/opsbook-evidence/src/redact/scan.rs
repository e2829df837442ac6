//! The scan: blocks scanned in parallel, one keyword pass per block naming
//! the lines each class runs on, views built only where they are needed,
//! hits merged and mapped back to the original text.

use std::time::Instant;

use base64::Engine as _;

use super::MARKER;
use super::rules::{Anchor, Keywords, RuleSet};
use super::views::{
    View, base64_runs, clean_view, json_view, maybe_invisible, percent_view, wrapped_base64,
};

/// A span found: (start, end, rule index, view name), in the scanned text.
pub(super) type Span = (usize, usize, usize, &'static str);

/// Spans (start, end, rule index, view name) found in `text`, not yet merged.
///
/// The text is cut into blocks of about [`BLOCK`] bytes at line ends (never
/// inside a PEM block), scanned in parallel. In each block one keyword pass
/// (see [`Anchor`]) names the lines each rule runs on; views are built only
/// for the lines that need them (a JSON escape, `%XX`, an ANSI code or an
/// invisible character), so clean logs cost a few SIMD passes.
pub(super) fn find(
    rs: &RuleSet,
    text: &str,
    deadline: Option<Instant>,
) -> Result<Vec<Span>, String> {
    Ok(find_unless(rs, text, deadline, |_| false)?.unwrap_or_default())
}

/// As [`find`], `None` as soon as `stop` says yes to one of the blocks
/// (each block is asked before it is scanned, while it is in the cache:
/// a check the caller would otherwise make over the whole text first).
pub(super) fn find_unless(
    rs: &RuleSet,
    text: &str,
    deadline: Option<Instant>,
    stop: impl Fn(&[u8]) -> bool + Sync,
) -> Result<Option<Vec<Span>>, String> {
    use rayon::prelude::*;
    let blocks = blocks(text);
    let parts: Vec<Result<Option<Vec<Span>>, String>> = blocks
        .par_iter()
        .map(|&(a, b)| {
            if stop(&text.as_bytes()[a..b]) {
                return Ok(None);
            }
            find_block(rs, text, a, b, deadline).map(Some)
        })
        .collect();
    let mut out = Vec::new();
    for p in parts {
        match p? {
            Some(p) => out.extend(p),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// Block size for scanning, bytes.
pub(super) const BLOCK: usize = 64 << 10;

/// `(start, end)` of blocks of about [`BLOCK`] bytes ending at a line end,
/// extended so that no `-----BEGIN … PRIVATE KEY-----` block is cut.
pub(super) fn blocks(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + BLOCK).min(text.len());
        if end < text.len() {
            end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
            // Indented lines continue what is above them (a YAML block
            // scalar, a wrapped key, a stack trace): never cut before one.
            while end < text.len() && text[end..].starts_with([' ', '\t']) {
                end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
            }
            // An unclosed private key in this block: run to its END line.
            let block = &text[at..end];
            if memchr::memmem::find(block.as_bytes(), b"-----BEGIN ").is_some()
                && let Some(b) = memchr::memmem::rfind(block.as_bytes(), b"-----BEGIN ")
                && memchr::memmem::find(&block.as_bytes()[b..], b"-----END ").is_none()
                && let Some(e) = memchr::memmem::find(&text.as_bytes()[end..], b"-----END ")
            {
                let after = end + e;
                end = text[after..]
                    .find('\n')
                    .map_or(text.len(), |i| after + i + 1);
            }
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push((at, end));
        at = end;
    }
    out
}

/// Hits `(start, end, rule index)` of every rule in `view` that start
/// before `limit` (they may run on past it), each rule run only where its
/// [`Anchor`] says a match can be. `runs` are the [`base64_runs`] of
/// `view[..limit]`.
pub(super) fn scan_view(
    rs: &RuleSet,
    view: &str,
    limit: usize,
    runs: &[(usize, usize)],
    out: &mut Vec<(usize, usize, usize)>,
) {
    let b = view.as_bytes();
    let region = &b[..limit];
    let n = rs.rules.len();
    // The Unicode case variants of ASCII letters (KELVIN SIGN for k, LONG S
    // for s) match `(?i)` keywords but not their ASCII-lowercased form. An
    // ASCII region (most logs) has neither: one pass instead of two.
    let folded = !region.is_ascii()
        && (memchr::memmem::find(region, "\u{212A}".as_bytes()).is_some()
            || memchr::memmem::find(region, "\u{17F}".as_bytes()).is_some());
    let mut whole = vec![false; n];
    let mut lines: Vec<(usize, usize)> = Vec::new();
    for (i, r) in rs.rules.iter().enumerate() {
        match r.anchor {
            Anchor::Everywhere => whole[i] = true,
            Anchor::Line(_) | Anchor::Block(_) if folded => whole[i] = true,
            _ => {}
        }
    }
    let kw = rs.keywords.get_or_init(|| Keywords::new(&rs.rules));
    if let Some(ac) = &kw.ac
        && !folded
    {
        let mut lower = region.to_vec();
        lower.make_ascii_lowercase();
        let mut starts = LineStarts::default();
        let mut at = 0;
        while at < lower.len() {
            let Some(m) = ac.find(aho_corasick::Input::new(&lower).span(at..lower.len())) else {
                break;
            };
            for &ri in &kw.owners[m.pattern().as_usize()] {
                match rs.rules[ri].anchor {
                    Anchor::Block(_) => whole[ri] = true,
                    _ => lines.push((ri, starts.of(b, m.start()))),
                }
            }
            at = m.start() + 1;
        }
    }
    if !folded {
        for (byte, owners) in &kw.bytes {
            let mut starts = LineStarts::default();
            for at in memchr::memchr_iter(*byte, region) {
                for &ri in owners {
                    match rs.rules[ri].anchor {
                        Anchor::Block(_) => whole[ri] = true,
                        _ => lines.push((ri, starts.of(b, at))),
                    }
                }
            }
        }
    }
    let run_rules: Vec<(usize, usize)> = rs
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.anchor {
            Anchor::Run(len) => Some((i, len)),
            _ => None,
        })
        .collect();
    if !run_rules.is_empty() {
        let mut starts = LineStarts::default();
        for &(s, e) in runs {
            let len = view[s..e].trim_end_matches('=').len();
            for &(ri, min) in &run_rules {
                if len >= min {
                    lines.push((ri, starts.of(b, s)));
                }
            }
        }
    }
    lines.sort_unstable();
    lines.dedup();
    let first = out.len();
    // Where each hit's whole match starts (its label, for a `secret` group).
    let mut starts: Vec<usize> = Vec::new();
    let mut caps_of: Vec<Option<regex_automata::util::captures::Captures>> = vec![None; n];
    for (ri, ls) in lines {
        let r = &rs.rules[ri];
        if whole[ri] {
            continue;
        }
        let Some(re) = &r.line_re else { continue };
        let caps = caps_of[ri].get_or_insert_with(|| re.create_captures());
        let line_end = memchr::memchr(b'\n', &b[ls..]).map_or(b.len(), |i| ls + i);
        let mut from = ls.saturating_sub(1);
        while from <= line_end {
            let input = regex_automata::Input::new(view)
                .span(from..view.len())
                .anchored(regex_automata::Anchored::Yes);
            re.search_captures(&input, caps);
            let Some(whole_match) = caps.get_match() else {
                break;
            };
            if let Some(m) = caps.get_group(r.group + 1).or_else(|| caps.get_group(1))
                && m.start < m.end
                && !(r.group > 0 && variable_reference(&view[m.start..m.end]))
            {
                out.push((m.start, m.end, ri));
                starts.push(caps.get_group(1).map_or(m.start, |w| w.start));
            }
            from = whole_match.end().max(from + 1);
        }
    }
    // Whole-block rules see a few lines past the limit, for a match that
    // starts before it and runs on.
    let mut ext = limit;
    for _ in 0..3 {
        if ext < b.len() {
            ext = memchr::memchr(b'\n', &b[ext..]).map_or(b.len(), |i| ext + i + 1);
        }
    }
    let ext = (ext.min(limit + 4096)..=b.len())
        .find(|&i| view.is_char_boundary(i))
        .unwrap_or(b.len());
    for (ri, r) in rs.rules.iter().enumerate() {
        if !whole[ri] {
            continue;
        }
        for caps in r.re.captures_iter(&view[..ext]) {
            let m = caps.get(r.group).or_else(|| caps.get(0));
            if let Some(m) = m
                && !m.as_str().is_empty()
                && !(r.group > 0 && variable_reference(m.as_str()))
                && caps.get(0).is_some_and(|w| w.start() < limit)
            {
                out.push((m.start(), m.end(), ri));
                starts.push(caps.get(0).map_or(m.start(), |w| w.start()));
            }
        }
    }
    outside_markers(view, &mut out[first..], Some(&starts));
    out.retain(|s| s.0 < s.1);
}

/// Whether a labelled value is only the name of where the secret is kept —
/// `$env:NAME`, `$NAME`, `${NAME}`, `%NAME%` — and not the secret: a
/// runbook's `'X-Admin-Token' = $env:TRADEBOT_ADMIN_TOKEN` stays readable
/// (a note quoting it is not redacted either).
pub(super) fn variable_reference(value: &str) -> bool {
    let name = |n: &str| {
        n.bytes().next().is_some_and(|c| !c.is_ascii_digit())
            && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
    };
    // A bare `$NAME` only in capitals (`$DB_PASS`): `$ecretPass` may be a
    // password.
    let capitals = |n: &str| {
        name(n)
            && n.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
    };
    if value.len() > 5 && value.as_bytes()[..5].eq_ignore_ascii_case(b"$env:") {
        return name(&value[5..]);
    }
    if let Some(n) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        return name(n);
    }
    if let Some(n) = value.strip_prefix('$') {
        return capitals(n);
    }
    value.len() > 2
        && value.starts_with('%')
        && value.ends_with('%')
        && name(&value[1..value.len() - 1])
}

/// Trims hits to what lies outside earlier redactions (`[REDACTED:…]`): a
/// hit inside one is emptied (the caller drops it). Redacting a token in
/// `https://TOKEN@host` leaves `https://[REDACTED:github_token]@host`, in
/// which `url_credentials` would read `[REDACTED` as a user and
/// `github_token]` as a password; the rescan before sealing must not refuse
/// the bundle for it. A hit that reaches out of a marker keeps the part
/// outside, so no real byte is let through.
///
/// With `starts` (where each hit's whole match starts), a hit whose match
/// starts inside a marker is emptied too: its label is the marker's own text
/// (`key` in `[REDACTED:exchange_api_key]`), which says nothing about what
/// follows.
pub(super) fn outside_markers(
    view: &str,
    hits: &mut [(usize, usize, usize)],
    starts: Option<&[usize]>,
) {
    let b = view.as_bytes();
    let Some(reach) = hits.iter().map(|h| h.1).max() else {
        return;
    };
    let markers: Vec<(usize, usize)> = memchr::memmem::find_iter(&b[..reach], MARKER.as_bytes())
        .map(|s| {
            let limit = (s + 256).min(b.len());
            let e = memchr::memchr2(b']', b'\n', &b[s + MARKER.len()..limit])
                .filter(|&i| b[s + MARKER.len() + i] == b']')
                .map_or(s + MARKER.len(), |i| s + MARKER.len() + i + 1);
            (s, e)
        })
        .collect();
    if markers.is_empty() {
        return;
    }
    for (i, h) in hits.iter_mut().enumerate() {
        if let Some(at) = starts.and_then(|s| s.get(i))
            && markers.iter().any(|&(ms, me)| *at >= ms && *at < me)
        {
            h.1 = h.0;
            continue;
        }
        // Nothing but white space outside the markers (an indented YAML
        // block scalar already redacted): nothing left to redact.
        let mut at = h.0;
        let mut real = false;
        for &(ms, me) in markers.iter().filter(|m| m.1 > h.0 && m.0 < h.1) {
            real |= b[at..ms.max(at)].iter().any(|c| !c.is_ascii_whitespace());
            at = at.max(me);
        }
        real |= b[at.min(h.1)..h.1].iter().any(|c| !c.is_ascii_whitespace());
        if !real {
            h.1 = h.0;
            continue;
        }
        for &(ms, me) in &markers {
            if h.0 >= ms && h.0 < me {
                h.0 = me.min(h.1);
            }
            if h.1 > ms && h.1 <= me && h.0 < ms {
                h.1 = ms;
            } else if h.1 > ms && h.1 <= me {
                h.1 = h.0;
            }
        }
    }
}

/// Line starts of increasing positions, scanning back only over what lies
/// between two asked positions (linear even on one long line).
#[derive(Default)]
pub(super) struct LineStarts {
    pub(super) scanned: usize,
    pub(super) start: usize,
}

impl LineStarts {
    pub(super) fn of(&mut self, b: &[u8], pos: usize) -> usize {
        if pos < self.scanned {
            // Asked out of order: scan back from here.
            return memchr::memrchr(b'\n', &b[..pos]).map_or(0, |i| i + 1);
        }
        if let Some(i) = memchr::memrchr(b'\n', &b[self.scanned..pos]) {
            self.start = self.scanned + i + 1;
        }
        self.scanned = pos;
        self.start
    }
}

/// The lines of `text` (with their offsets) that contain any of `needles`,
/// in order, each once. Needles with at most three first bytes between them
/// (the JSON escapes `\"`, `\n`, `\u`, `\/` have one) cost one SIMD
/// `memchr` pass for those bytes, each found byte checked against the
/// needles; others one `memmem` pass per needle.
pub(super) fn lines_with<'t>(text: &'t str, needles: &[&str]) -> Vec<(usize, &'t str)> {
    let b = text.as_bytes();
    let mut firsts: Vec<u8> = needles.iter().filter_map(|n| n.bytes().next()).collect();
    firsts.sort_unstable();
    firsts.dedup();
    let at = |pos: &usize| needles.iter().any(|n| b[*pos..].starts_with(n.as_bytes()));
    let mut hits: Vec<usize> = match firsts[..] {
        [] => Vec::new(),
        [x] => memchr::memchr_iter(x, b).filter(at).collect(),
        [x, y] => memchr::memchr2_iter(x, y, b).filter(at).collect(),
        [x, y, z] => memchr::memchr3_iter(x, y, z, b).filter(at).collect(),
        _ => needles
            .iter()
            .flat_map(|n| memchr::memmem::find_iter(b, n.as_bytes()))
            .collect(),
    };
    if hits.is_empty() {
        return Vec::new();
    }
    hits.sort_unstable();
    // Line starts, found scanning back only over what lies between two hits
    // (linear even for one long line with many hits).
    let (mut line_start, mut scanned) = (0usize, 0usize);
    let mut starts: Vec<usize> = Vec::with_capacity(hits.len());
    for pos in hits {
        if let Some(i) = memchr::memrchr(b'\n', &b[scanned..pos]) {
            line_start = scanned + i + 1;
        }
        scanned = pos;
        if starts.last() != Some(&line_start) {
            starts.push(line_start);
        }
    }
    starts
        .into_iter()
        .map(|s| {
            let e = memchr::memchr(b'\n', &b[s..]).map_or(b.len(), |i| s + i + 1);
            (s, &text[s..e])
        })
        .collect()
}

/// The lines of `text` (with their offsets) holding a JSON escape that
/// [`json_view`] resolves inside a string (`\"`, `\n`, `\u`, `\/`), in
/// order, each once: one SIMD pass for the four two-byte needles, so the
/// backslashes of Windows paths (`D:\\trading\\logs`) cost nothing each.
pub(super) fn lines_with_json_escape(text: &str) -> Vec<(usize, &str)> {
    static ESCAPES: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(["\\\"", "\\n", "\\u", "\\/"]).ok()
        });
    let Some(ac) = ESCAPES.as_ref() else {
        return lines_with(text, &["\\\"", "\\n", "\\u", "\\/"]);
    };
    let b = text.as_bytes();
    let mut out: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let Some(m) = ac.find(aho_corasick::Input::new(b).span(at..b.len())) else {
            break;
        };
        let s = memchr::memrchr(b'\n', &b[..m.start()]).map_or(0, |i| i + 1);
        let e = memchr::memchr(b'\n', &b[m.start()..]).map_or(b.len(), |i| m.start() + i + 1);
        out.push((s, &text[s..e]));
        at = e;
    }
    out
}

/// Spans found in the block `full[offset..end]`: matches start in the
/// block but may run on past its end (`password:` as a block's last line,
/// its value on the next block's first).
pub(super) fn find_block(
    rs: &RuleSet,
    full: &str,
    offset: usize,
    end: usize,
    deadline: Option<Instant>,
) -> Result<Vec<(usize, usize, usize, &'static str)>, String> {
    let mut out = Vec::new();
    let over = || deadline.is_some_and(|d| Instant::now() > d);
    let tail = &full[offset..];
    let text = &full[offset..end];
    let runs: Vec<(usize, usize)> = base64_runs(text).collect();
    let mut raw = Vec::new();
    scan_view(rs, tail, text.len(), &runs, &mut raw);
    // A YAML block scalar's extent is its indentation's, not the regex's
    // (which also takes the sibling keys below); earlier redactions are
    // left out again once it is known.
    let mut yaml = false;
    for h in &mut raw {
        if rs.rules[h.2].id == "yaml_block_secret" {
            (h.0, h.1) = yaml_block(tail, h.0);
            yaml = true;
        }
    }
    if yaml {
        outside_markers(tail, &mut raw, None);
    }
    for (s, e, r) in raw {
        if e > s {
            out.push((offset + s, offset + e, r, "text"));
        }
    }
    if over() {
        return Err("the scan exceeded its time budget".into());
    }
    // Views, line by line where they are needed. In each, the rules and
    // the bundle's known values (a value found in one file, percent- or
    // JSON-escaped in another).
    for (at, v) in views(text) {
        let mut hits = Vec::new();
        let runs: Vec<(usize, usize)> = base64_runs(&v.text).collect();
        scan_view(rs, &v.text, v.text.len(), &runs, &mut hits);
        hits.extend(known_hits(rs, &v.text));
        for (s, e, r) in hits {
            let (a, b) = v.original(s, e);
            out.push((offset + at + a, offset + at + b, r, v.name));
        }
        if over() {
            return Err("the scan exceeded its time budget".into());
        }
    }
    // Base64 runs, and base64 wrapped over lines (MIME's 76 columns,
    // `base64 -w`, a YAML block scalar): a secret or a known value inside
    // redacts the whole run.
    for (ms, me, inner) in decoded_runs(text, &runs) {
        let mut hits = Vec::new();
        let inner_runs: Vec<(usize, usize)> = base64_runs(&inner).collect();
        scan_view(rs, &inner, inner.len(), &inner_runs, &mut hits);
        hits.extend(known_hits(rs, &inner));
        if let Some((_, _, r)) = hits.first() {
            out.push((offset + ms, offset + me, *r, "base64"));
        }
        if over() {
            return Err("the scan exceeded its time budget".into());
        }
    }
    Ok(out)
}

/// The views of `text` the scan reads besides the text itself, each with
/// the offset of what it stands for: without ANSI codes and invisible
/// characters (when there are any), and line by line JSON-unescaped and
/// percent-decoded where a line holds such an escape.
fn views(text: &str) -> Vec<(usize, View)> {
    let has_invisible = memchr::memchr(0x1b, text.as_bytes()).is_some()
        || (!text.is_ascii() && maybe_invisible(text.as_bytes()));
    let mut views: Vec<(usize, View)> = Vec::new();
    if has_invisible && let Some(v) = clean_view(text) {
        views.push((0, v));
    }
    for (at, line) in lines_with_json_escape(text) {
        if let Some(v) = json_view(line) {
            views.push((at, v));
        }
    }
    for (at, line) in lines_with(text, &["%"]) {
        if let Some(v) = percent_view(line) {
            views.push((at, v));
        }
    }
    views
}

/// The base64 `runs` of `text` that decode to UTF-8 text (of at least 12
/// bytes; not runs of hex digits, not over 4 MiB), then the runs wrapped
/// over lines decoded together: `(start, end, decoded text)`.
fn decoded_runs(text: &str, runs: &[(usize, usize)]) -> Vec<(usize, usize, String)> {
    let decode = |run: &str| {
        let run = run.trim_end_matches('=');
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(run)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(run))
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    let mut out = Vec::new();
    for &(ms, me) in runs {
        let m = &text[ms..me];
        if m.len() > 4 << 20 || m.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        if let Some(inner) = decode(m).filter(|i| i.len() >= 12) {
            out.push((ms, me, inner));
        }
    }
    for (ms, me, joined) in wrapped_base64(text, runs) {
        if let Some(inner) = decode(&joined) {
            out.push((ms, me, inner));
        }
    }
    out
}

/// The bundle's known values ([`RuleSet::with_values`]) in `text`:
/// `(start, end, rule index)`.
fn known_hits(rs: &RuleSet, text: &str) -> Vec<(usize, usize, usize)> {
    let known = rs.known();
    known.ac.as_ref().map_or_else(Vec::new, |w| {
        w.find_all(text.as_bytes())
            .into_iter()
            .map(|(s, e, i)| (s, e, known.classes[i]))
            .collect()
    })
}

/// Whether one of the bundle's known values is in a view of `text` (as
/// [`find_block`] builds them: escapes resolved, base64 decoded), where a
/// search of the text itself does not see it.
pub(super) fn known_in_views(rs: &RuleSet, text: &str) -> bool {
    let Some(words) = rs.known().ac.as_ref() else {
        return false;
    };
    if views(text)
        .iter()
        .any(|(_, v)| words.is_match(v.text.as_bytes()))
    {
        return true;
    }
    let runs: Vec<(usize, usize)> = base64_runs(text).collect();
    decoded_runs(text, &runs)
        .iter()
        .any(|(_, _, inner)| words.is_match(inner.as_bytes()))
}

/// The span of a YAML block scalar starting on the line at `start`: its
/// lines are those indented deeper than the key's line; the span runs from
/// the first non-blank character to the end of the last such line (the line
/// break is kept, so the YAML stays valid around the replacement).
pub(super) fn yaml_block(text: &str, start: usize) -> (usize, usize) {
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    // The key's line: the nearest line above that is not blank.
    let mut line_start = start;
    let key_indent = loop {
        let prev = text[..line_start.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = &text[prev..line_start.max(prev)];
        if prev == 0 || !line.trim().is_empty() {
            break indent(line);
        }
        line_start = prev;
    };
    let mut pos = start;
    let mut first = None;
    let mut end = start;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..line_end].trim_end_matches('\r');
        if line.trim().is_empty() {
            pos = line_end + 1;
            continue;
        }
        if indent(line) <= key_indent {
            break;
        }
        first.get_or_insert(pos + indent(line));
        end = pos + line.len();
        pos = line_end + 1;
    }
    (first.unwrap_or(start), end)
}

/// Extends a hit that ends a line over continuation lines that carry only
/// more of the same token (a key wrapped at 64 or 76 columns).
pub(super) fn extend_wrapped(text: &str, mut end: usize) -> usize {
    let b = text.as_bytes();
    loop {
        let mut i = end;
        if b.get(i) == Some(&b'\\') {
            i += 1;
        }
        if b.get(i) == Some(&b'\r') {
            i += 1;
        }
        if b.get(i) != Some(&b'\n') {
            return end;
        }
        i += 1;
        let line_end = text[i..].find('\n').map_or(text.len(), |k| i + k);
        let line = text[i..line_end].trim_end_matches('\r');
        // A wrapped continuation is indented, and is not `key=value`.
        if !line.starts_with([' ', '\t']) {
            return end;
        }
        let token = line.trim();
        if token.trim_end_matches('=').contains('=') {
            return end;
        }
        let is_token = token.len() >= 8
            && token.len() <= 512
            && token
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=_-".contains(&c));
        if !is_token {
            return end;
        }
        end = i + line.trim_end().len();
    }
}
