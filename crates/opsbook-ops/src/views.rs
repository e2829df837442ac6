//! Read-only views of incidents: one incident with its events and
//! durations, the list, the timeline. Renderers (text, JSON, Markdown, a
//! web page) turn these into what people read.

use opsbook_core::incident::{Incident, Listing, Status, Summary};
use serde::Serialize;

use crate::{Context, OpsError};

/// One incident as shown: the replayed state, every event, the durations
/// and the statuses allowed next.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    /// The replayed state.
    #[serde(flatten)]
    pub incident: Incident,
    /// Every event.
    pub events: Vec<opsbook_core::ledger::Event>,
    /// Milestone durations, ms.
    pub durations: opsbook_core::incident::Durations,
    /// Allowed next statuses.
    pub next: Vec<&'static str>,
    /// The log was written around the guards (the gate's OB803): its
    /// figures are not to be trusted (`incident.violations` names the events).
    pub breaks_order: bool,
}

/// One incident.
///
/// # Errors
/// No such incident, or an ambiguous short ID; a log that does not load.
pub fn show(ctx: &Context, id: &str) -> Result<Shown, OpsError> {
    let st = ctx.store()?;
    let inc = st.load(&st.resolve(id)?)?;
    Ok(Shown {
        events: inc.events.clone(),
        durations: inc.durations(),
        next: inc.status.next().iter().map(|s| s.as_str()).collect(),
        breaks_order: inc.breaks_order(),
        incident: inc,
    })
}

/// The list, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct List {
    /// Incidents.
    pub incidents: Vec<Summary>,
    /// Incidents whose log does not load: (id, error).
    pub unreadable: Vec<Unreadable>,
}

/// An incident whose log does not load.
#[derive(Debug, Clone, Serialize)]
pub struct Unreadable {
    /// ID.
    pub id: String,
    /// Why.
    pub error: String,
}

/// Incidents, newest first: of these statuses (`open` means still needing
/// work), or all.
///
/// # Errors
/// A status that is not one; `incidents/` cannot be read.
pub fn list(ctx: &Context, statuses: &[String], open: bool) -> Result<List, OpsError> {
    let st = ctx.store()?;
    let mut want = Vec::new();
    let mut open = open;
    for s in statuses {
        if s.eq_ignore_ascii_case("open") {
            open = true;
            continue;
        }
        match Status::parse(s) {
            Some(x) => want.push(x),
            None => {
                return Err(OpsError::invalid(format!(
                    "`{s}` is not a status; use one of {} (or `open`)",
                    Status::ALL
                        .iter()
                        .map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let (mut rows, bad): Listing = st.list()?;
    rows.retain(|r| (want.is_empty() || want.contains(&r.status)) && (!open || r.status.is_open()));
    rows.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
    Ok(List {
        incidents: rows,
        unreadable: bad
            .into_iter()
            .map(|(id, error)| Unreadable { id, error })
            .collect(),
    })
}
