//! Arguments of `opsbook incident`, `postmortem`, `actions` and `report`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

use super::{ListFormat, RootArg};

/// `opsbook severity`.
#[derive(Debug, Subcommand)]
pub enum SeverityCommand {
    /// Evaluate policy/severity.yaml over facts; print the severity and the rule that matched
    ///
    /// The most severe matching rule wins. A fact a rule needs but that was not
    /// stated counts as true (missing_facts: escalate): unknowns raise the
    /// severity, never lower it. Facts are typed by the policy's `facts` section.
    #[command(after_long_help = "Examples (PowerShell):
  opsbook severity classify --fact mode=live --fact unexpected_loss_usd=1200
  opsbook severity classify --facts facts.json --format json")]
    Classify {
        #[command(flatten)]
        root: RootArg,
        /// A stated fact, KEY=VALUE (repeatable)
        #[arg(long = "fact", value_name = "KEY=VALUE")]
        facts: Vec<String>,
        /// Facts as a JSON or YAML object
        #[arg(long = "facts", value_name = "FILE")]
        facts_file: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
}

/// Options every `incident` command shares.
#[derive(Debug, Args)]
pub struct IncCommon {
    #[command(flatten)]
    pub root: RootArg,
    /// Display name recorded with the OS user and host (e.g. the incident commander)
    #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR", global = true)]
    pub actor: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human, global = true)]
    pub format: ListFormat,
}

/// Relation of a link.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct LinkTarget {
    /// OTHER is the parent (umbrella) of ID
    #[arg(long, value_name = "OTHER")]
    pub parent: Option<String>,
    /// OTHER is a child (consequence) of ID
    #[arg(long, value_name = "OTHER")]
    pub child: Option<String>,
    /// OTHER shares context with ID, no hierarchy
    #[arg(long, value_name = "OTHER")]
    pub related: Option<String>,
}

/// `opsbook incident`.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident; prints its ID. Severity comes from facts (policy/severity.yaml) or is stated with a reason
    #[command(after_long_help = "Examples (PowerShell):
  opsbook incident open --title \"Orders rejected: -1021 timestamp\" --fact mode=live --fact trading_halted=false
  opsbook incident open --title \"Paper feed stale\" --severity P2 --reason \"paper only, no orders\"
  $id = (opsbook incident open --title \"...\" --severity P1 --reason \"...\" --format json | ConvertFrom-Json).id")]
    Open {
        #[command(flatten)]
        common: IncCommon,
        /// Short title: what is broken, as the operator sees it
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        title: String,
        /// Severity stated by hand (needs --reason); with --fact it may only raise the computed one unless --reason is given
        #[arg(long, value_name = "P0|P1|P2", value_parser = ["P0", "P1", "P2"])]
        severity: Option<String>,
        /// Why this severity (decision log)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: Option<String>,
        /// A stated fact, KEY=VALUE (repeatable); severity is computed from them
        #[arg(long = "fact", value_name = "KEY=VALUE")]
        facts: Vec<String>,
        /// Facts as a JSON or YAML object
        #[arg(long = "facts", value_name = "FILE")]
        facts_file: Option<PathBuf>,
        /// When it was detected (RFC 3339; without offset = UTC); default: now
        #[arg(long, value_name = "TIME")]
        detected: Option<String>,
        /// When the impact started, if known
        #[arg(long, value_name = "TIME")]
        impact_started: Option<String>,
        /// Incident commander
        #[arg(long, value_name = "NAME")]
        commander: Option<String>,
        /// A drill, not a real incident (kept out of MTTA/MTTR)
        #[arg(long)]
        drill: bool,
    },
    /// Acknowledge: OPEN → ACKED (you are now the incident commander)
    Ack {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (or a unique suffix such as 001; default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Reason (default: "acknowledged")
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: Option<String>,
        /// Incident commander's name (default: --actor or the OS user)
        #[arg(long, value_name = "NAME")]
        commander: Option<String>,
    },
    /// Change status (OPEN ACKED MITIGATING MONITORING RESOLVED CLOSED CANCELLED); refused steps list the allowed ones
    #[command(
        after_long_help = "Guards (D-ORDER: safe → evidence → observe → recover → verify → learn):
  MITIGATING  needs a safety decision      (incident decide ID --safety STATE ...)
  RESOLVED    needs evidence attached      (evidence collect --incident ID, or incident attach ID REF)
              and recovery acceptance      (incident accept ID --check ...)
  CLOSED      P0/P1 need a postmortem whose action items pass (postmortem new ID)"
    )]
    Status {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// New status (with $env:OPSBOOK_INCIDENT set, `incident status MITIGATING` alone works)
        #[arg(value_name = "STATUS")]
        status: Option<String>,
        /// Why (decision log)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
    /// Add a note to the timeline
    #[command(after_long_help = "Examples (PowerShell):
  opsbook incident log 001 \"vendor confirms the outage\"
  opsbook incident log $env:OPSBOOK_INCIDENT --type decision --text \"stay HALTED\" --reason \"recon pending\"
  opsbook incident log $env:OPSBOOK_INCIDENT --type scope --text \"BTCUSDT only\"")]
    Log {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        // A text beginning with '-' given alone (`incident log "-1021 …"`
        // with $env:OPSBOOK_INCIDENT set) lands here first: a value, not a flag.
        #[arg(
            value_name = "ID",
            env = "OPSBOOK_INCIDENT",
            allow_hyphen_values = true
        )]
        id: String,
        /// The note (or --text; with $env:OPSBOOK_INCIDENT set, `incident log "text"` alone works)
        #[arg(value_name = "TEXT", allow_hyphen_values = true)]
        text: Option<String>,
        /// The text (same as TEXT)
        #[arg(
            long = "text",
            id = "text_flag",
            value_name = "TEXT",
            conflicts_with = "text",
            allow_hyphen_values = true
        )]
        text_flag: Option<String>,
        /// What kind of entry: a note, a decision (needs --reason) or a scope declaration
        #[arg(long = "type", value_name = "TYPE", default_value = "note", value_parser = ["note", "decision", "scope"])]
        kind: String,
        /// Why (for --type decision)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: Option<String>,
    },
    /// Record a decision (decision log); with --safety, the safety decision MITIGATING needs
    #[command(after_long_help = "Examples (PowerShell):
  opsbook incident decide 001 --safety HALTED --decision \"engage kill switch\" --reason \"positions unknown\"
  opsbook incident decide 001 --decision \"fail over to backup feed\" --reason \"primary stale 5 min\" --alternative \"wait for vendor\"")]
    Decide {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// What was decided
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        decision: String,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// An alternative considered and rejected (repeatable)
        #[arg(long = "alternative", value_name = "TEXT", allow_hyphen_values = true)]
        alternatives: Vec<String>,
        /// Safety state decided for the platform: a state of policy/degraded.yaml (starter: NORMAL, DEGRADED, SAFE_MODE, HALTED, RECOVERING; NORMAL is a valid decision). When the platform is in another state, the decision performs the transition exactly as `opsbook safety set STATE --incident ID` (its guards, its hook); refused or failed, nothing is recorded
        #[arg(long, value_name = "STATE")]
        safety: Option<String>,
        /// With --safety: record the decision only and leave the platform as it is (switched by
        /// hand, or to be switched later with `opsbook safety set`); opsbook says which state it is in
        #[arg(long, requires = "safety")]
        record_only: bool,
    },
    /// Declare impact and scope: what is affected, what was checked and is not; times kept apart
    Scope {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Something affected (repeatable)
        #[arg(long, value_name = "WHAT", allow_hyphen_values = true)]
        affected: Vec<String>,
        /// Something checked and not affected (repeatable)
        #[arg(long, value_name = "WHAT", allow_hyphen_values = true)]
        not_affected: Vec<String>,
        /// Free text
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        text: Option<String>,
        /// When it was detected
        #[arg(long, value_name = "TIME")]
        detected: Option<String>,
        /// When the impact started
        #[arg(long, value_name = "TIME")]
        impact_started: Option<String>,
        /// When the impact ended
        #[arg(long, value_name = "TIME")]
        impact_ended: Option<String>,
    },
    /// Attach an evidence reference: a bundle ID, a file (hashed for you) or a URL, with its SHA-256
    Attach {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Bundle ID, file path or URL (with $env:OPSBOOK_INCIDENT set, `incident attach REF` alone works)
        #[arg(value_name = "REF")]
        reference: Option<String>,
        /// SHA-256 (hex) of the evidence; computed (and checked) for a file
        #[arg(long, value_name = "HEX")]
        sha256: Option<String>,
        /// What it shows
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        note: Option<String>,
    },
    /// Answer the recovery-acceptance checklist of policy/degraded.yaml (needed before RESOLVED)
    #[command(after_long_help = "Without --check or --answers, prints the checklist.
Each answer is ID=pass:EVIDENCE or ID=fail[:EVIDENCE]; every check must be answered.

Checks opsbook can verify are verified, not typed: reconciliation_ok needs a
stored report (REC-..., from `opsbook reconcile fills`); recovering_dwell is read
from the safety ledger; time_ok needs a recorded clock check (TCK-N, from
`opsbook time check --record --incident ID`) and no_split_brain is read from
the lease ledger (answer no_split_brain=pass:ledger/lease.jsonl; see
`opsbook lease status`) — other evidence for these two is refused; an EVB-...
bundle must exist; placeholders such as pass:x are refused.

Examples (PowerShell):
  opsbook incident accept 001
  opsbook incident accept 001 --check cause_mitigated=pass:EVB-1 --check reconciliation_ok=pass:REC-20261129-c809bc460f --check time_ok=pass:TCK-3 ...
  opsbook incident accept 001 --answers acceptance.yaml   # {reconciliation_ok: {result: pass, evidence: ...}}")]
    Accept {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// An answer, CHECK=pass:EVIDENCE or CHECK=fail[:EVIDENCE] (repeatable)
        #[arg(long = "check", value_name = "CHECK=RESULT:EVIDENCE")]
        checks: Vec<String>,
        /// Answers as a JSON or YAML object: check → {result, evidence, note}
        #[arg(long, value_name = "FILE")]
        answers: Option<PathBuf>,
    },
    /// Link two incidents (written in both; parent/child cycles refused)
    Link {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        #[command(flatten)]
        target: LinkTarget,
    },
    /// Change severity: recomputed from new facts, or stated; lowering needs --reason
    Severity {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// New severity
        #[arg(long, visible_alias = "severity", value_name = "P0|P1|P2", value_parser = ["P0", "P1", "P2"])]
        to: Option<String>,
        /// A new or changed fact, KEY=VALUE (repeatable); severity is recomputed over all facts
        #[arg(long = "fact", value_name = "KEY=VALUE")]
        facts: Vec<String>,
        /// Why (required to lower)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: Option<String>,
    },
    /// MONITORING → RESOLVED (evidence and recovery acceptance required)
    Resolve {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
    /// RESOLVED → CLOSED (P0/P1: attaches postmortem.md after checking it)
    Close {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
    /// Cancel an incident opened by mistake (before RESOLVED); the ID is never reused
    Cancel {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
    /// Merge a duplicate into the surviving incident (both logs kept; evidence linked)
    Merge {
        #[command(flatten)]
        common: IncCommon,
        /// The duplicate
        #[arg(value_name = "ID")]
        id: String,
        /// The surviving incident
        #[arg(long, value_name = "OTHER")]
        into: String,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
    },
    /// Correct an earlier event: a new event that supersedes it (nothing is edited)
    Correct {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// The seq of the event corrected
        #[arg(long, value_name = "N")]
        seq: u64,
        /// Why
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// The corrected text
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        text: Option<String>,
    },
    /// Show one incident: status, severity, times (UTC and local), scope, decisions, evidence, links
    Show {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
    },
    /// List incidents, newest first
    List {
        #[command(flatten)]
        common: IncCommon,
        /// Only these statuses (repeatable); `open` means every status still needing work (OPEN, ACKED, MITIGATING, MONITORING)
        #[arg(long, value_name = "STATUS")]
        status: Vec<String>,
        /// Only incidents still needing work (OPEN, ACKED, MITIGATING, MONITORING)
        #[arg(long)]
        open: bool,
    },
    /// The timeline: every event in order, UTC and local time
    Timeline {
        #[command(flatten)]
        common: IncCommon,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
    },
}

/// `opsbook postmortem`.
#[derive(Debug, Subcommand)]
pub enum PostmortemCommand {
    /// Draft incidents/<ID>/postmortem.md from the events (timeline, decisions, durations)
    New {
        #[command(flatten)]
        root: RootArg,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Author recorded in the draft
        #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR")]
        actor: Option<String>,
    },
    /// Check a postmortem against the contract and the action-item rules (exit 1 on problems)
    Check {
        #[command(flatten)]
        root: RootArg,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// Date to judge due dates against (default: today, UTC)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Record a postmortem edited after its incident was CLOSED: its new SHA-256, with the reason
    #[command(
        after_long_help = "Closing an incident records the SHA-256 of incidents/<ID>/postmortem.md; the gate (OB812)
fails when the file no longer matches. After a deliberate edit (a late finding, a fixed action
item), record it: the earlier record is corrected with your reason and the new SHA-256 is
attached. The edited postmortem must still pass `opsbook postmortem check`.

Example (PowerShell):
  opsbook postmortem amend INC-20261129-001 --reason \"AI-2 added: the alert did not exist\"
Exit status: 0 recorded, 1 the edited postmortem does not pass, 2 usage or I/O error."
    )]
    Amend {
        #[command(flatten)]
        root: RootArg,
        /// Incident ID (default: $env:OPSBOOK_INCIDENT)
        #[arg(value_name = "ID", env = "OPSBOOK_INCIDENT")]
        id: String,
        /// What changed in the postmortem and why (recorded)
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

/// `opsbook actions`.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// Also list done and wontfix items
    #[arg(long)]
    pub all: bool,
    /// Date to judge due dates against (default: today, UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// `opsbook report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// Only incidents opened on or after this date (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
    /// Date to judge due dates against (default: today, UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Include drills in MTTA/MTTR
    #[arg(long)]
    pub include_drills: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}
