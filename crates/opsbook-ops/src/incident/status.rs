//! Moving an incident through its states under the guards (safe → evidence →
//! observe → recover → verify → learn), and the timeline log (D-ORDER).

use super::*;

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
