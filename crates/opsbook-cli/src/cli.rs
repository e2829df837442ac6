//! The command-line interface: one args struct per command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[cfg(test)]
mod command_table;
pub mod reconcile;

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

/// Drill outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DrillResult {
    /// Every acceptance criterion met
    Pass,
    /// At least one criterion missed
    Fail,
}

/// `opsbook drill`.
#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// List the drills of runbooks/drills.yaml that are due (never run, or past their interval)
    Due {
        #[command(flatten)]
        root: RootArg,
        /// Date to judge against, YYYY-MM-DD (default: today, UTC)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Record a drill result in ledger/drills.jsonl; a pass sets the runbook's last_drilled
    ///
    /// On a pass, only the value of `last_drilled:` in the runbook's front matter
    /// and of the drill's `last_run:` in runbooks/drills.yaml change: every other
    /// byte of both files (line endings, encoding, comments) stays as it was.
    Record {
        #[command(flatten)]
        root: RootArg,
        /// Drill ID, e.g. DR-HALT-EVIDENCE
        #[arg(value_name = "DRILL")]
        drill: String,
        /// pass or fail
        #[arg(long, value_enum)]
        result: DrillResult,
        /// Evidence reference: a bundle ID or a path
        #[arg(long, value_name = "REF", allow_hyphen_values = true)]
        evidence: String,
        /// Date of the drill, YYYY-MM-DD (default: today, UTC)
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        /// Notes
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        notes: Option<String>,
        /// Display name recorded with the OS user and host
        #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR")]
        actor: Option<String>,
    },
}

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

/// Where the SSOT is.
#[derive(Debug, Args)]
pub struct RootArg {
    /// SSOT root (default: the nearest directory upwards with opsbook.toml)
    #[arg(long, value_name = "DIR", env = "OPSBOOK_ROOT")]
    pub root: Option<PathBuf>,
}

/// `opsbook init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the SSOT in (created if missing)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write into a non-empty directory (existing files are kept, never overwritten)
    #[arg(long)]
    pub force: bool,
}

/// Report formats of the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateFormat {
    /// rustc-style diagnostics with source lines
    Human,
    /// JSON report: {summary, findings, changes}
    Json,
    /// SARIF 2.1.0 (code scanning)
    Sarif,
    /// JUnit XML (CI test reports)
    Junit,
    /// GitHub Actions annotations
    Github,
    /// Markdown summary
    Markdown,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset
    Auto,
    /// Always colour
    Always,
    /// Never colour
    Never,
}

/// `opsbook gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// Git ref to summarise changed files against (also appended to $GITHUB_STEP_SUMMARY)
    #[arg(long, value_name = "GIT-REF", env = "OPSBOOK_BASE")]
    pub base: Option<String>,
    /// Date that expiry is judged against, YYYY-MM-DD (default: today, UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Report format
    #[arg(long, value_enum, default_value_t = GateFormat::Human, env = "OPSBOOK_FORMAT")]
    pub format: GateFormat,
    /// Write the report to FILE (atomically; `-` = stdout) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Baseline file of grandfathered findings (default: [gate] baseline in opsbook.toml)
    #[arg(long, value_name = "FILE", conflicts_with = "no_baseline")]
    pub baseline: Option<PathBuf>,
    /// Ignore any baseline
    #[arg(long)]
    pub no_baseline: bool,
    /// Write today's findings to the baseline file and exit 0
    #[arg(long)]
    pub write_baseline: bool,
    /// URL prefix of runbook links in alert rules (overrides runbook_url_base)
    #[arg(long, value_name = "URL")]
    pub runbook_base: Option<String>,
    /// Colour for the human format
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `opsbook explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule code or name, e.g. OB101 or missing-section
    #[arg(
        value_name = "CODE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub code: Option<String>,
    /// List every rule
    #[arg(long)]
    pub all: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Formats for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Text for people
    Human,
    /// JSON for scripts (`ConvertFrom-Json`)
    Json,
    /// Markdown
    Markdown,
}

/// `opsbook contracts`.
#[derive(Debug, Subcommand)]
pub enum ContractsCommand {
    /// Write every embedded contract (JSON Schema 2020-12) into DIR
    Export {
        /// Target directory (created if missing; existing contract files are replaced)
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// List the embedded contracts and the files they apply to
    List {
        /// Output format
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
}

/// `opsbook coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// Prometheus rule files or directories (default: [gate] alerts in opsbook.toml)
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub alerts: Vec<PathBuf>,
    /// Leave out rule files matching GLOB (below a directory of --alerts, or
    /// the file name), e.g. `--exclude '*_test.yaml'` for promtool's tests; repeatable
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// URL prefix of runbook links (overrides runbook_url_base in opsbook.toml)
    #[arg(long, value_name = "URL")]
    pub runbook_base: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
    /// Write the report to FILE instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `opsbook adopt`.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The existing runbook collection (never modified)
    #[arg(value_name = "SRC")]
    pub src: PathBuf,
    /// The SSOT to adopt into (created from the starter SSOT, without its example runbooks, if missing)
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// Write the plan (default: only print it)
    #[arg(long)]
    pub write: bool,
    /// Glob (relative to SRC) of files that are not runbooks; repeatable
    #[arg(long, value_name = "GLOB")]
    pub skip: Vec<String>,
    /// Category of every adopted runbook (default: `security` when the path names security, leaks, credentials, secrets or auth, else `platform`)
    #[arg(long, value_name = "NAME", value_parser = ["quick", "platform", "execution", "marketdata", "security", "windows"])]
    pub category: Option<String>,
    /// runbook_url_base to record in a new opsbook.toml (where alert links point)
    #[arg(long, value_name = "URL")]
    pub runbook_base: Option<String>,
    /// Output format of the plan
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
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

/// `opsbook evidence`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Collect files and command outputs, redact (fail closed), seal, sign, deliver or spool
    #[command(
        after_long_help = "Command outputs are collected first (order of volatility, RFC 3227), then files.
Redaction is fail-closed: what cannot be scanned is excluded and listed; an independent rescan of
the sealed output must find nothing, or no bundle is released (exit 1).

Examples (PowerShell):
  opsbook evidence collect --incident $id --include D:\\trading\\logs\\*.log --cmd procs=\"Get-Process | Format-Table -AutoSize\"
  opsbook evidence collect --incident $id --runbook RB-QUICK-HALT-EVIDENCE --dest \\\\fileserver01\\opsbook-evidence --format json"
    )]
    Collect {
        #[command(flatten)]
        common: SafeCommon,
        /// The incident (its timeline gets the bundle reference)
        #[arg(long, value_name = "ID", env = "OPSBOOK_INCIDENT")]
        incident: String,
        /// Runbook whose required_evidence to collect: its `path` and `command` items, and paths named in its text
        #[arg(long, value_name = "RB")]
        runbook: Option<String>,
        /// A file, a glob or a directory (collected recursively, links excluded and listed) to collect (repeatable)
        #[arg(long = "include", visible_alias = "path", value_name = "PATH|GLOB|DIR")]
        includes: Vec<String>,
        /// A command whose output to collect, NAME=COMMAND (PowerShell on Windows; repeatable)
        #[arg(long = "cmd", value_name = "NAME=COMMAND")]
        commands: Vec<String>,
        /// Destination, tried in order (repeatable): a directory, a UNC share, or
        /// s3://BUCKET/PREFIX (endpoint and keys from AWS_ENDPOINT_URL, AWS_REGION,
        /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) [default: policy/evidence.yaml
        /// destinations]. If none takes the bundle it stays in the spool
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        dest: Vec<String>,
        /// The local spool (default: OPSBOOK_SPOOL, else this SSOT's own folder NAME-ID under
        /// policy spool.path or %ProgramData%\opsbook\spool)
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
        /// SNTP server whose time the host's clock is compared with (one query; the
        /// offset goes into the manifest); `none` skips it [default: policy
        /// collection.clock_reference]
        #[arg(long, value_name = "HOST[:PORT]|none", env = "OPSBOOK_CLOCK_REFERENCE")]
        clock_reference: Option<String>,
    },
    /// Verify a bundle: archive hash, signature, every file, custody, a fresh redaction scan
    Verify {
        #[command(flatten)]
        common: SafeCommon,
        /// The bundle ZIP
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
        /// minisign public key to check the signature with
        #[arg(long, value_name = "FILE")]
        pubkey: Option<PathBuf>,
    },
    /// Deliver spooled bundles; a spool copy is removed only after the destination copy verified
    #[command(
        after_long_help = "Safe to run again and to interrupt: a bundle already at the destination with the same
SHA-256 is not copied twice, a different file under the same name is never overwritten, and the
spool copy is removed last. Exit 1 while bundles are still waiting. Only this SSOT's bundles are
delivered (the manifest names its SSOT): another SSOT's are left in place and listed, with the
command that delivers them from there; this SSOT's bundles in the shared spool of older versions
(%ProgramData%\\opsbook\\spool itself) are delivered too.

Examples (PowerShell):
  opsbook evidence flush --dest \\\\fileserver01\\opsbook-evidence
  $env:AWS_ENDPOINT_URL = 'https://minio.ops.internal:9000'
  opsbook evidence flush --dest s3://trading-ops-evidence/bundles/ --format json"
    )]
    Flush {
        #[command(flatten)]
        common: SafeCommon,
        /// Destination, tried in order (repeatable): a directory, a UNC share, or
        /// s3://BUCKET/PREFIX (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
        /// AWS_SECRET_ACCESS_KEY) [default: policy/evidence.yaml destinations]
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        dest: Vec<String>,
        /// The local spool (default: OPSBOOK_SPOOL, else this SSOT's own folder NAME-ID under
        /// policy spool.path or %ProgramData%\opsbook\spool)
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
    },
    /// Scan files for secrets without collecting them (exit 1 when something is found or a file could not be scanned)
    ///
    /// The same rules and views as `collect` (policy/evidence.yaml when run inside an SSOT).
    /// Reports rule, file, line and column — never the value. Files are scanned in parallel;
    /// files over limits.max_file_bytes are streamed with whole-file line numbers. A path or glob
    /// that matches nothing is an error (exit 2), never "clean".
    #[command(after_long_help = "Examples (PowerShell):
  opsbook evidence scan D:\\trading\\logs
  opsbook evidence scan 'D:\\trading\\logs\\*.log' --format json")]
    Scan {
        #[command(flatten)]
        common: SafeCommon,
        /// Files, directories or globs
        #[arg(value_name = "PATH|GLOB", required = true)]
        paths: Vec<String>,
    },
    /// Delete bundles past their retention (policy retention.by_severity); never one of an open incident or under hold
    Prune {
        #[command(flatten)]
        common: SafeCommon,
        /// The destination directory or share to prune
        #[arg(long, value_name = "DIR")]
        dest: PathBuf,
        /// Judge ages against this date (default: today, UTC)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Only list what would be deleted
        #[arg(long)]
        dry_run: bool,
    },
    /// Place (or --release) a hold on a bundle or an incident's bundles: never pruned while held
    Hold {
        #[command(flatten)]
        common: SafeCommon,
        /// Bundle ID (EVB-…) or incident ID
        #[arg(value_name = "TARGET")]
        target: String,
        /// Why (legal hold, dispute, audit)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// Release the hold instead
        #[arg(long)]
        release: bool,
    },
    /// Create the signing key pair (minisign format); keep the secret key off the SSOT
    Keygen {
        /// Directory for opsbook-evidence.key and opsbook-evidence.pub (default: the user's opsbook config directory)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

// --- issue 16: market data, time, lease, failover ---------------------------

/// Where a command's market-data findings come from: a saved report, or the
/// files scanned now.
#[derive(Debug, Args)]
pub struct MdInput {
    /// Data files or directories to scan (CSV, JSON, feather, Parquet; `.gz` and `.zip` too)
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How to check: auto, trade-id, agg-trade, binance-depth, okx-book, candles, time-grid
    #[arg(long, value_name = "SCHEME", default_value = "auto")]
    pub scheme: String,
    /// A REST depth snapshot (`lastUpdateId`) for binance-depth streams (repeatable)
    #[arg(long = "snapshot", value_name = "FILE")]
    pub snapshots: Vec<PathBuf>,
    /// Grid interval when the file name does not say it (`1m`, `8h`)
    #[arg(long, value_name = "INTERVAL")]
    pub interval: Option<String>,
    /// Jitter allowed around a grid slot, ms (default 1000)
    #[arg(long, value_name = "MS")]
    pub grid_tolerance_ms: Option<i64>,
    /// How far receive time may precede exchange time, ms (default 0)
    #[arg(long, value_name = "MS")]
    pub clock_tolerance_ms: Option<i64>,
    /// Delivery later than this is a stall, ms (default 10000)
    #[arg(long, value_name = "MS")]
    pub stall_ms: Option<i64>,
    /// The symbol of every file (e.g. BTCUSDT, upper-cased), instead of a guess from the file name (a warning names each file whose name says another)
    #[arg(long, value_name = "SYMBOL")]
    pub symbol: Option<String>,
}

/// Findings for mark, quarantine and backfill-plan.
#[derive(Debug, Args)]
pub struct MdFindings {
    #[command(flatten)]
    pub input: MdInput,
    /// A report saved by `opsbook marketdata scan --save FILE` (instead of PATH…)
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub report: Option<PathBuf>,
    /// The directory the report's relative file names are relative to (default: the current one)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub base: PathBuf,
}

/// How quarantine sets files aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuarantineModeArg {
    /// Rename into quarantine: consumers no longer see the file
    Move,
    /// Hard link (copy where impossible): the original stays
    Link,
    /// Copy: the original stays
    Copy,
}

/// Binance market of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MarketArg {
    /// api.binance.com, data/spot
    Spot,
    /// USD-M futures: fapi.binance.com
    UsdM,
    /// COIN-M futures: dapi.binance.com
    CoinM,
}

/// Formats of the backfill plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// PowerShell lines to run as printed
    Human,
    /// JSON for scripts
    Json,
}

/// `opsbook marketdata`.
#[derive(Debug, Subcommand)]
pub enum MarketdataCommand {
    /// Scan data files for gaps, duplicates, conflicts, stale IDs, broken depth chains, checksums, clock anomalies
    ///
    /// Exit 0 clean, 1 findings, 2 error. A `no_check` finding (a stream
    /// with nothing opsbook can check, e.g. depth diffs without --snapshot,
    /// or IDs that are not sequential) also exits 1: what could not be
    /// checked is never reported clean. Reads only (T0); `--save` writes the
    /// report (JSON) for mark, quarantine and backfill-plan.
    ///
    /// Inputs: CSV, JSON/JSONL, feather, Parquet, each also as `.gz`, and
    /// one-member `.zip` archives as data.binance.vision publishes them (the
    /// report names the member; findings' lines are its lines).
    #[command(after_long_help = "Examples (PowerShell):
  opsbook marketdata scan D:\\data\\BTCUSDT-trades-2026-11-28.csv
  opsbook marketdata scan .\\depth\\*.jsonl --scheme binance-depth --snapshot .\\depth\\snapshot.json
  (opsbook marketdata scan $files --format json | ConvertFrom-Json).summary
  opsbook marketdata scan $files --save $env:TEMP\\scan.json")]
    Scan {
        #[command(flatten)]
        input: MdInput,
        /// Save the report (JSON) here
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        #[command(flatten)]
        common: SafeCommon,
    },
    /// Write the findings into `<file>.marks.jsonl` beside each data file (T1; recorded in ledger/data.jsonl)
    #[command(after_long_help = "Example (PowerShell):
  opsbook marketdata mark --report $env:TEMP\\scan.json --incident $env:OPSBOOK_INCIDENT")]
    Mark {
        #[command(flatten)]
        findings: MdFindings,
        /// The incident (its timeline gets a note)
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        #[command(flatten)]
        common: SafeCommon,
    },
    /// Set aside every file with a defect into DEST with a manifest — never deleted (gated: quarantine_data)
    #[command(after_long_help = "Example (PowerShell):
  opsbook marketdata quarantine --report $env:TEMP\\scan.json --dest D:\\quarantine\\$env:OPSBOOK_INCIDENT --incident $env:OPSBOOK_INCIDENT")]
    Quarantine {
        #[command(flatten)]
        findings: MdFindings,
        /// The quarantine directory (created; nothing in it is overwritten)
        #[arg(long, value_name = "DIR")]
        dest: PathBuf,
        /// move, link or copy
        #[arg(long, value_enum, default_value_t = QuarantineModeArg::Move)]
        mode: QuarantineModeArg,
        /// Only this file of the report (repeatable)
        #[arg(long, value_name = "FILE")]
        only: Vec<String>,
        /// The incident (its timeline gets a note)
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        #[command(flatten)]
        common: SafeCommon,
    },
    /// Print the exact REST and archive requests that repair the findings (nothing is fetched)
    #[command(after_long_help = "Example (PowerShell):
  opsbook marketdata backfill-plan --report $env:TEMP\\scan.json --market spot")]
    BackfillPlan {
        #[command(flatten)]
        findings: MdFindings,
        /// Binance market for streams whose venue does not say it
        #[arg(long, value_enum, default_value_t = MarketArg::Spot)]
        market: MarketArg,
        /// binance-public-data's `updates/*_updates.csv` (republished archives)
        #[arg(long, value_name = "FILE")]
        republished: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
        #[command(flatten)]
        root: RootArg,
    },
    /// Switch a data version pointer to a rebuilt version (T2: matrix, freeze, confirmation; evidence first)
    ///
    /// The only overwrite opsbook offers (D-DATA-DESTRUCTIVE): the new version
    /// is a directory beside POINTER, already written; the previous one is kept
    /// and switching back is the backout.
    #[command(after_long_help = "Example (PowerShell):
  opsbook confirm replay_reprocess_data --target D:\\data\\derived\\CURRENT
  opsbook marketdata switch-version D:\\data\\derived\\CURRENT v42 --incident $env:OPSBOOK_INCIDENT --reason \"rebuilt from archives\"")]
    SwitchVersion {
        /// The pointer file, exactly as the confirmation's target names it
        #[arg(value_name = "POINTER")]
        pointer: PathBuf,
        /// The new version (a directory beside the pointer)
        #[arg(value_name = "VERSION")]
        new_version: String,
        /// The incident (evidence is collected for it)
        #[arg(long, value_name = "ID")]
        incident: String,
        /// Why now (the decision log)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// More files or globs for the evidence bundle (repeatable)
        #[arg(long = "include", value_name = "PATH")]
        includes: Vec<String>,
        /// SNTP server for the bundle's clock offset (`none` skips it)
        #[arg(long, value_name = "HOST")]
        clock_reference: Option<String>,
        #[command(flatten)]
        common: SafeCommon,
    },
}

/// `opsbook time`.
#[derive(Debug, Subcommand)]
pub enum TimeCommand {
    /// Measure the clock (SNTP servers, the exchange's server time) and judge it by policy/time.yaml
    ///
    /// Exit 0 ok, 1 at or above warn (warn, SAFE_MODE, HALT), 2 could not
    /// measure. Without --server/--exchange the policy's sources are used.
    /// --record (or --incident) writes the result into ledger/time.jsonl as
    /// TCK-<seq>: the reference the `time_ok` acceptance check accepts.
    #[command(after_long_help = "Examples (PowerShell):
  opsbook time check
  opsbook time check --server time.windows.com --server pool.ntp.org --exchange https://api.binance.com/api/v3/time
  opsbook time check --record --incident $env:OPSBOOK_INCIDENT
  opsbook incident accept $env:OPSBOOK_INCIDENT --check time_ok=pass:TCK-3")]
    Check {
        /// SNTP server, HOST or HOST:PORT (repeatable)
        #[arg(long = "server", value_name = "HOST")]
        servers: Vec<String>,
        /// Exchange server-time URL, Binance `/api/v3/time` shape (repeatable)
        #[arg(long = "exchange", value_name = "URL")]
        exchanges: Vec<String>,
        /// Record the result in ledger/time.jsonl (TCK-<seq>)
        #[arg(long)]
        record: bool,
        /// Record it for this incident (implies --record; its timeline gets a note)
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        #[command(flatten)]
        common: SafeCommon,
    },
}

/// Which lease store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LeaseBackendArg {
    /// A file per lease on this host
    Local,
    /// S3-compatible storage with conditional writes ([lease.s3] in opsbook.toml)
    S3,
}

/// Arguments of every lease command.
#[derive(Debug, Args)]
pub struct LeaseArgs {
    /// Lease name (by convention the component: order-gateway)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Holder ID (this node or instance; also its clientOrderId prefix)
    #[arg(long, value_name = "ID")]
    pub holder: Option<String>,
    /// Store (default: [lease] backend in opsbook.toml, else local)
    #[arg(long, value_enum)]
    pub backend: Option<LeaseBackendArg>,
    #[command(flatten)]
    pub common: SafeCommon,
}

/// `opsbook lease` (docs/lease.md).
#[derive(Debug, Subcommand)]
pub enum LeaseCommand {
    /// Take the lease: granted with the next fencing token, or refused (exit 1) with who holds it since when
    #[command(after_long_help = "Example (PowerShell):
  $lease = opsbook lease acquire order-gateway --holder n1 --ttl 30s --format json | ConvertFrom-Json
  if ($LASTEXITCODE -ne 0) { throw 'held by another instance: do not start' }")]
    Acquire {
        #[command(flatten)]
        lease: LeaseArgs,
        /// Time to live (`30s`; default policy/failover.yaml fencing.lease_ttl_seconds)
        #[arg(long, value_name = "DURATION")]
        ttl: Option<String>,
        /// Keep trying this long (a standby waiting for expiry), e.g. `2m`
        #[arg(long, value_name = "DURATION")]
        wait: Option<String>,
    },
    /// Renew your lease with its token (exit 1: stale or expired — stop sending orders)
    Renew {
        #[command(flatten)]
        lease: LeaseArgs,
        /// The fencing token your acquire returned
        #[arg(long, value_name = "N")]
        token: Option<u64>,
        /// Time to live (`30s`)
        #[arg(long, value_name = "DURATION")]
        ttl: Option<String>,
    },
    /// Release your lease (its token stays the floor of the next)
    Release {
        #[command(flatten)]
        lease: LeaseArgs,
        /// The fencing token your acquire returned
        #[arg(long, value_name = "N")]
        token: Option<u64>,
    },
    /// Who holds each lease now, with which token, until when, and the store
    ///
    /// Without NAME: every order writer of policy/failover.yaml
    /// (fencing_required) and every lease in ledger/lease.jsonl.
    Status {
        /// Lease name (default: every lease this SSOT knows)
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// Store (default: [lease] backend in opsbook.toml, else local)
        #[arg(long, value_enum)]
        backend: Option<LeaseBackendArg>,
        #[command(flatten)]
        common: SafeCommon,
    },
    /// Whether a token is the lease's current, unexpired grant (exit 0) — ask before a write
    Check {
        #[command(flatten)]
        lease: LeaseArgs,
        /// The fencing token to check
        #[arg(long, value_name = "N")]
        token: Option<u64>,
    },
}

/// `opsbook failover`.
#[derive(Debug, Subcommand)]
pub enum FailoverCommand {
    /// Whether failover may happen now, per mode (automatic, semi-automatic, manual), with each condition
    ///
    /// Gathers the lease, this host's last recorded clock check (`opsbook time
    /// check --record`), the safety state; the rest is stated with --fact. A
    /// fact nobody states is unknown and never passes. Exit 0 when the
    /// policy's mode may proceed for every component checked, 1 otherwise.
    #[command(after_long_help = "Example (PowerShell):
  opsbook time check --record
  opsbook failover check order-gateway --fact standby=n2 --fact orders_reconciled=true --fact primary_fenced=true --fact observer=probe-a:90 --fact observer=probe-b:75")]
    Check {
        /// One component of policy/failover.yaml (default: all)
        #[arg(value_name = "COMPONENT")]
        component: Option<String>,
        /// A stated fact, KEY=VALUE (repeatable): standby, primary, orders_reconciled, primary_fenced, primary_reachable, evidence_collected, primary_unhealthy_seconds, observer=NAME:SECONDS
        #[arg(long = "fact", value_name = "KEY=VALUE")]
        facts: Vec<String>,
        /// Lease store (default: [lease] backend)
        #[arg(long, value_enum)]
        backend: Option<LeaseBackendArg>,
        #[command(flatten)]
        common: SafeCommon,
    },
    /// Approve and record a failback (T2: matrix, freeze, confirmation, every failback condition)
    #[command(after_long_help = "Example (PowerShell):
  opsbook confirm failback --target order-gateway
  opsbook failover failback order-gateway --fact primary=n1 --fact standby=n2 --fact stable_minutes_on_standby=45 --fact reconciliation_ok=true --reason \"primary repaired\" --incident $env:OPSBOOK_INCIDENT")]
    Failback {
        /// The component of policy/failover.yaml
        #[arg(value_name = "COMPONENT")]
        component: String,
        /// A stated fact, KEY=VALUE (repeatable): primary, standby, stable_minutes_on_standby, reconciliation_ok
        #[arg(long = "fact", value_name = "KEY=VALUE")]
        facts: Vec<String>,
        /// Why now (the decision log)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// The incident (its decision log gets the failback)
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Lease store (default: [lease] backend)
        #[arg(long, value_enum)]
        backend: Option<LeaseBackendArg>,
        #[command(flatten)]
        common: SafeCommon,
    },
}

/// `opsbook classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// A file of PowerShell or bash code, a runbook (.md), or `-` for stdin
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The shell of the code (default: from the extension; .sh is bash, else PowerShell)
    #[arg(long, value_name = "SHELL", value_parser = ["powershell", "bash"])]
    pub shell: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// `opsbook find`.
#[derive(Debug, Args)]
pub struct FindArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// What the screen says: an alert name, an error code (`-1021`, `10002`, `429`), words of the symptom or title
    // The first word may begin with '-' (`-1021`, or a whole quoted line);
    // later words only as numbers, so that `--format` after them stays an option.
    #[arg(value_name = "TEXT", allow_hyphen_values = true)]
    pub text: String,
    /// More words of the same text
    #[arg(value_name = "MORE", allow_negative_numbers = true)]
    pub more: Vec<String>,
    /// At most this many runbooks
    #[arg(long, value_name = "N", default_value_t = opsbook_ops::find::DEFAULT_LIMIT)]
    pub limit: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// `--input NAME=VALUE`: split at the first `=`.
fn parse_input(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!(
            "`{s}` is not NAME=VALUE (e.g. --input OPSBOOK_REASON=\"clock 640 ms ahead\")"
        )),
    }
}

/// `opsbook run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: SafeCommon,
    /// The runbook ID (runbooks/runbooks.yaml)
    #[arg(value_name = "RB-ID")]
    pub runbook: String,
    /// The incident the run works for (transcripts attached, steps on its timeline)
    #[arg(long, value_name = "ID", env = "OPSBOOK_INCIDENT")]
    pub incident: Option<String>,
    /// Run nothing: list every step, its tiers, what the matrix and freeze say now, its backout
    #[arg(long)]
    pub plan: bool,
    /// Start at step N
    #[arg(long, value_name = "N")]
    pub from_step: Option<String>,
    /// Run only step N
    #[arg(long, value_name = "N", conflicts_with = "from_step")]
    pub only_step: Option<String>,
    /// Continue a run after its last step done (refused if the runbook changed since)
    #[arg(long, value_name = "RUN-ID")]
    pub resume: Option<String>,
    /// Without a terminal: run T0 steps without asking (T1/T2 still need answers)
    #[arg(long)]
    pub yes_t0: bool,
    /// Ask before T0 (read-only) steps too, showing the code (default No); also `[run] ask_t0 = true` in opsbook.toml
    #[arg(long, conflicts_with = "yes_t0")]
    pub ask_t0: bool,
    /// An input of the steps, set as the environment variable NAME of each step (repeatable; never a secret: set secrets in the session's environment, which steps inherit)
    #[arg(long = "input", value_name = "NAME=VALUE", value_parser = parse_input)]
    pub inputs: Vec<(String, String)>,
    /// Answers from a file instead of the terminal (`steps.N: yes` for T1, the confirmation's for T2)
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// The current environment, for supported_modes (dev, stage, prod)
    #[arg(long = "environment", value_name = "ENV", env = "OPSBOOK_ENVIRONMENT")]
    pub environment: Option<String>,
    /// The current trading mode, for supported_modes (live, shadow, paper)
    #[arg(
        long = "trading-mode",
        value_name = "MODE",
        env = "OPSBOOK_TRADING_MODE"
    )]
    pub trading_mode: Option<String>,
}
