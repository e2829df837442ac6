//! A postmortem edited after its incident was closed (OB812, D-LEARN):
//! closing records the file's SHA-256 (`postmortem_attached`); the file must
//! still match it, or the edit must be recorded (`opsbook postmortem amend`).

use opsbook_core::incident::{Incident, Status};

use crate::Finding;
use crate::rules::{Level, Rule};

/// `OB812` `postmortem-edited-after-close`: a closed incident's postmortem no longer matches the SHA-256 recorded at close.
pub const POSTMORTEM_EDITED_AFTER_CLOSE: &Rule = &Rule {
    code: "OB812",
    name: "postmortem-edited-after-close",
    level: Level::Error,
    requirement: "D-LEARN",
    summary: "a closed incident's postmortem no longer matches the SHA-256 recorded at close",
    doc: "## What it does
For every CLOSED incident, compares the SHA-256 of `incidents/<ID>/postmortem.md` with the one its log recorded: the `postmortem_attached` event written at close, or the latest one `opsbook postmortem amend` attached since.

## Why is this bad?
The postmortem is the record of what was learnt, reviewed and signed off when the incident closed (seed §3.3). Edited silently afterwards, nobody can tell which version the review saw, and an action item can be dropped without a trace. Issue 13 item 9.

## Example
`incidents/INC-20261129-001/postmortem.md` edited a week after close (an action item removed), nothing recorded.

Use instead: `opsbook postmortem amend INC-20261129-001 --reason \"what changed and why\"` (the earlier record is corrected with the reason and the new SHA-256 attached), or restore the version recorded at close.",
};

/// OB812 for one incident replayed from `events_rel` (its events file).
pub(crate) fn findings(root: &std::path::Path, events_rel: &str, inc: &Incident) -> Vec<Finding> {
    if inc.status != Status::Closed {
        return Vec::new();
    }
    let Some((rel, recorded)) = &inc.postmortem else {
        return Vec::new();
    };
    let path = root.join(rel);
    // A missing postmortem is OB804's.
    let Ok(now) = opsbook_evidence::bundle::file_sha256(&path) else {
        return Vec::new();
    };
    if now == *recorded {
        return Vec::new();
    }
    let line = inc
        .events
        .iter()
        .rposition(|e| e.kind == "postmortem_attached")
        .map_or(1, |i| i + 1);
    vec![Finding::new(
        POSTMORTEM_EDITED_AFTER_CLOSE,
        events_rel,
        line,
        1,
        format!(
            "{rel} was edited after {} was closed: its SHA-256 is {now}, the log recorded {recorded}",
            inc.id
        ),
        format!(
            "record the edit: `opsbook postmortem amend {} --reason \"what changed and why\"`; or restore the version recorded at close",
            inc.id
        ),
    )
    .covering(crate::span::Extent::Line)]
}
