//! Incident logs: the event contract, the status machine and the D-ORDER guards, and the postmortem of closed serious incidents (OB802–OB804).

use crate::rules::{Level, Rule};

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
