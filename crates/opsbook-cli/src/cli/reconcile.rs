//! Arguments of `opsbook reconcile …` (D-DATA-RECON, D-DATA-RERECON).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::SafeCommon;

/// Report formats of `opsbook reconcile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReconFormat {
    /// Text for people: verdict first, then what to look at
    Human,
    /// JSON: {summary, breaks, findings, run, stored} (`ConvertFrom-Json`)
    Json,
    /// Markdown for an incident or a CI step summary
    Markdown,
    /// CSV: one line per break field, for a spreadsheet
    Csv,
}

/// Where the SSOT is, who acts, how to print.
#[derive(Debug, Args)]
pub struct ReconCommon {
    #[command(flatten)]
    pub root: super::RootArg,
    /// Display name recorded with the OS user and host
    #[arg(long, value_name = "NAME", env = "OPSBOOK_ACTOR")]
    pub actor: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReconFormat::Human)]
    pub format: ReconFormat,
    /// Breaks listed per class in the human and Markdown reports (the rest are counted)
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Run only: do not store the report or record it (it cannot then be used for recovery acceptance)
    #[arg(long)]
    pub no_store: bool,
}

/// The inputs and parameters of one reconciliation.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Our records (repeatable: files are read as one)
    #[arg(long, value_name = "FILE", required = true)]
    pub internal: Vec<PathBuf>,
    /// Format of --internal: a built-in (opsbook, opsbook-ledger, binance-mytrades, binance-statement, coinbase-ledger, bitmex-executions, …), a profile file, or a profile name under recon/profiles/ [default: opsbook; transfers: opsbook-ledger]
    #[arg(long, value_name = "FORMAT")]
    pub internal_format: Option<String>,
    /// Their records (repeatable); optional for transfers
    #[arg(long, value_name = "FILE")]
    pub exchange: Vec<PathBuf>,
    /// Format of --exchange, as --internal-format [default: fills binance-mytrades, orders opsbook-orders, balances opsbook-balances, positions opsbook-positions, transfers opsbook-ledger]
    #[arg(long, value_name = "FORMAT")]
    pub exchange_format: Option<String>,
    /// Orders (fills: cancel times, for fill_after_cancel)
    #[arg(long, value_name = "FILE")]
    pub orders: Vec<PathBuf>,
    /// Format of --orders [default: binance-orders]
    #[arg(long, value_name = "FORMAT")]
    pub orders_format: Option<String>,
    /// Opening balances or positions
    #[arg(long, value_name = "FILE")]
    pub opening: Vec<PathBuf>,
    /// Format of --opening [default: balances opsbook-balances, positions opsbook-positions]
    #[arg(long, value_name = "FORMAT")]
    pub opening_format: Option<String>,
    /// The point in time judged: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or epoch ms [default: now]
    #[arg(long, value_name = "TS")]
    pub as_of: Option<String>,
    /// Grace window for late records (30s, 2m, PT120S); newer records are `pending` [default: 30s]
    #[arg(long, value_name = "DURATION")]
    pub grace: Option<String>,
    /// Timestamp skews up to this are not breaks [default: 1s]
    #[arg(long, value_name = "DURATION")]
    pub tolerance: Option<String>,
    /// Where our history starts (their older records are `incomplete_window`)
    #[arg(long, value_name = "TS")]
    pub internal_since: Option<String>,
    /// Where their history starts (our older records are `incomplete_window`)
    #[arg(long, value_name = "TS")]
    pub exchange_since: Option<String>,
    /// Instrument precision for positions, SYMBOL=STEP (repeatable)
    #[arg(long, value_name = "SYMBOL=STEP")]
    pub precision: Vec<String>,
    #[command(flatten)]
    pub common: ReconCommon,
}

/// `opsbook reconcile recheck`.
#[derive(Debug, Args)]
pub struct RecheckArgs {
    /// The previous report: its ID (REC-…) or its file
    #[arg(value_name = "REPORT")]
    pub report: String,
    /// Our records now [default: the previous run's files, read again]
    #[arg(long, value_name = "FILE")]
    pub internal: Vec<PathBuf>,
    /// Format of --internal [default: the previous run's]
    #[arg(long, value_name = "FORMAT")]
    pub internal_format: Option<String>,
    /// Their records now [default: the previous run's files, read again]
    #[arg(long, value_name = "FILE")]
    pub exchange: Vec<PathBuf>,
    /// Format of --exchange [default: the previous run's]
    #[arg(long, value_name = "FORMAT")]
    pub exchange_format: Option<String>,
    /// Orders now [default: the previous run's]
    #[arg(long, value_name = "FILE")]
    pub orders: Vec<PathBuf>,
    /// Format of --orders [default: the previous run's]
    #[arg(long, value_name = "FORMAT")]
    pub orders_format: Option<String>,
    /// The new point in time judged [default: now]
    #[arg(long, value_name = "TS")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub common: ReconCommon,
}

/// `opsbook reconcile`.
#[derive(Debug, Subcommand)]
pub enum ReconcileCommand {
    /// Fill by fill, keyed by (exchange, symbol, trade_id)
    Fills(ReconcileArgs),
    /// Each order against its fills: executed quantity, VWAP, status
    Orders(ReconcileArgs),
    /// Opening + fills net of fees + transfers + funding + realised PnL = closing, per asset
    Balances(ReconcileArgs),
    /// Net quantity from fills against the position, within instrument precision
    Positions(ReconcileArgs),
    /// Internal transfer legs net to zero; cancelled never moves a balance
    Transfers(ReconcileArgs),
    /// Run a stored reconciliation again on new exports: resolved / still open / changed / new per break
    Recheck(RecheckArgs),
    /// Record an operator decision to accept one break (it then no longer blocks recovery acceptance)
    Accept {
        /// The break's ID (R…) or an unreadable row's (F…), as the report prints it
        #[arg(value_name = "BREAK-ID")]
        break_id: String,
        /// Why it is accepted (goes into ledger/reconciliation.jsonl)
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
        /// The report it is in (ID or file) [default: the newest stored report with that break]
        #[arg(long, value_name = "REPORT")]
        report: Option<String>,
        #[command(flatten)]
        common: SafeCommon,
    },
}
