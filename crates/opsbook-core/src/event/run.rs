//! Events of `ledger/runs.jsonl`: runbook runs (`opsbook run`), step by
//! step, hash-chained so that `--resume` can trust what was done
//! (D-AUTO-BOUNDARY). A run's ID is `RUN-<seq of its run_started>`.

use serde::{Deserialize, Serialize};

use super::LedgerEvent;
use super::incident::StepId;

/// Every type of [`RunEvent`].
pub const TYPES: [&str; 4] = [
    "run_started",
    "run_resumed",
    "step_finished",
    "run_finished",
];

/// One event of the runs ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RunEvent {
    /// A run began: the runbook and the SHA-256 of its text.
    RunStarted(RunStarted),
    /// A run was resumed (`--resume RUN-ID`) with the same runbook text.
    RunResumed(RunResumed),
    /// One step ran, or was refused, declined or skipped.
    StepFinished(StepFinished),
    /// A run ended: every selected step done, or stopped at one.
    RunFinished(RunFinished),
}

impl LedgerEvent for RunEvent {}

/// `run_started`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStarted {
    /// The runbook ID.
    #[serde(default)]
    pub runbook: String,
    /// Its file, relative to the SSOT root.
    #[serde(default)]
    pub path: String,
    /// SHA-256 (hex) of the runbook file's decoded text.
    #[serde(default)]
    pub runbook_sha256: String,
    /// The incident the run works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// The steps selected, in order.
    #[serde(default)]
    pub steps: Vec<StepId>,
}

/// `run_resumed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunResumed {
    /// `RUN-<seq>`.
    #[serde(default)]
    pub run: String,
    /// SHA-256 of the runbook text, the same as at the start.
    #[serde(default)]
    pub runbook_sha256: String,
    /// The steps still to run, in order.
    #[serde(default)]
    pub steps: Vec<StepId>,
}

/// `step_finished`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFinished {
    /// `RUN-<seq>`.
    #[serde(default)]
    pub run: String,
    /// The step.
    pub step: StepId,
    /// The tier it ran at: the higher of declared and computed.
    #[serde(default)]
    pub tier: String,
    /// `done`, `failed`, `timed_out`, `refused` or `declined`.
    #[serde(default)]
    pub result: String,
    /// Exit code, when it ran and exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Wall time, ms (0 when it did not run).
    #[serde(default)]
    pub duration_ms: u64,
    /// SHA-256 of the step's code.
    #[serde(default)]
    pub code_sha256: String,
    /// The redacted transcript, relative to the SSOT root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// Its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_sha256: Option<String>,
    /// Why it did not run (refused or declined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The confirmation passed for a T2 step (`CNF-<seq>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
}

/// `run_finished`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFinished {
    /// `RUN-<seq>`.
    #[serde(default)]
    pub run: String,
    /// `completed` (every selected step done) or `stopped`.
    #[serde(default)]
    pub result: String,
    /// Steps done in this invocation.
    #[serde(default)]
    pub done: usize,
}
