//! `opsbook find TEXT…` (D-RB-INDEX, seed §2.1.1 入口（症状別）/索引): the
//! operator types what the screen says — an alert name, an error code
//! (`-1021`, `10002`, `429`, `418`), a symptom or a title, in English or
//! Japanese — and gets the runbooks to open, best first, each with the
//! severity of the symptom and its first step.
//!
//! Searched: each runbook's ID, titles (en/ja), category, `triggers.symptoms`
//! and `triggers.alerts`; the coverage matrix (symptom, alerts, severity, the
//! runbooks in order — the first is the one to open); the alert rules of
//! `[gate] alerts` (name, summary, description, through their `runbook_url`);
//! and `related` links (a runbook related to a hit is offered after the hits).
//!
//! Ranking (documented so an operator can trust it): the query is split into
//! terms — words and numbers (ASCII, case-folded, `-1021` is `1021`), and
//! character pairs for Japanese (pairs of hiragana alone are skipped: they
//! are particles and endings). Each term scores once per runbook, at the
//! best place it matched: the runbook ID 100, an alert name 50, a number
//! (an error or HTTP code) 20 anywhere, otherwise a title 6, a symptom 4, an
//! alert's summary or description 3, the category 2. Through the coverage
//! matrix the first runbook of an entry gets the full score and the others
//! half. A runbook's score is the sum over terms; ties go to the more severe
//! symptom, then the runbook ID. A runbook scoring below a quarter of the
//! best (floor 2, never above the best) is a weak match: counted, not
//! offered, and its related runbooks are not offered either. Related
//! runbooks score a quarter of the hit that links them (at least 1).
//! Deprecated runbooks are never offered.

use std::collections::{BTreeMap, BTreeSet};

use opsbook_core::markdown::CodeBlock;
use opsbook_core::model::{CoverageEntry, coverage_entries};
use opsbook_core::ssot::{FileKind, Ssot};
use serde::Serialize;

use crate::{Context, OpsError};

/// Hits returned when the request does not say (`--limit`).
pub const DEFAULT_LIMIT: usize = 5;

/// English words that say nothing about a symptom.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "of", "on", "in", "for", "to", "is", "are", "was", "were", "be", "been",
    "or", "and", "with", "from", "this", "that", "these", "at", "by", "it", "its", "as", "we",
    "our", "my", "i", "all", "every", "any", "has", "have", "had", "not", "no", "do", "does",
    "error", "errors", "code", "http",
];

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct FindRequest {
    /// The words typed (joined with spaces).
    pub text: Vec<String>,
    /// At most this many runbooks (0: [`DEFAULT_LIMIT`]).
    pub limit: usize,
}

/// Where a term matched.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reason {
    /// `id`, `alert`, `title`, `symptom`, `coverage`, `alert-text`,
    /// `category` or `related`.
    pub source: &'static str,
    /// What matched: the alert name, the symptom text, the coverage entry
    /// ID and its symptom, the related runbook.
    pub text: String,
    /// The query terms that matched here.
    pub terms: Vec<String>,
}

/// The first step of a runbook: what to do first.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FirstStep {
    /// The step number (`step=` of the fence).
    pub step: String,
    /// Its declared tier (`tier=`), empty when not declared.
    pub tier: String,
    /// The paragraph above the fence: what the step is for.
    pub purpose: String,
    /// The step's code.
    pub code: String,
}

/// One runbook found.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// Runbook ID.
    pub runbook: String,
    /// English title.
    pub title_en: Option<String>,
    /// Japanese title.
    pub title_ja: Option<String>,
    /// The runbook file, relative to the SSOT root (`/`-separated).
    pub file: String,
    /// Severity of the symptom (P0/P1/P2) from the coverage matrix: the
    /// most severe matched entry that lists this runbook, else the most
    /// severe entry that lists it at all; `None` when no entry lists it.
    pub severity: Option<String>,
    /// The coverage entry the severity comes from.
    pub severity_from: Option<String>,
    /// The score (see the module documentation).
    pub score: u32,
    /// Why it was found, best reason first.
    pub reasons: Vec<Reason>,
    /// The first step, when the runbook has a numbered step.
    pub first_step: Option<FirstStep>,
}

/// What [`find`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// The query as typed.
    pub query: String,
    /// The terms searched for.
    pub terms: Vec<String>,
    /// Terms that matched nothing.
    pub unmatched: Vec<String>,
    /// The runbooks, best first (at most the limit).
    pub hits: Vec<Hit>,
    /// How many runbooks matched in all (hits beyond the limit included,
    /// weak matches not).
    pub total: usize,
    /// Runbooks left out as weak matches: their score was below a quarter
    /// of the best hit's (and below 2), see the module documentation.
    pub weak: usize,
}

/// One query term.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    /// As shown and compared (lower case; a Japanese pair as is).
    text: String,
    /// Compared as a substring (Japanese pairs), else as a whole token.
    substring: bool,
    /// Contains a digit: an error or HTTP code.
    numeric: bool,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // hiragana, katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0xFF66..=0xFF9F) // half-width katakana
}

fn is_hiragana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x309F)
}

/// Splits a query into terms (see the module documentation).
fn terms(query: &str) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    let mut push = |t: Term| {
        if !out.iter().any(|o| o.text == t.text) {
            out.push(t);
        }
    };
    let lower = query.to_lowercase();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_word = |word: &mut String, push: &mut dyn FnMut(Term)| {
        if !word.is_empty() && !STOP_WORDS.contains(&word.as_str()) {
            push(Term {
                numeric: word.chars().any(|c| c.is_ascii_digit()),
                text: std::mem::take(word),
                substring: false,
            });
        }
        word.clear();
    };
    let flush_cjk = |cjk: &mut Vec<char>, push: &mut dyn FnMut(Term)| {
        if cjk.len() == 1 && !is_hiragana(cjk[0]) {
            push(Term {
                text: cjk[0].to_string(),
                substring: true,
                numeric: false,
            });
        }
        for w in cjk.windows(2) {
            if w.iter().all(|c| is_hiragana(*c)) {
                continue;
            }
            push(Term {
                text: w.iter().collect(),
                substring: true,
                numeric: false,
            });
        }
        cjk.clear();
    };
    for c in lower.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut push);
            cjk.push(c);
        } else if c.is_alphanumeric() || c == '_' {
            flush_cjk(&mut cjk, &mut push);
            word.push(c);
        } else {
            flush_word(&mut word, &mut push);
            flush_cjk(&mut cjk, &mut push);
        }
    }
    flush_word(&mut word, &mut push);
    flush_cjk(&mut cjk, &mut push);
    out
}

/// The whole-word tokens of a text (lower case); `a_b` also gives `a`, `b`.
fn tokens(text: &str) -> BTreeSet<String> {
    let lower = text.to_lowercase();
    let mut out = BTreeSet::new();
    for t in lower.split(|c: char| !(c.is_alphanumeric() || c == '_') || is_cjk(c)) {
        if t.is_empty() {
            continue;
        }
        if t.contains('_') {
            out.extend(t.split('_').filter(|p| !p.is_empty()).map(str::to_string));
        }
        out.insert(t.to_string());
    }
    out
}

/// The terms found in `text`.
fn matching<'t>(ts: &'t [Term], text: &str) -> Vec<&'t Term> {
    let toks = tokens(text);
    let lower = text.to_lowercase();
    ts.iter()
        .filter(|t| {
            if t.substring {
                lower.contains(&t.text)
            } else {
                toks.contains(&t.text)
            }
        })
        .collect()
}

/// The score of a term matched at a place of this weight (numbers weigh
/// as codes wherever they match, except where the place weighs more).
fn weight(t: &Term, place: u32) -> u32 {
    if t.numeric { place.max(20) } else { place }
}

/// Per runbook: term → best score, and the reasons.
#[derive(Default)]
struct Tally {
    best: BTreeMap<String, u32>,
    reasons: Vec<(u32, Reason)>,
    /// (severity, entry) of matched coverage entries that list it.
    matched_severity: Vec<(String, String)>,
}

impl Tally {
    fn add(&mut self, source: &'static str, text: &str, ts: &[&Term], place: u32, half: bool) {
        if ts.is_empty() {
            return;
        }
        let mut top = 0;
        for t in ts {
            let mut w = weight(t, place);
            if half {
                w = (w / 2).max(1);
            }
            top = top.max(w);
            let e = self.best.entry(t.text.clone()).or_default();
            *e = (*e).max(w);
        }
        self.reasons.push((
            top,
            Reason {
                source,
                text: text.to_string(),
                terms: ts.iter().map(|t| t.text.clone()).collect(),
            },
        ));
    }

    fn score(&self) -> u32 {
        self.best.values().sum()
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "P0" => 0,
        "P1" => 1,
        "P2" => 2,
        _ => 9,
    }
}

/// Finds the runbooks for what the operator sees (D-RB-INDEX).
///
/// # Errors
/// An empty query; the SSOT cannot be loaded.
pub fn find(ctx: &Context, req: &FindRequest) -> Result<Found, OpsError> {
    let query = req.text.join(" ").trim().to_string();
    let ssot = Ssot::load(ctx.layout.root())?;
    let is_id = |w: &str| {
        ssot.runbooks
            .iter()
            .filter(|r| r.meta.is_active())
            .any(|r| {
                r.meta
                    .id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(w))
            })
    };
    // A runbook ID typed whole (`RB-PLAT-TIME-DRIFT`) is one term, not its parts.
    let typed_ids: Vec<Term> = query
        .split_whitespace()
        .filter(|w| is_id(w))
        .map(|w| Term {
            text: w.to_lowercase(),
            substring: false,
            numeric: false,
        })
        .collect();
    let rest: Vec<&str> = query.split_whitespace().filter(|w| !is_id(w)).collect();
    let ts = terms(&rest.join(" "));
    if ts.is_empty() && typed_ids.is_empty() {
        return Err(OpsError::invalid(if query.is_empty() {
            "nothing to find: type what the screen says, e.g. `opsbook find -1021` or `opsbook find ClockDriftHigh`".to_string()
        } else {
            format!(
                "`{query}` has no word to search for (only common words); type the error code, alert name or symptom"
            )
        }));
    }
    let active: BTreeMap<&str, &opsbook_core::ssot::Runbook> = ssot
        .runbooks
        .iter()
        .filter(|r| r.meta.is_active())
        .filter_map(|r| r.meta.id.as_deref().map(|id| (id, r)))
        .collect();
    let coverage: Vec<CoverageEntry> = ssot
        .file_of(&FileKind::CoverageMatrix)
        .and_then(|f| f.value())
        .map(coverage_entries)
        .unwrap_or_default();
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();

    // The runbooks' own front matter.
    for (id, rb) in &active {
        let t = tally.entry((*id).to_string()).or_default();
        let m = &rb.meta;
        let id_terms: Vec<&Term> = typed_ids
            .iter()
            .filter(|x| x.text == id.to_lowercase())
            .collect();
        t.add("id", id, &id_terms, 100, false);
        for a in &m.alerts {
            let hit: Vec<&Term> = ts.iter().filter(|x| x.text == a.to_lowercase()).collect();
            t.add("alert", a, &hit, 50, false);
        }
        for title in [&m.title_en, &m.title_ja].into_iter().flatten() {
            t.add("title", title, &matching(&ts, title), 6, false);
        }
        for s in &m.symptoms {
            t.add("symptom", s, &matching(&ts, s), 4, false);
        }
        if let Some(c) = &m.category {
            t.add("category", c, &matching(&ts, c), 2, false);
        }
    }

    // The coverage matrix: the first runbook of an entry is the one to open.
    for e in &coverage {
        let mut per_term: Vec<(&Term, u32)> = Vec::new();
        for a in &e.alerts {
            for x in ts.iter().filter(|x| x.text == a.to_lowercase()) {
                per_term.push((x, 50));
            }
        }
        if let Some(s) = &e.symptom {
            for x in matching(&ts, s) {
                per_term.push((x, 4));
            }
        }
        if per_term.is_empty() {
            continue;
        }
        let text = format!("{} {}", e.id, e.symptom.as_deref().unwrap_or_default());
        for (i, rb) in e.runbooks.iter().enumerate() {
            let Some(t) = active
                .get(rb.as_str())
                .map(|_| tally.entry(rb.clone()).or_default())
            else {
                continue;
            };
            // Alert-name matches and symptom matches of the entry, each at its weight.
            let alerts: Vec<&Term> = per_term
                .iter()
                .filter(|(_, w)| *w == 50)
                .map(|(x, _)| *x)
                .collect();
            let words: Vec<&Term> = per_term
                .iter()
                .filter(|(_, w)| *w != 50)
                .map(|(x, _)| *x)
                .collect();
            t.add("coverage", &text, &alerts, 50, i > 0);
            t.add("coverage", &text, &words, 4, i > 0);
            if let Some(sev) = &e.severity {
                t.matched_severity.push((sev.clone(), e.id.clone()));
            }
        }
    }

    // The alert rules: name, summary and description, through their link.
    let base = ssot.config.runbook_url_base.clone();
    let resolver = opsbook_core::alerts::Resolver::new(&ssot, base.as_deref());
    for f in ssot.files.iter().filter(|f| f.kind == FileKind::Alerts) {
        for rule in opsbook_core::alerts::extract(&f.rel, &f.docs) {
            let Some(rb) = resolver.check(rule.runbook_url.as_deref()).runbook else {
                continue;
            };
            if !active.contains_key(rb.as_str()) {
                continue;
            }
            let t = tally.entry(rb).or_default();
            let name: Vec<&Term> = ts
                .iter()
                .filter(|x| x.text == rule.alert.to_lowercase())
                .collect();
            t.add("alert", &rule.alert, &name, 50, false);
            for text in &rule.text {
                let shown = format!("{}: {text}", rule.alert);
                t.add("alert-text", &shown, &matching(&ts, text), 3, false);
            }
        }
    }

    // Scores; related runbooks of the hits come after them.
    let mut scored: Vec<(String, u32, Vec<Reason>)> = Vec::new();
    let mut matched_terms: BTreeSet<String> = BTreeSet::new();
    for (id, t) in &tally {
        let s = t.score();
        if s == 0 {
            continue;
        }
        matched_terms.extend(t.best.keys().cloned());
        let mut reasons = t.reasons.clone();
        reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
        let mut seen = BTreeSet::new();
        let reasons: Vec<Reason> = reasons
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| seen.insert((r.source, r.text.clone())))
            .collect();
        scored.push((id.clone(), s, reasons));
    }
    // Weak matches are left out: below a quarter of the best score (at
    // least 2, never above the best), a runbook matched on one common word
    // ("api", "gap") is noise beside the one that matched the symptom.
    let top = scored.iter().map(|(_, s, _)| *s).max().unwrap_or(0);
    let floor = (top / 4).max(2).min(top);
    let before = scored.len();
    scored.retain(|(_, s, _)| *s >= floor);
    let weak = before - scored.len();
    let direct: BTreeMap<String, u32> = scored.iter().map(|(i, s, _)| (i.clone(), *s)).collect();
    let mut related: BTreeMap<String, (u32, String)> = BTreeMap::new();
    for (id, s) in &direct {
        for r in &active[id.as_str()].meta.related {
            if direct.contains_key(r) || !active.contains_key(r.as_str()) {
                continue;
            }
            let score = (s / 4).max(1);
            let e = related.entry(r.clone()).or_insert((0, id.clone()));
            if score > e.0 {
                *e = (score, id.clone());
            }
        }
    }
    for (r, (s, from)) in related {
        scored.push((
            r,
            s,
            vec![Reason {
                source: "related",
                text: from,
                terms: Vec::new(),
            }],
        ));
    }

    let severity_of = |id: &str| -> (Option<String>, Option<String>) {
        let from_matched = tally.get(id).and_then(|t| {
            t.matched_severity
                .iter()
                .min_by_key(|(s, _)| severity_rank(s))
                .cloned()
        });
        let any = || {
            coverage
                .iter()
                .filter(|e| e.runbooks.iter().any(|r| r == id))
                .filter_map(|e| e.severity.clone().map(|s| (s, e.id.clone())))
                .min_by_key(|(s, _)| severity_rank(s))
        };
        match from_matched.or_else(any) {
            Some((s, e)) => (Some(s), Some(e)),
            None => (None, None),
        }
    };
    #[allow(clippy::type_complexity)]
    let mut ranked: Vec<(String, u32, Vec<Reason>, Option<String>, Option<String>)> = scored
        .into_iter()
        .map(|(id, s, r)| {
            let (sev, from) = severity_of(&id);
            (id, s, r, sev, from)
        })
        .collect();
    let related_only = |r: &[Reason]| r.iter().all(|x| x.source == "related");
    ranked.sort_by(|a, b| {
        related_only(&a.2)
            .cmp(&related_only(&b.2))
            .then_with(|| b.1.cmp(&a.1))
            .then_with(|| {
                severity_rank(a.3.as_deref().unwrap_or_default())
                    .cmp(&severity_rank(b.3.as_deref().unwrap_or_default()))
            })
            .then_with(|| a.0.cmp(&b.0))
    });
    let total = ranked.len();
    let limit = if req.limit == 0 {
        DEFAULT_LIMIT
    } else {
        req.limit
    };
    let mut hits = Vec::new();
    for (i, (id, score, reasons, severity, severity_from)) in
        ranked.into_iter().take(limit).enumerate()
    {
        let rb = active[id.as_str()];
        let file = ssot.runbook_file(rb);
        hits.push(Hit {
            rank: i + 1,
            title_en: rb.meta.title_en.clone(),
            title_ja: rb.meta.title_ja.clone(),
            file: file.rel.clone(),
            severity,
            severity_from,
            score,
            reasons,
            first_step: first_step(&ctx.layout.root().join(&file.rel), file.body.as_deref()),
            runbook: id,
        });
    }
    Ok(Found {
        unmatched: ts
            .iter()
            .filter(|t| !matched_terms.contains(&t.text))
            .map(|t| t.text.clone())
            .collect(),
        terms: typed_ids.into_iter().chain(ts).map(|t| t.text).collect(),
        query,
        hits,
        total,
        weak,
    })
}

/// The first numbered step of a runbook, with the paragraph above it.
fn first_step(
    path: &std::path::Path,
    body: Option<&opsbook_core::markdown::Body>,
) -> Option<FirstStep> {
    let body = body?;
    let cb = body
        .code_blocks
        .iter()
        .find(|cb| cb.is_script() && cb.attr("step").is_some())?;
    let text = std::fs::read(path)
        .ok()
        .and_then(|b| opsbook_core::text::decode(&b).ok())
        .map(|d| d.text)
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    Some(FirstStep {
        step: cb.attr("step").unwrap_or_default().to_string(),
        tier: cb.attr("tier").unwrap_or_default().to_string(),
        purpose: step_purpose(&lines, cb),
        code: cb.code.trim_end().to_string(),
    })
}

/// The paragraph just above a step's fence (what the step is for), joined
/// on one line; `lines` are the runbook file's lines (the fence's
/// [`CodeBlock::line`] is 1-based in that file).
#[must_use]
pub fn step_purpose(lines: &[&str], cb: &CodeBlock) -> String {
    let mut para: Vec<&str> = Vec::new();
    let mut i = cb.line.saturating_sub(2);
    while i > 0 && i < lines.len() && lines[i].trim().is_empty() {
        i -= 1;
    }
    while i < lines.len()
        && !lines[i].trim().is_empty()
        && !lines[i].starts_with('#')
        && !lines[i].starts_with("```")
    {
        para.push(lines[i].trim());
        if i == 0 {
            break;
        }
        i -= 1;
    }
    para.reverse();
    para.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(q: &str) -> Vec<String> {
        terms(q).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn terms_fold_case_drop_signs_and_common_words_and_pair_japanese() {
        assert_eq!(
            texts("-1021 on every signed request"),
            vec!["1021", "signed", "request"]
        );
        assert_eq!(texts("INVALID_TIMESTAMP"), vec!["invalid_timestamp"]);
        // 時計がズレている: the hiragana-only pairs ている are skipped.
        assert_eq!(
            texts("時計がズレている"),
            vec!["時計", "計が", "がズ", "ズレ", "レて"]
        );
        assert_eq!(texts("HTTP 429"), vec!["429"]);
    }

    #[test]
    fn tokens_are_whole_words_so_429_is_not_4290() {
        let ts = terms("429");
        assert!(matching(&ts, "HTTP 4290 from somewhere").is_empty());
        assert_eq!(matching(&ts, "429/418 in the last 15 minutes").len(), 1);
        let ts = terms("timestamp");
        assert_eq!(matching(&ts, "Binance -1021 INVALID_TIMESTAMP").len(), 1);
    }
}
