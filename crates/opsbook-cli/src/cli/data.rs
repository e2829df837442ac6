//! Arguments of the data-integrity commands: `marketdata`, `time`, `lease`,
//! `failover`.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

use super::{RootArg, SafeCommon};

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
