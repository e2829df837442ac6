//! Drills (D-RB-STALE): which are due, and recording a result (the ledger
//! first; on a pass, the runbook's `last_drilled` and the drill's
//! `last_run`, every other byte of both files kept).

use opsbook_core::drills::{self, Due, Recorded};
use opsbook_core::layout::LedgerFile;
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
    /// Evidence: a bundle ID (`EVB-…`) recorded in the custody ledger, or
    /// a file that exists (absolute, or relative to the current directory
    /// or the SSOT root).
    pub evidence: String,
    /// Date of the drill.
    pub date: jiff::civil::Date,
    /// Notes.
    pub notes: Option<String>,
}

/// Checks that a drill's evidence names something that exists (issue 13
/// item 11): an `EVB-…` bundle recorded in `ledger/custody.jsonl`, or a
/// file or directory (absolute, relative to the current directory, or
/// relative to the SSOT root).
///
/// # Errors
/// [`OpsError::Invalid`] naming what was looked for and where.
pub fn evidence_exists(ctx: &Context, evidence: &str) -> Result<(), OpsError> {
    let e = evidence.trim();
    if e.is_empty() {
        return Err(OpsError::invalid(
            "--evidence is empty: give the bundle ID (EVB-…) or the file that shows the drill",
        ));
    }
    if e.starts_with("EVB-") {
        if crate::custody::sealed(ctx, e)?.is_some() {
            return Ok(());
        }
        return Err(OpsError::invalid(format!(
            "--evidence {e}: no such bundle in {} (collect it first: `opsbook evidence collect`; `opsbook evidence verify` lists what a bundle holds)",
            LedgerFile::Custody.rel()
        )));
    }
    let p = std::path::Path::new(e);
    if p.exists() || ctx.layout.root().join(p).exists() {
        return Ok(());
    }
    Err(OpsError::invalid(format!(
        "--evidence {e}: neither a bundle ID (EVB-…) recorded in {} nor a file that exists (looked in the current directory and in {})",
        LedgerFile::Custody.rel(),
        ctx.layout.root().display()
    )))
}

/// Records a drill result.
///
/// # Errors
/// Evidence that does not exist ([`evidence_exists`]), an unknown drill or
/// runbook, a date field that cannot be edited in place (nothing written
/// then), ledger or I/O errors.
pub fn record(ctx: &Context, r: &RecordRequest) -> Result<Recorded, OpsError> {
    let ssot = Ssot::load(ctx.layout.root())?;
    // An unknown drill is named first (the core refuses it, with the known ones).
    if drills::drills(&ssot).iter().any(|d| d.id == r.drill) {
        evidence_exists(ctx, &r.evidence)?;
    }
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
