//! `opsbook incident …`: the incident lifecycle over the hash-chained log.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use opsbook_core::incident::{
    self, CheckAnswer, Guards, Incident, IncidentError, Status, Store, past_time, require_reason,
    severity_rank, status_event,
};
use opsbook_core::ledger::{Actor, Event};
use opsbook_core::ssot::Ssot;
use serde_json::{Value, json};

use crate::cli::{IncCommon, IncidentCommand, ListFormat};

/// The store of the SSOT at `root`.
pub fn store(root: &Path) -> anyhow::Result<Store> {
    let cfg = Ssot::load_config(root)?;
    Ok(Store::new(root, cfg.incident_id.as_deref())?)
}

/// `2026-11-29 02:10:00Z (11:10:00 +09 local)`; UTC only when local is UTC.
pub fn when(ts: &str) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else {
        return ts.to_string();
    };
    let utc = t.strftime("%Y-%m-%d %H:%M:%SZ").to_string();
    let tz = jiff::tz::TimeZone::system();
    let local = t.to_zoned_datetime(tz);
    if local.offset().seconds() == 0 {
        return utc;
    }
    let date_differs = local.date() != t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let fmt = if date_differs {
        "%Y-%m-%d %H:%M:%S %:z"
    } else {
        "%H:%M:%S %:z"
    };
    format!("{utc} ({} local)", local.strftime(fmt))
}

/// (SHA-256, size) of a file, streamed.
fn sha256_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let h = opsbook_evidence::bundle::file_sha256(path)?;
    let n = std::fs::metadata(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .len();
    Ok((h, n))
}

fn actor(c: &IncCommon) -> Actor {
    Actor::current(c.actor.clone())
}

/// Refuses to add to a terminal incident.
fn not_terminal(inc: &Incident, what: &str) -> Result<(), IncidentError> {
    if inc.status.is_terminal() {
        return Err(IncidentError::Refused(format!(
            "{} is {}: no {what} can be added; open a new incident and link it with --related",
            inc.id, inc.status
        )));
    }
    Ok(())
}

/// Prints what was appended: the events as JSON, or `human`.
pub fn print_events(format: ListFormat, events: &[Event], human: &str) -> anyhow::Result<u8> {
    if let Some(e) = events
        .iter()
        .find(|e| e.data.get("clock_behind_ms").is_some())
    {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "warning: this machine's clock ({}) is {} ms behind the last recorded event; recorded at {} so that time never goes backwards. Check time sync: w32tm /query /status",
                e.data["clock_observed"].as_str().unwrap_or("?"),
                e.data["clock_behind_ms"],
                e.ts
            );
        }
    }
    let text = match format {
        ListFormat::Json => serde_json::to_string_pretty(&json!({ "events": events }))? + "\n",
        _ => human.to_string(),
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

fn safety_states(root: &Path) -> Vec<String> {
    let p = root.join("policy").join("degraded.yaml");
    super::severity::read_value(&p)
        .ok()
        .and_then(|v| {
            v.get("states").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|s| s.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// The recovery-acceptance checks of policy/degraded.yaml: (id, title, question).
fn acceptance_checks(root: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let p = root.join("policy").join("degraded.yaml");
    let v = super::severity::read_value(&p)?;
    let checks: Vec<(String, String, String)> = v
        .pointer("/recovery_acceptance/checks")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some((
                        c.get("id")?.as_str()?.to_string(),
                        c.pointer("/title/en")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        c.get("question")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    if checks.is_empty() {
        bail!(
            "{} has no recovery_acceptance.checks: without a checklist no incident can be RESOLVED (see spec/recovery-acceptance.md; `opsbook init` writes the default list)",
            p.display()
        );
    }
    Ok(checks)
}

/// The guards the SSOT decides: postmortem for CLOSED, children for RESOLVED.
fn guards_for(root: &Path, st: &Store, inc: &Incident, to: Status) -> anyhow::Result<Guards> {
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
        let path = st.dir().join(&inc.id).join("postmortem.md");
        if path.is_file() {
            let ssot = Ssot::load_metadata(root)?;
            let contracts = opsbook_core::contracts::Contracts::load(Some(root));
            let known = opsbook_core::postmortem::Known::from_ssot(&ssot);
            let error_days = i64::from(ssot.config.action_overdue_error_days.unwrap_or(14));
            let res = match opsbook_core::postmortem::check_file(
                &path,
                &contracts,
                &known,
                super::today_utc(),
                error_days,
            ) {
                Ok(fc) => {
                    let mut b = fc.mismatch(&inc.id, &inc.severity);
                    b.extend(fc.blocking());
                    if b.is_empty() { Ok(()) } else { Err(b) }
                }
                Err(e) => Err(vec![e]),
            };
            g.postmortem = Some(res);
        }
    }
    Ok(g)
}

/// Appends a status change (with the postmortem attachment for CLOSED).
fn change_status(
    c: &IncCommon,
    id: &str,
    to: Status,
    reason: &str,
    extra: Option<(&str, Value)>,
) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let st = store(&root)?;
    let id = st.resolve(id)?;
    // The SSOT-dependent guards are computed before taking the lock (they
    // read other files); the machine and order guards run under it.
    let pre = st.load(&id)?;
    let g = guards_for(&root, &st, &pre, to)?;
    let pm_rel = format!("incidents/{id}/postmortem.md");
    let pm_path = st.dir().join(&id).join("postmortem.md");
    let events = st.transact(&id, &actor(c), |inc| {
        let mut ev = Vec::new();
        let (kind, mut data) = status_event(inc, to, reason, &g)?;
        if let (Some((k, v)), Some(o)) = (&extra, data.as_object_mut()) {
            o.insert((*k).to_string(), v.clone());
        }
        if to == Status::Closed
            && matches!(g.postmortem, Some(Ok(())))
            && let Ok((sha, _)) = sha256_file(&pm_path)
        {
            ev.push((
                "postmortem_attached".to_string(),
                json!({"path": pm_rel, "sha256": sha}),
            ));
        }
        ev.push((kind, data));
        Ok(ev)
    })?;
    let mut msg = format!("{id}: {} → {to}\n", pre.status);
    if to == Status::Closed && events.len() > 1 {
        msg.push_str(&format!("  postmortem attached: {pm_rel}\n"));
    }
    if matches!(to, Status::Closed | Status::Cancelled | Status::Resolved)
        && let Some(h) = super::safety::freeze_hint_after_close(&root)
    {
        msg.push_str(&h);
        msg.push('\n');
    }
    if to == Status::Resolved {
        if severity_rank(&pre.severity) <= 1 {
            msg.push_str(&format!(
                "  next: the postmortem (`opsbook postmortem new {id}`), then `opsbook incident close {id} --reason …`\n"
            ));
        } else {
            msg.push_str(&format!(
                "  next: `opsbook incident close {id} --reason …` (a postmortem is optional for {})\n",
                pre.severity
            ));
        }
    }
    print_events(c.format, &events, &msg)
}

pub fn run(cmd: &IncidentCommand) -> anyhow::Result<u8> {
    match cmd {
        IncidentCommand::Open {
            common,
            title,
            severity,
            reason,
            facts,
            facts_file,
            detected,
            impact_started,
            commander,
            drill,
        } => open(
            common,
            title,
            severity.as_deref(),
            reason.as_deref(),
            facts,
            facts_file.as_ref(),
            detected.as_deref(),
            impact_started.as_deref(),
            commander.as_deref(),
            *drill,
        ),
        IncidentCommand::Ack {
            common,
            id,
            reason,
            commander,
        } => {
            let who = commander
                .clone()
                .or_else(|| common.actor.clone())
                .unwrap_or_else(|| Actor::current(None).user);
            change_status(
                common,
                id,
                Status::Acked,
                reason.as_deref().unwrap_or("acknowledged"),
                Some(("commander", json!(who))),
            )
        }
        IncidentCommand::Status {
            common,
            id,
            status,
            reason,
        } => {
            let Some(to) = Status::parse(status) else {
                bail!(
                    "`{status}` is not a status; use one of {}",
                    Status::ALL
                        .iter()
                        .filter(|s| **s != Status::Merged)
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            if to == Status::Merged {
                bail!("MERGED is reached with `opsbook incident merge ID --into OTHER --reason …`");
            }
            change_status(common, id, to, reason, None)
        }
        IncidentCommand::Resolve { common, id, reason } => {
            change_status(common, id, Status::Resolved, reason, None)
        }
        IncidentCommand::Close { common, id, reason } => {
            change_status(common, id, Status::Closed, reason, None)
        }
        IncidentCommand::Cancel { common, id, reason } => {
            change_status(common, id, Status::Cancelled, reason, None)
        }
        IncidentCommand::Log {
            common,
            id,
            text,
            text_flag,
            kind,
            reason,
        } => {
            let text = text
                .as_deref()
                .or(text_flag.as_deref())
                .unwrap_or("")
                .trim();
            if text.is_empty() {
                bail!("the text is empty");
            }
            match kind.as_str() {
                "decision" => {
                    let reason = require_reason(reason.as_deref().unwrap_or(""), "a decision")?;
                    simple(common, id, |inc| {
                        not_terminal(inc, "decision")?;
                        Ok((
                            "decision".into(),
                            json!({"decision": text, "reason": reason, "alternatives": []}),
                        ))
                    })
                }
                "scope" => simple(common, id, |inc| {
                    not_terminal(inc, "scope declaration")?;
                    Ok(("scope".into(), json!({ "text": text })))
                }),
                _ => simple(common, id, |_| Ok(("note".into(), json!({ "text": text })))),
            }
        }
        IncidentCommand::Decide {
            common,
            id,
            decision,
            reason,
            alternatives,
            safety,
        } => {
            let root = super::resolve_root(&common.root)?;
            let decision = decision.trim();
            if decision.is_empty() {
                bail!("--decision is empty: say what was decided");
            }
            let reason = require_reason(reason, "a decision")?;
            let alts: Vec<&str> = alternatives
                .iter()
                .map(|a| a.trim())
                .filter(|a| !a.is_empty())
                .collect();
            let safety = match safety {
                Some(s) => {
                    let states = safety_states(&root);
                    let up = s.trim().to_ascii_uppercase();
                    if !states.is_empty() && !states.contains(&up) {
                        bail!(
                            "--safety `{s}` is not a state of policy/degraded.yaml ({})",
                            states.join(", ")
                        );
                    }
                    Some(up)
                }
                None => None,
            };
            simple(common, id, |inc| {
                not_terminal(inc, "decision")?;
                Ok(match &safety {
                    Some(to) => (
                        "safety_decision".into(),
                        json!({"to": to, "decision": decision, "reason": reason, "alternatives": alts}),
                    ),
                    None => (
                        "decision".into(),
                        json!({"decision": decision, "reason": reason, "alternatives": alts}),
                    ),
                })
            })
        }
        IncidentCommand::Scope {
            common,
            id,
            affected,
            not_affected,
            text,
            detected,
            impact_started,
            impact_ended,
        } => scope(
            common,
            id,
            affected,
            not_affected,
            text.as_deref(),
            detected.as_deref(),
            impact_started.as_deref(),
            impact_ended.as_deref(),
        ),
        IncidentCommand::Attach {
            common,
            id,
            reference,
            sha256,
            note,
        } => attach(common, id, reference, sha256.as_deref(), note.as_deref()),
        IncidentCommand::Accept {
            common,
            id,
            checks,
            answers,
        } => accept(common, id, checks, answers.as_ref()),
        IncidentCommand::Link { common, id, target } => {
            let (other, rel, back) = match (&target.parent, &target.child, &target.related) {
                (Some(o), _, _) => (o, "parent", "child"),
                (_, Some(o), _) => (o, "child", "parent"),
                (_, _, Some(o)) => (o, "related", "related"),
                _ => bail!("say how: --parent, --child or --related OTHER"),
            };
            link(common, id, other, rel, back)
        }
        IncidentCommand::Severity {
            common,
            id,
            to,
            facts,
            reason,
        } => change_severity(common, id, to.as_deref(), facts, reason.as_deref()),
        IncidentCommand::Merge {
            common,
            id,
            into,
            reason,
        } => merge(common, id, into, reason),
        IncidentCommand::Correct {
            common,
            id,
            seq,
            reason,
            text,
        } => {
            let reason = require_reason(reason, "a correction")?;
            simple(common, id, |inc| {
                if *seq == 0 || *seq > inc.events.len() as u64 {
                    return Err(IncidentError::Invalid(format!(
                        "{} has events 1..{}; there is no seq {seq}",
                        inc.id,
                        inc.events.len()
                    )));
                }
                let mut d = json!({"corrects_seq": seq, "reason": reason});
                if let Some(t) = text {
                    d["text"] = json!(t);
                }
                Ok(("correction".into(), d))
            })
        }
        IncidentCommand::Show { common, id } => super::incident_view::show(common, id),
        IncidentCommand::List {
            common,
            status,
            open,
        } => super::incident_view::list(common, status, *open),
        IncidentCommand::Timeline { common, id } => super::incident_view::timeline(common, id),
    }
}

/// One event built from the replayed state.
fn simple<F>(c: &IncCommon, id: &str, f: F) -> anyhow::Result<u8>
where
    F: FnOnce(&Incident) -> Result<(String, Value), IncidentError>,
{
    let root = super::resolve_root(&c.root)?;
    let st = store(&root)?;
    let id = st.resolve(id)?;
    let events = st.transact(&id, &actor(c), |inc| Ok(vec![f(inc)?]))?;
    let e = &events[0];
    print_events(
        c.format,
        &events,
        &format!("{id} #{} {}\n", e.seq, incident::describe(e)),
    )
}

#[allow(clippy::too_many_arguments)]
fn open(
    c: &IncCommon,
    title: &str,
    severity: Option<&str>,
    reason: Option<&str>,
    facts: &[String],
    facts_file: Option<&PathBuf>,
    detected: Option<&str>,
    impact_started: Option<&str>,
    commander: Option<&str>,
    drill: bool,
) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let title = title.trim();
    if title.is_empty() {
        bail!("--title is empty: say what is broken, as you see it");
    }
    if title.chars().any(char::is_control) {
        bail!(
            "--title must be one line (no line breaks or control characters); put details in `opsbook incident log`"
        );
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let mut data = json!({"title": title});
    let mut note = String::new();
    if facts.is_empty() && facts_file.is_none() {
        let (Some(sev), Some(r)) = (severity, reason) else {
            bail!(
                "state the severity: --fact KEY=VALUE... (computed by policy/severity.yaml), or --severity P0|P1|P2 with --reason TEXT"
            );
        };
        data["severity"] = json!(sev);
        data["reason"] = json!(r);
    } else {
        let policy = super::severity::load_policy(&root)?;
        let stated = super::severity::collect_facts(&policy, facts, facts_file)?;
        let cl = policy.classify(&stated);
        note = super::severity::describe(&cl);
        let mut sev = cl.severity.clone();
        if let Some(s) = severity {
            if severity_rank(s) > severity_rank(&cl.severity) && reason.is_none() {
                bail!(
                    "the facts give {} (rule {}); lowering it to {s} needs --reason",
                    cl.severity,
                    cl.rule.as_deref().unwrap_or("default")
                );
            }
            if s != cl.severity {
                note = format!(
                    "{note}  stated {s} by hand (computed {} by rule {})\n",
                    cl.severity,
                    cl.rule.as_deref().unwrap_or("default")
                );
            }
            sev = s.to_string();
        }
        data["severity"] = json!(sev);
        data["facts"] = json!(stated);
        data["rule"] = json!(cl.rule);
        if !cl.assumed.is_empty() {
            data["assumed"] = json!(cl.assumed);
        }
        if let Some(r) = reason {
            data["reason"] = json!(r);
        }
    }
    let det = detected.map(|d| past_time("--detected", d)).transpose()?;
    let imp = impact_started
        .map(|d| past_time("--impact-started", d))
        .transpose()?;
    if let (Some(i), Some(d)) = (&imp, &det)
        && incident::millis_between(i, d).is_some_and(|ms| ms < 0)
    {
        bail!(
            "--impact-started {i} is after --detected {d}: impact cannot start after it was detected; check the times (UTC unless an offset is given)"
        );
    }
    if let Some(d) = det {
        data["detected_at"] = json!(d);
    }
    if let Some(i) = imp {
        data["impact_started_at"] = json!(i);
    }
    if let Some(cm) = commander {
        data["commander"] = json!(cm);
    }
    if drill {
        data["drill"] = json!(true);
    }
    let st = store(&root)?;
    let (id, ev) = st.open(&actor(c), data)?;
    let sev = ev.data["severity"].as_str().unwrap_or_default().to_string();
    // D-SAFE-FREEZE: opening a P0/P1 turns the change freeze on.
    let froze = if super::safety::freeze_policy(&root)
        .on_incident_severity
        .contains(&sev)
    {
        super::safety::freeze_on_if_off(
            &root,
            &actor(c),
            &format!("{sev} incident {id} opened: {title}"),
            Some(&id),
            "incident",
        )?
    } else {
        false
    };
    match c.format {
        ListFormat::Json => crate::output::emit(
            &(serde_json::to_string_pretty(&json!({
                "id": id,
                "severity": sev,
                "rule": ev.data.get("rule"),
                "assumed": ev.data.get("assumed"),
                "event": ev,
                "froze": froze,
            }))? + "\n"),
            None,
        )?,
        _ => {
            // stdout: only the ID, so `$id = opsbook incident open …` works.
            crate::output::emit(&format!("{id}\n"), None)?;
            #[allow(clippy::print_stderr)]
            {
                eprint!("opened {id} {sev}: {title}\n{note}");
                if froze {
                    eprintln!(
                        "  change freeze turned on (deploys refused: `opsbook freeze status`)"
                    );
                }
                if severity_rank(&sev) <= 1 {
                    eprintln!(
                        "  next: `opsbook incident ack {id}`, then decide the safety state: `opsbook incident decide {id} --safety HALTED --decision … --reason …` (in doubt: HALT → evidence → rest)"
                    );
                } else {
                    eprintln!("  next: `opsbook incident ack {id}`");
                }
            }
        }
    }
    Ok(crate::EXIT_OK)
}

#[allow(clippy::too_many_arguments)]
fn scope(
    c: &IncCommon,
    id: &str,
    affected: &[String],
    not_affected: &[String],
    text: Option<&str>,
    detected: Option<&str>,
    impact_started: Option<&str>,
    impact_ended: Option<&str>,
) -> anyhow::Result<u8> {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (aff, naff) = (clean(affected), clean(not_affected));
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let det = detected.map(|d| past_time("--detected", d)).transpose()?;
    let imp = impact_started
        .map(|d| past_time("--impact-started", d))
        .transpose()?;
    let end = impact_ended
        .map(|d| past_time("--impact-ended", d))
        .transpose()?;
    if aff.is_empty()
        && naff.is_empty()
        && text.is_none()
        && det.is_none()
        && imp.is_none()
        && end.is_none()
    {
        bail!(
            "declare something: --affected, --not-affected, --text, --detected, --impact-started or --impact-ended"
        );
    }
    simple(c, id, |inc| {
        not_terminal(inc, "scope declaration")?;
        let start = imp.clone().or_else(|| inc.impact_started_at.clone());
        let det_ = det.clone().or_else(|| inc.detected_at.clone());
        let before = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if incident::millis_between(a, b).is_some_and(|ms| ms < 0));
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
        let mut d = json!({});
        if !aff.is_empty() {
            d["affected"] = json!(aff);
        }
        if !naff.is_empty() {
            d["not_affected"] = json!(naff);
        }
        if let Some(t) = text {
            d["text"] = json!(t);
        }
        for (k, v) in [
            ("detected_at", &det),
            ("impact_started_at", &imp),
            ("impact_ended_at", &end),
        ] {
            if let Some(v) = v {
                d[k] = json!(v);
            }
        }
        Ok(("scope".into(), d))
    })
}

fn attach(
    c: &IncCommon,
    id: &str,
    reference: &str,
    sha256: Option<&str>,
    note: Option<&str>,
) -> anyhow::Result<u8> {
    let reference = reference.trim();
    let given = match sha256 {
        Some(h) => {
            let h = h.trim().to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!(
                    "--sha256 `{h}` is not a SHA-256 (64 hex digits); PowerShell: (Get-FileHash FILE -Algorithm SHA256).Hash"
                );
            }
            Some(h)
        }
        None => None,
    };
    let path = Path::new(reference);
    let (kind, sha, size) = if !reference.contains("://") && path.is_file() {
        let (h, n) = sha256_file(path)?;
        if let Some(g) = &given
            && *g != h
        {
            bail!(
                "`{reference}` has SHA-256 {h}, not {g}: the file changed or the hash belongs to another file"
            );
        }
        ("file", h, Some(n))
    } else {
        let Some(h) = given else {
            bail!(
                "`{reference}` is not a file here; give its hash with --sha256 HEX (a bundle's .sha256 file, or Get-FileHash)"
            );
        };
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
    let mut d = json!({"ref": reference, "sha256": sha, "kind": kind});
    if let Some(n) = size {
        d["size_bytes"] = json!(n);
    }
    if let Some(t) = note.map(str::trim).filter(|t| !t.is_empty()) {
        d["note"] = json!(t);
    }
    simple(c, id, |inc| {
        not_terminal(inc, "evidence")?;
        Ok(("evidence_attached".into(), d))
    })
}

fn accept(
    c: &IncCommon,
    id: &str,
    checks: &[String],
    answers: Option<&PathBuf>,
) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let list = acceptance_checks(&root)?;
    let st = store(&root)?;
    let id = st.resolve(id)?;
    if checks.is_empty() && answers.is_none() {
        let mut s = format!(
            "Recovery acceptance for {id} (policy/degraded.yaml): answer every check, each with evidence.\n\n"
        );
        for (cid, title, q) in &list {
            s.push_str(&format!("  {cid:<18} {title}\n  {:<18} {q}\n", ""));
        }
        s.push_str(&format!(
            "\nopsbook incident accept {id} {}\n",
            list.iter()
                .map(|(cid, _, _)| format!("--check {cid}=pass:EVIDENCE"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        let text = match c.format {
            ListFormat::Json => {
                serde_json::to_string_pretty(&json!({
                    "incident": id,
                    "checks": list.iter().map(|(i, t, q)| json!({"id": i, "title": t, "question": q})).collect::<Vec<_>>(),
                }))? + "\n"
            }
            _ => s,
        };
        crate::output::emit(&text, None)?;
        return Ok(crate::EXIT_OK);
    }
    let pre = st.load(&id)?;
    if !matches!(pre.status, Status::Mitigating | Status::Monitoring) {
        return Err(IncidentError::Refused(format!(
            "{id} is {}: recovery acceptance is answered while MITIGATING or MONITORING",
            pre.status
        ))
        .into());
    }
    let mut got: Vec<CheckAnswer> = Vec::new();
    if let Some(f) = answers {
        let v = super::severity::read_value(f)?;
        let Some(o) = v.as_object() else {
            bail!(
                "`{}` must map each check to {{result: pass|fail, evidence: REF}}",
                f.display()
            );
        };
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
                _ => bail!("{}: `{k}`: expected {{result, evidence}}", f.display()),
            };
            got.push(CheckAnswer {
                id: k.clone(),
                result,
                evidence,
                note,
            });
        }
    }
    for a in checks {
        let Some((k, rest)) = a.split_once('=') else {
            bail!("--check `{a}`: expected CHECK=pass:EVIDENCE or CHECK=fail[:EVIDENCE]");
        };
        let (result, ev) = match rest.split_once(':') {
            Some((r, e)) => (r, Some(e.trim().to_string()).filter(|e| !e.is_empty())),
            None => (rest, None),
        };
        got.retain(|g| g.id != k.trim());
        got.push(CheckAnswer {
            id: k.trim().to_string(),
            result: result.trim().to_ascii_lowercase(),
            evidence: ev,
            note: None,
        });
    }
    let known: Vec<&str> = list.iter().map(|(i, _, _)| i.as_str()).collect();
    for g in &got {
        if !known.contains(&g.id.as_str()) {
            bail!(
                "`{}` is not a recovery-acceptance check; the policy has: {}",
                g.id,
                known.join(", ")
            );
        }
        if g.result != "pass" && g.result != "fail" {
            bail!(
                "check `{}`: result `{}` is neither pass nor fail",
                g.id,
                g.result
            );
        }
        if g.result == "pass" && g.evidence.is_none() {
            bail!(
                "check `{}` passes only with evidence: {}=pass:REF (bundle ID, file or URL)",
                g.id,
                g.id
            );
        }
    }
    let missing: Vec<&str> = known
        .iter()
        .filter(|k| !got.iter().any(|g| g.id == **k))
        .copied()
        .collect();
    if !missing.is_empty() {
        bail!(
            "every check must be answered; missing: {} (`opsbook incident accept {id}` lists them)",
            missing.join(", ")
        );
    }
    // Policy order.
    got.sort_by_key(|g| known.iter().position(|k| *k == g.id));
    let passed = got.iter().all(|g| g.result == "pass");
    let failing: Vec<String> = got
        .iter()
        .filter(|g| g.result != "pass")
        .map(|g| g.id.clone())
        .collect();
    let events = st.transact(&id, &actor(c), |inc| {
        if !matches!(inc.status, Status::Mitigating | Status::Monitoring) {
            return Err(IncidentError::Refused(format!(
                "{id} is {}: recovery acceptance is answered while MITIGATING or MONITORING",
                inc.status
            )));
        }
        Ok(vec![(
            "recovery_acceptance".into(),
            json!({"checks": got, "passed": passed}),
        )])
    })?;
    let msg = if passed {
        format!(
            "{id}: recovery acceptance passed ({} checks). Next: `opsbook incident resolve {id} --reason …`\n",
            got.len()
        )
    } else {
        format!(
            "{id}: recovery acceptance FAILED on {}: stay in MITIGATING/MONITORING and the platform in RECOVERING or higher.\n",
            failing.join(", ")
        )
    };
    print_events(c.format, &events, &msg)?;
    Ok(if passed {
        crate::EXIT_OK
    } else {
        crate::EXIT_FINDINGS
    })
}

fn link(c: &IncCommon, id: &str, other: &str, rel: &str, back: &str) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let st = store(&root)?;
    let id = st.resolve(id)?;
    let other = st.resolve(other)?;
    if id == other {
        bail!("an incident cannot be linked to itself");
    }
    // The parent/child relation must stay a forest: at most one parent, no cycle.
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
            bail!("{ch} already has a parent ({p}); an incident has at most one parent");
        }
        let mut cur = Some(pa.clone());
        let mut seen = 0;
        while let Some(x) = cur {
            if &x == ch {
                bail!(
                    "linking {ch} under {pa} would make a cycle: {pa} already descends from {ch}"
                );
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
    let who = actor(c);
    let mut events = st.transact(&id, &who, |inc| {
        if inc
            .links
            .iter()
            .any(|l| l.incident_id == other && l.relation == rel)
        {
            return Err(IncidentError::Invalid(format!(
                "{id} is already linked to {other} as {rel}"
            )));
        }
        Ok(vec![(
            "linked".into(),
            json!({"incident_id": other, "relation": rel}),
        )])
    })?;
    events.extend(st.transact(&other, &who, |_| {
        Ok(vec![(
            "linked".into(),
            json!({"incident_id": id, "relation": back}),
        )])
    })?);
    print_events(
        c.format,
        &events,
        &format!("{id}: {other} is its {rel}; recorded in both incidents\n"),
    )
}

fn change_severity(
    c: &IncCommon,
    id: &str,
    to: Option<&str>,
    facts: &[String],
    reason: Option<&str>,
) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    if to.is_none() && facts.is_empty() {
        bail!("give --to P0|P1|P2 or new --fact KEY=VALUE to recompute");
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let policy = if facts.is_empty() {
        None
    } else {
        Some(super::severity::load_policy(&root)?)
    };
    let new_facts = match &policy {
        Some(p) => super::severity::collect_facts(p, facts, None)?,
        None => Default::default(),
    };
    simple(c, id, |inc| {
        not_terminal(inc, "severity change")?;
        let mut d = json!({"from": inc.severity});
        let target = match (&policy, to) {
            (Some(p), _) => {
                let mut all = inc.facts.clone();
                all.extend(new_facts.clone());
                let cl = p.classify(&all);
                d["facts"] = json!(new_facts);
                d["rule"] = json!(cl.rule);
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
            (None, None) => unreachable!("checked above"),
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
        d["to"] = json!(target);
        if let Some(r) = reason {
            d["reason"] = json!(r);
        }
        Ok(("severity_changed".into(), d))
    })
}

fn merge(c: &IncCommon, id: &str, into: &str, reason: &str) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let st = store(&root)?;
    let id = st.resolve(id)?;
    let into = st.resolve(into)?;
    if id == into {
        bail!("an incident cannot be merged into itself");
    }
    let reason = require_reason(reason, "a merge")?;
    let survivor = st.load(&into)?;
    if matches!(survivor.status, Status::Cancelled | Status::Merged) {
        bail!(
            "{into} is {}: merge into the incident that survives",
            survivor.status
        );
    }
    let who = actor(c);
    let mut evidence = Vec::new();
    let mut events = st.transact(&id, &who, |inc| {
        if !inc.status.is_open() {
            return Err(IncidentError::Refused(format!(
                "{id} is {}: only an incident still open (before RESOLVED) can be merged",
                inc.status
            )));
        }
        evidence = inc.evidence.clone();
        Ok(vec![
            (
                "linked".into(),
                json!({"incident_id": into, "relation": "duplicate_of"}),
            ),
            ("merged".into(), json!({"into": into, "reason": reason})),
        ])
    })?;
    events.extend(st.transact(&into, &who, |_| {
        let mut v = vec![(
            "linked".to_string(),
            json!({"incident_id": id, "relation": "duplicate"}),
        )];
        for e in &evidence {
            v.push((
                "evidence_attached".into(),
                json!({"ref": e.reference, "sha256": e.sha256, "kind": e.kind, "from_incident": id}),
            ));
        }
        Ok(v)
    })?);
    print_events(
        c.format,
        &events,
        &format!(
            "{id} merged into {into}; {} evidence reference(s) linked into {into}. Both logs are kept.\n",
            evidence.len()
        ),
    )
}
