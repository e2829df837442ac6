//! Incidents in relation to each other and to themselves later: link,
//! severity change, merge, correction.

use super::*;

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
