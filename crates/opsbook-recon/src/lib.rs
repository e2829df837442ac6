//! opsbook-recon: reconciliation of internal records against exchange
//! exports, exact and evidence-backed (D-DATA-RECON, D-DATA-RERECON;
//! DESIGN §3.6).
//!
//! One call does one reconciliation: build a [`Request`] (kind, inputs with
//! their formats, [`Params`]), call [`reconcile`], render the [`Report`]
//! ([`render`]) and exit with [`Report::exit_code`]. Re-reconciliation is
//! [`recheck::rerun`] (same parameters, new exports, the previous inputs as
//! the baseline for `corrected`) and [`recheck::recheck`] (transitions per
//! break). The report records the SHA-256 of every input, the parameters and
//! the tool version ([`report::Run`]); [`Report::covers`] and
//! [`Report::is_clean_or_accepted`] answer recovery acceptance.
//!
//! - Inputs stream (CSV and JSON lines in parallel blocks, JSON arrays
//!   element by element); CRLF, UTF-8 BOM, UTF-16, gzip, preamble lines,
//!   `E-05` notation and ragged rows are read or reported with file and line.
//! - Every amount is an exact decimal ([`decimal`]); no float on the path.
//! - Formats are profiles ([`profile`]): built-in ones for opsbook, Binance
//!   (myTrades, allOrders, account statement), Coinbase ledgers and BitMEX,
//!   and YAML profiles in the SSOT for anything else.

pub mod decimal;
pub mod ids;
pub mod input;
mod mapping;
pub mod profile;
pub mod recheck;
pub mod records;
pub mod render;
pub mod report;
pub mod stream;
pub mod synth;

mod balances;
mod batch;
mod engine;
mod fills;
mod fillset;
mod join;
mod orders;
mod positions;
mod rows;
mod transfers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

pub use mapping::Side;
pub use profile::{Profile, ProfileError, RecordKind};
pub use report::{Break, Class, FieldDiff, Finding, Kind, Report, Severity, Verdict, Window};
pub use stream::IoOptions;

/// The tool name recorded in reports.
pub const TOOL: &str = "opsbook-recon";
/// The tool version recorded in reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Parameters of a reconciliation.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// The point in time judged: records newer than `as_of − grace` are `pending`.
    pub as_of: jiff::Timestamp,
    /// Grace window for late records (default 30 s).
    pub grace: jiff::SignedDuration,
    /// Timestamp skews up to this are not breaks (default 1 s).
    pub tolerance: jiff::SignedDuration,
    /// Where our history starts. Fills: their records before it are
    /// `incomplete_window`. Positions: our fills cover everything since, so a
    /// difference is judged (flat before it unless an opening says
    /// otherwise); without it a difference is `incomplete_window`. Orders:
    /// orders created before it without fills are `incomplete_window`.
    pub internal_since: Option<jiff::Timestamp>,
    /// Where their history starts: our records before it are `incomplete_window`.
    pub exchange_since: Option<jiff::Timestamp>,
    /// Instrument precision for positions: symbol → quantity step.
    pub precision: BTreeMap<String, Decimal>,
    /// Reader tuning.
    pub io: IoOptions,
}

impl Params {
    /// Defaults: grace 30 s, tolerance 1 s, no declared history start.
    #[must_use]
    pub fn new(as_of: jiff::Timestamp) -> Params {
        Params {
            as_of,
            grace: jiff::SignedDuration::from_secs(30),
            tolerance: jiff::SignedDuration::from_secs(1),
            internal_since: None,
            exchange_since: None,
            precision: BTreeMap::new(),
            io: IoOptions::default(),
        }
    }
}

/// Parses a duration as operators write it: `30s`, `5m`, `1h30m`, `500ms`,
/// `PT30S` (jiff's friendly and ISO 8601 formats). Negative durations are refused.
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_duration(s: &str) -> Result<jiff::SignedDuration, String> {
    let d: jiff::SignedDuration = s
        .trim()
        .parse()
        .map_err(|e| format!("`{s}` is not a duration (e.g. 30s, 5m, 1h30m, 500ms, PT30S): {e}"))?;
    if d.is_negative() {
        return Err(format!(
            "`{s}` is negative; a duration here must be zero or more"
        ));
    }
    Ok(d)
}

/// Parses a point in time: RFC 3339 (`2026-11-29T03:00:00Z`), a date-time
/// read as UTC (`2026-11-29 03:00:00`), or epoch milliseconds.
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_time(s: &str) -> Result<jiff::Timestamp, String> {
    mapping::parse_ts(s.trim().as_bytes(), &profile::TsFormat::Auto)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .ok_or_else(|| {
            format!("`{s}` is not a time (RFC 3339, YYYY-MM-DD HH:MM:SS UTC, or epoch ms)")
        })
}

/// One input file and how to read it.
#[derive(Debug, Clone)]
pub struct Input {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub profile: Profile,
}

impl Input {
    /// An input with a format given as a built-in name or a profile path
    /// (a bare name is also looked up as `recon/profiles/<name>.yaml` under
    /// `ssot_root`).
    ///
    /// # Errors
    /// [`ProfileError`] for an unknown format or an unusable profile.
    pub fn new(
        path: impl Into<PathBuf>,
        format: &str,
        ssot_root: Option<&Path>,
    ) -> Result<Input, ProfileError> {
        Ok(Input {
            path: path.into(),
            profile: profile::resolve(format, ssot_root)?,
        })
    }
}

/// One reconciliation to run.
///
/// What `internal` and `exchange` hold depends on the kind:
///
/// | kind | internal | exchange | also |
/// |---|---|---|---|
/// | fills | our fills | their fills | `orders` (cancel times), `previous_*` |
/// | orders | fills (ours or theirs) | orders | |
/// | balances | movements (ledger rows or fills) | closing balances, or a ledger with running balance | `opening` |
/// | positions | fills | positions | `opening` (positions) |
/// | transfers | ledger rows (ours) | ledger rows (theirs, optional) | |
#[derive(Debug, Clone)]
pub struct Request {
    /// Which reconciliation.
    pub kind: Kind,
    /// Our records.
    pub internal: Vec<Input>,
    /// Their records.
    pub exchange: Vec<Input>,
    /// Orders (fills: cancel times for `fill_after_cancel`).
    pub orders: Vec<Input>,
    /// Opening balances or positions.
    pub opening: Vec<Input>,
    /// Our records in the previous run (for `corrected`).
    pub previous_internal: Vec<Input>,
    /// Their records in the previous run (for `corrected`).
    pub previous_exchange: Vec<Input>,
    /// Parameters.
    pub params: Params,
}

impl Request {
    /// A request with no inputs yet.
    #[must_use]
    pub fn new(kind: Kind, params: Params) -> Request {
        Request {
            kind,
            internal: Vec::new(),
            exchange: Vec::new(),
            orders: Vec::new(),
            opening: Vec::new(),
            previous_internal: Vec::new(),
            previous_exchange: Vec::new(),
            params,
        }
    }
}

/// Why a reconciliation could not run (exit code 2 territory).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconError {
    /// An input could not be read as its format says.
    #[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Input {
        /// The file as given.
        path: String,
        /// 1-based line, when known.
        line: Option<u64>,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A format or profile is unusable.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The request does not make sense (missing input, wrong record kind).
    #[error("{0}")]
    Usage(String),
}

/// Runs one reconciliation.
///
/// # Errors
/// [`ReconError`] when an input cannot be opened or read as its format (a
/// missing header column, broken JSON), or the request is incomplete. Rows
/// that cannot be read are not errors: they are findings in the report, and
/// make its verdict `breaks`.
pub fn reconcile(req: &Request) -> Result<Report, ReconError> {
    match req.kind {
        Kind::Fills => fills::run(req),
        Kind::Orders => orders::run(req),
        Kind::Balances => balances::run(req),
        Kind::Positions => positions::run(req),
        Kind::Transfers => transfers::run(req),
    }
}
