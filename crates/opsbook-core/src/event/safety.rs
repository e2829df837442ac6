//! Events of `ledger/safety.jsonl` (D-SAFE-SM, D-SAFE-NOFLAP): the hook's
//! attempt (before it runs) and result, the state left and entered (only
//! after the hook succeeded), refusals that are recorded, the watch.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::LedgerEvent;

/// Every type of [`SafetyEvent`].
pub const TYPES: [&str; 7] = [
    "hook_attempt",
    "hook_result",
    "state_exited",
    "state_entered",
    "transition_refused",
    "watch_started",
    "watch_ended",
];

/// One event of the safety ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum SafetyEvent {
    /// The platform hook is about to run.
    HookAttempt(HookAttempt),
    /// What the hook did.
    HookResult(HookResult),
    /// The state left, and how long it lasted.
    StateExited(StateExited),
    /// The state entered.
    StateEntered(StateEntered),
    /// A refusal that is itself recorded (an automatic trigger).
    TransitionRefused(TransitionRefused),
    /// The post-recovery watch started.
    WatchStarted(WatchStarted),
    /// The post-recovery watch ended.
    WatchEnded(WatchEnded),
}

impl LedgerEvent for SafetyEvent {}

/// `hook_attempt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookAttempt {
    /// From state.
    #[serde(default)]
    pub from: String,
    /// To state.
    #[serde(default)]
    pub to: String,
    /// The hook's argv.
    #[serde(default)]
    pub command: Vec<String>,
    /// Its timeout, seconds.
    #[serde(default)]
    pub timeout_seconds: u64,
    /// `operator`, `auto:NAME`, `policy:NAME`.
    #[serde(default)]
    pub source: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Re-engaging the state the platform is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reengage: Option<bool>,
}

/// `hook_result`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookResult {
    /// To state.
    #[serde(default)]
    pub to: String,
    /// What it did ([`crate::safety::hook::Outcome`]).
    #[serde(default)]
    pub outcome: Value,
}

/// `state_exited`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateExited {
    /// The state left.
    #[serde(default)]
    pub state: String,
    /// Where to.
    #[serde(default)]
    pub to: String,
    /// Time in it, ms (`null` for the initial state never entered).
    #[serde(default)]
    pub dwell_ms: Option<i64>,
}

/// `state_entered`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEntered {
    /// The state entered.
    #[serde(default)]
    pub state: String,
    /// From state.
    #[serde(default)]
    pub from: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// `operator`, `auto:NAME`, `policy:NAME`.
    #[serde(default)]
    pub source: String,
    /// `escalate` or `deescalate`.
    #[serde(default)]
    pub direction: String,
    /// `true`: the hook switched it; `false`: no hook; `"manual"`: by hand.
    #[serde(default)]
    pub hook: HookMark,
    /// Evidence that the cause is gone (de-escalation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// The high-danger confirmation used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
}

/// How a state was switched: by its hook or not (`true`/`false`), or by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HookMark {
    /// `true` / `false`.
    Ran(bool),
    /// `"manual"`.
    Manual(String),
}

impl Default for HookMark {
    fn default() -> HookMark {
        HookMark::Ran(false)
    }
}

impl HookMark {
    /// Switched by hand.
    #[must_use]
    pub fn manual() -> HookMark {
        HookMark::Manual("manual".into())
    }

    /// Who switched the platform, as a state's status reports it.
    #[must_use]
    pub fn switched(&self) -> Switched {
        match self {
            HookMark::Ran(true) => Switched::Hook,
            HookMark::Ran(false) => Switched::NoHook,
            HookMark::Manual(_) => Switched::Manual,
        }
    }
}

/// Who switched the platform into a state (`hook`, `manual`, `no_hook`):
/// only `hook` means opsbook's platform hook did it; the other two are
/// what an operator recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Switched {
    /// The state's platform hook switched it.
    Hook,
    /// Switched by hand, recorded with `--manual` (or `halt` with no hook).
    Manual,
    /// No hook configured: opsbook switched nothing.
    NoHook,
}

/// `transition_refused`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRefused {
    /// From state.
    #[serde(default)]
    pub from: String,
    /// To state.
    #[serde(default)]
    pub to: String,
    /// Who asked.
    #[serde(default)]
    pub source: String,
    /// Their reason.
    #[serde(default)]
    pub reason: String,
    /// Why it was refused.
    #[serde(default)]
    pub why: String,
}

/// `watch_started`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchStarted {
    /// Ends, UTC.
    #[serde(default)]
    pub until: String,
    /// Minutes.
    #[serde(default)]
    pub minutes: i64,
    /// The incident.
    #[serde(default)]
    pub incident: Option<String>,
    /// What must hold, for people.
    #[serde(default)]
    pub exit_conditions: Vec<String>,
}

/// `watch_ended`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchEnded {
    /// `ok` or `retriggered`.
    #[serde(default)]
    pub result: String,
    /// What was observed.
    #[serde(default)]
    pub reason: String,
    /// The incident.
    #[serde(default)]
    pub incident: Option<String>,
}
