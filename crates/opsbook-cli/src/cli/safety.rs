//! Arguments of the commands that change or ask about the platform's safety
//! state: `safety`, `freeze`, `confirm`, `halt`, `p0`, `ledger`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

use super::{ListFormat, RootArg};

/// `opsbook ledger`.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check every chain; exit 1 naming the file and first bad line
    Verify {
        /// Ledger files (default: every ledger of the SSOT)
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: RootArg,
        /// Output format
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Set aside an incomplete last line left by a crash (complete events are never dropped)
    ///
    /// With PATHs, repairs those ledgers (relative to --root when it is given,
    /// else to the current directory); without, every ledger of the SSOT that
    /// ends in a torn line. A ledger broken in any other way is left alone.
    Repair {
        /// Ledger files (default: every torn ledger of the SSOT)
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: RootArg,
        /// Display name recorded with the OS user and host
        #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR")]
        actor: Option<String>,
    },
    /// Append one event (under a cross-process lock, fsynced); prints it as JSON
    Append {
        /// The ledger file (created if missing)
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Event type, e.g. note
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
        /// Event data as a JSON object
        #[arg(long, value_name = "JSON")]
        data: Option<String>,
        /// Display name recorded with the OS user and host
        #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR")]
        actor: Option<String>,
        /// Append the event this many times (drills and load tests); prints only the last
        #[arg(long, value_name = "N", default_value_t = 1)]
        repeat: u32,
    },
    /// Recover a BROKEN chain (edited, removed, reordered, foreign line — not a torn tail):
    /// keep the whole file as evidence (`<file>.broken-<UTC>`) and start a new chain whose
    /// first event (`ledger_restarted`) names it, its SHA-256 and where it broke
    #[command(name = "set-aside")]
    SetAside {
        /// The ledger file
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Why (recorded in the new chain's first event)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// Display name recorded with the OS user and host
        #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR")]
        actor: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
}

/// Options the safety, freeze and confirm commands share.
#[derive(Debug, Args)]
pub struct SafeCommon {
    #[command(flatten)]
    pub root: RootArg,
    /// Display name recorded with the OS user and host
    #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR", global = true)]
    pub actor: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human, global = true)]
    pub format: ListFormat,
}

/// `opsbook safety`.
#[derive(Debug, Subcommand)]
pub enum SafetyCommand {
    /// The current safety state, since when, and what may come next
    Status {
        #[command(flatten)]
        common: SafeCommon,
    },
    /// Move the platform to STATE (through its hook); refused with the reason when a guard is not met
    #[command(
        after_long_help = "Rules (policy/degraded.yaml, D-SAFE-SM, D-SAFE-NOFLAP):
  escalation       always allowed with a reason; automatic sources (--source auto:NAME) only escalate,
                   at most auto_escalation.max_per_hour per rolling hour
  de-escalation    a person, --evidence REF, and the current state's min_dwell_minutes;
                   out of HALTED also `opsbook confirm release_halt --target RECOVERING` first;
                   RECOVERING -> NORMAL also a passed recovery acceptance (--incident ID)
A configured hook ([safety.hooks.STATE] in opsbook.toml) runs first: the attempt is recorded,
the new state only after the hook exits 0.

Exit status: 0 done, 1 refused by a guard, 2 usage or I/O error, 4 the platform hook failed
(state unchanged; the manual steps are printed).

Examples (PowerShell):
  opsbook safety set HALTED --reason \"order state unknown\" --incident $id
  opsbook safety set SAFE_MODE --reason \"feed stale\" --source auto:watchdog
  opsbook confirm release_halt --target RECOVERING; opsbook safety set RECOVERING --reason \"recon OK\" --evidence EVB-1"
    )]
    Set {
        #[command(flatten)]
        common: SafeCommon,
        /// Target state
        #[arg(value_name = "STATE")]
        state: String,
        /// Why (always required)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// Evidence that the cause is gone (required to de-escalate)
        #[arg(long, value_name = "REF", allow_hyphen_values = true)]
        evidence: Option<String>,
        /// Who asks: operator (default) or auto:NAME for an automatic trigger
        #[arg(long, value_name = "SOURCE", default_value = "operator")]
        source: String,
        /// The incident this belongs to (gets a safety_decision event)
        #[arg(long, value_name = "ID", env = "OPSBOOK_INCIDENT")]
        incident: Option<String>,
        /// The platform was switched by hand (its hook failed or there is none): record the state without running the hook
        #[arg(long)]
        manual: bool,
    },
    /// Every recorded transition, hook run and refusal, oldest first
    History {
        #[command(flatten)]
        common: SafeCommon,
        /// Only the last N entries
        #[arg(long, value_name = "N")]
        last: Option<usize>,
    },
    /// May ACTION be done now? Exit 0 ALLOW, 3 CONFIRM, 1 DENY (unknown actions are denied)
    #[command(
        after_long_help = "Judges the current safety state (or --state) by policy/safety-matrix.yaml and,
for the current state, the change freeze on top.

Exit status: 0 ALLOW, 3 CONFIRM (run `opsbook confirm ACTION --target NAME` first), 1 DENY, 2 error.

Examples (PowerShell):
  opsbook safety can deploy_code; if ($LASTEXITCODE -ne 0) { throw 'not now' }
  opsbook safety can release_halt --state HALTED --format json"
    )]
    Can {
        #[command(flatten)]
        common: SafeCommon,
        /// Action ID of policy/safety-matrix.yaml
        #[arg(value_name = "ACTION")]
        action: String,
        /// Judge this state instead of the current one (matrix only)
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
    },
    /// The whole safety actions matrix: every action in every state
    Matrix {
        #[command(flatten)]
        common: SafeCommon,
    },
    /// End the post-recovery watch (not before its window has passed)
    WatchEnd {
        #[command(flatten)]
        common: SafeCommon,
        /// ok: nothing re-triggered; retriggered: the fault came back
        #[arg(long, value_parser = ["ok", "retriggered"])]
        result: String,
        /// What was observed
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
}

/// `opsbook freeze`.
#[derive(Debug, Subcommand)]
pub enum FreezeCommand {
    /// Whether changes are frozen, why, and the active exceptions
    Status {
        #[command(flatten)]
        common: SafeCommon,
    },
    /// Turn the freeze on
    On {
        #[command(flatten)]
        common: SafeCommon,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// The incident that needs it
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
    },
    /// Lift the freeze (only when every lift_requires of the policy holds; never by timeout)
    Off {
        #[command(flatten)]
        common: SafeCommon,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
    /// Add an exception: named actions, reason, risk, backout, expiry and approver
    #[command(
        after_long_help = "Self-approval (approver = you) needs `opsbook confirm freeze_exception --target ACTION` first.

Example (PowerShell):
  opsbook freeze except --action deploy_code --reason \"hotfix for the -1021 retry loop\" --risk \"gateway restart\" --backout \"redeploy 2026.11.28\" --expires-in 60m --approver Ken"
    )]
    Except(ExceptArgs),
    /// Exceptions: `exception add` (same as `except`) and `exception close`
    #[command(subcommand)]
    Exception(ExceptionCommand),
    /// Close an exception before it expires (same as `exception close`)
    #[command(hide = true)]
    CloseException {
        #[command(flatten)]
        common: SafeCommon,
        /// Exception ID (EXC-N)
        #[arg(value_name = "ID")]
        id: String,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
    /// Guard for deploy scripts and git hooks: exit 0 when the change may go ahead, 1 while frozen
    #[command(after_long_help = "Example deploy guard (PowerShell):
  opsbook freeze check --change \"deploy order-gateway 2026.11.30\" --action deploy_code
  if ($LASTEXITCODE -ne 0) { throw 'Change freeze: deploy refused (opsbook freeze status)' }")]
    Check {
        #[command(flatten)]
        common: SafeCommon,
        /// What is about to change (shown in the answer)
        #[arg(
            long,
            value_name = "TEXT",
            allow_hyphen_values = true,
            default_value = "unspecified change"
        )]
        change: String,
        /// The action it is (default deploy_code)
        #[arg(long, value_name = "ACTION", default_value = "deploy_code")]
        action: String,
    },
}

/// A freeze exception.
#[derive(Debug, Args)]
pub struct ExceptArgs {
    #[command(flatten)]
    pub common: SafeCommon,
    /// Actions of policy/safety-matrix.yaml it unblocks (repeatable or comma-separated; \"everything\" is not accepted)
    #[arg(
        long = "action",
        visible_alias = "actions",
        value_name = "ACTION",
        required = true,
        value_delimiter = ','
    )]
    pub actions: Vec<String>,
    /// Why this change cannot wait
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub reason: String,
    /// What could go wrong
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub risk: String,
    /// How to undo it
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub backout: String,
    /// Expiry from now: 30m, 2h (at most the policy's max_duration_minutes)
    #[arg(long, value_name = "DURATION", conflicts_with = "expires")]
    pub expires_in: Option<String>,
    /// Expiry as a time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub expires: Option<String>,
    /// Who approved it
    #[arg(long, value_name = "NAME")]
    pub approver: String,
    /// The incident the change is for
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
}

/// `opsbook freeze exception`.
#[derive(Debug, Subcommand)]
pub enum ExceptionCommand {
    /// Add an exception (same as `opsbook freeze except`)
    Add(ExceptArgs),
    /// Close an exception before it expires
    Close {
        #[command(flatten)]
        common: SafeCommon,
        /// Exception ID (EXC-N)
        #[arg(value_name = "ID")]
        id: String,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
}

/// `opsbook confirm`.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Asks, and records in ledger/confirmations.jsonl: the fatigue self-check, the checklist
of policy/safety-matrix.yaml (every answer yes), the target typed twice with a cooling-off
pause between, and why now. Past a fatigue threshold it recommends HALT → evidence → rest and
refuses a T2 action unless --override-reason is given. Without a terminal it needs --answers.

Answers file (YAML or JSON) for drills and tests:
  hours_awake: 10
  hours_slept: 7
  checklist: {evidence_sealed: yes, backout_read: yes, cause_mitigated: yes, scope_known: yes, freeze_checked: yes}
  target: RECOVERING
  target_again: RECOVERING
  reason: reconciliation clean twice
The cooling-off prints when it ends (UTC) and how many seconds are left; typed too early,
opsbook waits, then rings the terminal bell when it is over.

`opsbook confirm status` lists every confirmation (CNF-1, CNF-2, …) and where it stands:
in_progress, refused, abandoned (started, never answered to the end: closed when the next
confirmation of the same action starts, or after valid_minutes), confirmed (usable until),
used, expired.
Exit status: 0 confirmed (prints CNF-N), 1 refused, 2 usage or I/O error."
)]
pub struct ConfirmArgs {
    #[command(flatten)]
    pub common: SafeCommon,
    /// The action (policy/safety-matrix.yaml), e.g. release_halt, rotate_api_key, freeze_exception;
    /// `status` lists every confirmation and where it stands
    #[arg(value_name = "OPERATION")]
    pub operation: String,
    /// The exact target: host, key label, symbol, data range, or the state for release_halt
    /// (default: RECOVERING for release_halt; else `target` of the answers file, or asked)
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// The incident (its decision log gets the confirmation)
    #[arg(long, value_name = "ID", env = "OPSBOOK_INCIDENT")]
    pub incident: Option<String>,
    /// Answers from a file instead of the terminal
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Proceed past a fatigue threshold for a T2 action (recorded)
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub override_reason: Option<String>,
    /// release_halt: confirm now even though the confirmation will expire before the
    /// current state's min_dwell_minutes end, that is before `safety set` may use it
    /// (without it, that is refused before any question, with the time to start instead)
    #[arg(long)]
    pub before_dwell: bool,
}

/// `opsbook halt`.
#[derive(Debug, Args)]
pub struct HaltArgs {
    #[command(flatten)]
    pub common: SafeCommon,
    /// Why (one line)
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub reason: String,
    /// The incident (default: a new P0 incident is opened)
    #[arg(long, value_name = "ID", env = "OPSBOOK_INCIDENT")]
    pub incident: Option<String>,
    /// The platform was halted by hand (the hook failed): record HALTED without running the hook
    #[arg(long)]
    pub manual: bool,
}

/// `opsbook p0`.
#[derive(Debug, Args)]
pub struct P0Args {
    #[command(flatten)]
    pub common: SafeCommon,
    /// The incident (default: $env:OPSBOOK_INCIDENT, else the open incident whose walk is
    /// unfinished, else the one the platform is HALTED for; else step 2 opens a new P0)
    #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
    pub incident: Option<String>,
    /// Answers from a file: `steps: {"1": {result: done|skipped, note: TEXT}, …}` (drills and tests)
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Title when a new incident is opened
    #[arg(
        long,
        value_name = "TEXT",
        allow_hyphen_values = true,
        default_value = "P0 (first ten steps)"
    )]
    pub title: String,
}
