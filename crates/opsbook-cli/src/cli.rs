//! The command-line interface: one args struct per command. The top-level
//! `Cli`/`Command` tree is here; each family's arguments live in a file of
//! `cli/` named after it (ssot, incident, safety, evidence, data, run,
//! reconcile) and are re-exported, so `crate::cli::X` names every one.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[cfg(test)]
mod command_table;
mod data;
mod evidence;
mod incident;
pub mod reconcile;
mod run;
mod safety;
mod ssot;

pub use data::*;
pub use evidence::*;
pub use incident::*;
pub use run::*;
pub use safety::*;
pub use ssot::*;

/// The operations single source of truth for incident response, runbooks and evidence.
///
/// opsbook keeps runbooks, policies, plans and incident records of an automated
/// trading platform in one directory tree (the SSOT) and checks them by machine.
/// Start with `opsbook init ops`, then run `opsbook gate` in CI.
#[derive(Debug, Parser)]
#[command(
    name = "opsbook",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::exit::HELP
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// opsbook commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new SSOT (starter runbooks, policies, plans, contracts)
    ///
    /// Writes the built-in starter SSOT into DIR: opsbook.toml, spec/, contracts/,
    /// policy/, plans/, runbooks/ (registry, coverage matrix, drills, templates and
    /// runbooks) and alerts/. Refuses a non-empty DIR unless --force is given; even
    /// then, existing files are never overwritten.
    Init(InitArgs),
    /// Check the SSOT: runbook lint, contracts, registry, coverage, expiry, deprecation
    ///
    /// Runs every rule (see `opsbook explain --all`) over the SSOT and reports
    /// findings. Exit status 0 when no finding is at error level, 1 otherwise,
    /// 2 on usage or I/O errors. Levels can be changed per rule in opsbook.toml
    /// under [gate.levels]; a baseline grandfathers existing findings.
    #[command(after_long_help = "Examples (PowerShell):
  opsbook gate                          # from anywhere inside the SSOT
  opsbook gate --root ops --base origin/main --format sarif -o gate.sarif
  (opsbook gate --format json | ConvertFrom-Json).summary
  opsbook gate --as-of 2027-03-01       # what will have expired by then
  opsbook gate --write-baseline         # grandfather today's findings")]
    Gate(Box<GateArgs>),
    /// Show the documentation page of a rule (`opsbook explain OB101`)
    Explain(ExplainArgs),
    /// Work with the JSON Schema contracts
    #[command(subcommand)]
    Contracts(ContractsCommand),
    /// Join the coverage matrix with Prometheus alert rules
    ///
    /// Checks, for every alerting rule, where its runbook link (`runbook_url` or
    /// `runbook`, in annotations or labels) leads — ok, missing, dead, foreign,
    /// anchor-missing (the `#fragment` is no heading or anchor of the page),
    /// case-mismatch, templated — and whether the coverage matrix maps it. Maps
    /// alert severity to P0/P1/P2 by policy/severity.yaml (a label missing from
    /// the map counts as P0). Fails (exit 1) when a P0 alert's link does not lead
    /// to an active runbook, or a rule file cannot be read (the others are still
    /// checked and reported).
    #[command(after_long_help = "Examples (PowerShell):
  opsbook coverage                      # the alert files in [gate] alerts
  opsbook coverage --alerts monitoring\\rules --exclude '*_test.yaml' --format json")]
    Coverage(CoverageArgs),
    /// Bring an existing Markdown runbook collection under opsbook
    ///
    /// Proposes front matter, registry entries and opsbook's bilingual sections
    /// for every runbook under SRC, keeping the original text. Prints the plan;
    /// writes into DIR only with --write. SRC is never modified. Afterwards,
    /// `opsbook gate --root DIR` says precisely what is missing.
    #[command(after_long_help = "Examples (PowerShell):
  opsbook adopt C:\\wiki\\runbooks --into ops          # print the plan
  opsbook adopt C:\\wiki\\runbooks --into ops --write
  opsbook gate --root ops                       # what is missing")]
    Adopt(AdoptArgs),
    /// Verify, repair or append to the hash-chained ledgers
    ///
    /// Ledgers are JSON Lines files (`ledger/*.jsonl`, `incidents/<ID>/events.jsonl`)
    /// whose events each carry the SHA-256 of the previous one: an edited,
    /// removed, reordered or foreign line breaks the chain at that line.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Classify severity (P0/P1/P2) objectively from stated facts
    #[command(subcommand)]
    Severity(SeverityCommand),
    /// List due drills and record drill results
    #[command(subcommand)]
    Drill(DrillCommand),
    /// Run an incident: open, ack, decide, attach, accept, resolve, close — every step in a hash-chained log
    ///
    /// Each incident is `incidents/<ID>/events.jsonl`, an append-only, hash-chained
    /// log; its state is the replay of the events. Guards enforce the order
    /// safe → evidence → observe → recover → verify → learn (D-ORDER).
    #[command(
        subcommand,
        after_long_help = "A whole P0, in order (PowerShell):
  $id = (opsbook incident open --title \"Orders rejected\" --fact mode=live --format json | ConvertFrom-Json).id
  opsbook incident ack $id
  opsbook incident decide $id --safety HALTED --decision \"kill switch\" --reason \"positions unknown\"
  opsbook incident status $id MITIGATING --reason \"resyncing clock\"
  opsbook incident attach $id C:\\evidence\\EVB-1.zip
  opsbook incident status $id MONITORING --reason \"offset 12 ms, orders accepted\"
  opsbook incident accept $id --check cause_mitigated=pass:EVB-1 ...
  opsbook incident resolve $id --reason \"acceptance passed\"
  opsbook postmortem new $id ; opsbook incident close $id --reason \"postmortem reviewed\""
    )]
    Incident(IncidentCommand),
    /// Draft and check postmortems (typed action items, D-LEARN)
    #[command(subcommand)]
    Postmortem(PostmortemCommand),
    /// List open and overdue postmortem action items across all incidents
    Actions(ActionsArgs),
    /// MTTA and MTTR by severity, open incidents, overdue actions, due drills
    Report(ReportArgs),
    /// The platform's safety state: status, set (through its hook), history, can ACTION, matrix
    #[command(subcommand)]
    Safety(SafetyCommand),
    /// Change freeze: status, on, off, exceptions, and the deploy guard `freeze check`
    #[command(subcommand)]
    Freeze(FreezeCommand),
    /// High-danger final confirmation for one person (checklist, fatigue, typed target, cooling-off)
    Confirm(ConfirmArgs),
    /// Stop trading now: HALTED through the hook, incident opened or updated, evidence to collect, rest (no hook configured: recorded as done by hand, exit 1)
    Halt(HaltArgs),
    /// Walk the P0 first-ten-steps runbook one step at a time, Do-Not-Do list first
    #[command(
        after_long_help = "Records only what happened: step 2 opens the incident (not before); a step that sets the
safety state (step 3: HALTED) is recorded as done only when ledger/safety.jsonl shows that
state, else the walk stops there (exit 1); step 10 is done only when the incident has a scope
and a decision recorded (step 9). With --answers, a step the file does not answer stops the walk
cleanly before it (exit 1, the command that resumes). Run it again to continue at the first step
not done: steps done are not asked again; a skipped step skipped again is not recorded twice.
Exit status: 0 walked (or quit), 1 a step answered done is not done or the file stops early, 2
usage or I/O error."
    )]
    P0(P0Args),
    /// Evidence support bundles: collect (redacted, fail closed), verify, flush the spool, keygen
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Reconcile fills, orders, balances, positions or transfers against exchange exports; re-check; accept breaks
    ///
    /// Exact decimals, grace windows for late records, stable break IDs. Every report is
    /// stored in the SSOT (recon/reports/<ID>.json) with the SHA-256 of every input and
    /// recorded in ledger/reconciliation.jsonl, so that `incident accept --check
    /// reconciliation_ok=pass:<ID>` can verify it. Exit status of a report: 0 clean,
    /// 1 breaks, 3 only `pending` left (run again after the grace window; here 3 is not
    /// CONFIRM), 2 error.
    #[command(
        subcommand,
        after_long_help = "Examples (PowerShell):
  opsbook reconcile fills --internal fills.csv --exchange myTrades.json --grace 2m
  $r = opsbook reconcile fills --internal fills.csv --exchange trades.csv --format json | ConvertFrom-Json
  $r.summary.classes ; $r.stored.id
  opsbook reconcile recheck REC-20261129-0123456789 --exchange trades-later.csv
  opsbook reconcile accept R0123456789abcdef --reason \"dust fee rebate, ticket OPS-42\"
  opsbook incident accept $id --check reconciliation_ok=pass:REC-20261129-0123456789 ..."
    )]
    Reconcile(reconcile::ReconcileCommand),
    /// Market-data integrity: scan, mark, quarantine, backfill-plan, switch-version (D-DATA-REPAIR)
    #[command(subcommand)]
    Marketdata(MarketdataCommand),
    /// Time integrity: measure the clock against NTP and the exchange, judged by policy/time.yaml
    #[command(subcommand)]
    Time(TimeCommand),
    /// Split-brain fencing: leases with fencing tokens (acquire, renew, release, status, check)
    ///
    /// One holder per lease name with a fencing token that only increases;
    /// every acquire, renewal, expiry, release and takeover goes into
    /// ledger/lease.jsonl (docs/lease.md). The local store is one directory
    /// per host: OPSBOOK_LEASE_DIR, else opsbook.toml [lease] dir, else
    /// %ProgramData%\opsbook\leases (Windows) or ~/.local/share/opsbook/leases;
    /// it fences the processes of that host only — order writers on two
    /// hosts need [lease] backend = "s3".
    #[command(
        subcommand,
        after_long_help = "Examples (PowerShell):
  opsbook lease status                                  # every lease: holder, token, expiry, store
  $l = opsbook lease acquire order-gateway --holder n1 --format json | ConvertFrom-Json
  if ($LASTEXITCODE -ne 0) { throw 'held by another instance: do not start' }
  opsbook lease renew order-gateway --holder n1 --token $l.token      # every renew_interval_seconds
  opsbook lease check order-gateway --holder n1 --token $l.token      # before a write: exit 0 current
  opsbook lease release order-gateway --holder n1 --token $l.token"
    )]
    Lease(LeaseCommand),
    /// Failover and failback per policy/failover.yaml: check the conditions now; approve a failback (T2)
    #[command(subcommand)]
    Failover(FailoverCommand),
    /// The danger tier (T0/T1/T2) of a step's code, or of every step of a runbook
    ///
    /// Reads PowerShell or bash code from FILE (or `-` for stdin) and prints the
    /// lowest tier it may be declared as, with the command that forced it.
    /// A Markdown file (.md) is a runbook: each fenced step is classified and
    /// compared with its declared `tier=`. Rules: docs/tiers.md.
    ///
    /// Example: `Get-Content step.ps1 | opsbook classify -`
    Classify(ClassifyArgs),
    /// Run a runbook's steps, gated by their computed tier (or list them with --plan)
    ///
    /// T0 steps run (with --ask-t0 they ask too); T1 steps ask (showing the code
    /// and its backout; default No); T2 steps run only when the safety matrix
    /// and the freeze allow the step's `action=` now, the runbook's
    /// supported_modes include this host's environment and trading mode
    /// (--environment/--trading-mode, OPSBOOK_ENVIRONMENT/OPSBOOK_TRADING_MODE,
    /// or `[run] environment`/`trading_mode` in opsbook.toml), and the one-person
    /// confirmation passes. Steps never prompt: they read their inputs from
    /// environment variables, given with --input NAME=VALUE (secrets: set them
    /// in the session instead; steps inherit it). Each transcript is redacted
    /// and kept in runs/RUN-ID/, attached to --incident; the run is recorded in
    /// ledger/runs.jsonl (resume with --resume RUN-ID).
    #[command(after_long_help = "Examples (PowerShell):
  opsbook run RB-PLAT-TIME-DRIFT --plan
  opsbook run RB-PLAT-TIME-DRIFT --only-step 4 --incident INC-20261129-001 --input OPSBOOK_REASON='exchange offset -640 ms median'
  opsbook run RB-PLAT-TIME-DRIFT --from-step 5 --incident INC-20261129-001 --ask-t0")]
    Run(RunArgs),
    /// Find the runbook for what the screen says: alert name, error code, symptom, title (en/ja)
    ///
    /// Searches the runbooks' IDs, titles, symptoms and alerts, the coverage
    /// matrix, the alert rules (name, summary, description) and related links,
    /// and prints the runbooks best first, each with the severity of the
    /// symptom (coverage matrix), its first step and the commands to open and
    /// run it. Exit status 0 when something was found, 1 when nothing was.
    #[command(after_long_help = "Examples (PowerShell):
  opsbook find -1021                    # Binance INVALID_TIMESTAMP
  opsbook find 'Timestamp for this request is outside of the recvWindow'
  opsbook find ClockDriftHigh
  opsbook find 418 banned
  opsbook find 時計ズレ
  (opsbook find 429 --format json | ConvertFrom-Json).hits[0].runbook")]
    Find(FindArgs),
}

/// Where the SSOT is.
#[derive(Debug, Args)]
pub struct RootArg {
    /// SSOT root (default: the nearest directory upwards with opsbook.toml)
    #[arg(long, value_name = "DIR", env = "OPSBOOK_ROOT")]
    pub root: Option<PathBuf>,
}
