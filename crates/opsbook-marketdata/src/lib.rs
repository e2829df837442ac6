//! opsbook-marketdata: market-data integrity for the operator of an
//! automated trading platform (seed §2.1.6, D-DATA-REPAIR,
//! D-DATA-DESTRUCTIVE).
//!
//! - [`scan()`]: gaps, duplicates vs conflicts, stale and out-of-order IDs,
//!   depth streams that do not bridge their snapshot, failing book
//!   checksums, receive-time anomalies and streams with nothing to check,
//!   over data.binance.vision CSV, Binance depth rows, cryptofeed
//!   recordings, Tardis CSV, freqtrade JSON / feather / Parquet and any
//!   CSV/Parquet with named columns. Streaming: memory is per stream.
//! - [`Report`]: the JSON of issue 16, a human rendering and the exit code.
//! - [`repair`]: mark (sidecar JSONL with SHA-256), quarantine (move / link /
//!   copy aside with a manifest, never deleting or overwriting), backfill
//!   plan (exact REST and archive requests, republished archives flagged).
//! - [`destructive`]: the only data overwrite offered — a version pointer
//!   switch — and only with an [`destructive::Approval`] from the
//!   operations layer (T2: safety matrix, freeze, confirmation, evidence).
//!
//! The crate never prints and never exits; the CLI renders.
//!
//! ```no_run
//! use opsbook_marketdata::{scan, ScanOptions};
//! let report = scan(&["BTCUSDT-trades-2025-01-01.csv".into()], &ScanOptions::default())?;
//! print!("{}", report.render_human());
//! std::process::exit(i32::from(report.exit_code()));
//! # Ok::<(), opsbook_marketdata::Error>(())
//! ```

#[cfg(feature = "arrow")]
mod arrowfmt;
mod cryptofeed;
pub mod depth;
pub mod destructive;
mod engine;
mod error;
mod formats;
pub mod grid;
pub mod ids;
pub mod input;
mod jsonfmt;
pub mod keys;
pub mod repair;
pub mod report;
mod rows;
mod scan;
pub mod sink;

pub use engine::{NameInfo, ScanOptions, Scheme, name_info};
pub use error::Error;
pub use report::{Finding, Input, Kind, Report, Scope, Summary, Unit, Verdict};
pub use scan::scan;
