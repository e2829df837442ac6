//! Incident logs: the event contract, the status machine and the D-ORDER guards, and the postmortem of closed serious incidents (OB802–OB804).

use crate::Finding;
use crate::rules;
use crate::rules::{Level, Rule};
use opsbook_core::contracts::Contracts;
use opsbook_core::ssot::SourceFile;

/// `OB802` `incident-event-contract`: an incident event does not satisfy the incident-event contract.
pub const INCIDENT_EVENT_CONTRACT: &Rule = &Rule {
    code: "OB802",
    name: "incident-event-contract",
    level: Level::Error,
    requirement: "D-INC-LEDGER",
    summary: "an incident event does not satisfy the incident-event contract",
    doc: "## What it does
Validates every line of `incidents/<ID>/events.jsonl` against `contracts/incident-event.schema.json`: the event shape, the type, and the data each type needs (a `reason` on every status change and decision, `from`/`to`, evidence `ref` + `sha256`, …).

## Why is this bad?
The incident's state is the replay of its events; an event without its data (a status change without a reason, evidence without a hash) is a hole in the decision log that a postmortem cannot fill later.

## Example
`opsbook ledger append incidents/INC-20261129-001/events.jsonl --type status_changed --data '{\"to\":\"RESOLVED\"}'`

Use instead: the `opsbook incident` commands, which write complete events and check the guards.",
};

/// `OB803` `incident-order`: an incident log breaks the status machine or the D-ORDER guards.
pub const INCIDENT_ORDER: &Rule = &Rule {
    code: "OB803",
    name: "incident-order",
    level: Level::Error,
    requirement: "D-ORDER",
    summary: "an incident log breaks the status machine or the D-ORDER guards",
    doc: "## What it does
Replays each incident and reports events that the `opsbook incident` commands would have refused: an illegal status transition (e.g. OPEN → RESOLVED), MITIGATING without a prior `safety_decision`, RESOLVED without evidence or without a passed recovery acceptance, a second `opened`, a correction of a later event, a log that does not start with `opened`.

## Why is this bad?
The seed's order safe → evidence → observe → recover → verify → learn exists because skipping a step at 3 a.m. loses money or evidence. A log written around the guards (by hand, or by a script appending raw events) hides exactly that.

## Example
A `status_changed` to MITIGATING appended with `opsbook ledger append` before any safety decision.

Use instead: `opsbook incident decide ID --safety STATE …` first, then `opsbook incident status ID MITIGATING --reason …`. Past mistakes stay in the log: add a `correction` event with the reason and baseline the finding.",
};

/// `OB804` `closed-without-postmortem`: a closed P0/P1 incident has no postmortem.
pub const CLOSED_WITHOUT_POSTMORTEM: &Rule = &Rule {
    code: "OB804",
    name: "closed-without-postmortem",
    level: Level::Error,
    requirement: "D-LEARN",
    summary: "a closed P0/P1 incident has no postmortem",
    doc: "## What it does
Checks that every CLOSED P0 or P1 incident has a `postmortem_attached` event and that `incidents/<ID>/postmortem.md` exists.

## Why is this bad?
Seed §3.3: every serious incident ends in improvements to runbooks, policies, tests, monitoring or the implementation. Without a postmortem the same incident comes back.

## Example
A P1 closed by appending raw events, or whose `postmortem.md` was deleted.

Use instead: `opsbook postmortem new ID`, fill it in, `opsbook incident close ID --reason …`.",
};

pub(crate) fn incident_findings(
    root: &std::path::Path,
    f: &SourceFile,
    path: &std::path::Path,
    bytes: &[u8],
    contracts: &Contracts,
) -> Vec<Finding> {
    use opsbook_core::incident::{Incident, Status, severity_rank};
    let mut out = Vec::new();
    let events = match opsbook_core::ledger::read_bytes(path, bytes) {
        Ok(e) => e,
        Err(e) => {
            out.push(Finding::new(
                rules::ledger::INCIDENT_EVENT_CONTRACT,
                &f.rel,
                1,
                1,
                e.to_string(),
                "restore the log".into(),
            ));
            return out;
        }
    };
    for (i, ev) in events.iter().enumerate() {
        let Ok(value) = serde_json::to_value(ev) else {
            continue;
        };
        if let Some(violations) = contracts.validate("incident-event", &value) {
            for vi in violations {
                out.push(Finding::new(
                    rules::ledger::INCIDENT_EVENT_CONTRACT,
                    &f.rel,
                    i + 1,
                    1,
                    format!(
                        "event seq {} ({}): {} at `{}`",
                        ev.seq,
                        ev.kind,
                        vi.message,
                        if vi.pointer.is_empty() { "/" } else { &vi.pointer }
                    ),
                    "write incident events with the `opsbook incident` commands; fix a past event with a `correction` event".into(),
                ).covering(crate::span::Extent::Line));
            }
        }
    }
    let id = f
        .rel
        .strip_prefix("incidents/")
        .and_then(|r| r.split('/').next())
        .unwrap_or_default()
        .to_string();
    let inc = match Incident::replay(&id, events) {
        Ok(inc) => inc,
        Err(e) => {
            out.push(Finding::new(
                rules::ledger::INCIDENT_ORDER,
                &f.rel,
                1,
                1,
                e,
                "an incident log starts with its `opened` event: `opsbook incident open`".into(),
            ));
            return out;
        }
    };
    for (seq, m) in &inc.violations {
        out.push(Finding::new(
            rules::ledger::INCIDENT_ORDER,
            &f.rel,
            usize::try_from(*seq).unwrap_or(1),
            1,
            format!("event seq {seq}: {m}"),
            "use the `opsbook incident` commands, which check the order; keep the log and add a `correction` event explaining it".into(),
        ).covering(crate::span::Extent::Line));
    }
    out.extend(super::amended::findings(root, &f.rel, &inc));
    if inc.status == Status::Closed && severity_rank(&inc.severity) <= 1 {
        let line = inc
            .events
            .iter()
            .rposition(|e| e.kind == "status_changed")
            .map_or(1, |i| i + 1);
        let pm = root.join("incidents").join(&id).join("postmortem.md");
        let why = match (&inc.postmortem, pm.is_file()) {
            (None, _) => Some(format!(
                "{id} is a CLOSED {} incident without a `postmortem_attached` event",
                inc.severity
            )),
            (Some(_), false) => Some(format!(
                "{id} is a CLOSED {} incident but incidents/{id}/postmortem.md is missing",
                inc.severity
            )),
            _ => None,
        };
        if let Some(why) = why {
            out.push(Finding::new(
                rules::ledger::CLOSED_WITHOUT_POSTMORTEM,
                &f.rel,
                line,
                1,
                why,
                format!("`opsbook postmortem new {id}`, then restore or write it; seed §3.3: serious incidents end in improvements"),
            ).covering(crate::span::Extent::Line));
        }
    }
    out
}
