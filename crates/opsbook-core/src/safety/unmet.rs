//! What a refused safety transition lacks, one entry per unmet condition
//! (D-SAFE-SM, D-SAFE-NOFLAP): [`crate::safety::check`] names every
//! condition of a de-escalation that fails at once — evidence, the dwell,
//! the high-danger confirmation, the recovery acceptance — so that an
//! operator fixes them all before trying again, not one per try.

use serde::Serialize;

use crate::next::NextStep;

/// Which condition of a transition is not met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Condition {
    /// The target is not a state of the machine.
    State,
    /// The machine has no such transition (or it is the current state).
    Transition,
    /// No reason given.
    Reason,
    /// An automatic source asked for what only a person may do.
    Automatic,
    /// The automatic escalation limit per hour is reached.
    FlapLimit,
    /// A de-escalation without evidence that the cause is gone.
    Evidence,
    /// The current state's `min_dwell_minutes` has not passed.
    Dwell,
    /// No usable high-danger confirmation (`release_halt`).
    Confirmation,
    /// No passed recovery acceptance.
    Acceptance,
}

impl Condition {
    /// The word JSON and people see (`evidence`, `dwell`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::State => "state",
            Condition::Transition => "transition",
            Condition::Reason => "reason",
            Condition::Automatic => "automatic",
            Condition::FlapLimit => "flap_limit",
            Condition::Evidence => "evidence",
            Condition::Dwell => "dwell",
            Condition::Confirmation => "confirmation",
            Condition::Acceptance => "acceptance",
        }
    }
}

/// One unmet condition of a refused transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmet {
    /// Which condition.
    pub condition: Condition,
    /// What is missing, in words (no command lines: see `next`).
    pub message: String,
    /// The step that meets it, when one does (the dwell is met by waiting).
    pub next: Option<NextStep>,
    /// [`Condition::Dwell`]: when the dwell ends, UTC (RFC 3339) — the
    /// transition may be asked for from then on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// [`Condition::Dwell`]: whole minutes from now until `until`, rounded up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes_left: Option<i64>,
}

impl Unmet {
    /// An unmet condition with its message and no step.
    #[must_use]
    pub fn new(condition: Condition, message: impl Into<String>) -> Unmet {
        Unmet {
            condition,
            message: message.into(),
            next: None,
            until: None,
            minutes_left: None,
        }
    }

    /// The same, met by `next`.
    #[must_use]
    pub fn with_next(self, next: NextStep) -> Unmet {
        Unmet {
            next: Some(next),
            ..self
        }
    }
}

/// When the current state's `min_dwell_minutes` ends (UTC): from then on
/// it may be left by a de-escalation. `None` for the initial state never
/// entered, or a state without a dwell.
#[must_use]
pub fn dwell_end(m: &super::Machine, cur: &super::Current) -> Option<jiff::Timestamp> {
    let dwell = m.state(&cur.state)?.min_dwell_minutes;
    if dwell <= 0 {
        return None;
    }
    let since = cur.since.as_deref()?.parse::<jiff::Timestamp>().ok()?;
    jiff::Timestamp::from_millisecond(
        since
            .as_millisecond()
            .saturating_add(dwell.saturating_mul(60_000)),
    )
    .ok()
}

/// The message of a refusal naming `unmet`: the one message, or for
/// several a first line `FROM → TO: N conditions are not met:` and one
/// `  - message` line each.
#[must_use]
pub fn summary(from: &str, to: &str, unmet: &[Unmet]) -> String {
    match unmet {
        [one] => one.message.clone(),
        _ => {
            let mut s = format!("{from} → {to}: {} conditions are not met:", unmet.len());
            for u in unmet {
                s.push_str("\n  - ");
                s.push_str(&u.message);
            }
            s
        }
    }
}
