//! Incident operations (D-INC-*, D-ORDER): open (the one path for `incident
//! open`, `halt` and `p0`), status changes with their guards, decisions,
//! scope, evidence, recovery acceptance, links, severity, merges,
//! corrections and notes. Each is a transaction on the incident's
//! hash-chained log; opening a P0/P1 also turns the change freeze on.
//!
//! One file per job: `open`, `status` (guards and the log), `decide`
//! (safety decision, scope, evidence), `accept` (recovery acceptance) and
//! `relate` (link, severity, merge, correct); what they share is here.

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

mod accept;
mod decide;
mod open;
mod relate;
mod status;

pub use accept::*;
pub use decide::*;
pub use open::*;
pub use relate::*;
pub use status::*;

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
