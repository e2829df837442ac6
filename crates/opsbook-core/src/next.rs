//! The way forward, as data. A refusal, a guard or a verdict says what is
//! missing in words and, here, which step would provide it; each front end
//! renders the step its own way (the CLI as an `opsbook …` command line that
//! works as printed, a web page as a button). Messages of the domain never
//! spell out a command.

use serde::Serialize;

/// When a confirmation may start so that it is valid once usable
/// ([`NextStep::ConfirmFrom`]). Times UTC, RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmWindow {
    /// The earliest start that keeps it valid past the dwell's end.
    pub from: String,
    /// Whole minutes from now until `from`, rounded up.
    pub in_minutes: i64,
    /// When the dwell ends and the confirmation can be used.
    pub usable_from: String,
    /// When one started now would expire at the soonest.
    pub expires_at: String,
}

/// A step that would let a refused action go ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NextStep {
    /// Record the platform's safety decision on the incident (before MITIGATING).
    DecideSafety {
        /// The incident.
        incident: String,
    },
    /// Attach an evidence reference to the incident (before RESOLVED).
    AttachEvidence {
        /// The incident.
        incident: String,
    },
    /// Answer the recovery-acceptance checklist (before RESOLVED, and
    /// before the platform leaves RECOVERING).
    AnswerAcceptance {
        /// The incident, when known.
        incident: Option<String>,
        /// Checks that failed last time.
        failing: Vec<String>,
    },
    /// Draft the postmortem (before a P0/P1 closes).
    DraftPostmortem {
        /// The incident.
        incident: String,
    },
    /// Pass the one-person high-danger confirmation for an action.
    Confirm {
        /// The safety-matrix action (`release_halt`, `freeze_exception`, …).
        operation: String,
        /// Its target, when known (the state `release_halt` leads to).
        target: Option<String>,
    },
    /// Pass the one-person high-danger confirmation, but not before `from`:
    /// one passed earlier would expire before the current state's dwell
    /// ends, so before it could be used (D-SAFE-CONFIRM, D-SAFE-NOFLAP).
    ConfirmFrom {
        /// The safety-matrix action (`release_halt`).
        operation: String,
        /// Its target (the state `release_halt` leads to).
        target: String,
        /// When (boxed: a refusal stays small; flat in JSON).
        #[serde(flatten)]
        when: Box<ConfirmWindow>,
    },
    /// Ask for a freeze exception covering an action.
    FreezeException {
        /// The frozen action.
        action: String,
    },
    /// Switch the platform by hand, then record the state without its hook.
    RecordManualSwitch {
        /// The state the hook was to switch to.
        state: String,
    },
    /// Set aside a torn last line of a ledger.
    RepairLedger {
        /// The ledger file.
        path: String,
    },
    /// See where a ledger's chain breaks.
    VerifyLedger {
        /// The ledger file.
        path: String,
    },
    /// Create an SSOT (none found).
    CreateSsot,
    /// Run the gate, which lists every problem of the SSOT.
    RunGate,
    /// Deliver what waits in the evidence spool.
    FlushEvidence,
    /// See the freeze, its reasons and exceptions.
    FreezeStatus,
    /// Lift the freeze (its conditions hold).
    LiftFreeze,
    /// End the post-recovery watch.
    EndWatch,
    /// Acknowledge the incident.
    Acknowledge {
        /// The incident.
        incident: String,
    },
    /// Resolve the incident.
    Resolve {
        /// The incident.
        incident: String,
    },
    /// Close the incident.
    Close {
        /// The incident.
        incident: String,
    },
    /// List an incident's recovery-acceptance checks.
    ListAcceptance {
        /// The incident.
        incident: String,
    },
    /// Measure the clock against the exchange and NTP and record the
    /// result (`time_ok`).
    CheckTime {
        /// The incident to record it on, when known.
        incident: Option<String>,
    },
    /// Reconcile our fills against the exchange's and store the report
    /// (`reconciliation_ok`).
    ReconcileFills {
        /// The incident whose window the report must cover, when known.
        incident: Option<String>,
    },
    /// See who holds a lease now.
    LeaseStatus {
        /// The lease.
        name: String,
    },
    /// Start the platform's recovery: move it from a held state (HALTED,
    /// SAFE_MODE) to RECOVERING for the incident, with evidence (from
    /// HALTED after the high-danger confirmation `release_halt`).
    StartRecovery {
        /// The incident that held the platform.
        incident: String,
        /// The state it is held in now.
        from: String,
    },
    /// See every lease's holder and answer `no_split_brain` with the lease
    /// ledger, which opsbook then reads itself.
    LeaseHolders,
}
