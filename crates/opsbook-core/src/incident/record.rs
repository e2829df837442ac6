//! Incidents: event-sourced records under `incidents/<ID>/events.jsonl`
//! (D-INC-LEDGER, D-INC-TIMELINE, D-INC-SCOPE, D-ORDER; DESIGN §3.2).
//!
//! The log is a hash-chained [`crate::ledger`]; an incident's state is the
//! replay of its events ([`Incident::replay`]). Every command is a
//! transaction under the log's lock: read, replay, check the guards, append
//! ([`Store::transact`]), so two operators cannot both pass a guard that only
//! one of them should.
//!
//! Status machine: `OPEN → ACKED → MITIGATING → MONITORING → RESOLVED →
//! CLOSED`, `MONITORING → MITIGATING` on a re-trigger during the watch, and
//! `CANCELLED` / `MERGED` (terminal) from any state before RESOLVED. Guards
//! encode the seed's order safe → evidence → observe → recover → verify →
//! learn (D-ORDER): a `safety_decision` before MITIGATING; an
//! `evidence_attached` and a passed `recovery_acceptance` before RESOLVED; a
//! valid postmortem before CLOSED for P0/P1 (checked by the caller, which
//! knows the SSOT: [`Guards::postmortem`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::event::IncidentEvent;
use crate::ledger::{self, Actor, Event, LedgerError};

/// Default incident ID convention.
pub const DEFAULT_ID_FORMAT: &str = "INC-{yyyymmdd}-{seq:3}";

/// Incident status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Declared, nobody has taken it yet.
    Open,
    /// Someone (the incident commander) has taken it.
    Acked,
    /// Acting on it: a safety decision has been made.
    Mitigating,
    /// Impact contained; watching for a re-trigger.
    Monitoring,
    /// Impact ended and recovery acceptance passed.
    Resolved,
    /// Done: (P0/P1) postmortem attached.
    Closed,
    /// Opened by mistake; terminal.
    Cancelled,
    /// A duplicate merged into another incident; terminal.
    Merged,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 8] = [
        Status::Open,
        Status::Acked,
        Status::Mitigating,
        Status::Monitoring,
        Status::Resolved,
        Status::Closed,
        Status::Cancelled,
        Status::Merged,
    ];

    /// `OPEN`, `ACKED`, …
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Acked => "ACKED",
            Status::Mitigating => "MITIGATING",
            Status::Monitoring => "MONITORING",
            Status::Resolved => "RESOLVED",
            Status::Closed => "CLOSED",
            Status::Cancelled => "CANCELLED",
            Status::Merged => "MERGED",
        }
    }

    /// Parses a status name, case-insensitively.
    #[must_use]
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The statuses the machine allows next (guards aside). `MERGED` is
    /// reached only by a merge, so it is not listed.
    #[must_use]
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Open => &[Status::Acked, Status::Cancelled],
            Status::Acked => &[Status::Mitigating, Status::Cancelled],
            Status::Mitigating => &[Status::Monitoring, Status::Cancelled],
            Status::Monitoring => &[Status::Resolved, Status::Mitigating, Status::Cancelled],
            Status::Resolved => &[Status::Closed],
            Status::Closed | Status::Cancelled | Status::Merged => &[],
        }
    }

    /// Whether no transition leaves this status.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled | Status::Merged)
    }

    /// Whether the incident still needs work (not RESOLVED or beyond).
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Open | Status::Acked | Status::Mitigating | Status::Monitoring
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity rank: P0 is 0 (most severe).
#[must_use]
pub fn severity_rank(s: &str) -> u8 {
    match s {
        "P0" => 0,
        "P1" => 1,
        _ => 2,
    }
}

/// An incident ID convention such as `INC-{yyyymmdd}-{seq:3}`.
///
/// Tokens: `{yyyymmdd}`, `{yyyy}`, `{mm}`, `{dd}` (UTC opening date) and
/// `{seq}` / `{seq:N}` (per-day sequence from 1, zero-padded to N digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdFormat {
    template: String,
    width: usize,
}

impl IdFormat {
    /// Parses a convention.
    ///
    /// # Errors
    /// A message when there is no `{seq}` token, or an unknown token.
    pub fn parse(template: &str) -> Result<IdFormat, String> {
        let mut width = 0;
        let mut has_seq = false;
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            let Some(j) = rest[i..].find('}') else {
                return Err(format!("`{template}`: `{{` without `}}`"));
            };
            let tok = &rest[i + 1..i + j];
            match tok {
                "yyyymmdd" | "yyyy" | "mm" | "dd" => {}
                "seq" => has_seq = true,
                t if t.starts_with("seq:") => {
                    width = t[4..].parse().map_err(|_| {
                        format!("`{template}`: `{{{t}}}` needs a width 1-9, e.g. {{seq:3}}")
                    })?;
                    has_seq = true;
                }
                t => {
                    return Err(format!(
                        "`{template}`: unknown token `{{{t}}}`; use {{yyyymmdd}}, {{yyyy}}, {{mm}}, {{dd}}, {{seq}} or {{seq:N}}"
                    ));
                }
            }
            rest = &rest[i + j + 1..];
        }
        if !has_seq {
            return Err(format!(
                "`{template}`: an incident ID convention needs a {{seq}} token so that IDs are unique"
            ));
        }
        Ok(IdFormat {
            template: template.to_string(),
            width,
        })
    }

    fn fill(&self, date: jiff::civil::Date, seq: Option<u32>) -> String {
        let seq = seq.map_or_else(
            || "\u{0}".to_string(),
            |n| format!("{n:0width$}", width = self.width),
        );
        let mut out = self
            .template
            .replace("{yyyymmdd}", &date.strftime("%Y%m%d").to_string())
            .replace("{yyyy}", &date.strftime("%Y").to_string())
            .replace("{mm}", &date.strftime("%m").to_string())
            .replace("{dd}", &date.strftime("%d").to_string());
        if let Some(i) = out.find("{seq")
            && let Some(j) = out[i..].find('}')
        {
            out.replace_range(i..i + j + 1, &seq);
        }
        out
    }

    /// The ID for `date` and `seq`.
    #[must_use]
    pub fn format(&self, date: jiff::civil::Date, seq: u32) -> String {
        self.fill(date, Some(seq))
    }

    /// The sequence number of `id` if it is an ID of `date`.
    #[must_use]
    pub fn seq_of(&self, date: jiff::civil::Date, id: &str) -> Option<u32> {
        let shape = self.fill(date, None);
        let (pre, post) = shape.split_once('\u{0}')?;
        let mid = id.strip_prefix(pre)?.strip_suffix(post)?;
        if mid.is_empty() || !mid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        mid.parse().ok()
    }
}

/// A scope declaration (D-INC-SCOPE).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scope {
    /// Event that declared it.
    pub seq: u64,
    /// When (UTC).
    pub ts: String,
    /// What is affected.
    pub affected: Vec<String>,
    /// What was checked and is not affected.
    pub not_affected: Vec<String>,
    /// Free text.
    pub text: Option<String>,
}

/// A decision-log entry: decisions, safety decisions, status and severity changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Event.
    pub seq: u64,
    /// When (UTC).
    pub ts: String,
    /// `decision`, `safety_decision`, `status_changed`, `severity_changed`, `merged`.
    pub kind: String,
    /// What was decided (for status/severity: `FROM → TO`).
    pub decision: String,
    /// Why.
    pub reason: Option<String>,
    /// Alternatives considered and rejected.
    pub alternatives: Vec<String>,
    /// Who.
    pub actor: String,
}

/// An evidence reference (bundle ID, file or URL) with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    /// Event.
    pub seq: u64,
    /// The reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// `bundle`, `file` or `url`.
    pub kind: String,
}

/// A link to another incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Event.
    pub seq: u64,
    /// The other incident.
    pub incident_id: String,
    /// `parent`, `child`, `related`, `duplicate_of`, `duplicate`.
    pub relation: String,
}

pub use crate::event::incident::CheckAnswer;

/// The latest recovery acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// Event.
    pub seq: u64,
    /// Whether every check passed.
    pub passed: bool,
    /// The answers.
    pub checks: Vec<CheckAnswer>,
}

/// Durations between the milestones, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    /// Detected → acknowledged (time to acknowledge).
    pub to_ack_ms: Option<i64>,
    /// Detected → mitigated (first MONITORING).
    pub to_mitigate_ms: Option<i64>,
    /// Detected → resolved (time to resolve).
    pub to_resolve_ms: Option<i64>,
}

/// An incident as replayed from its events.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// ID, e.g. `INC-20261129-001`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Current severity.
    pub severity: String,
    /// Current status.
    pub status: Status,
    /// A drill (tabletop or stage), not a real incident.
    pub drill: bool,
    /// Incident commander, when named.
    pub commander: Option<String>,
    /// Declared (the `opened` event), UTC.
    pub opened_at: String,
    /// Detected, UTC (defaults to `opened_at`).
    pub detected_at: Option<String>,
    /// Impact started, UTC, when known.
    pub impact_started_at: Option<String>,
    /// Impact ended, UTC, when known.
    pub impact_ended_at: Option<String>,
    /// First ACKED.
    pub acked_at: Option<String>,
    /// First MITIGATING.
    pub mitigating_at: Option<String>,
    /// First MONITORING (mitigated).
    pub mitigated_at: Option<String>,
    /// First RESOLVED.
    pub resolved_at: Option<String>,
    /// CLOSED, CANCELLED or MERGED.
    pub ended_at: Option<String>,
    /// The incident this one was merged into.
    pub merged_into: Option<String>,
    /// Facts stated at opening and since.
    pub facts: BTreeMap<String, Value>,
    /// Scope declarations, oldest first (history kept).
    pub scope: Vec<Scope>,
    /// The decision log.
    pub decisions: Vec<Decision>,
    /// Safety decisions count (`safety_decision` events).
    pub safety_decisions: usize,
    /// Evidence references.
    pub evidence: Vec<EvidenceRef>,
    /// Links.
    pub links: Vec<Link>,
    /// The latest recovery acceptance.
    pub acceptance: Option<Acceptance>,
    /// The attached postmortem (path, sha256).
    pub postmortem: Option<(String, String)>,
    /// Corrections: corrected seq → (correcting seq, reason, replacement text).
    pub corrections: BTreeMap<u64, (u64, String, Option<String>)>,
    /// Order violations found while replaying (a log written around the
    /// guards): (seq, message).
    pub violations: Vec<(u64, String)>,
    /// Every event.
    #[serde(skip)]
    pub events: Vec<Event>,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Not a legal next status.
    #[error("{id} is {from}; {to} is not allowed next ({allowed})")]
    Illegal {
        /// Incident.
        id: String,
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
        /// Allowed next statuses, comma-separated (or "none: terminal").
        allowed: String,
    },
    /// A guard of D-ORDER is not met.
    #[error(
        "{id}: {to} refused: {missing} (D-ORDER: safe → evidence → observe → recover → verify → learn)"
    )]
    Order {
        /// Incident.
        id: String,
        /// Requested status.
        to: Status,
        /// What is missing.
        missing: Missing,
    },
}

/// What a D-ORDER guard found missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Missing {
    /// The status asked for is the current one.
    #[error("it is already {0}")]
    Already(Status),
    /// No `safety_decision` before MITIGATING.
    #[error("no safety decision recorded yet")]
    SafetyDecision,
    /// No `evidence_attached` before RESOLVED.
    #[error("no evidence attached")]
    Evidence,
    /// No passed recovery acceptance before RESOLVED; the checks that failed.
    #[error("{}", if .0.is_empty() { "recovery acceptance has not passed".to_string() } else { format!("recovery acceptance failed on: {}", .0.join(", ")) })]
    Acceptance(Vec<String>),
    /// Children not RESOLVED yet (`ID (STATUS)`).
    #[error("child incidents not resolved yet: {}", .0.join(", "))]
    OpenChildren(Vec<String>),
    /// A P0/P1 closes only with a postmortem.
    #[error("a {0} incident closes only with a postmortem")]
    Postmortem(String),
    /// The postmortem does not pass.
    #[error("a {0} incident closes only with a postmortem whose action items pass: {problems}", problems = .1.join("; "))]
    PostmortemProblems(String, Vec<String>),
}

impl GuardError {
    /// The step that would let the transition go ahead.
    #[must_use]
    pub fn next(&self) -> Option<crate::next::NextStep> {
        use crate::next::NextStep;
        let GuardError::Order { id, missing, .. } = self else {
            return None;
        };
        let incident = id.clone();
        Some(match missing {
            Missing::SafetyDecision => NextStep::DecideSafety { incident },
            Missing::Evidence => NextStep::AttachEvidence { incident },
            Missing::Acceptance(failing) => NextStep::AnswerAcceptance {
                incident: Some(incident),
                failing: failing.clone(),
            },
            Missing::Postmortem(_) => NextStep::DraftPostmortem { incident },
            Missing::Already(_) | Missing::OpenChildren(_) | Missing::PostmortemProblems(..) => {
                return None;
            }
        })
    }
}

/// What the caller (which knows the SSOT) found about the postmortem, for
/// the CLOSED guard of P0/P1 incidents.
#[derive(Debug, Clone, Default)]
pub struct Guards {
    /// `Ok(())` when `postmortem.md` exists, matches the contract and its
    /// action items pass the rules; `Err(problems)` otherwise. `None`: not checked.
    pub postmortem: Option<Result<(), Vec<String>>>,
    /// Child incidents that are not yet RESOLVED (a parent waits for them).
    pub open_children: Vec<String>,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn strs(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn actor_name(a: &Actor) -> String {
    match &a.name {
        Some(n) => format!("{n} ({}@{})", a.user, a.host),
        None => format!("{}@{}", a.user, a.host),
    }
}

/// Milliseconds from `a` to `b` (RFC 3339 strings).
#[must_use]
pub fn millis_between(a: &str, b: &str) -> Option<i64> {
    let a: jiff::Timestamp = a.parse().ok()?;
    let b: jiff::Timestamp = b.parse().ok()?;
    Some(b.as_millisecond() - a.as_millisecond())
}

impl Incident {
    /// Replays events into the incident's state. Events written around the
    /// guards (e.g. with `opsbook ledger append`) do not stop the replay;
    /// they are listed in [`Incident::violations`].
    ///
    /// # Errors
    /// A message when the log is empty or does not start with `opened`.
    pub fn replay(id: &str, events: Vec<Event>) -> Result<Incident, String> {
        let Some(first) = events.first() else {
            return Err(format!("{id}: the incident log is empty"));
        };
        let Some(IncidentEvent::Opened(d)) = crate::event::parse::<IncidentEvent>(first) else {
            return Err(format!(
                "{id}: the first event is `{}`, expected `opened`",
                first.kind
            ));
        };
        let mut inc = Incident {
            id: id.to_string(),
            title: d.title,
            severity: if d.severity.is_empty() {
                "P0".into()
            } else {
                d.severity
            },
            status: Status::Open,
            drill: d.drill.unwrap_or(false),
            commander: d.commander,
            opened_at: first.ts.clone(),
            detected_at: d.detected_at,
            impact_started_at: d.impact_started_at,
            impact_ended_at: None,
            acked_at: None,
            mitigating_at: None,
            mitigated_at: None,
            resolved_at: None,
            ended_at: None,
            merged_into: None,
            facts: d.facts.unwrap_or_default(),
            scope: Vec::new(),
            decisions: Vec::new(),
            safety_decisions: 0,
            evidence: Vec::new(),
            links: Vec::new(),
            acceptance: None,
            postmortem: None,
            corrections: BTreeMap::new(),
            violations: Vec::new(),
            events: Vec::new(),
        };
        for ev in &events[1..] {
            inc.apply(ev);
        }
        inc.events = events;
        Ok(inc)
    }

    fn apply(&mut self, ev: &Event) {
        use crate::event::incident as e;
        let who = actor_name(&ev.actor);
        let Some(typed) = crate::event::parse::<IncidentEvent>(ev) else {
            return;
        };
        let opt = |s: String| Some(s).filter(|s| !s.is_empty());
        match typed {
            IncidentEvent::StatusChanged(d) => {
                let Some(to) = Status::parse(&d.to) else {
                    self.violations
                        .push((ev.seq, "status_changed without a valid `to`".into()));
                    return;
                };
                // The postmortem is the gate's to check (OB804): it knows the SSOT.
                let g = Guards {
                    postmortem: Some(Ok(())),
                    open_children: Vec::new(),
                };
                if let Err(e) = self.check(to, &g) {
                    self.violations.push((ev.seq, e.to_string()));
                }
                self.set_status(to, &ev.ts);
                if to == Status::Acked
                    && let Some(c) = d.commander
                {
                    self.commander = Some(c);
                }
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision: format!("{} → {}", d.from, to.as_str()),
                    reason: d.reason,
                    alternatives: Vec::new(),
                    actor: who,
                });
            }
            IncidentEvent::Merged(d) => {
                if !self.status.is_open() {
                    self.violations.push((
                        ev.seq,
                        format!(
                            "merged while {}: only an open incident can be merged",
                            self.status
                        ),
                    ));
                }
                self.merged_into = opt(d.into.clone());
                self.set_status(Status::Merged, &ev.ts);
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision: format!("merged into {}", d.into),
                    reason: opt(d.reason),
                    alternatives: Vec::new(),
                    actor: who,
                });
            }
            IncidentEvent::SeverityChanged(d) => {
                let to = opt(d.to).unwrap_or_else(|| self.severity.clone());
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision: format!("severity {} → {to}", self.severity),
                    reason: d
                        .reason
                        .or_else(|| d.rule.flatten().map(|r| format!("rule {r}"))),
                    alternatives: Vec::new(),
                    actor: who,
                });
                for (k, v) in d.facts.unwrap_or_default() {
                    self.facts.insert(k, v);
                }
                self.severity = to;
            }
            IncidentEvent::Decision(d) => self.decisions.push(Decision {
                seq: ev.seq,
                ts: ev.ts.clone(),
                kind: ev.kind.clone(),
                decision: d.decision,
                reason: opt(d.reason),
                alternatives: d.alternatives,
                actor: who,
            }),
            IncidentEvent::SafetyDecision(d) => {
                self.safety_decisions += 1;
                let decision = match (opt(d.decision), opt(d.to)) {
                    (Some(x), Some(to)) => format!("safety state {to}: {x}"),
                    (None, Some(to)) => format!("safety state {to}"),
                    (Some(x), None) => x,
                    (None, None) => String::new(),
                };
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision,
                    reason: opt(d.reason),
                    alternatives: d.alternatives.unwrap_or_default(),
                    actor: who,
                });
            }
            IncidentEvent::Scope(d) => {
                for (t, slot) in [
                    (d.detected_at.clone(), &mut self.detected_at),
                    (d.impact_started_at.clone(), &mut self.impact_started_at),
                    (d.impact_ended_at.clone(), &mut self.impact_ended_at),
                ] {
                    if let Some(t) = t {
                        *slot = Some(t);
                    }
                }
                self.scope.push(Scope {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    affected: d.affected.unwrap_or_default(),
                    not_affected: d.not_affected.unwrap_or_default(),
                    text: d.text,
                });
            }
            IncidentEvent::EvidenceAttached(d) => self.evidence.push(EvidenceRef {
                seq: ev.seq,
                reference: if d.reference.is_empty() {
                    // Logs written before `ref` existed named bundles `bundle_id`.
                    ev.data
                        .get("bundle_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                } else {
                    d.reference
                },
                sha256: d.sha256,
                kind: opt(d.kind).unwrap_or_else(|| "bundle".into()),
            }),
            IncidentEvent::Linked(d) => self.links.push(Link {
                seq: ev.seq,
                incident_id: d.incident_id,
                relation: d.relation,
            }),
            IncidentEvent::RecoveryAcceptance(d) => {
                let passed = d.passed
                    && !d.checks.is_empty()
                    && d.checks
                        .iter()
                        .all(|c| c.result == "pass" && c.evidence.is_some());
                self.acceptance = Some(Acceptance {
                    seq: ev.seq,
                    passed,
                    checks: d.checks,
                });
            }
            IncidentEvent::PostmortemAttached(d) => {
                self.postmortem = Some((d.path, d.sha256));
            }
            IncidentEvent::Correction(e::Correction {
                corrects_seq,
                reason,
                text,
            }) => {
                if corrects_seq == 0 {
                    return;
                }
                if corrects_seq >= ev.seq {
                    self.violations.push((
                        ev.seq,
                        format!("correction of seq {corrects_seq}, which is not an earlier event"),
                    ));
                } else {
                    // A corrected `opened` event: its text is the title
                    // shown everywhere from now on.
                    if corrects_seq == 1
                        && let Some(t) = text.as_deref().filter(|t| !t.trim().is_empty())
                    {
                        self.title = t.to_string();
                    }
                    self.corrections
                        .insert(corrects_seq, (ev.seq, reason, text));
                }
            }
            IncidentEvent::Opened(_) => self
                .violations
                .push((ev.seq, "a second `opened` event".into())),
            IncidentEvent::Note(_) | IncidentEvent::RunbookStep(_) => {}
        }
    }

    /// Whether the gate's OB803 rejects this log: it holds events the
    /// `opsbook incident` commands would have refused (an illegal transition,
    /// MITIGATING before a safety decision, RESOLVED without evidence or
    /// acceptance, …; listed in [`Incident::violations`]). Read models
    /// (`incident show`, `list`, `report`) flag such an incident instead of
    /// counting it silently (D-ORDER).
    #[must_use]
    pub fn breaks_order(&self) -> bool {
        !self.violations.is_empty()
    }

    fn set_status(&mut self, to: Status, ts: &str) {
        let first = |slot: &mut Option<String>| {
            if slot.is_none() {
                *slot = Some(ts.to_string());
            }
        };
        match to {
            Status::Acked => first(&mut self.acked_at),
            Status::Mitigating => first(&mut self.mitigating_at),
            Status::Monitoring => first(&mut self.mitigated_at),
            Status::Resolved => first(&mut self.resolved_at),
            Status::Closed | Status::Cancelled | Status::Merged => {
                self.ended_at = Some(ts.to_string());
            }
            Status::Open => {}
        }
        self.status = to;
    }

    /// Checks a transition to `to` against the machine and the D-ORDER guards.
    ///
    /// # Errors
    /// [`GuardError::Illegal`] with the allowed next statuses, or
    /// [`GuardError::Order`] naming what is missing and the command that provides it.
    pub fn check(&self, to: Status, g: &Guards) -> Result<(), GuardError> {
        if to == self.status {
            return Err(GuardError::Order {
                id: self.id.clone(),
                to,
                missing: Missing::Already(to),
            });
        }
        if !self.status.next().contains(&to) {
            let allowed = self.status.next();
            return Err(GuardError::Illegal {
                id: self.id.clone(),
                from: self.status,
                to,
                allowed: if allowed.is_empty() {
                    "none: it is terminal".into()
                } else {
                    allowed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        }
        let order = |missing: Missing| GuardError::Order {
            id: self.id.clone(),
            to,
            missing,
        };
        match to {
            Status::Mitigating if self.safety_decisions == 0 => Err(order(Missing::SafetyDecision)),
            Status::Resolved if self.evidence.is_empty() => Err(order(Missing::Evidence)),
            Status::Resolved if !self.acceptance.as_ref().is_some_and(|a| a.passed) => {
                let failing = self
                    .acceptance
                    .as_ref()
                    .map(|a| {
                        a.checks
                            .iter()
                            .filter(|c| c.result != "pass" || c.evidence.is_none())
                            .map(|c| c.id.clone())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                Err(order(Missing::Acceptance(failing)))
            }
            Status::Resolved if !g.open_children.is_empty() => {
                Err(order(Missing::OpenChildren(g.open_children.clone())))
            }
            Status::Closed if severity_rank(&self.severity) <= 1 => match &g.postmortem {
                Some(Err(problems)) => Err(order(Missing::PostmortemProblems(
                    self.severity.clone(),
                    problems.clone(),
                ))),
                None if self.postmortem.is_none() => {
                    Err(order(Missing::Postmortem(self.severity.clone())))
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The milestone durations from detection (`detected_at`, else opening).
    #[must_use]
    pub fn durations(&self) -> Durations {
        let start = self.detected_at.as_deref().unwrap_or(&self.opened_at);
        let d = |t: &Option<String>| t.as_deref().and_then(|t| millis_between(start, t));
        Durations {
            to_ack_ms: d(&self.acked_at),
            to_mitigate_ms: d(&self.mitigated_at),
            to_resolve_ms: d(&self.resolved_at),
        }
    }

    /// The parent incident, if linked.
    #[must_use]
    pub fn parent(&self) -> Option<&str> {
        self.links
            .iter()
            .rev()
            .find(|l| l.relation == "parent")
            .map(|l| l.incident_id.as_str())
    }

    /// Child incidents.
    #[must_use]
    pub fn children(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .links
            .iter()
            .filter(|l| l.relation == "child")
            .map(|l| l.incident_id.as_str())
            .collect();
        set.into_iter().collect()
    }
}

/// One line describing an event for timelines (no timestamp, no seq).
/// Control characters typed into a note or a title (a line break that
/// would forge a timeline line, an escape sequence that would repaint the
/// terminal) are shown escaped ([`crate::syntax::text::escape_controls`]).
#[must_use]
pub fn describe(e: &Event) -> String {
    crate::syntax::text::escape_controls(&describe_raw(e))
}

fn describe_raw(e: &Event) -> String {
    let d = &e.data;
    let g = |k: &str| s(d, k).unwrap_or_default();
    let reason = |d: &Value| {
        s(d, "reason")
            .map(|r| format!(" — {r}"))
            .unwrap_or_default()
    };
    match e.kind.as_str() {
        "opened" => {
            let mut t = format!("opened {} \"{}\"", g("severity"), g("title"));
            if let Some(r) = s(d, "rule") {
                t.push_str(&format!(" (rule {r})"));
            }
            t.push_str(&reason(d));
            t
        }
        "status_changed" => format!("{} → {}{}", g("from"), g("to"), reason(d)),
        "severity_changed" => format!("severity {} → {}{}", g("from"), g("to"), reason(d)),
        "decision" => {
            let alts = strs(d, "alternatives");
            format!(
                "decided: {}{}{}",
                g("decision"),
                reason(d),
                if alts.is_empty() {
                    String::new()
                } else {
                    format!(" (rejected: {})", alts.join("; "))
                }
            )
        }
        "safety_decision" => format!(
            "safety state {}{}{}",
            g("to"),
            s(d, "decision")
                .map(|x| format!(": {x}"))
                .unwrap_or_default(),
            reason(d)
        ),
        "note" => g("text"),
        "scope" => {
            let mut parts = Vec::new();
            let a = strs(d, "affected");
            if !a.is_empty() {
                parts.push(format!("affected: {}", a.join(", ")));
            }
            let n = strs(d, "not_affected");
            if !n.is_empty() {
                parts.push(format!("not affected: {}", n.join(", ")));
            }
            for k in ["detected_at", "impact_started_at", "impact_ended_at"] {
                if let Some(t) = s(d, k) {
                    parts.push(format!(
                        "{} {t}",
                        k.trim_end_matches("_at").replace('_', " ")
                    ));
                }
            }
            if let Some(t) = s(d, "text") {
                parts.push(t);
            }
            format!("scope: {}", parts.join("; "))
        }
        "evidence_attached" => {
            let sha = g("sha256");
            format!(
                "evidence {} {} (sha256 {}…)",
                s(d, "kind").unwrap_or_else(|| "bundle".into()),
                s(d, "ref")
                    .or_else(|| s(d, "bundle_id"))
                    .unwrap_or_default(),
                sha.get(..12).unwrap_or(&sha)
            )
        }
        "linked" => format!(
            "linked: {} {}",
            g("relation").replace('_', " "),
            g("incident_id")
        ),
        "recovery_acceptance" => {
            let checks = d
                .get("checks")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let failed: Vec<String> = checks
                .iter()
                .filter(|c| c.get("result").and_then(Value::as_str) != Some("pass"))
                .filter_map(|c| s(c, "id"))
                .collect();
            if d.get("passed").and_then(Value::as_bool) == Some(true) {
                format!("recovery acceptance passed ({} checks)", checks.len())
            } else {
                format!("recovery acceptance FAILED: {}", failed.join(", "))
            }
        }
        "postmortem_attached" => format!("postmortem attached: {}", g("path")),
        "merged" => format!("merged into {}{}", g("into"), reason(d)),
        "correction" => format!(
            "corrects #{}{}{}",
            d.get("corrects_seq").and_then(Value::as_u64).unwrap_or(0),
            s(d, "text").map(|t| format!(": {t}")).unwrap_or_default(),
            reason(d)
        ),
        "runbook_step" => format!(
            "runbook {} step {}: {}{}",
            g("runbook"),
            d.get("step")
                .map(|v| v.to_string().trim_matches('"').to_string())
                .unwrap_or_default(),
            g("result"),
            s(d, "note").map(|t| format!(" — {t}")).unwrap_or_default()
        ),
        other => {
            let mut t = other.replace('_', " ");
            if let Some(x) = s(d, "text").or_else(|| s(d, "reason")) {
                t.push_str(&format!(": {x}"));
            }
            t
        }
    }
}

/// Why an incident operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IncidentError {
    /// The ledger could not be read or written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// No such incident.
    #[error("no incident `{id}` under {dir}{hint}")]
    NotFound {
        /// The ID asked for.
        id: String,
        /// The incidents directory.
        dir: String,
        /// " (did you mean …?)" or empty.
        hint: String,
    },
    /// The log does not replay.
    #[error("{0}")]
    Replay(String),
    /// A guard refused.
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// Bad input (empty reason, time in the future, …).
    #[error("{0}")]
    Invalid(String),
    /// The incident's state does not allow the step (exit 1 like a guard).
    #[error("{0}")]
    Refused(String),
    /// I/O on the incidents directory.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// The incidents of one SSOT: `ROOT/incidents/<ID>/events.jsonl`.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    ids: IdFormat,
    seam: Option<ledger::SharedSeam>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

/// What [`Store::list`] returns: the rows, and `(id, error)` for incidents
/// whose log does not load.
pub type Listing = (Vec<Summary>, Vec<(String, String)>);

/// One row of [`Store::list`].
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// ID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Status.
    pub status: Status,
    /// Opened (UTC).
    pub opened_at: String,
    /// Last event (UTC).
    pub updated_at: String,
    /// Events.
    pub events: u64,
    /// A drill.
    pub drill: bool,
    /// Events the gate's OB803 rejects ([`Incident::breaks_order`]); 0 for a
    /// log written by the `opsbook incident` commands.
    pub order_violations: usize,
}

impl Store {
    /// The store of the SSOT at `root`, with the ID convention from
    /// `opsbook.toml` (or [`DEFAULT_ID_FORMAT`]).
    ///
    /// # Errors
    /// [`IncidentError::Invalid`] for a bad ID convention.
    pub fn new(root: &Path, id_format: Option<&str>) -> Result<Store, IncidentError> {
        Ok(Store {
            dir: root.join("incidents"),
            ids: IdFormat::parse(id_format.unwrap_or(DEFAULT_ID_FORMAT))
                .map_err(IncidentError::Invalid)?,
            seam: None,
        })
    }

    /// The store with a [`ledger::Seam`] every append goes through.
    #[must_use]
    pub fn with_seam(mut self, seam: Option<ledger::SharedSeam>) -> Store {
        self.seam = seam;
        self
    }

    /// `incidents/`.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `incidents/<ID>/events.jsonl`.
    #[must_use]
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.dir.join(id).join("events.jsonl")
    }

    /// IDs of every incident directory, sorted.
    ///
    /// # Errors
    /// I/O errors reading `incidents/`.
    pub fn ids(&self) -> Result<Vec<String>, IncidentError> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(IncidentError::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut out: Vec<String> = rd
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect();
        out.sort();
        Ok(out)
    }

    fn exists(&self, id: &str) -> Result<(), IncidentError> {
        if self.log_path(id).is_file() {
            return Ok(());
        }
        let ids = self.ids().unwrap_or_default();
        let hint = ids
            .iter()
            .filter(|k| k.ends_with(id) || k.eq_ignore_ascii_case(id))
            .max()
            .map(|k| format!(" (did you mean {k}?)"))
            .unwrap_or_default();
        Err(IncidentError::NotFound {
            id: id.to_string(),
            dir: self.dir.display().to_string(),
            hint,
        })
    }

    /// Resolves a short form: the full ID, or a unique suffix such as `001`
    /// or `20261129-001`.
    ///
    /// # Errors
    /// [`IncidentError::NotFound`] when nothing or more than one matches.
    pub fn resolve(&self, id: &str) -> Result<String, IncidentError> {
        if self.log_path(id).is_file() {
            return Ok(id.to_string());
        }
        let ids = self.ids()?;
        let m: Vec<&String> = ids
            .iter()
            .filter(|k| k.ends_with(&format!("-{id}")) && self.log_path(k).is_file())
            .collect();
        if m.len() == 1 {
            return Ok(m[0].clone());
        }
        if m.len() > 1 {
            return Err(IncidentError::Invalid(format!(
                "`{id}` matches {} incidents ({}): give more of the ID, e.g. {}",
                m.len(),
                m.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                m[m.len() - 1]
            )));
        }
        self.exists(id)?;
        Ok(id.to_string())
    }

    /// Opens a new incident: allocates the next ID of the day by `clock`
    /// (unique also against concurrent `open`s: the directory is created
    /// exclusively under `incidents/.lock`) and writes the `opened` event.
    ///
    /// # Errors
    /// Ledger and I/O errors.
    pub fn open(
        &self,
        clock: &dyn crate::host::clock::Clock,
        actor: &Actor,
        opened: crate::event::incident::Opened,
    ) -> Result<(String, Event), IncidentError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IncidentError::Io { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let lock_path = self.dir.join(".lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let date = crate::host::clock::utc_date(clock.now());
        let mut next = self
            .ids()?
            .iter()
            .filter_map(|id| self.ids.seq_of(date, id))
            .max()
            .unwrap_or(0)
            + 1;
        let id = loop {
            let id = self.ids.format(date, next);
            match std::fs::create_dir(self.dir.join(&id)) {
                Ok(()) => break id,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => next += 1,
                Err(source) => {
                    return Err(IncidentError::Io {
                        path: self.dir.join(&id),
                        source,
                    });
                }
            }
        };
        // The opened event, or nothing: a failed write leaves no directory
        // behind (a retry must not find a half-made incident).
        let written = ledger::Writer::open_with(&self.log_path(&id), self.seam.clone())
            .and_then(|mut w| w.append_event(clock, actor, &IncidentEvent::Opened(opened)));
        let ev = match written {
            Ok(ev) => ev,
            Err(e) => {
                let _ = std::fs::remove_dir_all(self.dir.join(&id));
                let _ = lock.unlock();
                return Err(e.into());
            }
        };
        let _ = lock.unlock();
        Ok((id, ev))
    }

    /// Takes back an incident opened by this very operation when what had
    /// to follow it failed: its directory is removed, but only while its
    /// log holds nothing but the `opened` event `seq` 1 with `hash`.
    ///
    /// # Errors
    /// The log holds more (nothing is removed then), I/O.
    pub fn discard_new(&self, id: &str, hash: &str) -> Result<(), IncidentError> {
        let events = ledger::read(&self.log_path(id))?;
        if events.len() != 1 || events[0].hash != hash {
            return Err(IncidentError::Refused(format!(
                "{id} is not only the incident just opened: it is kept"
            )));
        }
        std::fs::remove_dir_all(self.dir.join(id)).map_err(|source| IncidentError::Io {
            path: self.dir.join(id),
            source,
        })
    }

    /// Loads and replays one incident (the chain is verified first).
    ///
    /// # Errors
    /// [`IncidentError::NotFound`], a broken chain, a log that does not replay.
    pub fn load(&self, id: &str) -> Result<Incident, IncidentError> {
        self.exists(id)?;
        let events = ledger::read(&self.log_path(id))?;
        Incident::replay(id, events).map_err(IncidentError::Replay)
    }

    /// Runs a transaction on one incident: under the log's lock, replays it,
    /// calls `f` with the state, and appends the events `f` returns (in
    /// order, each stamped by `clock`). Nothing is appended when `f` fails.
    ///
    /// # Errors
    /// Whatever `f` returns, a broken chain, ledger errors.
    pub fn transact<F, E>(
        &self,
        clock: &dyn crate::host::clock::Clock,
        id: &str,
        actor: &Actor,
        f: F,
    ) -> Result<Vec<Event>, E>
    where
        F: FnOnce(&Incident) -> Result<Vec<IncidentEvent>, E>,
        E: From<IncidentError>,
    {
        self.exists(id)?;
        let mut w = ledger::Writer::open_with(&self.log_path(id), self.seam.clone())
            .map_err(IncidentError::from)?;
        let inc = Incident::replay(id, w.events().map_err(IncidentError::from)?)
            .map_err(IncidentError::Replay)?;
        let new = f(&inc)?;
        // One batch: every event of the transaction, or none.
        Ok(w.append_events(clock, actor, &new)
            .map_err(IncidentError::from)?)
    }

    /// A summary of every incident; incidents whose log does not load are
    /// returned as errors beside the rows.
    ///
    /// # Errors
    /// I/O errors reading `incidents/`.
    pub fn list(&self) -> Result<Listing, IncidentError> {
        use rayon::prelude::*;
        let ids = self.ids()?;
        let rows: Vec<Result<Summary, (String, String)>> = ids
            .par_iter()
            .map(|id| {
                let inc = self.load(id).map_err(|e| (id.clone(), e.to_string()))?;
                Ok(Summary {
                    id: inc.id.clone(),
                    title: inc.title.clone(),
                    severity: inc.severity.clone(),
                    status: inc.status,
                    opened_at: inc.opened_at.clone(),
                    updated_at: inc.events.last().map(|e| e.ts.clone()).unwrap_or_default(),
                    events: inc.events.len() as u64,
                    drill: inc.drill,
                    order_violations: inc.violations.len(),
                })
            })
            .collect();
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for r in rows {
            match r {
                Ok(s) => ok.push(s),
                Err(e) => bad.push(e),
            }
        }
        Ok((ok, bad))
    }
}

/// The `status_changed` event for a transition, after checking it.
///
/// # Errors
/// [`IncidentError::Guard`] when refused; [`IncidentError::Invalid`] for an empty reason.
pub fn status_event(
    inc: &Incident,
    to: Status,
    reason: &str,
    g: &Guards,
) -> Result<crate::event::incident::StatusChanged, IncidentError> {
    let reason = require_reason(reason, "a status change")?;
    inc.check(to, g)?;
    Ok(crate::event::incident::StatusChanged {
        from: inc.status.as_str().to_string(),
        to: to.as_str().to_string(),
        reason: Some(reason),
        commander: None,
    })
}

/// Trims a reason and refuses an empty one (decision log, D-ORDER).
///
/// # Errors
/// [`IncidentError::Invalid`] naming what needs the reason.
pub fn require_reason(reason: &str, what: &str) -> Result<String, IncidentError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(IncidentError::Invalid(format!(
            "{what} needs a short reason (--reason TEXT): it goes into the decision log"
        )));
    }
    Ok(r.to_string())
}

/// Checks that a user-supplied time is not in the future (a minute of
/// clock slack) nor more than a year before `now`, and returns it as a
/// ledger timestamp string.
///
/// # Errors
/// [`IncidentError::Invalid`] for an unparsable or future time.
pub fn past_time(what: &str, s: &str, now: jiff::Timestamp) -> Result<String, IncidentError> {
    let t = crate::host::clock::parse_time(s)
        .map_err(|e| IncidentError::Invalid(format!("{what}: {e}")))?;
    if t.as_millisecond() < now.as_millisecond() - 366 * 86_400_000 {
        return Err(IncidentError::Invalid(format!(
            "{what} {} is more than a year ago (now {}): check the date",
            ledger::format_ts(t),
            ledger::format_ts(now)
        )));
    }
    if t.as_millisecond() > now.as_millisecond() + 60_000 {
        return Err(IncidentError::Invalid(format!(
            "{what} {} is in the future (now {})",
            ledger::format_ts(t),
            ledger::format_ts(now)
        )));
    }
    Ok(ledger::format_ts(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> jiff::civil::Date {
        s.parse().unwrap()
    }

    #[test]
    fn id_format_round_trips() {
        let f = IdFormat::parse(DEFAULT_ID_FORMAT).unwrap();
        assert_eq!(f.format(d("2026-11-29"), 7), "INC-20261129-007");
        assert_eq!(f.seq_of(d("2026-11-29"), "INC-20261129-007"), Some(7));
        assert_eq!(f.seq_of(d("2026-11-29"), "INC-20261129-1234"), Some(1234));
        assert_eq!(f.seq_of(d("2026-11-30"), "INC-20261129-007"), None);
        assert_eq!(f.seq_of(d("2026-11-29"), "INC-20261129-"), None);
        let g = IdFormat::parse("OPS/{yyyy}/{seq}").unwrap();
        assert_eq!(g.format(d("2026-01-02"), 12), "OPS/2026/12");
        assert!(
            IdFormat::parse("INC-{yyyymmdd}")
                .unwrap_err()
                .contains("{seq}")
        );
        assert!(
            IdFormat::parse("INC-{hh}-{seq}")
                .unwrap_err()
                .contains("unknown token")
        );
    }

    #[test]
    fn machine_allows_only_listed_next_states() {
        use Status::*;
        let legal: Vec<(Status, Status)> = Status::ALL
            .iter()
            .flat_map(|a| a.next().iter().map(move |b| (*a, *b)))
            .collect();
        assert_eq!(
            legal,
            vec![
                (Open, Acked),
                (Open, Cancelled),
                (Acked, Mitigating),
                (Acked, Cancelled),
                (Mitigating, Monitoring),
                (Mitigating, Cancelled),
                (Monitoring, Resolved),
                (Monitoring, Mitigating),
                (Monitoring, Cancelled),
                (Resolved, Closed),
            ]
        );
        for t in [Closed, Cancelled, Merged] {
            assert!(t.is_terminal());
        }
    }

    fn ev(seq: u64, min: i64, kind: &str, data: Value) -> Event {
        Event {
            seq,
            ts: ledger::format_ts(jiff::Timestamp::from_second(1_796_000_000 + min * 60).unwrap()),
            actor: Actor {
                user: "op".into(),
                host: "h".into(),
                name: None,
            },
            kind: kind.into(),
            data,
            prev_hash: None,
            hash: String::new(),
        }
    }

    fn st(from: &str, to: &str) -> Value {
        json!({"from": from, "to": to, "reason": "r"})
    }

    #[test]
    fn replay_reports_steps_taken_around_the_guards() {
        let events = vec![
            ev(
                1,
                0,
                "opened",
                json!({"title": "t", "severity": "P1", "reason": "r"}),
            ),
            ev(2, 1, "status_changed", st("OPEN", "MITIGATING")),
            ev(3, 2, "status_changed", st("MITIGATING", "MONITORING")),
            ev(4, 3, "status_changed", st("MONITORING", "RESOLVED")),
        ];
        let inc = Incident::replay("INC-1", events).unwrap();
        assert_eq!(inc.status, Status::Resolved);
        let v: Vec<(u64, bool)> = inc
            .violations
            .iter()
            .map(|(s, m)| (*s, m.contains("not allowed next")))
            .collect();
        assert_eq!(v, vec![(2, true), (4, false)], "{:?}", inc.violations);
        assert!(inc.violations[1].1.contains("no evidence attached"));
    }

    #[test]
    fn guards_follow_the_seed_order_and_durations_count_from_detection() {
        let mut events = vec![
            ev(
                1,
                10,
                "opened",
                json!({"title": "t", "severity": "P0", "reason": "r", "detected_at": ledger::format_ts(jiff::Timestamp::from_second(1_796_000_000 + 8 * 60).unwrap())}),
            ),
            ev(2, 12, "status_changed", st("OPEN", "ACKED")),
        ];
        let g = Guards::default();
        let inc = Incident::replay("I", events.clone()).unwrap();
        assert!(matches!(
            inc.check(Status::Mitigating, &g),
            Err(GuardError::Order { .. })
        ));
        events.push(ev(
            3,
            13,
            "safety_decision",
            json!({"to": "HALTED", "reason": "r"}),
        ));
        events.push(ev(4, 14, "status_changed", st("ACKED", "MITIGATING")));
        events.push(ev(5, 20, "status_changed", st("MITIGATING", "MONITORING")));
        let inc = Incident::replay("I", events.clone()).unwrap();
        assert!(inc.violations.is_empty(), "{:?}", inc.violations);
        let e = inc.check(Status::Resolved, &g).unwrap_err().to_string();
        assert!(e.contains("no evidence"), "{e}");
        events.push(ev(
            6,
            21,
            "evidence_attached",
            json!({"ref": "EVB-1", "sha256": "ab".repeat(32)}),
        ));
        events.push(ev(
            7,
            22,
            "recovery_acceptance",
            json!({"passed": true, "checks": [{"id": "time_ok", "result": "pass"}]}),
        ));
        let inc = Incident::replay("I", events.clone()).unwrap();
        let e = inc.check(Status::Resolved, &g).unwrap_err().to_string();
        assert!(
            e.contains("failed on: time_ok"),
            "a pass without evidence is not a pass: {e}"
        );
        events.push(ev(8, 23, "recovery_acceptance", json!({"passed": true, "checks": [{"id": "time_ok", "result": "pass", "evidence": "w32tm.txt"}]})));
        events.push(ev(9, 40, "status_changed", st("MONITORING", "RESOLVED")));
        let inc = Incident::replay("I", events).unwrap();
        assert!(inc.violations.is_empty(), "{:?}", inc.violations);
        assert!(
            matches!(inc.check(Status::Closed, &g), Err(GuardError::Order { .. })),
            "P0 needs a postmortem"
        );
        let ok = Guards {
            postmortem: Some(Ok(())),
            open_children: vec![],
        };
        assert!(inc.check(Status::Closed, &ok).is_ok());
        let d = inc.durations();
        assert_eq!(
            (d.to_ack_ms, d.to_mitigate_ms, d.to_resolve_ms),
            (Some(4 * 60_000), Some(12 * 60_000), Some(32 * 60_000))
        );
    }
}
