//! The safety state machine and the actions matrix (OB703–OB706, D-SAFE-SM, D-SAFE-MATRIX).

use crate::rules::{Level, Rule};

/// `OB703` `safety-matrix-incomplete`: a state × action cell of the safety matrix is missing.
pub const SAFETY_MATRIX_INCOMPLETE: &Rule = &Rule {
    code: "OB703",
    name: "safety-matrix-incomplete",
    level: Level::Error,
    requirement: "D-SAFE-MATRIX",
    summary: "a state × action cell of the safety matrix is missing",
    doc: "## What it does
Checks that `policy/safety-matrix.yaml` gives ALLOW, CONFIRM or DENY for every action in `actions` and every state in `policy/degraded.yaml`.

## Why is this bad?
Seed §2.1.4 requires a complete table. A missing cell is a question nobody answered before the incident.

## Example
`release_halt` with no value for `RECOVERING`.

Use instead: decide the cell now, in daylight.",
};

/// `OB704` `safety-matrix-unknown`: the safety matrix names an unknown state or action.
pub const SAFETY_MATRIX_UNKNOWN: &Rule = &Rule {
    code: "OB704",
    name: "safety-matrix-unknown",
    level: Level::Error,
    requirement: "D-SAFE-MATRIX",
    summary: "the safety matrix names an unknown state or action",
    doc: "## What it does
Reports matrix rows for actions not declared in `actions`, and cells for states not in `policy/degraded.yaml`.

## Why is this bad?
A typo (`HALT` for `HALTED`) leaves the real cell undefined.

## Example
`place_new_order: {HALT: DENY}`

Use instead: `HALTED`.",
};

/// `OB705` `safety-state-unreachable`: a safety state cannot be reached from the initial state.
pub const SAFETY_STATE_UNREACHABLE: &Rule = &Rule {
    code: "OB705",
    name: "safety-state-unreachable",
    level: Level::Error,
    requirement: "D-SAFE-SM",
    summary: "a safety state cannot be reached from the initial state",
    doc: "## What it does
Checks `policy/degraded.yaml`: every state is reachable from the initial state through the transitions, and transitions name declared states.

## Why is this bad?
A state nobody can enter is dead policy; a transition to an unknown state is a typo.

## Example
`SAFE_MODE` declared but no transition leads to it.

Use instead: add the escalation transition.",
};

/// `OB706` `safety-state-no-way-back`: a non-initial safety state has no way back.
pub const SAFETY_STATE_NO_WAY_BACK: &Rule = &Rule {
    code: "OB706",
    name: "safety-state-no-way-back",
    level: Level::Error,
    requirement: "D-SAFE-SM",
    summary: "a non-initial safety state has no way back",
    doc: "## What it does
Checks that from every state the initial state (NORMAL) can be reached again.

## Why is this bad?
A state with no documented way out turns an incident into an outage.

## Example
`HALTED` with no transition to `RECOVERING`.

Use instead: add the de-escalation path with its requirements.",
};
