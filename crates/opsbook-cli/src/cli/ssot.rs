//! Arguments of the commands that create, check and read the SSOT: `init`,
//! `gate`, `explain`, `contracts`, `coverage`, `adopt`, `classify`, `find`,
//! `drill`.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

use super::RootArg;

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
