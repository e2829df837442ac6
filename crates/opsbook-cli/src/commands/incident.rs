//! `opsbook incident …`: parse → one operation of `opsbook_ops::incident`
//! (or a view) → render → exit code.

use opsbook_core::incident::{Status, severity_rank};
use opsbook_core::ledger::Actor;
use opsbook_ops::incident::{
    self as ops, LogKind, OpenRequest, Relation, ScopeRequest, SeverityInput,
};
use opsbook_ops::views;

use super::{context, emit, op, say};
use crate::cli::{IncCommon, IncidentCommand, ListFormat};
use crate::exit::{self, CliError, Outcome};
use crate::render;

fn ctx(c: &IncCommon) -> Result<opsbook_ops::Context, crate::exit::CliError> {
    context(&c.root, c.actor.as_deref())
}

/// What was appended: `{id} #{seq} {event}`, or the events as JSON.
/// `ID X`, or only `X` with `$env:OPSBOOK_INCIDENT` set (clap then read
/// X as the ID): the incident and X (issue 13: the runbooks' forms).
fn id_and(id: &str, second: Option<&str>, what: &str) -> Result<(String, String), CliError> {
    if let Some(x) = second {
        return Ok((id.to_string(), x.to_string()));
    }
    match std::env::var("OPSBOOK_INCIDENT") {
        Ok(env) if !env.trim().is_empty() && env != id => Ok((env, id.to_string())),
        _ => Err(exit::usage(format!(
            "{what} is missing: give `ID {what}`, or set $env:OPSBOOK_INCIDENT to the incident and give only {what}"
        ))),
    }
}

fn recorded(c: &IncCommon, r: &ops::Recorded) -> Outcome {
    let Some(e) = r.events.first() else {
        let why = r.unchanged.as_deref().unwrap_or("nothing recorded");
        emit(c.format, r, &format!("{why}\n"))?;
        return Ok(exit::OK);
    };
    emit(
        c.format,
        r,
        &format!(
            "{} #{} {}\n",
            r.id,
            e.seq,
            opsbook_core::incident::describe(e)
        ),
    )?;
    Ok(exit::OK)
}

fn status(c: &IncCommon, id: &str, to: Status, reason: &str, commander: Option<&str>) -> Outcome {
    let cx = ctx(c)?;
    let o = op(&cx, |cx| ops::change_status(cx, id, to, reason, commander))?;
    let mut msg = format!("{}: {} → {}\n", o.id, o.from, o.to);
    if let Some(p) = &o.postmortem {
        msg.push_str(&format!("  postmortem attached: {p}\n"));
    }
    if o.freeze_liftable {
        msg.push_str("  the change freeze is still on and no incident that turned it on is open: lift it when its conditions hold (`opsbook freeze status`, `opsbook freeze off --reason …`)\n");
    }
    if o.to == Status::Resolved {
        if severity_rank(&o.severity) <= 1 {
            msg.push_str(&format!(
                "  next: the postmortem (`opsbook postmortem new {}`), then `opsbook incident close {} --reason …`\n",
                o.id, o.id
            ));
        } else {
            msg.push_str(&format!(
                "  next: `opsbook incident close {} --reason …` (a postmortem is optional for {})\n",
                o.id, o.severity
            ));
        }
    }
    emit(c.format, &o, &msg)?;
    Ok(exit::OK)
}

#[allow(clippy::too_many_lines)]
pub fn run(cmd: &IncidentCommand) -> Outcome {
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
        } => {
            let cx = ctx(common)?;
            let o = op(&cx, |cx| {
                ops::open(
                    cx,
                    &OpenRequest {
                        title: title.clone(),
                        severity: SeverityInput {
                            stated: severity.clone(),
                            reason: reason.clone(),
                            facts: facts.clone(),
                            facts_file: facts_file.clone(),
                        },
                        detected: detected.clone(),
                        impact_started: impact_started.clone(),
                        commander: commander.clone(),
                        drill: *drill,
                    },
                )
            })?;
            if common.format == ListFormat::Json {
                emit(common.format, &o, "")?;
                return Ok(exit::OK);
            }
            // stdout: only the ID, so `$id = opsbook incident open …` works.
            crate::output::emit(&format!("{}\n", o.id), None)?;
            let mut note = o
                .classification
                .as_ref()
                .map(render::classification)
                .unwrap_or_default();
            if let Some((stated, computed, rule)) = &o.overridden {
                note.push_str(&format!(
                    "  stated {stated} by hand (computed {computed} by rule {})\n",
                    rule.as_deref().unwrap_or("default")
                ));
            }
            let mut s = format!("opened {} {}: {}\n{note}", o.id, o.severity, o.title);
            if o.froze {
                s.push_str(
                    "  change freeze turned on (deploys refused: `opsbook freeze status`)\n",
                );
            }
            if severity_rank(&o.severity) <= 1 {
                s.push_str(&format!(
                    "  next: `opsbook incident ack {}`, then decide the safety state: `opsbook incident decide {} --safety HALTED --decision … --reason …` (in doubt: HALT → evidence → rest)",
                    o.id, o.id
                ));
            } else {
                s.push_str(&format!("  next: `opsbook incident ack {}`", o.id));
            }
            say(&s);
            Ok(exit::OK)
        }
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
            status(
                common,
                id,
                Status::Acked,
                reason.as_deref().unwrap_or("acknowledged"),
                Some(&who),
            )
        }
        IncidentCommand::Status {
            common,
            id,
            status: to,
            reason,
        } => {
            let (id, to) = id_and(id, to.as_deref(), "STATUS")?;
            status(common, &id, ops::parse_status(&to)?, reason, None)
        }
        IncidentCommand::Resolve { common, id, reason } => {
            status(common, id, Status::Resolved, reason, None)
        }
        IncidentCommand::Close { common, id, reason } => {
            status(common, id, Status::Closed, reason, None)
        }
        IncidentCommand::Cancel { common, id, reason } => {
            status(common, id, Status::Cancelled, reason, None)
        }
        IncidentCommand::Log {
            common,
            id,
            text,
            text_flag,
            kind,
            reason,
        } => {
            let (id, text) = match text_flag {
                Some(t) if text.is_none() => (id.clone(), t.clone()),
                _ => id_and(id, text.as_deref(), "TEXT")?,
            };
            let (id, text) = (&id, text.as_str());
            let kind = match kind.as_str() {
                "decision" => LogKind::Decision,
                "scope" => LogKind::Scope,
                _ => LogKind::Note,
            };
            let cx = ctx(common)?;
            let r = op(&cx, |cx| ops::log(cx, id, kind, text, reason.as_deref()))?;
            recorded(common, &r)
        }
        IncidentCommand::Decide {
            common,
            id,
            decision,
            reason,
            alternatives,
            safety,
            record_only,
        } => {
            let cx = ctx(common)?;
            let r = op(&cx, |cx| {
                ops::decide(
                    cx,
                    id,
                    decision,
                    reason,
                    alternatives,
                    safety.as_deref(),
                    *record_only,
                )
            })?;
            let mut text = String::new();
            if let Some(t) = &r.transition {
                text.push_str(&format!(
                    "platform {} → {}{} (safety ledger; `opsbook safety status`)\n",
                    t.from,
                    t.to,
                    t.hook
                        .as_ref()
                        .map(|h| format!(", hook ok in {} ms", h.duration_ms))
                        .unwrap_or_default()
                ));
            } else if let (Some(to), Some(now)) = (safety, &r.platform_state) {
                let to = to.to_ascii_uppercase();
                if *now == to {
                    text.push_str(&format!(
                        "the platform is already {now}: decision recorded\n"
                    ));
                } else {
                    text.push_str(&format!(
                        "decision recorded ONLY: the platform is still {now} (not {to}). To switch it: `opsbook safety set {to} --incident {} --reason \"…\"` (add --manual if it was switched by hand)\n",
                        r.id
                    ));
                }
            }
            for e in &r.events {
                text.push_str(&format!(
                    "{} #{} {}\n",
                    r.id,
                    e.seq,
                    opsbook_core::incident::describe(e)
                ));
            }
            emit(common.format, &r, &text)?;
            Ok(super::unrecorded(
                r.transition
                    .as_ref()
                    .map(|t| t.unrecorded.as_slice())
                    .unwrap_or_default(),
                exit::OK,
            ))
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
        } => {
            let cx = ctx(common)?;
            let r = op(&cx, |cx| {
                ops::scope(
                    cx,
                    id,
                    &ScopeRequest {
                        affected: affected.clone(),
                        not_affected: not_affected.clone(),
                        text: text.clone(),
                        detected: detected.clone(),
                        impact_started: impact_started.clone(),
                        impact_ended: impact_ended.clone(),
                    },
                )
            })?;
            recorded(common, &r)
        }
        IncidentCommand::Attach {
            common,
            id,
            reference,
            sha256,
            note,
        } => {
            let (id, reference) = id_and(id, reference.as_deref(), "REF")?;
            let cx = ctx(common)?;
            let r = op(&cx, |cx| {
                ops::attach(cx, &id, &reference, sha256.as_deref(), note.as_deref())
            })?;
            recorded(common, &r)
        }
        IncidentCommand::Accept {
            common,
            id,
            checks,
            answers,
        } => {
            let cx = ctx(common)?;
            if checks.is_empty() && answers.is_none() {
                let l = op(&cx, |cx| ops::checklist(cx, id))?;
                let s = render::incident::checklist(&l);
                emit(common.format, &l, &s)?;
                return Ok(exit::OK);
            }
            let mut got = match answers {
                Some(f) => ops::read_answers(f)?,
                None => Vec::new(),
            };
            for a in checks {
                got.push(ops::parse_check(a)?);
            }
            let a = op(&cx, |cx| ops::accept(cx, id, got))?;
            let msg = if a.passed {
                format!(
                    "{}: recovery acceptance passed ({} checks). Next: `opsbook incident resolve {} --reason …`\n",
                    a.id, a.answered, a.id
                )
            } else {
                format!(
                    "{}: recovery acceptance FAILED on {}: stay in MITIGATING/MONITORING and the platform in RECOVERING or higher.\n",
                    a.id,
                    a.failing.join(", ")
                )
            };
            emit(common.format, &a, &msg)?;
            Ok(super::ok_or_findings(a.passed))
        }
        IncidentCommand::Link { common, id, target } => {
            let (other, rel) = match (&target.parent, &target.child, &target.related) {
                (Some(o), _, _) => (o, Relation::Parent),
                (_, Some(o), _) => (o, Relation::Child),
                (_, _, Some(o)) => (o, Relation::Related),
                _ => return Err(exit::usage("say how: --parent, --child or --related OTHER")),
            };
            let cx = ctx(common)?;
            let l = op(&cx, |cx| ops::link(cx, id, other, rel))?;
            emit(
                common.format,
                &l,
                &format!(
                    "{}: {} is its {}; recorded in both incidents\n",
                    l.id, l.other, l.relation
                ),
            )?;
            Ok(exit::OK)
        }
        IncidentCommand::Severity {
            common,
            id,
            to,
            facts,
            reason,
        } => {
            let cx = ctx(common)?;
            let r = op(&cx, |cx| {
                ops::change_severity(cx, id, to.as_deref(), facts, reason.as_deref())
            })?;
            recorded(common, &r)
        }
        IncidentCommand::Merge {
            common,
            id,
            into,
            reason,
        } => {
            let cx = ctx(common)?;
            let m = op(&cx, |cx| ops::merge(cx, id, into, reason))?;
            emit(
                common.format,
                &m,
                &format!(
                    "{} merged into {}; {} evidence reference(s) linked into {}. Both logs are kept.\n",
                    m.id, m.into, m.evidence, m.into
                ),
            )?;
            Ok(exit::OK)
        }
        IncidentCommand::Correct {
            common,
            id,
            seq,
            reason,
            text,
        } => {
            let cx = ctx(common)?;
            let r = op(&cx, |cx| {
                ops::correct(cx, id, *seq, reason, text.as_deref())
            })?;
            recorded(common, &r)
        }
        IncidentCommand::Show { common, id } => {
            let cx = ctx(common)?;
            let v = op(&cx, |cx| views::show(cx, id))?;
            let text = match common.format {
                ListFormat::Markdown => {
                    render::incident::header(&v.incident, true)
                        + &render::incident::body(&v.incident, true)
                }
                _ => {
                    render::incident::header(&v.incident, false)
                        + &render::incident::body(&v.incident, false)
                }
            };
            emit(common.format, &v, &text)?;
            Ok(exit::OK)
        }
        IncidentCommand::List {
            common,
            status,
            open,
        } => {
            let cx = ctx(common)?;
            let l = op(&cx, |cx| views::list(cx, status, *open))?;
            emit(
                common.format,
                &l,
                &render::incident::list(&l, common.format == ListFormat::Markdown),
            )?;
            Ok(super::ok_or_findings(l.unreadable.is_empty()))
        }
        IncidentCommand::Timeline { common, id } => {
            let cx = ctx(common)?;
            let v = op(&cx, |cx| views::show(cx, id))?;
            let text =
                render::incident::timeline(&v.incident, common.format == ListFormat::Markdown);
            let json = serde_json::json!({"id": v.incident.id, "events": v.events});
            emit(common.format, &json, &text)?;
            Ok(exit::OK)
        }
    }
}
