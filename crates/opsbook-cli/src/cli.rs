//! The command-line interface: one args struct per command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The operations single source of truth for incident response, runbooks and evidence.
///
/// opsbook keeps runbooks, policies, plans and incident records of an automated
/// trading platform in one directory tree (the SSOT) and checks them by machine.
/// Start with `opsbook init ops`, then run `opsbook gate` in CI.
///
/// Exit status: 0 success, 1 findings at error level, 2 usage or I/O error.
#[derive(Debug, Parser)]
#[command(
    name = "opsbook",
    version,
    propagate_version = true,
    max_term_width = 100
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
    /// Resolves every alerting rule's runbook link (`runbook_url` or `runbook`, in
    /// annotations or labels) to a registered runbook, maps alert severity to
    /// P0/P1/P2 by policy/severity.yaml, and fails (exit 1) when a P0 alert has no
    /// active runbook.
    #[command(after_long_help = "Examples (PowerShell):
  opsbook coverage                      # the alert files in [gate] alerts
  opsbook coverage --alerts monitoring\\rules --format json")]
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
        #[arg(long, value_name = "REF")]
        evidence: String,
        /// Date of the drill, YYYY-MM-DD (default: today, UTC)
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        /// Notes
        #[arg(long, value_name = "TEXT")]
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
    Repair {
        /// The ledger file
        #[arg(value_name = "PATH")]
        path: PathBuf,
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
    /// Category for adopted runbooks (quick, platform, execution, marketdata, security, windows)
    #[arg(long, value_name = "NAME", value_parser = ["quick", "platform", "execution", "marketdata", "security", "windows"])]
    pub category: Option<String>,
    /// runbook_url_base to record in a new opsbook.toml (where alert links point)
    #[arg(long, value_name = "URL")]
    pub runbook_base: Option<String>,
    /// Output format of the plan
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}
