//! The scan: recognises each input, orders them (snapshots first, fine
//! candles before coarse ones, files of a stream in name order so daily
//! archives chain), feeds every record to its stream's checker, then
//! finishes the streams and judges gaps market-wide or single-symbol
//! (D-DATA-REPAIR). State is per stream; memory does not grow with file size.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::{Engine, Planned, ScanOptions, name_info};
use crate::error::Error;
use crate::input::{Format, sniff};
use crate::report::{Finding, Input, Kind, Report, Scope, Unit};
use crate::sink::{Meta, Sink};

/// Reads one planned file into the engine; returns the records read.
fn read(e: &mut Engine, item: &Planned) -> Result<u64, Error> {
    match item.format {
        Format::Cryptofeed => crate::cryptofeed::read(e, item),
        Format::Json => crate::jsonfmt::read(e, item),
        #[cfg(feature = "arrow")]
        Format::ArrowIpc | Format::Parquet => crate::arrowfmt::read(e, item),
        #[cfg(not(feature = "arrow"))]
        Format::ArrowIpc | Format::Parquet => Err(Error::Unsupported {
            path: item.path.clone(),
            reason: "Arrow IPC / Parquet input needs opsbook built with the `arrow` feature".into(),
        }),
        _ => crate::formats::read(e, item),
    }
}

/// Scans files and directories (recursively, in name order).
///
/// Bad input (a record that is not what its format requires) stops the scan
/// with [`Error::Record`] naming the file and line; a directory entry that
/// is not market data is reported as `no_check`, a named file that is not is
/// an [`Error::Unsupported`].
///
/// # Errors
/// I/O errors, bad records, unsupported named files.
pub fn scan(paths: &[PathBuf], opts: &ScanOptions) -> Result<Report, Error> {
    // Holds the candle families and the skipped files' findings.
    let mut engine = Engine::new(opts.clone());
    let mut plan = Vec::new();
    let mut skipped = Vec::new();
    let mut warnings = Vec::new();
    for p in &opts.snapshots {
        let mut item = plan_file(p)?;
        item.snapshot_source = true;
        plan.push(item);
    }
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = walkdir_sorted(p)?;
            files.sort();
            for f in files {
                match plan_file(&f) {
                    Ok(item) => plan.push(item),
                    Err(Error::Unsupported { reason, .. }) => skipped.push((f, reason)),
                    Err(e) => return Err(e),
                }
            }
        } else {
            plan.push(plan_file(p)?);
        }
    }
    if let Some(sym) = opts
        .symbol
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let sym = sym.to_ascii_uppercase();
        for item in plan.iter_mut().filter(|i| !i.snapshot_source) {
            if let Some(old) = item
                .info
                .symbol
                .as_deref()
                .filter(|o| !o.eq_ignore_ascii_case(&sym))
            {
                warnings.push(format!(
                    "{}: --symbol {sym} replaces {old}, the symbol its file name says",
                    item.shown
                ));
            }
            item.info.symbol = Some(sym.clone());
        }
    }
    // Candle families: which intervals each symbol has in this scan.
    for item in &plan {
        if let (Some(fam), Some((_, iv))) = (family_of(item), &item.info.interval) {
            let key = (
                String::new(),
                item.info.symbol.clone().unwrap_or_default(),
                fam,
            );
            engine.families.entry(key).or_default().push(*iv);
        }
    }
    plan.sort_by(|a, b| {
        let ka = (
            !a.snapshot_source,
            a.info.symbol.clone(),
            a.info.interval.as_ref().map(|i| i.1),
            a.path.clone(),
        );
        let kb = (
            !b.snapshot_source,
            b.info.symbol.clone(),
            b.info.interval.as_ref().map(|i| i.1),
            b.path.clone(),
        );
        ka.cmp(&kb)
    });
    let (mut sink, mut spans, mut inputs) = run_plan(&plan, opts, &engine.families)?;
    for (f, reason) in skipped {
        let shown = f.display().to_string();
        engine.sink.push(Finding {
            kind: Kind::NoCheck,
            file: shown.clone(),
            line: None,
            symbol: None,
            from: None,
            to: None,
            count: 0,
            message: format!("not scanned: {reason}"),
            unit: None,
            stream: None,
            venue: None,
            scope: None,
            time_ms: None,
        });
        inputs.push(Input {
            file: shown,
            format: "skipped".into(),
            records: 0,
            symbol: None,
            symbol_from: None,
            member: None,
        });
    }
    let (rest, rest_spans) = engine.finish();
    sink.findings.extend(rest.findings);
    for (k, n) in rest.omitted {
        *sink.omitted.entry(k).or_default() += n;
    }
    spans.extend(rest_spans);
    judge_scope(&mut sink.findings, &spans);
    let mut report = Report::new(sink.findings, inputs, &sink.omitted);
    report.warnings = warnings;
    Ok(report)
}

type Families = HashMap<(String, String, String), Vec<i64>>;
/// What running (part of) a plan gives: findings, time spans per stream (µs), inputs.
type Ran = (Sink, HashMap<Meta, (i64, i64)>, Vec<Input>);
/// A gap finding's index, symbol and time range (ms).
type GapRef = (usize, String, (i64, i64));

/// Runs the plan. Files whose streams cannot meet (data.binance.vision CSV
/// and Binance depth rows, one symbol per file name) are scanned in
/// parallel, one engine per symbol; anything else in one engine, in order.
fn run_plan(plan: &[Planned], opts: &ScanOptions, families: &Families) -> Result<Ran, Error> {
    use rayon::prelude::*;
    let independent = opts.snapshots.is_empty()
        && plan.iter().all(|p| {
            matches!(
                p.format,
                Format::BinanceTrades { .. }
                    | Format::BinanceAggTrades { .. }
                    | Format::BinanceKlines { .. }
                    | Format::BinanceDepthCsv
            ) && p.info.symbol.is_some()
        });
    let mut groups: BTreeMap<String, Vec<&Planned>> = BTreeMap::new();
    for p in plan {
        let key = if independent {
            p.info
                .symbol
                .clone()
                .unwrap_or_default()
                .to_ascii_uppercase()
        } else {
            String::new()
        };
        groups.entry(key).or_default().push(p);
    }
    let results: Vec<Result<Ran, Error>> = groups
        .into_par_iter()
        .map(|(_, items)| {
            let mut e = Engine::new(opts.clone());
            e.families = families.clone();
            let mut inputs = Vec::new();
            for item in items {
                let records = read(&mut e, item)?;
                inputs.push(Input {
                    file: item.shown.to_string(),
                    format: item.format.name().to_string(),
                    records,
                    symbol: item.info.symbol.clone(),
                    symbol_from: symbol_from(item, opts),
                    member: crate::input::zip_member_name(&item.path),
                });
            }
            let (sink, spans) = e.finish();
            Ok((sink, spans, inputs))
        })
        .collect();
    let mut sink = Sink::default();
    let mut spans = HashMap::new();
    let mut inputs = Vec::new();
    for r in results {
        let (s, sp, inp) = r?;
        sink.findings.extend(s.findings);
        for (k, n) in s.omitted {
            *sink.omitted.entry(k).or_default() += n;
        }
        spans.extend(sp);
        inputs.extend(inp);
    }
    Ok((sink, spans, inputs))
}

/// Where a file's symbol comes from (see [`Input::symbol_from`]).
fn symbol_from(item: &Planned, opts: &ScanOptions) -> Option<String> {
    let from = if matches!(
        item.format,
        Format::Tardis | Format::BinanceDepthCsv | Format::Cryptofeed
    ) {
        "data"
    } else if item.info.symbol.is_none() {
        return None;
    } else if opts.symbol.is_some() && !item.snapshot_source {
        "option"
    } else {
        "file_name"
    };
    Some(from.to_string())
}

fn family_of(item: &Planned) -> Option<String> {
    match item.info.kind.as_deref() {
        Some("funding_rate" | "mark" | "premium" | "index") => None,
        _ if matches!(item.format, Format::BinanceKlines { .. }) => Some("candles".into()),
        Some("trades" | "aggTrades" | "depth" | "bookTicker" | "snap") => None,
        _ if item.info.interval.is_some() => Some("candles".into()),
        _ => None,
    }
}

fn walkdir_sorted(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))?;
        for e in rd {
            let e = e.map_err(|e| Error::io(&d, e))?;
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.')
                || name.ends_with(".CHECKSUM")
                || name.ends_with(".marks.jsonl")
            {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn plan_file(p: &Path) -> Result<Planned, Error> {
    let format = sniff(p)?;
    let info = name_info(p);
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let snapshot_source = (format == Format::Cryptofeed && name.contains(".http."))
        || (format == Format::BinanceDepthCsv && info.kind.as_deref() == Some("snap"));
    Ok(Planned {
        path: p.to_path_buf(),
        shown: Arc::from(p.display().to_string()),
        format,
        info,
        snapshot_source,
    })
}

/// A gap seen in every scanned symbol of the same stream kind that covers
/// its time is market-wide; otherwise it is the symbol's own.
fn judge_scope(findings: &mut [Finding], spans: &HashMap<Meta, (i64, i64)>) {
    let range = |f: &Finding| -> Option<(i64, i64)> {
        if f.kind != Kind::Gap {
            return None;
        }
        match (f.unit, f.time_ms, f.from, f.to) {
            (Some(Unit::Ms), _, Some(a), Some(b)) => Some((a, b)),
            (_, Some([a, b]), _, _) => Some((a, b)),
            _ => None,
        }
    };
    let mut by_stream: BTreeMap<String, Vec<GapRef>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let (Some(r), Some(sym), Some(st)) = (range(f), &f.symbol, &f.stream) {
            by_stream
                .entry(st.clone())
                .or_default()
                .push((i, sym.clone(), r));
        }
    }
    for (stream, gaps) in by_stream {
        let symbols: Vec<(&Meta, &(i64, i64))> = spans
            .iter()
            .filter(|(m, _)| m.stream == stream && m.symbol.is_some())
            .collect();
        for (i, sym, (a, b)) in &gaps {
            let others: Vec<&str> = symbols
                .iter()
                .filter(|(m, s)| {
                    m.symbol.as_deref() != Some(sym.as_str())
                        && s.0 / 1000 <= *a
                        && *b <= s.1 / 1000
                })
                .filter_map(|(m, _)| m.symbol.as_deref())
                .collect();
            if others.is_empty() {
                continue;
            }
            let all = others.iter().all(|o| {
                gaps.iter()
                    .any(|(_, s2, (a2, b2))| s2 == o && a2 <= b && a <= b2)
            });
            if all {
                findings[*i].scope = Some(Scope::Market);
                findings[*i].message.push_str(&format!(
                    " — market-wide: {} other symbol(s) miss the same time",
                    others.len()
                ));
            }
        }
    }
}
