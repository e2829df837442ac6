//! The row feeder shared by CSV with named columns, JSON arrays, Arrow IPC
//! and Parquet: column roles found by name, the check a row stream gets
//! under the scheme (IDs, aggregate IDs, a time grid, or rows without IDs),
//! and the first rows of a grid buffered to infer its interval.

use std::sync::Arc;

use crate::engine::{Engine, Planned, Scheme, meta_for, wrong_scheme};
use crate::error::Error;
use crate::report::Unit;
use crate::sink::{Loc, Meta};

/// Column roles found by name (case-insensitive).
#[derive(Debug, Default, Clone)]
pub(crate) struct Columns {
    pub id: Option<usize>,
    pub first: Option<usize>,
    pub last: Option<usize>,
    pub time: Option<usize>,
    pub volume: Option<usize>,
    pub ohlc: bool,
    /// An unnamed first column (a pandas index): left out of the payload.
    pub index: Option<usize>,
    /// The column names seen (for the error when none is usable).
    pub seen: Vec<String>,
}

impl Columns {
    pub fn resolve(names: &[String]) -> Columns {
        let find = |cands: &[&str]| {
            cands
                .iter()
                .find_map(|c| names.iter().position(|n| n.eq_ignore_ascii_case(c)))
        };
        Columns {
            id: find(&[
                "id",
                "trade_id",
                "tradeid",
                "agg_trade_id",
                "a",
                "sequence",
                "seq_id",
            ]),
            first: find(&["first_trade_id", "f"]),
            last: find(&["last_trade_id", "l"]),
            time: find(&[
                "timestamp",
                "time",
                "date",
                "datetime",
                "open_time",
                "ts",
                "transact_time",
            ]),
            volume: find(&["volume", "vol", "v"]),
            ohlc: ["open", "high", "low", "close"]
                .iter()
                .all(|c| names.iter().any(|n| n.eq_ignore_ascii_case(c))),
            index: names
                .first()
                .filter(|n| n.is_empty() || *n == "__index_level_0__")
                .map(|_| 0),
            seen: names.to_vec(),
        }
    }
}

/// `a`, `b`, `c` (at most 12, then how many more).
fn seen_columns(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let mut v: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
    if names.len() > 12 {
        v.push(format!("{} more", names.len() - 12));
    }
    v.join(", ")
}

/// The check a row stream gets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mode {
    Ids {
        agg: bool,
    },
    Grid {
        family: Option<String>,
    },
    NoId,
    /// IDs that are not sequential integers (UUIDs): repeats are checked,
    /// gaps cannot be.
    Keys,
}

/// One row's values, as far as the columns give them.
#[derive(Debug, Default, Clone)]
pub(crate) struct RowValues {
    pub id: Option<u64>,
    pub agg: Option<(u64, u64, u64)>,
    pub time_us: Option<i64>,
    pub volume: Option<f64>,
    /// The ID cell is present but not an integer (UUIDs).
    pub id_not_integer: bool,
    /// That ID's text, trimmed, when the reader keeps it (generic CSV).
    pub key: Option<String>,
}

/// Feeds rows (CSV, JSON, Arrow, Parquet) to the right checker; buffers the
/// first rows of a grid whose interval is unknown to infer it.
pub(crate) struct RowFeeder {
    pub meta: Meta,
    mode: Mode,
    interval: Option<i64>,
    buf: Vec<(Loc, i64, Option<f64>, Vec<u8>)>,
    path: std::path::PathBuf,
    said: bool,
}

/// Rows buffered to infer a grid interval.
const INFER_ROWS: usize = 256;

impl RowFeeder {
    /// A grid feeder for a candle-like file.
    pub fn grid(e: &Engine, item: &Planned, candles: bool) -> Result<RowFeeder, Error> {
        let interval = interval_for(e, item)?;
        let family = (candles
            && !matches!(
                item.info.kind.as_deref(),
                Some("funding_rate" | "mark" | "premium" | "index")
            ))
        .then(|| "candles".to_string());
        let stream = grid_stream(item, interval);
        // Months are not a fixed length: monthly candles get the time-order
        // and identical-row checks, and say that the grid is not checked.
        let monthly = interval.is_none() && item.info.monthly;
        Ok(RowFeeder {
            meta: meta_for(item, if monthly { "candles_1mo" } else { &stream }),
            mode: if monthly {
                Mode::NoId
            } else {
                Mode::Grid { family }
            },
            interval,
            buf: Vec::new(),
            path: item.path.clone(),
            said: false,
        })
    }

    /// A feeder for a row stream with named columns under the scheme.
    pub fn for_columns(
        e: &Engine,
        item: &Planned,
        cols: &Columns,
        stream_hint: &str,
    ) -> Result<RowFeeder, Error> {
        let unsupported = |reason: &str| Error::Unsupported {
            path: item.path.clone(),
            reason: reason.to_string(),
        };
        let mode = match e.opts.scheme {
            Scheme::Auto => {
                if cols.id.is_some() && cols.first.is_some() && cols.last.is_some() {
                    Mode::Ids { agg: true }
                } else if cols.id.is_some() {
                    Mode::Ids { agg: false }
                } else if cols.time.is_some() && (cols.ohlc || item.info.interval.is_some()) {
                    Mode::Grid { family: None }
                } else if cols.time.is_some() {
                    Mode::NoId
                } else {
                    return Err(unsupported(&format!(
                        "no ID column (id, trade_id, agg_trade_id, a, sequence) and no time column (timestamp, time, date, open_time, ts) among the columns seen ({}): this does not look like market data. If it is, name its ID or time column so in the header line, or choose the check with --scheme trade-id|agg-trade|candles|time-grid",
                        seen_columns(&cols.seen)
                    )));
                }
            }
            Scheme::TradeId => {
                cols.id.ok_or_else(|| {
                    unsupported("scheme trade-id needs an ID column (id, trade_id, a, sequence)")
                })?;
                Mode::Ids { agg: false }
            }
            Scheme::AggTrade => {
                if cols.id.is_none() || cols.first.is_none() || cols.last.is_none() {
                    return Err(unsupported(
                        "scheme agg-trade needs columns a (agg_trade_id), f (first_trade_id) and l (last_trade_id)",
                    ));
                }
                Mode::Ids { agg: true }
            }
            Scheme::Candles | Scheme::TimeGrid => {
                cols.time.ok_or_else(|| {
                    unsupported(
                        "a time grid needs a time column (timestamp, time, date, open_time, ts)",
                    )
                })?;
                Mode::Grid { family: None }
            }
            s => return Err(wrong_scheme(&item.path, s, item.format.name())),
        };
        if let Mode::Grid { .. } = mode {
            let candles = cols.ohlc || e.opts.scheme == Scheme::Candles;
            return RowFeeder::grid(e, item, candles);
        }
        let stream = match mode {
            Mode::Ids { agg: true } => "aggTrades".to_string(),
            _ => stream_hint.to_string(),
        };
        Ok(RowFeeder {
            meta: meta_for(item, &stream),
            mode,
            interval: None,
            buf: Vec::new(),
            path: item.path.clone(),
            said: false,
        })
    }

    /// One row.
    pub fn row(
        &mut self,
        e: &mut Engine,
        at: &Loc,
        v: RowValues,
        payload: &[u8],
    ) -> Result<(), Error> {
        if let Some(t) = v.time_us {
            e.span(&self.meta, t);
        }
        match self.mode.clone() {
            Mode::Ids { agg } => {
                if v.id_not_integer && v.id.is_none() {
                    // UUID-like IDs: repeats can be checked, gaps cannot;
                    // without the ID text, rows without IDs.
                    self.mode = if v.key.is_some() && !agg {
                        Mode::Keys
                    } else {
                        Mode::NoId
                    };
                    return self.row(e, at, v, payload);
                }
                let Some(id) = v.id else {
                    e.malformed(&self.meta, at, "expected an integer ID");
                    return Ok(());
                };
                if agg {
                    let Some(a) = v.agg else {
                        e.malformed(&self.meta, at, "expected integer a, f and l");
                        return Ok(());
                    };
                    let (ck, sink) = e.id(&self.meta, Unit::AggTradeId);
                    ck.record_agg(sink, at, a, v.time_us, payload);
                } else {
                    let (ck, sink) = e.id(&self.meta, Unit::TradeId);
                    ck.record(sink, at, id, v.time_us, payload);
                }
            }
            Mode::Keys => {
                if !self.said {
                    self.said = true;
                    e.no_check(
                        &self.meta,
                        at,
                        "IDs are not sequential integers (e.g. UUIDs): gaps cannot be judged from them; repeated IDs (duplicate vs conflict), time order and identical rows are checked",
                    );
                }
                let Some(key) = v.key.as_deref().filter(|k| !k.is_empty()) else {
                    e.malformed(&self.meta, at, "expected an ID");
                    return Ok(());
                };
                let (ck, sink) = e.keys(&self.meta);
                if ck.record(sink, at, key, payload)
                    && let Some(t) = v.time_us
                {
                    let (ck, sink) = e.noid(&self.meta);
                    ck.record(sink, at, t, payload);
                }
            }
            Mode::NoId => {
                if !self.said {
                    self.said = true;
                    let what = if self.meta.stream == "candles_1mo" {
                        "calendar months are not a fixed grid: missing months are not detected; time order and identical rows are checked"
                    } else {
                        "no sequential IDs: missing records cannot be detected; time order and identical rows are checked"
                    };
                    e.no_check(&self.meta, at, what);
                }
                let Some(t) = v.time_us else {
                    return Err(Error::record(&self.path, at.line, "expected a time value"));
                };
                let (ck, sink) = e.noid(&self.meta);
                ck.record(sink, at, t, payload);
            }
            Mode::Grid { family } => {
                let Some(t) = v.time_us else {
                    return Err(Error::record(&self.path, at.line, "expected a time value"));
                };
                match self.interval {
                    Some(iv) => {
                        let (g, sink) = e.grid(&self.meta, iv, false, family.as_deref());
                        g.record(sink, at, t, v.volume, payload);
                    }
                    None => {
                        self.buf.push((at.clone(), t, v.volume, payload.to_vec()));
                        if self.buf.len() >= INFER_ROWS {
                            self.infer(e);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn infer(&mut self, e: &mut Engine) {
        let iv = self
            .buf
            .windows(2)
            .map(|w| w[1].1 - w[0].1)
            .filter(|d| *d > 0)
            .min();
        let buf = std::mem::take(&mut self.buf);
        let Some(iv) = iv else {
            if let Some((at, ..)) = buf.first() {
                e.no_check(
                    &self.meta,
                    at,
                    "too few distinct times to know the grid interval: pass --interval",
                );
            }
            return;
        };
        self.interval = Some(iv);
        self.meta.stream = format!(
            "{}_{}",
            self.meta.stream.trim_end_matches("_?"),
            crate::grid::fmt_interval(iv)
        );
        let family = match &self.mode {
            Mode::Grid { family } => family.clone(),
            _ => None,
        };
        for (at, t, v, p) in buf {
            let (g, sink) = e.grid(&self.meta, iv, false, family.as_deref());
            g.record(sink, &at, t, v, &p);
        }
    }

    /// End of the file.
    pub fn end(&mut self, e: &mut Engine, _at: &Loc) {
        if !self.buf.is_empty() {
            self.infer(e);
        }
    }
}

fn interval_for(e: &Engine, item: &Planned) -> Result<Option<i64>, Error> {
    if let Some(s) = &e.opts.interval {
        return crate::grid::parse_interval(s).map(Some).ok_or_else(|| {
            Error::Usage(format!(
                "--interval `{s}`: expected e.g. 1s, 1m, 5m, 1h, 8h, 1d, 1w"
            ))
        });
    }
    Ok(item.info.interval.as_ref().map(|i| i.1))
}

fn grid_stream(item: &Planned, interval: Option<i64>) -> String {
    let base = match item.info.kind.as_deref() {
        Some(k @ ("funding_rate" | "mark" | "premium" | "index")) => k.to_string(),
        _ => "candles".to_string(),
    };
    match interval {
        Some(iv) => format!("{base}_{}", crate::grid::fmt_interval(iv)),
        None => format!("{base}_?"),
    }
}

/// A `Loc` for row `n` of `file`.
pub(crate) fn row_loc(file: &Arc<str>, n: u64) -> Loc {
    Loc {
        file: file.clone(),
        line: n,
    }
}
