//! The scan's vocabulary and state: the scheme and options, what a file
//! name says, the planned file, and the engine holding one checker per
//! stream with the findings (the format readers feed it; `scan` runs it).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::depth::{DepthChecker, OkxBook};
use crate::error::Error;
use crate::grid::{ClockChecker, GridChecker, parse_interval};
use crate::ids::{IdChecker, MonoChecker, NoIdChecker};
use crate::input::Format;
use crate::report::{Finding, Kind, Unit};
use crate::sink::{Loc, Meta, Sink};

/// Which check to apply (`--scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Judge from the format and the columns.
    #[default]
    Auto,
    /// Contiguous trade IDs.
    TradeId,
    /// Aggregate trade IDs `a` with `f` = previous `l` + 1.
    AggTrade,
    /// Binance diff depth `U`/`u`/`pu` against a snapshot.
    BinanceDepth,
    /// OKX books: CRC32 checksum and `seqId`/`prevSeqId`.
    OkxBook,
    /// Candles on their interval grid (with no-trade proofs by volume).
    Candles,
    /// Any fixed-interval time series.
    TimeGrid,
}

impl std::str::FromStr for Scheme {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scheme, Error> {
        Ok(match s {
            "auto" => Scheme::Auto,
            "trade-id" => Scheme::TradeId,
            "agg-trade" => Scheme::AggTrade,
            "binance-depth" => Scheme::BinanceDepth,
            "okx-book" => Scheme::OkxBook,
            "candles" => Scheme::Candles,
            "time-grid" => Scheme::TimeGrid,
            other => {
                return Err(Error::Usage(format!(
                    "unknown scheme `{other}`: expected auto, trade-id, agg-trade, binance-depth, okx-book, candles or time-grid"
                )));
            }
        })
    }
}

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Which check (default: judged per file).
    pub scheme: Scheme,
    /// REST depth snapshots (`lastUpdateId`): cryptofeed `*.http.*`
    /// recordings, Binance depth CSV with `snap` rows, or a JSON snapshot
    /// `{"lastUpdateId": N, …}` (the symbol then comes from the file name).
    pub snapshots: Vec<PathBuf>,
    /// The grid interval (`1m`, `8h`) when the file name does not say it.
    pub interval: Option<String>,
    /// Jitter allowed around a grid slot, ms (default 1000).
    pub grid_tolerance_ms: i64,
    /// How far receive time may precede exchange time, ms (default 0).
    pub clock_tolerance_ms: i64,
    /// Delivery later than this after exchange time is a stall, ms (default 10000).
    pub stall_ms: i64,
    /// The symbol of every file scanned (`--symbol`), instead of a guess
    /// from its file name; a symbol in the records themselves still wins.
    pub symbol: Option<String>,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            scheme: Scheme::Auto,
            snapshots: Vec::new(),
            interval: None,
            grid_tolerance_ms: 1_000,
            clock_tolerance_ms: 0,
            stall_ms: 10_000,
            symbol: None,
        }
    }
}

/// What a file name says: symbol, interval, data kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameInfo {
    /// Leading tokens before the first interval, kind or date token.
    pub symbol: Option<String>,
    /// Interval token and its length in µs.
    pub interval: Option<(String, i64)>,
    /// `trades`, `aggTrades`, `klines`, `funding_rate`, `mark`, `depth`, …
    pub kind: Option<String>,
    /// A `1mo` (or `1M`) interval token: calendar months, not a fixed grid.
    pub monthly: bool,
}

const KIND_TOKENS: [&str; 10] = [
    "trades",
    "aggTrades",
    "klines",
    "funding_rate",
    "mark",
    "depth",
    "bookTicker",
    "premium",
    "index",
    "snap",
];

/// Reads symbol, interval and kind from a file name such as
/// `BTCUSDT-aggTrades-2025-01-01.csv`, `XRP_ETH-1m.feather`,
/// `XRP_USDT_USDT-8h-funding_rate.feather` or `btc-perp-20211231-20220201_1m.csv`.
pub fn name_info(path: &Path) -> NameInfo {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [
        ".gz", ".zip", ".csv", ".json", ".feather", ".parquet", ".arrow", ".ipc", ".jsonl",
    ] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    let mut info = NameInfo::default();
    let mut sym: Vec<&str> = Vec::new();
    let mut done = false;
    for tok in stem.split('-') {
        let parts: Vec<&str> = tok.split('_').collect();
        let interval = std::iter::once(tok)
            .chain(parts.iter().copied())
            .find(|p| !p.bytes().all(|c| c.is_ascii_digit()) && parse_interval(p).is_some());
        let is_date = tok.bytes().all(|c| c.is_ascii_digit())
            || parts
                .first()
                .is_some_and(|p| p.len() >= 6 && p.bytes().all(|c| c.is_ascii_digit()));
        let kind = KIND_TOKENS.iter().find(|k| {
            tok.eq_ignore_ascii_case(k) || parts.iter().any(|p| p.eq_ignore_ascii_case(k))
        });
        if let Some(iv) = interval {
            info.interval = parse_interval(iv).map(|us| (iv.to_string(), us));
            done = true;
        }
        if tok == "1mo" || tok == "1M" {
            info.monthly = true;
            done = true;
        }
        if let Some(k) = kind {
            if tok.eq_ignore_ascii_case("funding_rate") {
                info.kind = Some("funding_rate".into());
            } else {
                info.kind.get_or_insert_with(|| (*k).to_string());
            }
            done = true;
        }
        if is_date {
            done = true;
        }
        if !done {
            sym.push(tok);
        }
    }
    if !sym.is_empty() {
        info.symbol = Some(sym.join("-"));
    }
    info
}

/// The per-stream checkers and the findings.
#[derive(Default)]
pub(crate) struct Engine {
    pub sink: Sink,
    pub opts: ScanOptions,
    pub ids: HashMap<Meta, IdChecker>,
    pub monos: HashMap<Meta, MonoChecker>,
    pub noids: HashMap<Meta, NoIdChecker>,
    pub keys: HashMap<Meta, crate::keys::KeyChecker>,
    pub depths: HashMap<Meta, DepthChecker>,
    pub okx: HashMap<Meta, OkxBook>,
    pub grids: HashMap<Meta, GridChecker>,
    pub clocks: HashMap<Meta, ClockChecker>,
    said: HashSet<Meta>,
    /// `lastUpdateId`s per (venue, symbol upper-case).
    pub snapshots: HashMap<(String, String), Vec<u64>>,
    /// Candle families: (venue, symbol, family) → intervals in the scan.
    pub families: HashMap<(String, String, String), Vec<i64>>,
    /// Time span seen per stream (µs), for the market-wide judgement.
    pub spans: HashMap<Meta, (i64, i64)>,
}

impl Engine {
    pub fn new(opts: ScanOptions) -> Engine {
        Engine {
            opts,
            ..Engine::default()
        }
    }

    pub fn id(&mut self, meta: &Meta, unit: Unit) -> (&mut IdChecker, &mut Sink) {
        let c = self
            .ids
            .entry(meta.clone())
            .or_insert_with(|| IdChecker::new(meta.clone(), unit));
        (c, &mut self.sink)
    }

    pub fn mono(&mut self, meta: &Meta, unit: Unit) -> (&mut MonoChecker, &mut Sink) {
        let c = self
            .monos
            .entry(meta.clone())
            .or_insert_with(|| MonoChecker::new(meta.clone(), unit));
        (c, &mut self.sink)
    }

    pub fn noid(&mut self, meta: &Meta) -> (&mut NoIdChecker, &mut Sink) {
        let c = self
            .noids
            .entry(meta.clone())
            .or_insert_with(|| NoIdChecker::new(meta.clone()));
        (c, &mut self.sink)
    }

    pub fn keys(&mut self, meta: &Meta) -> (&mut crate::keys::KeyChecker, &mut Sink) {
        let c = self
            .keys
            .entry(meta.clone())
            .or_insert_with(|| crate::keys::KeyChecker::new(meta.clone()));
        (c, &mut self.sink)
    }

    pub fn okx(&mut self, meta: &Meta) -> (&mut OkxBook, &mut Sink) {
        let c = self
            .okx
            .entry(meta.clone())
            .or_insert_with(|| OkxBook::new(meta.clone()));
        (c, &mut self.sink)
    }

    pub fn depth(&mut self, meta: &Meta) -> (&mut DepthChecker, &mut Sink) {
        if !self.depths.contains_key(meta) {
            let sym = meta.symbol.clone().unwrap_or_default().to_ascii_uppercase();
            let snaps = self
                .snapshots
                .get(&(meta.venue.clone(), sym.clone()))
                .or_else(|| self.snapshots.get(&(String::new(), sym)))
                .cloned()
                .unwrap_or_default();
            self.depths
                .insert(meta.clone(), DepthChecker::new(meta.clone(), snaps));
        }
        let c = self.depths.get_mut(meta).expect("inserted above");
        (c, &mut self.sink)
    }

    /// Registers a REST snapshot; a stream already running re-syncs to it.
    pub fn snapshot(&mut self, venue: &str, symbol: &str, last_update_id: u64) {
        let sym = symbol.to_ascii_uppercase();
        self.snapshots
            .entry((venue.to_string(), sym.clone()))
            .or_default()
            .push(last_update_id);
        let running: Vec<Meta> = self
            .depths
            .keys()
            .filter(|m| {
                m.venue == venue
                    && m.symbol
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(&sym))
            })
            .cloned()
            .collect();
        for m in running {
            if let Some(d) = self.depths.get_mut(&m) {
                d.snapshot(&mut self.sink, last_update_id);
            }
        }
    }

    /// A grid checker; `family` groups series whose coarser intervals prove
    /// quiet slots of finer ones (`candles`), `None` for series that prove
    /// nothing (funding rates).
    pub fn grid(
        &mut self,
        meta: &Meta,
        interval: i64,
        updates: bool,
        family: Option<&str>,
    ) -> (&mut GridChecker, &mut Sink) {
        if !self.grids.contains_key(meta) {
            let tol = self.opts.grid_tolerance_ms * 1000;
            let mut coarse = Vec::new();
            let mut interest = Vec::new();
            if let Some(fam) = family {
                let key = (
                    meta.venue.clone(),
                    meta.symbol.clone().unwrap_or_default(),
                    fam.to_string(),
                );
                if let Some(ivs) = self.families.get(&key) {
                    coarse = ivs
                        .iter()
                        .copied()
                        .filter(|c| *c > interval && c % interval == 0)
                        .collect();
                    coarse.sort_unstable();
                    coarse.dedup();
                }
                for (m, g) in &self.grids {
                    if m.venue == meta.venue
                        && m.symbol == meta.symbol
                        && m.stream.starts_with(fam)
                        && g.interval() < interval
                    {
                        interest.extend(g.gap_ranges());
                    }
                }
            }
            interest.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(interest.len());
            for (a, b) in interest {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            let interest = merged;
            let mut g = GridChecker::new(meta.clone(), interval, tol, updates, coarse);
            g.interest = interest;
            self.grids.insert(meta.clone(), g);
        }
        let c = self.grids.get_mut(meta).expect("inserted above");
        (c, &mut self.sink)
    }

    /// Receive vs exchange time.
    pub fn clock(&mut self, meta: &Meta, at: &Loc, exch_us: i64, recv_us: i64) {
        let (tol, stall) = (
            self.opts.clock_tolerance_ms * 1000,
            self.opts.stall_ms * 1000,
        );
        self.clocks
            .entry(meta.clone())
            .or_insert_with(|| ClockChecker::new(meta.clone(), tol, stall))
            .record(&mut self.sink, at, exch_us, recv_us);
    }

    /// Says once per stream that it carries nothing to check.
    pub fn no_check(&mut self, meta: &Meta, at: &Loc, what: &str) {
        if self.said.insert(meta.clone()) {
            let f = meta.finding(
                Kind::NoCheck,
                Some(at),
                None,
                None,
                None,
                1,
                format!("{}: {what}", meta.label()),
            );
            self.sink.push(f);
        }
    }

    /// A record that cannot be read: a `malformed` finding at its line; the
    /// caller skips the record and goes on with the next.
    pub fn malformed(&mut self, meta: &Meta, at: &Loc, what: &str) {
        self.sink.push(malformed(meta, at, what));
    }

    /// Widens a stream's time span (µs).
    pub fn span(&mut self, meta: &Meta, t: i64) {
        match self.spans.get_mut(meta) {
            Some(s) => {
                s.0 = s.0.min(t);
                s.1 = s.1.max(t);
            }
            None => {
                self.spans.insert(meta.clone(), (t, t));
            }
        }
    }

    pub fn finish(mut self) -> (Sink, HashMap<Meta, (i64, i64)>) {
        let sink = &mut self.sink;
        // Coarse volumes go to the finer series before they report.
        let metas: Vec<Meta> = self.grids.keys().cloned().collect();
        let mut handover: Vec<(Meta, i64, HashMap<i64, f64>)> = Vec::new();
        for m in &metas {
            let g = &self.grids[m];
            if !g.volumes.is_empty() {
                handover.push((m.clone(), g.interval(), g.volumes.clone()));
            }
        }
        for (cm, civ, vols) in handover {
            for m in &metas {
                if m.venue == cm.venue
                    && m.symbol == cm.symbol
                    && m != &cm
                    && let Some(g) = self.grids.get_mut(m)
                    && g.interval() < civ
                {
                    g.add_proofs(civ, &vols);
                }
            }
        }
        let mut sorted: Vec<_> = self.grids.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, mut g) in sorted {
            g.finish(sink);
        }
        for (_, mut c) in sorted_map(self.ids) {
            c.finish(sink);
        }
        for (_, mut c) in sorted_map(self.monos) {
            c.finish(sink);
        }
        for (_, mut c) in sorted_map(self.noids) {
            c.finish(sink);
        }
        for (_, mut c) in sorted_map(self.keys) {
            c.finish(sink);
        }
        for (_, mut c) in sorted_map(self.depths) {
            c.finish(sink);
        }
        for (_, mut c) in sorted_map(self.okx) {
            c.finish(sink);
        }
        for (_, mut c) in sorted_map(self.clocks) {
            c.finish(sink);
        }
        (self.sink, self.spans)
    }
}

fn sorted_map<V>(m: HashMap<Meta, V>) -> Vec<(Meta, V)> {
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// A file in the plan.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub path: PathBuf,
    pub shown: Arc<str>,
    pub format: Format,
    pub info: NameInfo,
    pub snapshot_source: bool,
}

/// The stream of a planned file (symbol from its name).
pub(crate) fn meta_for(item: &Planned, stream: &str) -> Meta {
    Meta {
        venue: String::new(),
        symbol: item.info.symbol.clone(),
        stream: stream.to_string(),
    }
}

/// A scheme declared for a file it does not fit.
pub(crate) fn wrong_scheme(p: &Path, s: Scheme, format: &str) -> Error {
    Error::Unsupported {
        path: p.to_path_buf(),
        reason: format!("scheme {s:?} does not apply to a {format} file"),
    }
}

/// The `malformed` finding of a record that cannot be read (`what` says what
/// was expected and found); the record is skipped.
pub fn malformed(meta: &Meta, at: &Loc, what: &str) -> Finding {
    meta.finding(
        Kind::Malformed,
        Some(at),
        None,
        None,
        None,
        1,
        format!("{}: {what}: record skipped, the scan goes on", meta.label()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = name_info(Path::new("BTCUSDT-aggTrades-2025-01-01.csv"));
        assert_eq!(
            (n.symbol.as_deref(), n.kind.as_deref(), n.interval),
            (Some("BTCUSDT"), Some("aggTrades"), None)
        );
        let n = name_info(Path::new("XRP_USDT_USDT-8h-funding_rate.feather"));
        assert_eq!(n.symbol.as_deref(), Some("XRP_USDT_USDT"));
        assert_eq!(n.kind.as_deref(), Some("funding_rate"));
        assert_eq!(n.interval.map(|i| i.1), Some(8 * 3_600_000_000));
        let n = name_info(Path::new("btc-perp-20211231-20220201_1m.csv"));
        assert_eq!(n.symbol.as_deref(), Some("btc-perp"));
        assert_eq!(n.interval.map(|i| i.0), Some("1m".to_string()));
        let n = name_info(Path::new("BTCUSDT-1mo-2024-01.csv"));
        assert!(n.monthly && n.interval.is_none());
        assert_eq!(n.symbol.as_deref(), Some("BTCUSDT"));
        let n = name_info(Path::new("BTCUSDT-1m-2025-01-01.csv"));
        assert_eq!(
            (n.symbol.as_deref(), n.interval.map(|i| i.1)),
            (Some("BTCUSDT"), Some(60_000_000))
        );
    }

    #[test]
    fn schemes_parse() {
        assert_eq!("okx-book".parse::<Scheme>().unwrap(), Scheme::OkxBook);
        assert!("nope".parse::<Scheme>().is_err());
    }
}
