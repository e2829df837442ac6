//! Drills (D-RB-STALE): which are due, and recording a result (the ledger
//! first; on a pass, the runbook's `last_drilled` and the drill's
//! `last_run`, every other byte of both files kept).

use opsbook_core::drills::{self, Due, Recorded};
use opsbook_core::ssot::Ssot;
use serde::Serialize;

use crate::{Context, OpsError};

/// The drills due on a date.
#[derive(Debug, Clone, Serialize)]
pub struct DueList {
    /// The date judged.
    pub as_of: String,
    /// Due: never run, or past their interval.
    pub due: Vec<Due>,
}

/// Drills that are due as of `as_of`.
///
/// # Errors
/// The SSOT does not load.
pub fn due(ctx: &Context, as_of: jiff::civil::Date) -> Result<DueList, OpsError> {
    let ssot = Ssot::load_metadata(ctx.layout.root())?;
    Ok(DueList {
        as_of: as_of.to_string(),
        due: drills::due(&drills::drills(&ssot), as_of),
    })
}

/// A drill result to record.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    /// Drill ID.
    pub drill: String,
    /// Passed.
    pub passed: bool,
    /// Evidence reference.
    pub evidence: String,
    /// Date of the drill.
    pub date: jiff::civil::Date,
    /// Notes.
    pub notes: Option<String>,
}

/// Records a drill result.
///
/// # Errors
/// An unknown drill or runbook, a date field that cannot be edited in place
/// (nothing written then), ledger or I/O errors.
pub fn record(ctx: &Context, r: &RecordRequest) -> Result<Recorded, OpsError> {
    let ssot = Ssot::load(ctx.layout.root())?;
    Ok(drills::record(
        &ssot,
        &r.drill,
        r.passed,
        &r.evidence,
        r.notes.as_deref(),
        r.date,
        ctx.clock.as_ref(),
        &ctx.actor,
        ctx.seam(),
    )?)
}
