//! Ending the post-recovery watch (D-SAFE-NOFLAP): `ok` not before its
//! window has passed, or `retriggered`.

use opsbook_core::event::{SafetyEvent, safety as sev};
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::Event;
use opsbook_core::safety::{self};
use serde::Serialize;

use crate::state::machine;
use crate::{Context, OpsError};

/// How a post-recovery watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchResult {
    /// Nothing re-triggered.
    Ok,
    /// The fault came back.
    Retriggered,
}

/// What [`watch_end`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct WatchEnded {
    /// How it ended.
    #[serde(skip)]
    pub retriggered: bool,
    /// The event.
    pub events: Vec<Event>,
}

/// Ends the post-recovery watch: `ok` not before its window has passed.
///
/// # Errors
/// No watch running (bad input); `ok` too early (refused).
pub fn watch_end(ctx: &Context, result: WatchResult, reason: &str) -> Result<WatchEnded, OpsError> {
    let m = machine(ctx)?;
    let mut w = ctx.writer(&ctx.layout.ledger(LedgerFile::Safety))?;
    let cur = safety::replay(&m, &w.events()?);
    let Some((until, inc)) = cur.watch.clone() else {
        return Err(OpsError::invalid(format!(
            "no post-recovery watch is running (it starts when RECOVERING is left for {})",
            m.initial
        )));
    };
    let now = ctx.now();
    if result == WatchResult::Ok && until.parse::<jiff::Timestamp>().is_ok_and(|u| now < u) {
        return Err(OpsError::refused(
            format!(
                "the post-recovery watch runs until {until}; it cannot end `ok` earlier (a re-trigger may end it at any time with --result retriggered)"
            ),
            None,
        ));
    }
    let ev = w.append_event(
        ctx.clock.as_ref(),
        &ctx.actor,
        &SafetyEvent::WatchEnded(sev::WatchEnded {
            result: match result {
                WatchResult::Ok => "ok",
                WatchResult::Retriggered => "retriggered",
            }
            .into(),
            reason: reason.to_string(),
            incident: inc,
        }),
    )?;
    Ok(WatchEnded {
        retriggered: result == WatchResult::Retriggered,
        events: vec![ev],
    })
}
