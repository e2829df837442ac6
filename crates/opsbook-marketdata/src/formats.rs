//! CSV inputs: data.binance.vision trades / aggTrades / klines (headerless
//! or with a header; ms or µs timestamps), Binance depth rows with
//! `first_update_id`/`last_update_id`/`pu`, Tardis.dev CSV, headerless
//! trades without IDs, and any CSV with a header under a declared or
//! judged scheme. Also the row feeder the JSON, Arrow and Parquet readers
//! share, and the dispatch by format.
//!
//! Lines are split on commas directly when they hold no quote character;
//! a line with a quote is parsed by the `csv` crate (quoted fields may not
//! span lines).

use std::path::Path;

use crate::engine::{Engine, Planned, Scheme, meta_for, wrong_scheme};
use crate::error::Error;
use crate::input::{Format, Lines, open};
use crate::report::Unit;
use crate::rows::{Columns, RowFeeder, RowValues};
use crate::sink::{Loc, Meta, parse_i64, parse_time_us, parse_u64, to_us, trim};

/// Reads one planned CSV file into the engine; returns the records read.
pub(crate) fn read(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    match item.format {
        Format::BinanceTrades { header } | Format::BinanceAggTrades { header } => {
            read_binance_ids(e, item, header)
        }
        Format::BinanceKlines { header } => read_klines(e, item, header),
        Format::BinanceDepthCsv => read_depth_csv(e, item),
        Format::Tardis => read_tardis(e, item),
        Format::TradesNoId => read_noid(e, item),
        Format::Csv => read_generic(e, item),
        _ => Err(Error::Unsupported {
            path: item.path.clone(),
            reason: format!("{} is not a CSV format", item.format.name()),
        }),
    }
}

/// Field boundaries of one CSV line.
pub(crate) struct Row {
    ranges: Vec<(usize, usize)>,
    quoted: Option<csv::ByteRecord>,
}

impl Row {
    pub fn new() -> Row {
        Row {
            ranges: Vec::with_capacity(16),
            quoted: None,
        }
    }

    /// Splits `line`.
    pub fn split(&mut self, line: &[u8]) {
        self.ranges.clear();
        self.quoted = None;
        if memchr::memchr(b'"', line).is_some() {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(line);
            let mut rec = csv::ByteRecord::new();
            if r.read_byte_record(&mut rec).unwrap_or(false) {
                self.quoted = Some(rec);
                return;
            }
        }
        // Market-data lines are short (tens of bytes): a plain loop beats a
        // vectorised search set up once per comma.
        let mut start = 0;
        for (i, c) in line.iter().enumerate() {
            if *c == b',' {
                self.ranges.push((start, i));
                start = i + 1;
            }
        }
        self.ranges.push((start, line.len()));
    }

    pub fn len(&self) -> usize {
        match &self.quoted {
            Some(r) => r.len(),
            None => self.ranges.len(),
        }
    }

    pub fn get<'a>(&'a self, line: &'a [u8], i: usize) -> Option<&'a [u8]> {
        match &self.quoted {
            Some(r) => r.get(i),
            None => self.ranges.get(i).map(|(a, b)| &line[*a..*b]),
        }
    }
}

fn show(b: Option<&[u8]>) -> String {
    match b {
        Some(b) => format!("`{}`", String::from_utf8_lossy(b)),
        None => "nothing".into(),
    }
}

fn loc(item: &Planned) -> Loc {
    Loc {
        file: item.shown.clone(),
        line: 0,
    }
}

fn io(p: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(p, e)
}

/// data.binance.vision trades and aggTrades: contiguous IDs per symbol,
/// across daily files in name order.
fn read_binance_ids(e: &mut Engine, item: &Planned, header: bool) -> Result<u64, Error> {
    let agg_file = matches!(item.format, Format::BinanceAggTrades { .. });
    let agg = match e.opts.scheme {
        Scheme::Auto | Scheme::AggTrade => agg_file,
        Scheme::TradeId => false,
        other => return Err(wrong_scheme(&item.path, other, item.format.name())),
    };
    if e.opts.scheme == Scheme::AggTrade && !agg_file {
        return Err(wrong_scheme(
            &item.path,
            Scheme::AggTrade,
            item.format.name(),
        ));
    }
    let (stream, unit) = if agg_file {
        ("aggTrades", Unit::AggTradeId)
    } else {
        ("trades", Unit::TradeId)
    };
    let meta = meta_for(item, stream);
    let time_col = if agg_file { 5 } else { 4 };
    let mut lines = Lines::new(open(&item.path)?);
    let mut at = loc(item);
    let mut row = Row::new();
    let mut n = 0;
    let mut first_t = None;
    let mut last_t = None;
    {
        let (ck, sink) = e.id(&meta, unit);
        if header {
            lines.next_line().map_err(io(&item.path))?;
        }
        while let Some((no, line)) = next_row(&mut lines, &mut row, &item.path)? {
            at.line = no;
            let Some(id) = row.get(line, 0).and_then(parse_u64) else {
                sink.push(crate::engine::malformed(
                    &meta,
                    &at,
                    &format!(
                        "expected an integer trade ID in column 1, found {}",
                        show(row.get(line, 0))
                    ),
                ));
                continue;
            };
            let t = row.get(line, time_col).and_then(parse_i64).map(to_us);
            if t.is_some() {
                first_t = first_t.or(t);
                last_t = t;
            }
            n += 1;
            if agg {
                let f = row.get(line, 3).and_then(parse_u64);
                let l = row.get(line, 4).and_then(parse_u64);
                let (Some(f), Some(l)) = (f, l) else {
                    sink.push(crate::engine::malformed(
                        &meta,
                        &at,
                        "expected integer first and last trade IDs in columns 4 and 5",
                    ));
                    continue;
                };
                ck.record_agg(sink, &at, (id, f, l), t, line);
            } else {
                ck.record(sink, &at, id, t, line);
            }
        }
    }
    if let (Some(a), Some(b)) = (first_t, last_t) {
        e.span(&meta, a);
        e.span(&meta, b);
    }
    Ok(n)
}

/// data.binance.vision klines: one candle per interval slot.
fn read_klines(e: &mut Engine, item: &Planned, header: bool) -> Result<u64, Error> {
    if !matches!(
        e.opts.scheme,
        Scheme::Auto | Scheme::Candles | Scheme::TimeGrid
    ) {
        return Err(wrong_scheme(&item.path, e.opts.scheme, item.format.name()));
    }
    let mut feeder = RowFeeder::grid(e, item, true)?;
    let mut lines = Lines::new(open(&item.path)?);
    let mut at = loc(item);
    let mut row = Row::new();
    let mut n = 0;
    if header {
        lines.next_line().map_err(io(&item.path))?;
    }
    while let Some((no, line)) = next_row(&mut lines, &mut row, &item.path)? {
        at.line = no;
        let t = row
            .get(line, 0)
            .and_then(parse_i64)
            .map(to_us)
            .ok_or_else(|| {
                Error::record(
                    &item.path,
                    at.line,
                    format!(
                        "expected the open time (integer ms or µs) in column 1, found {}",
                        show(row.get(line, 0))
                    ),
                )
            })?;
        let v = row
            .get(line, 5)
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.trim().parse::<f64>().ok());
        n += 1;
        feeder.row(
            e,
            &at,
            RowValues {
                time_us: Some(t),
                volume: v,
                ..RowValues::default()
            },
            line,
        )?;
    }
    feeder.end(e, &at);
    Ok(n)
}

/// The next non-blank line, split into `row`, with its 1-based number.
fn next_row<'a, R: std::io::Read>(
    lines: &'a mut Lines<R>,
    row: &mut Row,
    path: &Path,
) -> Result<Option<(u64, &'a [u8])>, Error> {
    let next = lines.next_nonblank().map_err(io(path))?;
    if let Some((_, l)) = next {
        row.split(l);
    }
    Ok(next)
}

/// A CSV whose first line names the columns.
struct Headed {
    lines: Lines<Box<dyn std::io::Read + Send>>,
    row: Row,
    /// Column names, trimmed.
    names: Vec<String>,
}

/// Opens a CSV with a header line; `None` for an empty file.
fn headed(item: &Planned) -> Result<Option<Headed>, Error> {
    let mut lines = Lines::new(open(&item.path)?);
    let mut row = Row::new();
    let Some((_, head)) = lines.next_line().map_err(io(&item.path))? else {
        return Ok(None);
    };
    row.split(head);
    let names = (0..row.len())
        .map(|i| {
            String::from_utf8_lossy(row.get(head, i).unwrap_or_default())
                .trim()
                .to_string()
        })
        .collect();
    Ok(Some(Headed { lines, row, names }))
}

/// Binance depth rows (USD-M historical depth layout): consecutive rows with
/// the same `first_update_id`/`last_update_id`/`pu` form one event; `snap`
/// rows form a snapshot.
fn read_depth_csv(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    if !matches!(e.opts.scheme, Scheme::Auto | Scheme::BinanceDepth) {
        return Err(wrong_scheme(&item.path, e.opts.scheme, item.format.name()));
    }
    let Some(Headed {
        mut lines,
        mut row,
        names,
    }) = headed(item)?
    else {
        return Ok(0);
    };
    let names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let col = |n: &str| names.iter().position(|x| x == n);
    let (Some(c_first), Some(c_last)) = (col("first_update_id"), col("last_update_id")) else {
        return Err(Error::record(
            &item.path,
            1,
            "expected a header with first_update_id and last_update_id",
        ));
    };
    let (c_sym, c_type, c_pu) = (col("symbol"), col("update_type"), col("pu"));
    let mut at = loc(item);
    // The event being collected: (symbol, U, u, pu, snap, first line, crc of rows).
    let mut cur: Option<DepthEvent> = None;
    let mut n = 0;
    let flush = |e: &mut Engine, ev: DepthEvent| {
        let DepthEvent(sym, first, last, pu, snap, line, h) = ev;
        if snap {
            e.snapshot("", &sym, last);
            return;
        }
        let meta = Meta {
            venue: String::new(),
            symbol: Some(sym),
            stream: "depth".into(),
        };
        let at = Loc {
            file: item.shown.clone(),
            line,
        };
        let (ck, sink) = e.depth(&meta);
        ck.event(sink, &at, first, last, pu, &h.finalize().to_le_bytes());
    };
    while let Some((no, line)) = next_row(&mut lines, &mut row, &item.path)? {
        at.line = no;
        n += 1;
        let bad =
            |what: &str| Error::record(&item.path, at.line, format!("expected an integer {what}"));
        let first = row
            .get(line, c_first)
            .and_then(parse_u64)
            .ok_or_else(|| bad("first_update_id"))?;
        let last = row
            .get(line, c_last)
            .and_then(parse_u64)
            .ok_or_else(|| bad("last_update_id"))?;
        let pu = c_pu
            .and_then(|c| row.get(line, c))
            .and_then(parse_i64)
            .and_then(|v| u64::try_from(v).ok());
        let snap = c_type
            .and_then(|c| row.get(line, c))
            .is_some_and(|t| matches!(trim(t), [b's', b'n', b'a', b'p']));
        let sym_bytes = c_sym.and_then(|c| row.get(line, c)).map(trim);
        let same = cur.as_ref().is_some_and(|c| {
            c.1 == first
                && c.2 == last
                && c.3 == pu
                && c.4 == snap
                && sym_bytes.is_none_or(|s| same_bytes(s, c.0.as_bytes()))
        });
        if !same {
            if let Some(ev) = cur.take() {
                flush(e, ev);
            }
            let sym = sym_bytes
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .or_else(|| item.info.symbol.clone())
                .unwrap_or_default();
            cur = Some(DepthEvent(
                sym,
                first,
                last,
                pu,
                snap,
                at.line,
                crc32fast::Hasher::new(),
            ));
        }
        if let Some(c) = cur.as_mut() {
            c.6.update(line);
        }
    }
    if let Some(ev) = cur.take() {
        flush(e, ev);
    }
    Ok(n)
}

/// Byte equality without a `memcmp` call (symbols are a few bytes long and
/// compared on every depth row).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// One depth event being collected: symbol, `U`, `u`, `pu`, snapshot rows,
/// first line, CRC32 of its rows (the payload compared for duplicates).
struct DepthEvent(String, u64, u64, Option<u64>, bool, u64, crc32fast::Hasher);

/// Tardis.dev CSV: exchange vs local timestamps everywhere; trade IDs where
/// they are sequential; the other data types carry nothing to check.
fn read_tardis(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    let Some(Headed {
        mut lines,
        mut row,
        names,
    }) = headed(item)?
    else {
        return Ok(0);
    };
    let col = |n: &str| names.iter().position(|x| x == n);
    let kind = if col("id").is_some() && col("price").is_some() {
        "trades"
    } else if col("is_snapshot").is_some() {
        "incremental_book_L2"
    } else if names.iter().any(|n| n.starts_with("asks[0]")) {
        "book_snapshot"
    } else if col("ask_price").is_some() {
        "quotes"
    } else if col("funding_rate").is_some() || col("mark_price").is_some() {
        "derivative_ticker"
    } else {
        "tardis"
    };
    let c_id = col("id");
    let mut at = loc(item);
    let mut n = 0;
    while let Some((no, line)) = next_row(&mut lines, &mut row, &item.path)? {
        at.line = no;
        n += 1;
        let exch = String::from_utf8_lossy(row.get(line, 0).unwrap_or_default()).into_owned();
        let meta = Meta {
            venue: format!("tardis:{exch}"),
            symbol: row
                .get(line, 1)
                .map(|s| String::from_utf8_lossy(s).into_owned()),
            stream: kind.to_string(),
        };
        let ts = row.get(line, 2).and_then(parse_i64).map(to_us);
        let local = row.get(line, 3).and_then(parse_i64).map(to_us);
        let (Some(ts), Some(local)) = (ts, local) else {
            return Err(Error::record(
                &item.path,
                at.line,
                "expected integer µs `timestamp` and `local_timestamp` in columns 3 and 4",
            ));
        };
        e.clock(&meta, &at, ts, local);
        e.span(&meta, ts);
        if kind == "trades" {
            let id = c_id.and_then(|c| row.get(line, c));
            let payload = &line[line
                .len()
                .min(row.get(line, 0).map_or(0, |f| f.len()))
                .min(line.len())..];
            match id.and_then(parse_u64) {
                Some(id) if exch.starts_with("binance") || exch.starts_with("coinbase") => {
                    let (ck, sink) = e.id(&meta, Unit::TradeId);
                    ck.record(sink, &at, id, Some(ts), payload);
                }
                Some(id) => {
                    let (ck, sink) = e.mono(&meta, Unit::TradeId);
                    ck.record(sink, &at, id, payload);
                }
                None => {
                    e.no_check(&meta, &at, "trade IDs are not sequential (UUIDs): gaps cannot be detected; duplicates only where rows are identical; receive time checked");
                    let (ck, sink) = e.noid(&meta);
                    ck.record(sink, &at, ts, payload);
                }
            }
        } else {
            e.no_check(
                &meta,
                &at,
                &format!("Tardis {kind} rows carry no sequence number or checksum: gaps and duplicates cannot be detected; only exchange vs local time is checked"),
            );
        }
    }
    Ok(n)
}

/// Headerless `time,price,amount` trades (Kraken exports): no IDs.
fn read_noid(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    let meta = meta_for(item, "trades");
    let mut lines = Lines::new(open(&item.path)?);
    let mut row = Row::new();
    let mut at = loc(item);
    let mut n = 0;
    while let Some((no, line)) = next_row(&mut lines, &mut row, &item.path)? {
        at.line = no;
        n += 1;
        let t = row.get(line, 0).and_then(parse_time_us).ok_or_else(|| {
            Error::record(
                &item.path,
                at.line,
                format!(
                    "expected a time in column 1, found {}",
                    show(row.get(line, 0))
                ),
            )
        })?;
        if n == 1 {
            e.no_check(&meta, &at, "no trade IDs: missing trades cannot be detected; time order and identical rows are checked");
        }
        e.span(&meta, t);
        let (ck, sink) = e.noid(&meta);
        ck.record(sink, &at, t, line);
    }
    Ok(n)
}

/// Any CSV with a header line, under the scheme.
fn read_generic(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    let Some(Headed {
        mut lines,
        mut row,
        names,
    }) = headed(item)?
    else {
        return Ok(0);
    };
    let cols = Columns::resolve(&names);
    let mut feeder = RowFeeder::for_columns(e, item, &cols, "trades")?;
    let mut at = loc(item);
    let mut n = 0;
    while let Some((no, line)) = next_row(&mut lines, &mut row, &item.path)? {
        at.line = no;
        n += 1;
        let int = |c: Option<usize>| c.and_then(|c| row.get(line, c)).and_then(parse_u64);
        let id_cell = cols.id.and_then(|c| row.get(line, c));
        let id = id_cell.and_then(parse_u64);
        let v = RowValues {
            id,
            agg: match (id, int(cols.first), int(cols.last)) {
                (Some(a), Some(f), Some(l)) => Some((a, f, l)),
                _ => None,
            },
            time_us: cols
                .time
                .and_then(|c| row.get(line, c))
                .and_then(parse_time_us),
            volume: cols
                .volume
                .and_then(|c| row.get(line, c))
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|s| s.trim().parse().ok()),
            id_not_integer: id_cell.is_some_and(|c| !trim(c).is_empty()) && id.is_none(),
            key: id_cell
                .filter(|c| id.is_none() && !trim(c).is_empty())
                .map(|c| String::from_utf8_lossy(trim(c)).into_owned()),
        };
        let payload = match cols.index {
            Some(_) => row
                .get(line, 0)
                .map_or(line, |f| &line[(f.len() + 1).min(line.len())..]),
            None => line,
        };
        feeder.row(e, &at, v, payload)?;
    }
    feeder.end(e, &at);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn via_csv(line: &[u8]) -> Vec<Vec<u8>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line);
        let mut rec = csv::ByteRecord::new();
        assert!(r.read_byte_record(&mut rec).unwrap());
        rec.iter().map(<[u8]>::to_vec).collect()
    }

    proptest! {
        /// The comma split of a quote-free line gives what the csv crate gives.
        #[test]
        fn split_matches_the_csv_crate(fields in proptest::collection::vec("[a-zA-Z0-9 .:+-]{0,12}", 1..12)) {
            let line = fields.join(",");
            prop_assume!(!line.trim().is_empty());
            let mut row = Row::new();
            row.split(line.as_bytes());
            let ours: Vec<Vec<u8>> = (0..row.len()).map(|i| row.get(line.as_bytes(), i).unwrap().to_vec()).collect();
            prop_assert_eq!(ours, via_csv(line.as_bytes()));
        }

        /// Quoted fields (commas and doubled quotes inside) go through the csv crate.
        #[test]
        fn quoted_lines_are_parsed_by_the_csv_crate(a in "[a-z,\"]{0,8}", b in "[0-9]{1,6}") {
            let line = format!("\"{}\",{b}", a.replace('"', "\"\""));
            let mut row = Row::new();
            row.split(line.as_bytes());
            prop_assert_eq!(row.len(), 2);
            prop_assert_eq!(row.get(line.as_bytes(), 0).unwrap(), a.as_bytes());
            prop_assert_eq!(row.get(line.as_bytes(), 1).unwrap(), b.as_bytes());
        }

        /// Integer parsing agrees with the standard library.
        #[test]
        fn integers_agree_with_std(s in "[0-9]{1,22}|-?[0-9]{1,5}|[0-9a-x]{0,4}") {
            prop_assert_eq!(parse_u64(s.as_bytes()), s.parse::<u64>().ok());
        }
    }
}
