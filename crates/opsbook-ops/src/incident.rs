//! Incident operations (D-INC-*, D-ORDER): open (the one path for `incident
//! open`, `halt` and `p0`), status changes with their guards, decisions,
//! scope, evidence, recovery acceptance, links, severity, merges,
//! corrections and notes. Each is a transaction on the incident's
//! hash-chained log; opening a P0/P1 also turns the change freeze on.

use std::collections::BTreeMap;
use std::path::Path;

use opsbook_core::event::IncidentEvent;
use opsbook_core::event::incident as ev;
use opsbook_core::incident::{
    CheckAnswer, Guards, Incident, IncidentError, Status, Store, past_time, require_reason,
    severity_rank, status_event,
};
use opsbook_core::layout::{Layout, LedgerFile};
use opsbook_core::ledger::Event;
use opsbook_core::next::NextStep;
use opsbook_core::policy::{AcceptanceCheck, Degraded};
use opsbook_core::severity::{Classification, Facts, Policy};
use serde::Serialize;
use serde_json::Value;

use crate::{Context, OpsError};

/// How an incident's severity is decided when it is opened.
#[derive(Debug, Clone, Default)]
pub struct SeverityInput {
    /// Stated by hand (needs a reason, or facts it may only raise).
    pub stated: Option<String>,
    /// Why (decision log).
    pub reason: Option<String>,
    /// `KEY=VALUE` facts (typed by `policy/severity.yaml`).
    pub facts: Vec<String>,
    /// Facts as a JSON/YAML object from a file.
    pub facts_file: Option<std::path::PathBuf>,
}

/// What to open.
#[derive(Debug, Clone, Default)]
pub struct OpenRequest {
    /// One line, as the operator sees it.
    pub title: String,
    /// Severity: stated or from facts.
    pub severity: SeverityInput,
    /// Detected (RFC 3339; without offset = UTC).
    pub detected: Option<String>,
    /// Impact started.
    pub impact_started: Option<String>,
    /// Incident commander.
    pub commander: Option<String>,
    /// A drill.
    pub drill: bool,
}

/// What [`open`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    /// The new ID.
    pub id: String,
    /// Its severity.
    pub severity: String,
    /// The rule that decided it (from facts).
    pub rule: Option<Value>,
    /// Facts assumed true because not stated.
    pub assumed: Option<Value>,
    /// The `opened` event.
    pub event: Event,
    /// The change freeze was turned on.
    pub froze: bool,
    /// The classification, when facts were stated.
    #[serde(skip)]
    pub classification: Option<Classification>,
    /// Stated by hand over a computed severity: (stated, computed, rule).
    #[serde(skip)]
    pub overridden: Option<(String, String, Option<String>)>,
    /// The title.
    #[serde(skip)]
    pub title: String,
    /// What should have followed the opening and could not be recorded
    /// (only `halt`, which never stops at a broken ledger, keeps an
    /// incident then; `incident open` takes it back instead).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrecorded: Vec<String>,
}

/// `policy/severity.yaml`, as a classifier.
///
/// # Errors
/// The policy is missing or invalid.
pub fn severity_policy(ctx: &Context) -> Result<Policy, OpsError> {
    let p: opsbook_core::policy::Severity = ctx.policy()?;
    Policy::from_policy(&p).map_err(|e| OpsError::Other(format!("policy/severity.yaml: {e}")))
}

/// Reads a YAML/JSON file of values (any encoding Windows writes).
///
/// # Errors
/// Unreadable or not YAML/JSON.
pub fn read_value(path: &Path) -> Result<Value, OpsError> {
    let bytes = std::fs::read(path)
        .map_err(|e| OpsError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| OpsError::invalid(format!("{}: {e}", path.display())))?;
    let doc = opsbook_core::yaml::parse(&text.text)
        .map_err(|e| OpsError::invalid(format!("{}: {e}", path.display())))?;
    Ok(doc.value)
}

/// Facts from a file and `KEY=VALUE` (the latter win), typed by the policy.
///
/// # Errors
/// A fact the policy does not declare, of the wrong type, or stated twice.
pub fn collect_facts(
    policy: &Policy,
    facts: &[String],
    file: Option<&Path>,
) -> Result<Facts, OpsError> {
    let mut stated = Facts::new();
    if let Some(f) = file {
        let v = read_value(f)?;
        let Some(obj) = v.as_object() else {
            return Err(OpsError::invalid(format!(
                "`{}` must hold an object of facts, e.g. {{\"mode\": \"live\", \"unexpected_loss_usd\": 1200}}",
                f.display()
            )));
        };
        let given: Facts = obj.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        stated.extend(
            policy
                .check_facts(&given)
                .map_err(|e| OpsError::invalid(format!("{}: {e}", f.display())))?,
        );
    }
    let mut given = BTreeMap::new();
    for kv in facts {
        let (k, v) = policy
            .parse_fact(kv)
            .map_err(|e| OpsError::invalid(e.to_string()))?;
        if let Some(prev) = given.insert(k.clone(), v.clone())
            && prev != v
        {
            return Err(OpsError::invalid(format!(
                "fact `{k}` is stated twice ({prev} and {v}): state it once"
            )));
        }
        stated.insert(k, v);
    }
    Ok(stated)
}

/// What [`classify`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Classified {
    /// The facts as typed by the policy.
    pub facts: Facts,
    /// The classification.
    pub classification: Classification,
}

/// `severity classify`: P0/P1/P2 from stated facts, by policy.
///
/// # Errors
/// No fact stated; a fact the policy does not know; the policy is broken.
pub fn classify(
    ctx: &Context,
    facts: &[String],
    file: Option<&Path>,
) -> Result<Classified, OpsError> {
    let policy = severity_policy(ctx)?;
    let stated = collect_facts(&policy, facts, file)?;
    if stated.is_empty() {
        return Err(OpsError::invalid(
            "state at least one fact: --fact KEY=VALUE (repeatable) or --facts FILE",
        ));
    }
    let classification = policy.classify(&stated);
    Ok(Classified {
        facts: stated,
        classification,
    })
}

/// Opens an incident: the one path for `incident open`, `halt` and `p0`.
/// The title is one line; the severity comes from facts by policy, or is
/// stated with a reason; a severity in `on_incident_severity` turns the
/// change freeze on (D-SAFE-FREEZE).
///
/// Complete or nothing: when the freeze it must turn on cannot be
/// recorded, the incident just opened is taken back (a retry then opens
/// one, not two).
///
/// # Errors
/// Bad input (empty or multi-line title, no severity, times in the future
/// or in the wrong order), a broken policy, ledger errors (nothing kept).
pub fn open(ctx: &Context, req: &OpenRequest) -> Result<Opened, OpsError> {
    open_as(ctx, req, false)
}

/// [`open`]; with `keep`, a freeze that cannot be recorded leaves the
/// incident open and is named in [`Opened::unrecorded`] (`halt`).
pub(crate) fn open_as(ctx: &Context, req: &OpenRequest, keep: bool) -> Result<Opened, OpsError> {
    let title = req.title.trim();
    if title.is_empty() {
        return Err(OpsError::invalid(
            "--title is empty: say what is broken, as you see it",
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(OpsError::invalid(
            "--title must be one line (no line breaks or control characters); put details in `opsbook incident log`",
        ));
    }
    crate::scrub::check_input("title", title)?;
    let s = &req.severity;
    let reason = s.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let mut data = ev::Opened {
        title: title.to_string(),
        ..ev::Opened::default()
    };
    let mut classification = None;
    let mut overridden = None;
    if s.facts.is_empty() && s.facts_file.is_none() {
        let (Some(sev), Some(r)) = (s.stated.as_deref(), reason) else {
            return Err(OpsError::invalid(
                "state the severity: --fact KEY=VALUE... (computed by policy/severity.yaml), or --severity P0|P1|P2 with --reason TEXT",
            ));
        };
        data.severity = sev.to_string();
        data.reason = Some(r.to_string());
    } else {
        let policy = severity_policy(ctx)?;
        let stated = collect_facts(&policy, &s.facts, s.facts_file.as_deref())?;
        let cl = policy.classify(&stated);
        let mut sev = cl.severity.clone();
        if let Some(st) = s.stated.as_deref() {
            if severity_rank(st) > severity_rank(&cl.severity) && reason.is_none() {
                return Err(OpsError::invalid(format!(
                    "the facts give {} (rule {}); lowering it to {st} needs --reason",
                    cl.severity,
                    cl.rule.as_deref().unwrap_or("default")
                )));
            }
            if st != cl.severity {
                overridden = Some((st.to_string(), cl.severity.clone(), cl.rule.clone()));
            }
            sev = st.to_string();
        }
        data.severity = sev;
        data.facts = Some(stated);
        data.rule = Some(cl.rule.clone());
        if !cl.assumed.is_empty() {
            data.assumed = Some(cl.assumed.clone());
        }
        data.reason = reason.map(str::to_string);
        classification = Some(cl);
    }
    let now = ctx.now();
    let det = req
        .detected
        .as_deref()
        .map(|d| past_time("--detected", d, now))
        .transpose()?;
    let imp = req
        .impact_started
        .as_deref()
        .map(|d| past_time("--impact-started", d, now))
        .transpose()?;
    if let (Some(i), Some(d)) = (&imp, &det)
        && opsbook_core::incident::millis_between(i, d).is_some_and(|ms| ms < 0)
    {
        return Err(OpsError::invalid(format!(
            "--impact-started {i} is after --detected {d}: impact cannot start after it was detected; check the times (UTC unless an offset is given)"
        )));
    }
    data.detected_at = det;
    data.impact_started_at = imp;
    data.commander = req.commander.clone();
    data.drill = req.drill.then_some(true);
    let st = ctx.store()?;
    let (id, event) = st.open(ctx.clock.as_ref(), &ctx.actor, data)?;
    let typed = opsbook_core::event::parse::<IncidentEvent>(&event);
    let Some(IncidentEvent::Opened(written)) = typed else {
        return Err(OpsError::Other(
            "the opened event does not read back".into(),
        ));
    };
    let sev = written.severity.clone();
    // D-SAFE-FREEZE: opening an incident of these severities freezes changes.
    let mut unrecorded = Vec::new();
    let froze = match crate::freeze::policy_lenient(ctx).and_then(|fp| {
        if fp.on_incident_severity.contains(&sev) {
            crate::freeze::freeze_on_if_off(
                ctx,
                &format!("{sev} incident {id} opened: {title}"),
                Some(&id),
                "incident",
            )
        } else {
            Ok(false)
        }
    }) {
        Ok(f) => f,
        Err(e) if keep => {
            unrecorded.push(format!("the change freeze for {id} (turn it on): {e}"));
            false
        }
        Err(e) => {
            return Err(match st.discard_new(&id, &event.hash) {
                Ok(()) => OpsError::Other(format!(
                    "{e}\nthe change freeze a {sev} incident turns on could not be recorded, so {id} was not opened (nothing was recorded); repair that ledger (`opsbook ledger verify`) and open it again, or stop trading with `opsbook halt`, which never waits for a record"
                )),
                Err(d) => OpsError::Other(format!(
                    "{e}\n{id} was opened but the change freeze could not be recorded, and taking it back failed too ({d}): use {id}, do not open another"
                )),
            });
        }
    };
    // As recorded: a secret in the title was redacted on its way in, and
    // is not echoed back either.
    let title = event
        .data
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(title)
        .to_string();
    Ok(Opened {
        id,
        severity: sev,
        rule: event.data.get("rule").cloned(),
        assumed: event.data.get("assumed").cloned(),
        event,
        froze,
        classification,
        overridden,
        title,
        unrecorded,
    })
}

/// Events appended to one incident.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// The incident.
    #[serde(skip)]
    pub id: String,
    /// The events appended (empty: nothing to record, see `unchanged`).
    pub events: Vec<Event>,
    /// Why nothing was recorded (an evidence reference already attached
    /// with the same SHA-256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<String>,
}

fn not_terminal(inc: &Incident, what: &str) -> Result<(), IncidentError> {
    if inc.status.is_terminal() {
        return Err(IncidentError::Refused(format!(
            "{} is {}: no {what} can be added; open a new incident and link it with --related",
            inc.id, inc.status
        )));
    }
    Ok(())
}

/// One event built from the replayed state, under the log's lock.
fn simple<F>(ctx: &Context, id: &str, f: F) -> Result<Recorded, OpsError>
where
    F: FnOnce(&Incident) -> Result<IncidentEvent, IncidentError>,
{
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let events = st.transact(ctx.clock.as_ref(), &id, &ctx.actor, |inc| {
        Ok::<_, OpsError>(vec![f(inc)?])
    })?;
    ctx.warn_clock(&events, "the last recorded event");
    Ok(Recorded {
        id,
        events,
        unchanged: None,
    })
}

/// What a status change did.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    /// The incident.
    #[serde(skip)]
    pub id: String,
    /// From.
    #[serde(skip)]
    pub from: Status,
    /// To.
    #[serde(skip)]
    pub to: Status,
    /// Its severity.
    #[serde(skip)]
    pub severity: String,
    /// The postmortem attached (CLOSED).
    #[serde(skip)]
    pub postmortem: Option<String>,
    /// The freeze is still on and no incident that turned it on is open.
    #[serde(skip)]
    pub freeze_liftable: bool,
    /// The events appended.
    pub events: Vec<Event>,
}

/// The guards the SSOT decides: the postmortem for CLOSED, children for RESOLVED.
fn guards_for(ctx: &Context, st: &Store, inc: &Incident, to: Status) -> Result<Guards, OpsError> {
    let mut g = Guards::default();
    if to == Status::Resolved {
        for c in inc.children() {
            if let Ok(child) = st.load(c)
                && child.status.is_open()
            {
                g.open_children.push(format!("{c} ({})", child.status));
            }
        }
    }
    if to == Status::Closed {
        let path = ctx.layout.postmortem(&inc.id);
        if path.is_file() {
            g.postmortem = Some(crate::learn::postmortem_blocking(
                ctx,
                &inc.id,
                &inc.severity,
            )?);
        }
    }
    Ok(g)
}

/// Changes an incident's status through its guards (ACKED names the
/// commander; RESOLVED of an incident that held the platform in HALTED or
/// SAFE_MODE waits for RECOVERING and its dwell, [`crate::recovery::verify`];
/// CLOSED attaches a passing postmortem).
///
/// # Errors
/// A guard refuses (with the way forward), bad input, ledger errors.
pub fn change_status(
    ctx: &Context,
    id: &str,
    to: Status,
    reason: &str,
    commander: Option<&str>,
) -> Result<StatusChange, OpsError> {
    if to == Status::Merged {
        return Err(OpsError::invalid(
            "MERGED is reached with `opsbook incident merge ID --into OTHER --reason …`",
        ));
    }
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    // The SSOT-dependent guards are computed before taking the lock (they
    // read other files); the machine and order guards run under it.
    let pre = st.load(&id)?;
    let g = guards_for(ctx, &st, &pre, to)?;
    let pm_rel = Layout::postmortem_rel(&id);
    let pm_path = ctx.layout.postmortem(&id);
    // RESOLVED after a hold waits for the platform's recovery (issue 13
    // item 5): judged from the safety ledger, after the incident's own guards.
    let recovery = match to {
        Status::Resolved => Some(crate::recovery::verify(ctx, &pre, "RESOLVED")),
        _ => None,
    };
    let events = st.transact(ctx.clock.as_ref(), &id, &ctx.actor, |inc| {
        let mut out = Vec::new();
        let mut change = status_event(inc, to, reason, &g)?;
        if let Some(Err(e)) = recovery {
            return Err(e);
        }
        change.commander = commander.map(str::to_string);
        if to == Status::Closed
            && matches!(g.postmortem, Some(Ok(())))
            && let Ok(sha) = opsbook_evidence::bundle::file_sha256(&pm_path)
        {
            out.push(IncidentEvent::PostmortemAttached(ev::PostmortemAttached {
                path: pm_rel.clone(),
                sha256: sha,
            }));
        }
        out.push(IncidentEvent::StatusChanged(change));
        Ok::<_, OpsError>(out)
    })?;
    ctx.warn_clock(&events, "the last recorded event");
    let freeze_liftable = matches!(to, Status::Closed | Status::Cancelled | Status::Resolved)
        && crate::freeze::liftable_after_close(ctx);
    Ok(StatusChange {
        postmortem: (to == Status::Closed && events.len() > 1).then_some(pm_rel),
        id,
        from: pre.status,
        to,
        severity: pre.severity,
        freeze_liftable,
        events,
    })
}

/// Parses a status name as typed (`MITIGATING`, `mitigating`).
///
/// # Errors
/// Not a status (the list of statuses), or MERGED (reached by a merge).
pub fn parse_status(s: &str) -> Result<Status, OpsError> {
    let Some(to) = Status::parse(s) else {
        return Err(OpsError::invalid(format!(
            "`{s}` is not a status; use one of {}",
            Status::ALL
                .iter()
                .filter(|s| **s != Status::Merged)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    Ok(to)
}

/// The kind of a free-text entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// A note.
    Note,
    /// A decision (needs a reason).
    Decision,
    /// A scope declaration.
    Scope,
}

/// A note, a decision or a scope line on the timeline.
///
/// # Errors
/// Empty text; a decision without a reason; a terminal incident.
pub fn log(
    ctx: &Context,
    id: &str,
    kind: LogKind,
    text: &str,
    reason: Option<&str>,
) -> Result<Recorded, OpsError> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(OpsError::invalid("the text is empty"));
    }
    match kind {
        LogKind::Decision => {
            let reason = require_reason(reason.unwrap_or(""), "a decision")?;
            simple(ctx, id, |inc| {
                not_terminal(inc, "decision")?;
                Ok(IncidentEvent::Decision(ev::Decision {
                    decision: text,
                    reason,
                    alternatives: Vec::new(),
                }))
            })
        }
        LogKind::Scope => simple(ctx, id, |inc| {
            not_terminal(inc, "scope declaration")?;
            Ok(IncidentEvent::Scope(ev::Scope {
                text: Some(text),
                ..ev::Scope::default()
            }))
        }),
        LogKind::Note => simple(ctx, id, |_| Ok(IncidentEvent::Note(ev::Note { text }))),
    }
}

/// The safety states of `policy/degraded.yaml` (empty when it cannot be
/// read: then any state name is taken, with a warning).
fn safety_states(ctx: &Context) -> Vec<String> {
    match ctx.policy::<Degraded>() {
        Ok(d) => d.states.into_iter().map(|s| s.id).collect(),
        Err(e) => {
            ctx.warn(format!(
                "warning: {e}; the safety state cannot be checked against the policy"
            ));
            Vec::new()
        }
    }
}

/// What [`decide`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    /// The incident.
    #[serde(skip)]
    pub id: String,
    /// The events appended to the incident.
    pub events: Vec<Event>,
    /// The platform's transition the decision performed (`--safety` to a
    /// state the platform is not in); `None`: the decision only.
    pub transition: Option<crate::safety::SetOutcome>,
    /// With `--safety` recorded only: the platform's state, which the
    /// decision did not change (front ends say so, and what to run).
    pub platform_state: Option<String>,
}

/// A decision; with `safety`, the safety decision MITIGATING needs. One
/// truth for the safety state: deciding a state the platform is not in
/// performs the transition through [`crate::safety::set_state`] (its
/// guards, its hook, its ledger) and records the decision with it;
/// deciding the state the platform is in records the decision only. A
/// transition refused or failed records nothing in the incident. With
/// `record_only`, the decision is recorded and the platform left as it is
/// ([`Decided::platform_state`] says in which state).
///
/// # Errors
/// Empty decision or reason; a state the policy does not have; a terminal
/// incident; as [`crate::safety::set_state`] (a guard's refusal names the
/// step that lets it go ahead; a failed hook is [`OpsError::HookFailed`]).
pub fn decide(
    ctx: &Context,
    id: &str,
    decision: &str,
    reason: &str,
    alternatives: &[String],
    safety: Option<&str>,
    record_only: bool,
) -> Result<Decided, OpsError> {
    let decision = decision.trim().to_string();
    if decision.is_empty() {
        return Err(OpsError::invalid(
            "--decision is empty: say what was decided",
        ));
    }
    let reason = require_reason(reason, "a decision")?;
    let alts: Vec<String> = alternatives
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    let safety = match safety {
        Some(s) => {
            let states = safety_states(ctx);
            let up = s.trim().to_ascii_uppercase();
            if !states.is_empty() && !states.contains(&up) {
                return Err(OpsError::invalid(format!(
                    "--safety `{s}` is not a state of policy/degraded.yaml ({})",
                    states.join(", ")
                )));
            }
            Some(up)
        }
        None => None,
    };
    let mut platform_state = None;
    if let Some(to) = &safety {
        let st = ctx.store()?;
        let id = st.resolve(id)?;
        let inc = st.load(&id)?;
        not_terminal(&inc, "decision")?;
        let (_, cur) = crate::state::current(ctx)?;
        platform_state = Some(cur.state.clone());
        if cur.state != *to && !record_only {
            let before = inc.events.len();
            let transition = match crate::safety::set_state_deciding(
                ctx,
                &crate::safety::SetRequest {
                    to: to.clone(),
                    reason: reason.clone(),
                    evidence: None,
                    source: opsbook_core::safety::Source::Operator,
                    incident: Some(id.clone()),
                    manual: false,
                },
                Some(&crate::safety::Decided {
                    decision: decision.clone(),
                    alternatives: alts.clone(),
                }),
            ) {
                Ok(t) => t,
                Err(OpsError::HookFailed(mut f)) => {
                    f.incident = Some(id.clone());
                    return Err(OpsError::HookFailed(f));
                }
                Err(e) => return Err(e),
            };
            let events = st
                .load(&id)
                .map(|i| i.events.into_iter().skip(before).collect())
                .unwrap_or_default();
            return Ok(Decided {
                id,
                events,
                transition: Some(transition),
                platform_state: None,
            });
        }
    }
    let r = simple(ctx, id, |inc| {
        not_terminal(inc, "decision")?;
        Ok(match safety {
            Some(to) => IncidentEvent::SafetyDecision(ev::SafetyDecision {
                to,
                decision,
                reason,
                alternatives: Some(alts),
            }),
            None => IncidentEvent::Decision(ev::Decision {
                decision,
                reason,
                alternatives: alts,
            }),
        })
    })?;
    Ok(Decided {
        id: r.id,
        events: r.events,
        transition: None,
        platform_state,
    })
}

/// A scope declaration.
#[derive(Debug, Clone, Default)]
pub struct ScopeRequest {
    /// Affected (repeatable).
    pub affected: Vec<String>,
    /// Checked and not affected.
    pub not_affected: Vec<String>,
    /// Free text.
    pub text: Option<String>,
    /// Detected.
    pub detected: Option<String>,
    /// Impact started.
    pub impact_started: Option<String>,
    /// Impact ended.
    pub impact_ended: Option<String>,
}

/// Declares impact and scope; times are checked against each other and
/// the incident's.
///
/// # Errors
/// Nothing declared; times in the future, out of order; a terminal incident.
pub fn scope(ctx: &Context, id: &str, r: &ScopeRequest) -> Result<Recorded, OpsError> {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (aff, naff) = (clean(&r.affected), clean(&r.not_affected));
    let text = r
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let now = ctx.now();
    let t =
        |what: &str, v: &Option<String>| v.as_deref().map(|d| past_time(what, d, now)).transpose();
    let det = t("--detected", &r.detected)?;
    let imp = t("--impact-started", &r.impact_started)?;
    let end = t("--impact-ended", &r.impact_ended)?;
    if aff.is_empty()
        && naff.is_empty()
        && text.is_none()
        && det.is_none()
        && imp.is_none()
        && end.is_none()
    {
        return Err(OpsError::invalid(
            "declare something: --affected, --not-affected, --text, --detected, --impact-started or --impact-ended",
        ));
    }
    simple(ctx, id, |inc| {
        not_terminal(inc, "scope declaration")?;
        let start = imp.clone().or_else(|| inc.impact_started_at.clone());
        let det_ = det.clone().or_else(|| inc.detected_at.clone());
        let before = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if opsbook_core::incident::millis_between(a, b).is_some_and(|ms| ms < 0));
        if before(&start, &det_) {
            return Err(IncidentError::Invalid(format!(
                "impact started {} after it was detected {}: check the times",
                start.unwrap_or_default(),
                det_.unwrap_or_default()
            )));
        }
        if before(&det_, &Some(inc.opened_at.clone())) {
            return Err(IncidentError::Invalid(format!(
                "detected {} is after the incident was declared ({}): detection comes first",
                det_.unwrap_or_default(),
                inc.opened_at
            )));
        }
        if before(&start, &end) {
            return Err(IncidentError::Invalid(format!(
                "impact ended {} before it started {}",
                end.clone().unwrap_or_default(),
                start.unwrap_or_default()
            )));
        }
        Ok(IncidentEvent::Scope(ev::Scope {
            affected: Some(aff).filter(|a| !a.is_empty()),
            not_affected: Some(naff).filter(|a| !a.is_empty()),
            text,
            detected_at: det,
            impact_started_at: imp,
            impact_ended_at: end,
        }))
    })
}

/// Attaches an evidence reference: a file (hashed here, checked against
/// `sha256` when given); a bundle ID sealed in this SSOT (its hash and size
/// taken from the custody ledger, checked against `sha256` when given); or
/// another bundle ID or a URL with its SHA-256 (recorded as given, with a
/// warning for an `EVB-…` this SSOT never sealed).
///
/// # Errors
/// A hash that is not SHA-256 or does not match the file or the sealed
/// bundle; a reference that is neither a file nor a sealed bundle here,
/// without a hash; a terminal incident; an unreadable custody ledger.
pub fn attach(
    ctx: &Context,
    id: &str,
    reference: &str,
    sha256: Option<&str>,
    note: Option<&str>,
) -> Result<Recorded, OpsError> {
    let reference = reference.trim().to_string();
    let given = match sha256 {
        Some(h) => {
            let h = h.trim().to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(OpsError::invalid(format!(
                    "--sha256 `{h}` is not a SHA-256 (64 hex digits); PowerShell: (Get-FileHash FILE -Algorithm SHA256).Hash"
                )));
            }
            Some(h)
        }
        None => None,
    };
    let path = Path::new(&reference);
    let (kind, sha, size) = if !reference.contains("://") && path.is_file() {
        let h = opsbook_evidence::bundle::file_sha256(path)?;
        let n = std::fs::metadata(path)
            .map_err(|e| OpsError::io(path, e))?
            .len();
        if let Some(g) = &given
            && *g != h
        {
            return Err(OpsError::invalid(format!(
                "`{reference}` has SHA-256 {h}, not {g}: the file changed or the hash belongs to another file"
            )));
        }
        ("file", h, Some(n))
    } else if let Some(s) = crate::custody::sealed(ctx, &reference)? {
        // A bundle sealed here: the custody ledger knows its hash, and a
        // different one given is a mistake that must not be recorded.
        if let Some(g) = &given
            && *g != s.sha256
        {
            return Err(OpsError::invalid(format!(
                "bundle {reference} was sealed with SHA-256 {} ({}), not {g}: leave out --sha256 and opsbook takes the recorded hash",
                s.sha256,
                LedgerFile::Custody.rel()
            )));
        }
        ("bundle", s.sha256, Some(s.size))
    } else {
        let Some(h) = given else {
            return Err(OpsError::invalid(format!(
                "`{reference}` is neither a file here nor a bundle sealed in this SSOT ({}); give its hash with --sha256 HEX (a bundle's .sha256 file, or Get-FileHash)",
                LedgerFile::Custody.rel()
            )));
        };
        if reference.starts_with("EVB-") {
            ctx.warn(format!(
                "warning: {reference} is not sealed in this SSOT ({}): its hash is recorded as you gave it, unchecked",
                LedgerFile::Custody.rel()
            ));
        }
        (
            if reference.contains("://") {
                "url"
            } else {
                "bundle"
            },
            h,
            None,
        )
    };
    // The same reference with the same hash is already on the timeline:
    // attaching it again records nothing (issue 13), and says so.
    let st = ctx.store()?;
    let rid = st.resolve(id)?;
    let inc = st.load(&rid)?;
    if let Some(seq) = inc
        .events
        .iter()
        .find_map(|e| match opsbook_core::event::parse(e) {
            Some(IncidentEvent::EvidenceAttached(a))
                if a.reference == reference && a.sha256 == sha =>
            {
                Some(e.seq)
            }
            _ => None,
        })
    {
        not_terminal(&inc, "evidence")?;
        return Ok(Recorded {
            unchanged: Some(format!(
                "{reference} is already attached to {rid} (#{seq}, SHA-256 {sha}): nothing recorded"
            )),
            id: rid,
            events: Vec::new(),
        });
    }
    let data = ev::EvidenceAttached {
        reference,
        sha256: sha,
        kind: kind.to_string(),
        size_bytes: size,
        note: note
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        from_incident: None,
    };
    simple(ctx, id, |inc| {
        not_terminal(inc, "evidence")?;
        Ok(IncidentEvent::EvidenceAttached(data))
    })
}

/// The recovery-acceptance checks of `policy/degraded.yaml`.
///
/// # Errors
/// The policy cannot be read, or has no checks (then nothing can be RESOLVED).
pub fn acceptance_checks(ctx: &Context) -> Result<Vec<AcceptanceCheck>, OpsError> {
    let d: Degraded = ctx.policy()?;
    if d.recovery_acceptance.checks.is_empty() {
        return Err(OpsError::Other(
            "policy/degraded.yaml has no recovery_acceptance.checks: without a checklist no incident can be RESOLVED (see spec/recovery-acceptance.md; `opsbook init` writes the default list)".into(),
        ));
    }
    Ok(d.recovery_acceptance.checks)
}

/// The checklist to answer.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// The incident.
    pub incident: String,
    /// The checks, in policy order.
    pub checks: Vec<ChecklistItem>,
}

/// One check to answer.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    /// ID.
    pub id: String,
    /// English title.
    pub title: String,
    /// The question.
    pub question: String,
    /// What opsbook would accept now, or why not yet
    /// ([`crate::acceptance::suggest`]: a dry run of the check's verifier).
    #[serde(flatten)]
    pub found: crate::acceptance::Suggestion,
}

/// The recovery-acceptance checklist of an incident, with what opsbook
/// would accept now for each check (a dry run; nothing recorded).
///
/// # Errors
/// No such incident; the policy cannot be read.
pub fn checklist(ctx: &Context, id: &str) -> Result<Checklist, OpsError> {
    let list = acceptance_checks(ctx)?;
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let inc = st.load(&id)?;
    let mut checks = Vec::new();
    for c in list {
        checks.push(ChecklistItem {
            found: crate::acceptance::suggest(ctx, &inc, &c.id)?,
            id: c.id,
            title: c.title.en,
            question: c.question,
        });
    }
    Ok(Checklist {
        incident: id,
        checks,
    })
}

/// What [`accept`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// The incident.
    #[serde(skip)]
    pub id: String,
    /// Every check passed.
    #[serde(skip)]
    pub passed: bool,
    /// Checks answered.
    #[serde(skip)]
    pub answered: usize,
    /// Checks that did not pass.
    #[serde(skip)]
    pub failing: Vec<String>,
    /// The event.
    pub events: Vec<Event>,
}

/// Parses `CHECK=pass:EVIDENCE` / `CHECK=fail[:EVIDENCE]`.
///
/// # Errors
/// Not that form.
pub fn parse_check(a: &str) -> Result<CheckAnswer, OpsError> {
    let Some((k, rest)) = a.split_once('=') else {
        return Err(OpsError::invalid(format!(
            "--check `{a}`: expected CHECK=pass:EVIDENCE or CHECK=fail[:EVIDENCE]"
        )));
    };
    let (result, ev) = match rest.split_once(':') {
        Some((r, e)) => (r, Some(e.trim().to_string()).filter(|e| !e.is_empty())),
        None => (rest, None),
    };
    Ok(CheckAnswer {
        id: k.trim().to_string(),
        result: result.trim().to_ascii_lowercase(),
        evidence: ev,
        note: None,
    })
}

/// Answers from a file: check → `{result, evidence, note}` or `pass`.
///
/// # Errors
/// Not a mapping of that shape.
pub fn read_answers(f: &Path) -> Result<Vec<CheckAnswer>, OpsError> {
    let v = read_value(f)?;
    let Some(o) = v.as_object() else {
        return Err(OpsError::invalid(format!(
            "`{}` must map each check to {{result: pass|fail, evidence: REF}}",
            f.display()
        )));
    };
    let mut got = Vec::new();
    for (k, a) in o {
        let (result, evidence, note) = match a {
            Value::String(r) => (r.clone(), None, None),
            Value::Object(_) => (
                a.get("result")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                a.get("evidence")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                a.get("note").and_then(Value::as_str).map(str::to_string),
            ),
            _ => {
                return Err(OpsError::invalid(format!(
                    "{}: `{k}`: expected {{result, evidence}}",
                    f.display()
                )));
            }
        };
        got.push(CheckAnswer {
            id: k.clone(),
            result,
            evidence,
            note,
        });
    }
    Ok(got)
}

/// Records the recovery acceptance: every check answered, each pass with
/// evidence; later answers replace earlier ones for the same check.
///
/// # Errors
/// Not MITIGATING/MONITORING (refused); an unknown check, a pass without
/// evidence, a check not answered (bad input).
pub fn accept(ctx: &Context, id: &str, answers: Vec<CheckAnswer>) -> Result<Accepted, OpsError> {
    let list = acceptance_checks(ctx)?;
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let pre = st.load(&id)?;
    let wrong_state = |status: Status| {
        IncidentError::Refused(format!(
            "{id} is {status}: recovery acceptance is answered while MITIGATING or MONITORING"
        ))
    };
    if !matches!(pre.status, Status::Mitigating | Status::Monitoring) {
        return Err(wrong_state(pre.status).into());
    }
    let mut got: Vec<CheckAnswer> = Vec::new();
    for a in answers {
        got.retain(|g| g.id != a.id);
        got.push(a);
    }
    let known: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
    // Every problem of the answers at once (issue 13), not one per run.
    let mut problems = Vec::new();
    for g in &got {
        if !known.contains(&g.id.as_str()) {
            problems.push(OpsError::invalid(format!(
                "`{}` is not a recovery-acceptance check; the policy has: {}",
                g.id,
                known.join(", ")
            )));
        } else if g.result != "pass" && g.result != "fail" {
            problems.push(OpsError::invalid(format!(
                "check `{}`: result `{}` is neither pass nor fail",
                g.id, g.result
            )));
        } else if g.result == "pass" && g.evidence.is_none() {
            problems.push(OpsError::invalid(format!(
                "check `{}` passes only with evidence: {}=pass:REF (bundle ID, file or URL)",
                g.id, g.id
            )));
        }
    }
    let missing: Vec<&str> = known
        .iter()
        .filter(|k| !got.iter().any(|g| g.id == **k))
        .copied()
        .collect();
    if !missing.is_empty() {
        problems.push(OpsError::needs(
            format!(
                "every check must be answered; missing: {}",
                missing.join(", ")
            ),
            NextStep::ListAcceptance {
                incident: id.clone(),
            },
        ));
    }
    // Checks opsbook can verify are verified, placeholders refused (issue 13
    // item 5, issue 15 item 4): one table, `crate::acceptance::VERIFIERS`;
    // their problems are listed with the ones above.
    problems.extend(crate::acceptance::verify_each(ctx, &pre, &mut got)?);
    crate::acceptance::combine(problems)?;
    // Policy order.
    got.sort_by_key(|g| known.iter().position(|k| *k == g.id));
    let passed = got.iter().all(|g| g.result == "pass");
    let failing: Vec<String> = got
        .iter()
        .filter(|g| g.result != "pass")
        .map(|g| g.id.clone())
        .collect();
    let answered = got.len();
    let events = st.transact(ctx.clock.as_ref(), &id, &ctx.actor, |inc| {
        if !matches!(inc.status, Status::Mitigating | Status::Monitoring) {
            return Err(OpsError::from(wrong_state(inc.status)));
        }
        Ok(vec![IncidentEvent::RecoveryAcceptance(
            ev::RecoveryAcceptance {
                checks: got,
                passed,
            },
        )])
    })?;
    ctx.warn_clock(&events, "the last recorded event");
    Ok(Accepted {
        id,
        passed,
        answered,
        failing,
        events,
    })
}

/// How two incidents relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// OTHER is the parent of ID.
    Parent,
    /// OTHER is a child of ID.
    Child,
    /// Shared context, no hierarchy.
    Related,
}

/// What [`link`] recorded (in both incidents).
#[derive(Debug, Clone, Serialize)]
pub struct Linked {
    /// The incident.
    #[serde(skip)]
    pub id: String,
    /// The other.
    #[serde(skip)]
    pub other: String,
    /// `parent`, `child` or `related`.
    #[serde(skip)]
    pub relation: String,
    /// The events in both logs.
    pub events: Vec<Event>,
}

/// Links two incidents, written in both; parent/child stays a forest (at
/// most one parent, no cycle).
///
/// # Errors
/// Self-link, a second parent, a cycle (bad input); already linked.
pub fn link(ctx: &Context, id: &str, other: &str, rel: Relation) -> Result<Linked, OpsError> {
    let (rel, back) = match rel {
        Relation::Parent => ("parent", "child"),
        Relation::Child => ("child", "parent"),
        Relation::Related => ("related", "related"),
    };
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let other = st.resolve(other)?;
    if id == other {
        return Err(OpsError::invalid("an incident cannot be linked to itself"));
    }
    let (child, parent) = match rel {
        "parent" => (Some(id.clone()), Some(other.clone())),
        "child" => (Some(other.clone()), Some(id.clone())),
        _ => (None, None),
    };
    if let (Some(ch), Some(pa)) = (&child, &parent) {
        let chi = st.load(ch)?;
        if let Some(p) = chi.parent()
            && p != pa
        {
            return Err(OpsError::invalid(format!(
                "{ch} already has a parent ({p}); an incident has at most one parent"
            )));
        }
        let mut cur = Some(pa.clone());
        let mut seen = 0;
        while let Some(x) = cur {
            if &x == ch {
                return Err(OpsError::invalid(format!(
                    "linking {ch} under {pa} would make a cycle: {pa} already descends from {ch}"
                )));
            }
            seen += 1;
            if seen > 10_000 {
                break;
            }
            cur = st
                .load(&x)
                .ok()
                .and_then(|i| i.parent().map(str::to_string));
        }
    }
    let clock = ctx.clock.as_ref();
    let mut events = st.transact(clock, &id, &ctx.actor, |inc| {
        if inc
            .links
            .iter()
            .any(|l| l.incident_id == other && l.relation == rel)
        {
            return Err(OpsError::invalid(format!(
                "{id} is already linked to {other} as {rel}"
            )));
        }
        Ok(vec![IncidentEvent::Linked(ev::Linked {
            incident_id: other.clone(),
            relation: rel.to_string(),
        })])
    })?;
    events.extend(st.transact(clock, &other, &ctx.actor, |_| {
        Ok::<_, OpsError>(vec![IncidentEvent::Linked(ev::Linked {
            incident_id: id.clone(),
            relation: back.to_string(),
        })])
    })?);
    Ok(Linked {
        id,
        other,
        relation: rel.to_string(),
        events,
    })
}

/// Changes severity: recomputed from new facts (over all facts), or stated;
/// lowering needs a reason.
///
/// # Errors
/// Nothing given; lowering without a reason; no change; a terminal incident.
pub fn change_severity(
    ctx: &Context,
    id: &str,
    to: Option<&str>,
    facts: &[String],
    reason: Option<&str>,
) -> Result<Recorded, OpsError> {
    if to.is_none() && facts.is_empty() {
        return Err(OpsError::invalid(
            "give --to P0|P1|P2 or new --fact KEY=VALUE to recompute",
        ));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let policy = if facts.is_empty() {
        None
    } else {
        Some(severity_policy(ctx)?)
    };
    let new_facts = match &policy {
        Some(p) => collect_facts(p, facts, None)?,
        None => Facts::default(),
    };
    simple(ctx, id, |inc| {
        not_terminal(inc, "severity change")?;
        let mut d = ev::SeverityChanged {
            from: inc.severity.clone(),
            ..ev::SeverityChanged::default()
        };
        let target = match (&policy, to) {
            (Some(p), _) => {
                let mut all = inc.facts.clone();
                all.extend(new_facts.clone());
                let cl = p.classify(&all);
                d.facts = Some(new_facts.clone());
                d.rule = Some(cl.rule.clone());
                match to {
                    Some(t)
                        if severity_rank(t) > severity_rank(&cl.severity) && reason.is_none() =>
                    {
                        return Err(IncidentError::Invalid(format!(
                            "the facts give {}; stating {t} lowers it and needs --reason",
                            cl.severity
                        )));
                    }
                    Some(t) => t.to_string(),
                    None => cl.severity,
                }
            }
            (None, Some(t)) => t.to_string(),
            (None, None) => {
                return Err(IncidentError::Invalid(
                    "give --to P0|P1|P2 or new --fact KEY=VALUE to recompute".into(),
                ));
            }
        };
        if target == inc.severity && new_facts.is_empty() {
            return Err(IncidentError::Invalid(format!(
                "{} is already {target}",
                inc.id
            )));
        }
        if severity_rank(&target) > severity_rank(&inc.severity) && reason.is_none() {
            return Err(IncidentError::Invalid(format!(
                "lowering {} from {} to {target} needs --reason (raising never does)",
                inc.id, inc.severity
            )));
        }
        d.to = target;
        d.reason = reason.map(str::to_string);
        Ok(IncidentEvent::SeverityChanged(d))
    })
}

/// What [`merge`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    /// The duplicate.
    #[serde(skip)]
    pub id: String,
    /// The survivor.
    #[serde(skip)]
    pub into: String,
    /// Evidence references linked into the survivor.
    #[serde(skip)]
    pub evidence: usize,
    /// The events in both logs.
    pub events: Vec<Event>,
}

/// Merges a duplicate into the surviving incident; both logs are kept, the
/// evidence is linked into the survivor.
///
/// # Errors
/// Self-merge, a survivor that is CANCELLED or MERGED (bad input); a
/// duplicate that is no longer open (refused).
pub fn merge(ctx: &Context, id: &str, into: &str, reason: &str) -> Result<Merged, OpsError> {
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let into = st.resolve(into)?;
    if id == into {
        return Err(OpsError::invalid(
            "an incident cannot be merged into itself",
        ));
    }
    let reason = require_reason(reason, "a merge")?;
    let survivor = st.load(&into)?;
    if matches!(survivor.status, Status::Cancelled | Status::Merged) {
        return Err(OpsError::invalid(format!(
            "{into} is {}: merge into the incident that survives",
            survivor.status
        )));
    }
    let clock = ctx.clock.as_ref();
    let mut evidence = Vec::new();
    let mut events = st.transact(clock, &id, &ctx.actor, |inc| {
        if !inc.status.is_open() {
            return Err(OpsError::from(IncidentError::Refused(format!(
                "{id} is {}: only an incident still open (before RESOLVED) can be merged",
                inc.status
            ))));
        }
        evidence = inc.evidence.clone();
        Ok(vec![
            IncidentEvent::Linked(ev::Linked {
                incident_id: into.clone(),
                relation: "duplicate_of".into(),
            }),
            IncidentEvent::Merged(ev::Merged {
                into: into.clone(),
                reason,
            }),
        ])
    })?;
    events.extend(st.transact(clock, &into, &ctx.actor, |_| {
        let mut v = vec![IncidentEvent::Linked(ev::Linked {
            incident_id: id.clone(),
            relation: "duplicate".into(),
        })];
        for e in &evidence {
            v.push(IncidentEvent::EvidenceAttached(ev::EvidenceAttached {
                reference: e.reference.clone(),
                sha256: e.sha256.clone(),
                kind: e.kind.clone(),
                size_bytes: None,
                note: None,
                from_incident: Some(id.clone()),
            }));
        }
        Ok::<_, OpsError>(v)
    })?);
    Ok(Merged {
        evidence: evidence.len(),
        id,
        into,
        events,
    })
}

/// Corrects an earlier event: a new event that supersedes it.
///
/// # Errors
/// No reason; no such seq.
pub fn correct(
    ctx: &Context,
    id: &str,
    seq: u64,
    reason: &str,
    text: Option<&str>,
) -> Result<Recorded, OpsError> {
    let reason = require_reason(reason, "a correction")?;
    simple(ctx, id, |inc| {
        if seq == 0 || seq > inc.events.len() as u64 {
            return Err(IncidentError::Invalid(format!(
                "{} has events 1..{}; there is no seq {seq}",
                inc.id,
                inc.events.len()
            )));
        }
        Ok(IncidentEvent::Correction(ev::Correction {
            corrects_seq: seq,
            reason,
            text: text.map(str::to_string),
        }))
    })
}

/// The next step after a status change, for people.
#[must_use]
pub fn next_after(change: &StatusChange) -> Option<NextStep> {
    match change.to {
        Status::Resolved if severity_rank(&change.severity) <= 1 => {
            Some(NextStep::DraftPostmortem {
                incident: change.id.clone(),
            })
        }
        Status::Resolved => Some(NextStep::Close {
            incident: change.id.clone(),
        }),
        _ => None,
    }
}
