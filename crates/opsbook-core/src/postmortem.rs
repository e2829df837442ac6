//! Postmortems that are not a formality (D-LEARN; seed §3.3).
//!
//! `incidents/<ID>/postmortem.md` is Markdown with YAML front matter
//! (contract `postmortem`). Its action items are typed — `type` (runbook |
//! policy | test | monitoring | implementation), `target`, `owner`, `due`,
//! `status`, `done_ref` — and [`check_items`] rejects what would let an
//! incident end without an improvement: vague items ("be careful",
//! 「気をつける」…), targets that do not exist in the SSOT, done items
//! without a `done_ref`, and overdue open items (warning, then error).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::incident::Incident;
use crate::ssot::{FileKind, Ssot};

/// One action item, with the 1-based line of its `id` in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionItem {
    /// `AI-1`, …
    pub id: String,
    /// runbook | policy | test | monitoring | implementation.
    #[serde(rename = "type")]
    pub kind: String,
    /// What is changed.
    pub target: String,
    /// The concrete change.
    pub description: String,
    /// Person or role.
    pub owner: String,
    /// Due date, when valid.
    pub due: Option<jiff::civil::Date>,
    /// open | in_progress | done | wontfix.
    pub status: String,
    /// Commit, PR, file or runbook ID proving completion.
    pub done_ref: Option<String>,
    /// `creates: true`: the target does not exist yet, this item creates it
    /// (a new alert, drill or file); it must exist once the item is done.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub creates: bool,
    /// Line of the item in the file (1-based).
    pub line: usize,
}

impl ActionItem {
    /// Whether the item still needs work.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "open" | "in_progress")
    }
}

/// A parsed postmortem.
#[derive(Debug, Clone)]
pub struct Postmortem {
    /// `incident_id`.
    pub incident_id: Option<String>,
    /// `severity`.
    pub severity: Option<String>,
    /// `status` (draft | reviewed | final).
    pub status: Option<String>,
    /// Action items.
    pub items: Vec<ActionItem>,
    /// The front matter.
    pub front: Value,
}

/// Reads a postmortem's front matter (`value`) with the line of each action
/// item (`line_of(i)`, 1-based, for `/action_items/i`).
#[must_use]
pub fn from_value(front: &Value, line_of: &dyn Fn(usize) -> usize) -> Postmortem {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let items = front
        .get("action_items")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, v)| ActionItem {
                    id: s(v, "id").unwrap_or_else(|| format!("#{}", i + 1)),
                    kind: s(v, "type").unwrap_or_default(),
                    target: s(v, "target").unwrap_or_default(),
                    description: s(v, "description").unwrap_or_default(),
                    owner: s(v, "owner").unwrap_or_default(),
                    due: s(v, "due").and_then(|d| d.parse().ok()),
                    status: s(v, "status").unwrap_or_else(|| "open".into()),
                    done_ref: s(v, "done_ref").filter(|r| !r.trim().is_empty()),
                    creates: v.get("creates").and_then(Value::as_bool).unwrap_or(false),
                    line: line_of(i),
                })
                .collect()
        })
        .unwrap_or_default();
    Postmortem {
        incident_id: s(front, "incident_id"),
        severity: s(front, "severity"),
        status: s(front, "status"),
        items,
        front: front.clone(),
    }
}

/// Parses postmortem text (decoded): front matter → [`Postmortem`].
///
/// # Errors
/// A message with the line when the front matter is missing or invalid YAML.
pub fn parse(text: &str) -> Result<Postmortem, String> {
    let split = crate::syntax::markdown::split_front_matter(text)
        .map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let Some(fm) = split.front_matter else {
        return Err("line 1: no front matter (`---` … `---`) with the postmortem fields".into());
    };
    let doc = crate::syntax::yaml::parse(fm).map_err(|e| {
        format!(
            "line {}: {}",
            e.pos.line + split.front_matter_line - 1,
            e.message
        )
    })?;
    let off = split.front_matter_line - 1;
    Ok(from_value(&doc.value, &|i| {
        doc.pos_of(&format!("/action_items/{i}")).line + off
    }))
}

/// Phrases that make an action item vague: an intention, not an artifact.
/// Matched case-insensitively: English as whole words, Japanese as substrings.
pub const VAGUE_PHRASES: &[&str] = &[
    "be careful",
    "be more careful",
    "more carefully",
    "take care",
    "pay attention",
    "pay more attention",
    "be aware",
    "be more aware",
    "be vigilant",
    "be mindful",
    "stay alert",
    "remember to",
    "try to",
    "try harder",
    "do better",
    "raise awareness",
    "remind everyone",
    "remind the team",
    "keep in mind",
    "気をつける",
    "気を付ける",
    "気をつけ",
    "気を付け",
    "注意する",
    "注意を払",
    "注意喚起",
    "徹底する",
    "徹底させる",
    "徹底を図",
    "周知徹底",
    "意識する",
    "意識を高",
    "意識付け",
    "心がける",
    "心掛ける",
    "努める",
    "慎重に",
    "しっかり",
    "再発防止に努",
    "vigilant",
    "mindful",
    "more careful",
    "more attention",
    "徹底",
    "注意す",
    "注意し",
    "気をつ",
    "気を付",
    "意識し",
    "意識す",
    "周知",
    "心が",
    "心掛",
];

/// Inflected and intensified English forms of the phrases above, matched on
/// the lower-cased text with runs of whitespace squashed: "paying attention",
/// "pay close(r) attention", "be extra careful", "being more careful", "take
/// great care", "exercise caution", "be (more) cautious", "be made aware",
/// "stay/remain alert", "keep an eye on".
pub const VAGUE_PATTERNS: &[&str] = &[
    r"\b(?:pay|pays|paid|paying)(?: \w+){0,2} attention\b",
    r"\b(?:be|being|been|is|are|was|were|stay|stays|staying|remain|remains|remaining|get|getting)(?: (?:more|extra|very|really|especially|particularly|extremely|super|much|even|most|a bit|a little|all the more))* (?:careful|cautious|aware|alert|attentive|vigilant|mindful)\b",
    r"\b(?:more|extra|especially|particularly|extremely|very) (?:careful|cautious|attentive|carefully|cautiously)\b",
    r"\b(?:take|takes|taking|took|taken)(?: (?:more|extra|great|special|particular|good|greater|better))? care\b",
    r"\b(?:exercise|exercising|use|using) (?:more |extra |great )?caution\b",
    r"\bwith (?:more |extra |great )?caution\b",
    r"\b(?:raise|raising|increase|increasing|improve|improving) (?:the )?awareness\b",
    r"\bkeep(?:ing)? an eye on\b",
    r"\bwatch(?:ing)? out\b",
];

/// The first vague phrase in `text`, if any: a phrase of [`VAGUE_PHRASES`]
/// or a match of [`VAGUE_PATTERNS`], as found in the text.
#[must_use]
pub fn vague_phrase(text: &str) -> Option<String> {
    static PATTERNS: std::sync::LazyLock<Vec<regex::Regex>> = std::sync::LazyLock::new(|| {
        VAGUE_PATTERNS
            .iter()
            .filter_map(|p| regex::Regex::new(p).ok())
            .collect()
    });
    let lower = text.to_lowercase();
    let squashed: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    // English phrases match whole words ("entry to" is not "try to");
    // Japanese has no spaces between words: substrings.
    let at_word = |p: &str| {
        squashed.match_indices(p).any(|(i, _)| {
            !p.is_ascii()
                || (!squashed[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                    && !squashed[i + p.len()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric))
        })
    };
    if let Some(p) = VAGUE_PHRASES.iter().find(|p| at_word(p)) {
        return Some((*p).to_string());
    }
    PATTERNS
        .iter()
        .find_map(|re| re.find(&squashed).map(|m| m.as_str().to_string()))
}

/// What exists in the SSOT for action-item targets.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The SSOT root (for file targets).
    pub root: PathBuf,
    /// Registered, active runbook IDs.
    pub runbooks: HashSet<String>,
    /// Deprecated runbook IDs (not valid targets).
    pub deprecated: HashSet<String>,
    /// Drill IDs of `runbooks/drills.yaml`.
    pub drills: HashSet<String>,
    /// Alert names from the alert rule files and the coverage matrix.
    pub alerts: HashSet<String>,
    /// Policy names (`severity` for `policy/severity.yaml`).
    pub policies: HashSet<String>,
}

impl Known {
    /// Collects what exists from a loaded SSOT.
    #[must_use]
    pub fn from_ssot(ssot: &Ssot) -> Known {
        let mut k = Known {
            root: ssot.root.clone(),
            ..Known::default()
        };
        for rb in &ssot.runbooks {
            if let Some(id) = &rb.meta.id {
                if rb.meta.is_active() {
                    k.runbooks.insert(id.clone());
                } else {
                    k.deprecated.insert(id.clone());
                }
            }
        }
        for f in &ssot.files {
            match &f.kind {
                FileKind::Registry => {
                    if let Some(v) = f.value() {
                        for e in crate::model::registry_entries(v) {
                            if e.status.as_deref() == Some("deprecated") {
                                k.deprecated.insert(e.id);
                            } else {
                                k.runbooks.insert(e.id);
                            }
                        }
                    }
                }
                FileKind::Drills => {
                    if let Some(v) = f.value() {
                        for e in crate::model::drill_entries(v) {
                            k.drills.insert(e.id);
                        }
                    }
                }
                FileKind::CoverageMatrix => {
                    if let Some(v) = f.value() {
                        for e in crate::model::coverage_entries(v) {
                            k.alerts.extend(e.alerts);
                        }
                    }
                }
                FileKind::Alerts => {
                    for a in crate::model::alerts::extract(&f.rel, &f.docs) {
                        k.alerts.insert(a.alert);
                    }
                }
                FileKind::Policy(name) => {
                    k.policies.insert(name.clone());
                }
                _ => {}
            }
        }
        k
    }

    /// Whether `target` names a file inside the SSOT (no `..`, not absolute).
    fn file_exists(&self, target: &str) -> bool {
        let rel = target.trim().trim_start_matches("./").replace('\\', "/");
        !rel.is_empty()
            && !rel.starts_with('/')
            && !rel.split('/').any(|c| c == "..")
            && !Path::new(&rel).is_absolute()
            && !rel.contains(':')
            && self.root.join(&rel).exists()
    }
}

fn looks_like_path(t: &str) -> bool {
    t.contains('/') || t.contains('\\') || {
        let lower = t.to_ascii_lowercase();
        [
            ".md", ".yaml", ".yml", ".json", ".toml", ".ps1", ".rs", ".py",
        ]
        .iter()
        .any(|e| lower.ends_with(e))
    }
}

/// What is wrong with an action item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemProblemKind {
    /// An intention, not an artifact (OB805).
    Vague,
    /// The target does not exist in the SSOT (OB806).
    UnknownTarget,
    /// `done` without `done_ref` (OB807).
    DoneWithoutRef,
    /// Open past its due date (OB808): warning, then error.
    Overdue,
}

/// One problem with one action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemProblem {
    /// Item ID.
    pub item: String,
    /// Line in the postmortem (1-based).
    pub line: usize,
    /// Kind.
    pub kind: ItemProblemKind,
    /// For [`ItemProblemKind::Overdue`]: days past due.
    pub days_overdue: i64,
    /// Explanation.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl ItemProblem {
    /// The gate rule code: OB805 vague, OB806 unknown target, OB807 done
    /// without ref, OB808 overdue, OB809 overdue past `error_days`.
    #[must_use]
    pub fn code(&self, error_days: i64) -> &'static str {
        match self.kind {
            ItemProblemKind::Vague => "OB805",
            ItemProblemKind::UnknownTarget => "OB806",
            ItemProblemKind::DoneWithoutRef => "OB807",
            ItemProblemKind::Overdue if self.days_overdue > error_days => "OB809",
            ItemProblemKind::Overdue => "OB808",
        }
    }
}

/// Checks action items (D-LEARN): vague wording, unknown targets, done
/// without `done_ref`, overdue open items (`days_overdue` > 0).
///
/// Target rules by type: `runbook` → a registered runbook ID (or an existing
/// file); `policy` → a policy name or file that exists; `monitoring` → an
/// alert name from the alert rules or coverage matrix (or an existing file);
/// `test` → a drill ID when it looks like one (`DR-…`), an existing file when
/// it looks like a path, otherwise a test name (not checked);
/// `implementation` → an existing file when it looks like a path, otherwise a
/// component name (not checked). IDs that look like runbook (`RB-…`) or drill
/// (`DR-…`) IDs must exist whatever the type.
#[must_use]
pub fn check_items(
    items: &[ActionItem],
    known: &Known,
    as_of: jiff::civil::Date,
) -> Vec<ItemProblem> {
    let mut out = Vec::new();
    for it in items {
        let mut push = |kind, days, message: String, help: String| {
            out.push(ItemProblem {
                item: it.id.clone(),
                line: it.line,
                kind,
                days_overdue: days,
                message,
                help,
            });
        };
        if let Some(p) = vague_phrase(&it.description).or_else(|| vague_phrase(&it.target)) {
            push(
                ItemProblemKind::Vague,
                0,
                format!(
                    "action item {} is vague (\"{p}\"): an intention is not an improvement",
                    it.id
                ),
                "name the concrete change to a runbook, policy, test, alert or component, e.g. \"Add step 3 to RB-PLAT-TIME-DRIFT: check w32tm /query /status before restarting\"".into(),
            );
        }
        let t = it.target.trim();
        let is_rb = t.starts_with("RB-");
        let is_dr = t.starts_with("DR-");
        let path = looks_like_path(t);
        let file_ok = || known.file_exists(t);
        let unknown = if t.is_empty() {
            Some("it has no target".to_string())
        } else if is_rb && known.deprecated.contains(t) {
            Some(format!(
                "runbook `{t}` is deprecated: target its replacement"
            ))
        } else if is_rb && !known.runbooks.contains(t) {
            Some(format!("runbook `{t}` is not registered"))
        } else if is_dr && !known.drills.contains(t) {
            Some(format!("drill `{t}` is not in runbooks/drills.yaml"))
        } else if path && !file_ok() {
            Some(format!("file `{t}` does not exist inside the SSOT"))
        } else {
            match it.kind.as_str() {
                "runbook" if !(is_rb || path && t.replace('\\', "/").starts_with("runbooks/")) => {
                    Some(format!(
                        "`{t}` is not a runbook; a runbook item targets a registered runbook ID (RB-…) or a file under runbooks/"
                    ))
                }
                "policy" if is_rb || is_dr => Some(format!(
                    "`{t}` is not a policy; a policy item names policy/<name>.yaml or its name"
                )),
                "policy" if !path && !known.policies.contains(t.trim_start_matches("policy/")) => {
                    Some(format!("no policy `{t}` (policy/{t}.yaml)"))
                }
                "monitoring" if is_rb || is_dr => Some(format!(
                    "`{t}` is not an alert; a monitoring item names an alert of the rules or the coverage matrix (or an alert rule file)"
                )),
                "monitoring" if !path && !known.alerts.contains(t) => Some(format!(
                    "alert `{t}` is in no alert rule file and not in the coverage matrix"
                )),
                "implementation" if is_rb || is_dr => Some(format!(
                    "`{t}` is a runbook or drill; an implementation item names a component or a file"
                )),
                _ => None,
            }
        };
        // To be created by this item: checked once the item says it is done.
        let unknown = match unknown {
            Some(_) if it.creates && it.status != "done" && !t.is_empty() => None,
            Some(why) if it.creates => Some(format!(
                "{why} (it was to be created by this item, which is done: create it, or reopen the item)"
            )),
            other => other,
        };
        if let Some(why) = unknown {
            push(
                ItemProblemKind::UnknownTarget,
                0,
                format!("action item {}: {why}", it.id),
                "target something that exists: a registered runbook ID, policy/<name>.yaml, an alert name, a drill ID or a file path relative to the SSOT root; when the item itself creates it (a new alert, drill or file), say so with `creates: true`".into(),
            );
        }
        if it.status == "done" && it.done_ref.is_none() {
            push(
                ItemProblemKind::DoneWithoutRef,
                0,
                format!("action item {} is done without a done_ref", it.id),
                "set done_ref to the commit, pull request, file or runbook ID that proves it"
                    .into(),
            );
        }
        if it.is_open()
            && let Some(due) = it.due
            && due < as_of
        {
            let days = (as_of - due).get_days().into();
            push(
                ItemProblemKind::Overdue,
                days,
                format!(
                    "action item {} ({}) was due {due}, {days} day{} ago, and is still {}",
                    it.id,
                    it.owner,
                    if days == 1 { "" } else { "s" },
                    it.status
                ),
                "finish it (status: done with a done_ref), or move `due` with a note in the postmortem explaining why".into(),
            );
        }
    }
    out
}

fn fmt_ms(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) => crate::postmortem::human_duration(ms),
    }
}

/// `1h 05m`, `12m 30s`, `45s`.
#[must_use]
pub fn human_duration(ms: i64) -> String {
    let neg = ms < 0;
    let s = ms.abs() / 1000;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let body = if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    };
    if neg { format!("-{body}") } else { body }
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Drafts `postmortem.md` from an incident's events: front matter with what
/// the log knows (ID, title, severity, runbooks, evidence) and `TODO:`
/// placeholders for what only people know, then the timeline, the decision
/// log and the durations detected → acknowledged → mitigated → resolved.
/// The draft deliberately does not pass the gate until the placeholders and
/// a concrete action item are written.
#[must_use]
pub fn draft(inc: &Incident, today: jiff::civil::Date, author: &str) -> String {
    let mut s = String::new();
    s.push_str("---\n");
    s.push_str(&format!(
        "# Postmortem of {} — contract: contracts/postmortem.schema.json.\n",
        inc.id
    ));
    s.push_str(
        "# Drafted by `opsbook postmortem new` from the incident's events; replace every TODO.\n",
    );
    s.push_str(&format!("incident_id: {}\n", inc.id));
    s.push_str(&format!("title:\n  en: {}\n", yaml_str(&inc.title)));
    s.push_str(&format!("severity: {}\n", inc.severity));
    s.push_str("status: draft                      # draft -> reviewed -> final\n");
    s.push_str(&format!("authors: [{}]\n", yaml_str(author)));
    s.push_str(&format!("created: {today}\n"));
    s.push_str("summary: \"TODO: two or three sentences: what happened, impact, how it ended.\"\n");
    s.push_str("impact: \"TODO: who and what was affected, how much (money, time, data), from when to when (UTC).\"\n");
    s.push_str("root_cause: \"TODO: the mechanism, not a person.\"\n");
    s.push_str("contributing_factors: []\n");
    s.push_str("defect_analysis:\n");
    for k in ["detection", "response", "recovery", "learning"] {
        s.push_str(&format!("  {k}: \"TODO\"\n"));
    }
    let related: Vec<&str> = inc.links.iter().map(|l| l.incident_id.as_str()).collect();
    s.push_str(&format!(
        "related_incidents: [{}]\n",
        related
            .iter()
            .map(|r| yaml_str(r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut runbooks: Vec<String> = inc
        .events
        .iter()
        .filter(|e| e.kind == "runbook_step")
        .filter_map(|e| {
            e.data
                .get("runbook")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    runbooks.sort();
    runbooks.dedup();
    s.push_str(&format!(
        "runbooks_used: [{}]\n",
        runbooks
            .iter()
            .map(|r| yaml_str(r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.push_str(&format!(
        "evidence_refs: [{}]\n",
        inc.evidence
            .iter()
            .map(|e| yaml_str(&e.reference))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let due = today
        .checked_add(jiff::Span::new().days(14))
        .unwrap_or(today);
    s.push_str("action_items:\n");
    s.push_str("  - id: AI-1\n");
    s.push_str("    type: runbook                  # runbook | policy | test | monitoring | implementation\n");
    s.push_str(
        "    target: TODO                   # a runbook ID, policy, alert, drill ID or file\n",
    );
    s.push_str(
        "    description: \"TODO: the concrete change, specific enough to verify when done.\"\n",
    );
    s.push_str(&format!("    owner: {}\n", yaml_str(author)));
    s.push_str(&format!("    due: {due}\n"));
    s.push_str("    status: open                   # open | in_progress | done (needs done_ref) | wontfix\n");
    s.push_str("    done_ref: null\n");
    s.push_str("---\n\n");
    s.push_str(&format!("# Postmortem: {} / 事後検証\n\n", inc.title));
    s.push_str("Blameless: mechanisms and conditions, not people. Every finding ends in an\n");
    s.push_str("action item that lands in a runbook, policy, test, alert or component.\n\n");
    s.push_str("## Durations / 所要時間\n\n");
    let d = inc.durations();
    let start = inc.detected_at.as_deref().unwrap_or(&inc.opened_at);
    s.push_str("| Milestone | UTC | Since detection |\n|---|---|---|\n");
    s.push_str(&format!("| Detected | {start} | 0s |\n"));
    if let Some(t) = &inc.impact_started_at {
        s.push_str(&format!(
            "| Impact started | {t} | {} |\n",
            fmt_ms(crate::incident::millis_between(start, t))
        ));
    }
    s.push_str(&format!(
        "| Declared (opened) | {} | {} |\n",
        inc.opened_at,
        fmt_ms(crate::incident::millis_between(start, &inc.opened_at))
    ));
    for (name, t, ms) in [
        ("Acknowledged", &inc.acked_at, d.to_ack_ms),
        (
            "Mitigated (MONITORING)",
            &inc.mitigated_at,
            d.to_mitigate_ms,
        ),
        ("Resolved", &inc.resolved_at, d.to_resolve_ms),
    ] {
        s.push_str(&format!(
            "| {name} | {} | {} |\n",
            t.as_deref().unwrap_or("—"),
            fmt_ms(ms)
        ));
    }
    s.push_str("\n## Timeline / タイムライン\n\n");
    for e in &inc.events {
        s.push_str(&format!(
            "- {} #{} {}: {}\n",
            e.ts,
            e.seq,
            e.kind,
            crate::incident::describe(e)
        ));
    }
    s.push_str("\n## Decision log / 意思決定ログ\n\n");
    for dcs in &inc.decisions {
        s.push_str(&format!(
            "- {} #{} {} — {}{}\n",
            dcs.ts,
            dcs.seq,
            dcs.decision,
            dcs.reason.as_deref().unwrap_or("(no reason)"),
            if dcs.alternatives.is_empty() {
                String::new()
            } else {
                format!(" (rejected: {})", dcs.alternatives.join("; "))
            }
        ));
    }
    s.push_str("\n## Root cause / 根本原因\n\nTODO\n\n## What went well / うまくいったこと\n\nTODO\n\n## Action items / 是正処置\n\nSee `action_items` above; `opsbook actions` tracks them.\n");
    s
}

/// The result of checking one postmortem file.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    /// Contract violations: (line, message).
    pub contract: Vec<(usize, String)>,
    /// Action-item problems.
    pub items: Vec<ItemProblem>,
    /// The parsed postmortem.
    #[serde(skip)]
    pub postmortem: Option<Postmortem>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Lines (1-based) that still say `TODO`.
    pub todo_lines: Vec<usize>,
    /// Days an overdue item stays a warning before it blocks (`[incidents]
    /// action_overdue_error_days`).
    pub overdue_error_days: i64,
}

impl FileCheck {
    /// Problems that block closing a P0/P1 incident: contract violations,
    /// vague items, unknown targets, done without `done_ref`, a draft
    /// placeholder (`TODO`), or no action item at all. Overdue items do not
    /// block closing (they are tracked by `opsbook actions` and the gate).
    #[must_use]
    pub fn blocking(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .contract
            .iter()
            .map(|(l, m)| format!("line {l}: {m}"))
            .collect();
        out.extend(
            self.items
                .iter()
                .filter(|p| {
                    p.kind != ItemProblemKind::Overdue || p.days_overdue > self.overdue_error_days
                })
                .map(|p| {
                    format!(
                        "line {}: [{}] {}",
                        p.line,
                        p.code(self.overdue_error_days),
                        p.message
                    )
                }),
        );
        out.extend(self.draft_problems());
        out
    }

    /// Whether the postmortem belongs to `id` with `severity`: problems otherwise.
    #[must_use]
    pub fn mismatch(&self, id: &str, severity: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pm) = &self.postmortem {
            if pm.incident_id.as_deref() != Some(id) {
                out.push(format!(
                    "incident_id is `{}`, but this is {id}'s postmortem",
                    pm.incident_id.as_deref().unwrap_or("")
                ));
            }
            if pm.severity.as_deref().is_some_and(|s| s != severity) {
                out.push(format!(
                    "severity is {}, but {id} is {severity} (`opsbook incident severity` changes the incident; the postmortem states the final one)",
                    pm.severity.as_deref().unwrap_or("")
                ));
            }
        }
        out
    }

    /// Blocking problems that are neither contract nor item problems: no
    /// action item at all, `TODO` placeholders left from the draft.
    #[must_use]
    pub fn draft_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pm) = &self.postmortem {
            if pm.items.is_empty() {
                out.push("no action items".into());
            }
            if !self.todo_lines.is_empty() {
                out.push(format!(
                    "the draft still has TODO placeholders (line{} {})",
                    if self.todo_lines.len() == 1 { "" } else { "s" },
                    self.todo_lines
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        out
    }
}

/// Reads and checks `path`: decoding, front matter, the `postmortem`
/// contract, and [`check_items`].
///
/// # Errors
/// A message when the file cannot be read or decoded, or has no usable
/// front matter.
pub fn check_file(
    path: &Path,
    contracts: &crate::ssot::contracts::Contracts,
    known: &Known,
    as_of: jiff::civil::Date,
    overdue_error_days: i64,
) -> Result<FileCheck, String> {
    use sha2::Digest;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sha256: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let text =
        crate::syntax::text::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let split = crate::syntax::markdown::split_front_matter(&text.text)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.message))?;
    let Some(fm) = split.front_matter else {
        return Err(format!(
            "{}:1: no front matter (`---` … `---`); start from `opsbook postmortem new`",
            path.display()
        ));
    };
    let off = split.front_matter_line - 1;
    let doc = crate::syntax::yaml::parse(fm)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.pos.line + off, e.message))?;
    let pm = from_value(&doc.value, &|i| {
        doc.pos_of(&format!("/action_items/{i}")).line + off
    });
    let contract = contracts
        .validate("postmortem", &doc.value)
        .unwrap_or_default()
        .into_iter()
        .map(|v| (doc.pos_of(&v.pointer).line + off, v.message))
        .collect();
    let items = check_items(&pm.items, known, as_of);
    let todo_lines = text
        .text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("TODO"))
        .map(|(i, _)| i + 1)
        .collect();
    Ok(FileCheck {
        contract,
        items,
        postmortem: Some(pm),
        sha256,
        todo_lines,
        overdue_error_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &str, target: &str, desc: &str, status: &str, due: &str) -> ActionItem {
        ActionItem {
            id: "AI-1".into(),
            kind: kind.into(),
            target: target.into(),
            description: desc.into(),
            owner: "ops".into(),
            due: due.parse().ok(),
            status: status.into(),
            done_ref: None,
            creates: false,
            line: 7,
        }
    }

    #[test]
    fn an_item_may_target_what_it_creates_until_it_is_done() {
        let k = known();
        let as_of: jiff::civil::Date = "2026-12-01".parse().unwrap();
        let desc = "Add alert ClockOffsetStale: page when no offset sample for 10 minutes";
        let mut it = item("monitoring", "ClockOffsetStale", desc, "open", "2026-12-31");
        // Not stated as to be created: an unknown alert.
        let p = check_items(std::slice::from_ref(&it), &k, as_of);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].message
                .contains("alert `ClockOffsetStale` is in no alert rule file")
        );
        // Stated: accepted while open.
        it.creates = true;
        assert_eq!(check_items(std::slice::from_ref(&it), &k, as_of), vec![]);
        // Done, and still missing: reported, saying what was promised.
        it.status = "done".into();
        it.done_ref = Some("PR-12".into());
        let p = check_items(std::slice::from_ref(&it), &k, as_of);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].message.contains("it was to be created by this item"),
            "{}",
            p[0].message
        );
        // Done and created: fine.
        let mut k2 = known();
        k2.alerts.insert("ClockOffsetStale".into());
        assert_eq!(check_items(std::slice::from_ref(&it), &k2, as_of), vec![]);
    }

    fn known() -> Known {
        Known {
            root: PathBuf::from("."),
            runbooks: ["RB-PLAT-TIME-DRIFT".to_string()].into_iter().collect(),
            drills: ["DR-TIME-DRIFT".to_string()].into_iter().collect(),
            alerts: ["ClockDriftWarning".to_string()].into_iter().collect(),
            policies: ["severity".to_string()].into_iter().collect(),
            deprecated: ["RB-PLAT-CLOCK-SYNC-LEGACY".to_string()]
                .into_iter()
                .collect(),
        }
    }

    fn kinds(p: &[ItemProblem]) -> Vec<ItemProblemKind> {
        p.iter().map(|x| x.kind).collect()
    }

    #[test]
    fn vague_items_are_rejected_in_english_and_japanese() {
        let check = |d: &str| {
            check_items(
                &[item(
                    "runbook",
                    "RB-PLAT-TIME-DRIFT",
                    d,
                    "open",
                    "2027-01-01",
                )],
                &known(),
                "2026-12-01".parse().unwrap(),
            )
        };
        for d in [
            "Operators must be careful when restarting the gateway",
            "Pay more  attention to clock alerts",
            "時刻のずれに気をつける",
            "手順の確認を徹底する",
            "作業前に注意する",
            "時刻同期の確認手順を全員で徹底します。",
            "今後は時刻のずれに十分注意しますので問題ありません",
            "Everyone should be more vigilant about clock drift",
            "時刻を意識して運用するよう周知する",
            "Operators are paying attention to the clock now",
            "Pay close attention to the gateway logs",
            "Pay closer attention to W32Time",
            "Be extra careful before restarting OrderGateway",
            "Being careful with the kill switch",
            "Take great care when rotating keys",
            "Exercise caution around failback",
            "Be cautious with replays",
            "Keep an eye on the reconciliation drift",
            "Stay alert for -1021 errors",
        ] {
            assert_eq!(kinds(&check(d)), vec![ItemProblemKind::Vague], "{d}");
        }
        for d in [
            "Add step 3: run w32tm /resync before restarting",
            "Add alert ClockDriftWarning so that the operator is paged while the offset stays above 250 ms",
            "Add a Do-Not-Do entry to RB-PLAT-TIME-DRIFT: never step the clock while orders are open; it needs attention from a second person (CONFIRM)",
        ] {
            let ok = check(d);
            assert!(ok.is_empty(), "{d}: {ok:?}");
        }
    }

    #[test]
    fn targets_must_exist() {
        let as_of = "2026-12-01".parse().unwrap();
        let d = "A concrete change that can be verified";
        for (kind, target, bad) in [
            ("runbook", "RB-PLAT-TIME-DRIFT", false),
            ("runbook", "RB-NOPE", true),
            ("runbook", "the time runbook", true),
            ("test", "DR-TIME-DRIFT", false),
            ("test", "DR-NOPE", true),
            ("test", "test_reconciliation_grace", false),
            ("monitoring", "ClockDriftWarning", false),
            ("monitoring", "ClockDriftWarnin", true),
            ("policy", "severity", false),
            ("policy", "policy/nope.yaml", true),
            ("implementation", "OrderGateway retry loop", false),
            ("runbook", "RB-PLAT-CLOCK-SYNC-LEGACY", true),
            ("policy", "RB-PLAT-TIME-DRIFT", true),
            ("monitoring", "RB-PLAT-TIME-DRIFT", true),
            ("test", "../../etc/passwd", true),
            ("implementation", "C:/Windows/win.ini", true),
        ] {
            let p = check_items(
                &[item(kind, target, d, "open", "2027-01-01")],
                &known(),
                as_of,
            );
            assert_eq!(
                kinds(&p),
                if bad {
                    vec![ItemProblemKind::UnknownTarget]
                } else {
                    vec![]
                },
                "{kind} {target}"
            );
        }
    }

    #[test]
    fn done_needs_ref_and_overdue_counts_days() {
        let as_of = "2026-12-10".parse().unwrap();
        let d = "A concrete change that can be verified";
        let p = check_items(
            &[item("test", "DR-TIME-DRIFT", d, "done", "2026-12-01")],
            &known(),
            as_of,
        );
        assert_eq!(kinds(&p), vec![ItemProblemKind::DoneWithoutRef]);
        let p = check_items(
            &[item(
                "test",
                "DR-TIME-DRIFT",
                d,
                "in_progress",
                "2026-12-01",
            )],
            &known(),
            as_of,
        );
        assert_eq!(kinds(&p), vec![ItemProblemKind::Overdue]);
        assert_eq!(p[0].days_overdue, 9);
        let p = check_items(
            &[item("test", "DR-TIME-DRIFT", d, "open", "2026-12-10")],
            &known(),
            as_of,
        );
        assert!(p.is_empty(), "due today is not overdue");
    }

    #[test]
    fn durations_are_human() {
        assert_eq!(human_duration(45_000), "45s");
        assert_eq!(human_duration(750_000), "12m 30s");
        assert_eq!(human_duration(3_900_000), "1h 05m");
    }
}
