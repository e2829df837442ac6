//! Backfill plans: the exact Binance REST pages (`fromId`, `startTime` /
//! `endTime`), data.binance.vision daily archives with their `.CHECKSUM`
//! files, Coinbase trade pages and re-snapshot requests that repair a scan's
//! findings; archives Binance republished (binance-public-data `updates/`)
//! are flagged, and a downloaded archive can be checked against both.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::sha256_file;
use crate::error::Error;
use crate::report::{Kind, Report, Unit};

/// Binance market of a stream, for URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    /// api.binance.com, data/spot.
    #[default]
    Spot,
    /// USD-M futures: fapi.binance.com, data/futures/um.
    UsdM,
    /// COIN-M futures: dapi.binance.com, data/futures/cm.
    CoinM,
}

impl Market {
    fn rest(self) -> (&'static str, &'static str) {
        match self {
            Market::Spot => ("https://api.binance.com", "/api/v3"),
            Market::UsdM => ("https://fapi.binance.com", "/fapi/v1"),
            Market::CoinM => ("https://dapi.binance.com", "/dapi/v1"),
        }
    }
    fn archive(self) -> &'static str {
        match self {
            Market::Spot => "https://data.binance.vision/data/spot",
            Market::UsdM => "https://data.binance.vision/data/futures/um",
            Market::CoinM => "https://data.binance.vision/data/futures/cm",
        }
    }
}

/// One request of a backfill plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// `rest`, `archive` or `resnapshot`.
    pub kind: String,
    /// The finding's file and line it repairs.
    pub for_finding: String,
    /// HTTP method.
    pub method: String,
    /// The exact URL.
    pub url: String,
    /// The archive's published checksum file, for archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_url: Option<String>,
    /// The header that carries the API key, when the endpoint needs one
    /// (Binance `historicalTrades`: `X-MBX-APIKEY`; the key only, never the
    /// secret — no signature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_header: Option<String>,
    /// What to check or know.
    pub note: String,
}

/// The environment variable the printed PowerShell reads the API key from.
pub const API_KEY_ENV: &str = "BINANCE_API_KEY";

/// `a to b (n IDs)`, or `a` alone: a range as an operator reads it.
fn id_range(a: i64, b: i64) -> String {
    if a == b {
        format!("ID {a}")
    } else {
        format!("IDs {a} to {b} ({} IDs)", b - a + 1)
    }
}

/// A backfill plan: the requests, in order, and findings it cannot repair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BackfillPlan {
    /// Requests.
    pub requests: Vec<Request>,
    /// Findings without a request (with the reason).
    pub not_planned: Vec<String>,
}

/// A republished archive: its original and new SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Republished {
    /// SHA-256 of the file first published.
    pub original: String,
    /// SHA-256 of the replacement.
    pub new: String,
}

/// Reads binance-public-data's `updates/*_updates.csv` (`File,Original File
/// Checksum,New File Checksum`, checksums as `<hex>  <name>.zip`) into
/// archive base name → checksums.
///
/// # Errors
/// I/O errors; a row that is not three fields with hex checksums.
pub fn read_republished(path: &Path) -> Result<HashMap<String, Republished>, Error> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    let mut out = HashMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| Error::record(path, i as u64 + 2, e.to_string()))?;
        let sum = |k: usize| {
            rec.get(k)
                .and_then(|s| s.split_whitespace().next())
                .map(str::to_ascii_lowercase)
        };
        match (rec.get(0), sum(1), sum(2)) {
            (Some(name), Some(o), Some(n)) if o.len() == 64 && n.len() == 64 => {
                out.insert(
                    name.trim().to_string(),
                    Republished {
                        original: o,
                        new: n,
                    },
                );
            }
            _ => {
                return Err(Error::record(
                    path,
                    i as u64 + 2,
                    "expected `File,Original File Checksum,New File Checksum` with SHA-256 hex values",
                ));
            }
        }
    }
    Ok(out)
}

/// Verdict on a downloaded archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ArchiveCheck {
    /// Matches its `.CHECKSUM` (and is not a superseded original).
    Ok { sha256: String },
    /// Does not match its `.CHECKSUM`.
    Mismatch { sha256: String, expected: String },
    /// The first-published bytes of an archive Binance later republished.
    Superseded { sha256: String, new: String },
    /// No `.CHECKSUM` beside it.
    NoChecksum { sha256: String },
}

/// Checks a data.binance.vision archive against its `.CHECKSUM` file
/// (`<hex>  <name>`) and the republished list.
///
/// # Errors
/// I/O errors.
pub fn check_archive(
    zip: &Path,
    republished: &HashMap<String, Republished>,
) -> Result<ArchiveCheck, Error> {
    let sha = sha256_file(zip)?;
    let stem = zip
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(r) = republished.get(&stem)
        && r.original == sha
    {
        return Ok(ArchiveCheck::Superseded {
            sha256: sha,
            new: r.new.clone(),
        });
    }
    let mut cs = zip.as_os_str().to_owned();
    cs.push(".CHECKSUM");
    let cs = PathBuf::from(cs);
    match std::fs::read_to_string(&cs) {
        Ok(t) => {
            let expected = t
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            Ok(if expected == sha {
                ArchiveCheck::Ok { sha256: sha }
            } else {
                ArchiveCheck::Mismatch {
                    sha256: sha,
                    expected,
                }
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(ArchiveCheck::NoChecksum { sha256: sha })
        }
        Err(e) => Err(Error::io(&cs, e)),
    }
}

/// Requests per REST page (Binance `limit` maximum for trades/aggTrades/klines).
const PAGE: i64 = 1000;

fn days(from_ms: i64, to_ms: i64) -> Vec<String> {
    let mut out = Vec::new();
    let day = 86_400_000;
    let mut d = from_ms.div_euclid(day);
    while d <= to_ms.div_euclid(day) && out.len() < 366 {
        if let Ok(t) = jiff::Timestamp::from_millisecond(d * day) {
            out.push(t.strftime("%Y-%m-%d").to_string());
        }
        d += 1;
    }
    out
}

/// Plans the requests that repair the report's findings: Binance REST pages
/// by `fromId` (trades, aggTrades) or `startTime`/`endTime` (klines), the
/// data.binance.vision daily archives covering the time and their
/// `.CHECKSUM` files (flagging archives listed as republished), Coinbase
/// trades pages, and a re-snapshot for broken books. `market` picks the
/// Binance hosts for streams whose venue does not say it.
pub fn backfill_plan(
    report: &Report,
    market: Market,
    republished: &HashMap<String, Republished>,
) -> BackfillPlan {
    let mut plan = BackfillPlan::default();
    for f in &report.findings {
        let at = match f.line {
            Some(l) => format!("{}:{l}", f.file),
            None => f.file.clone(),
        };
        let sym = f.symbol.clone().unwrap_or_default();
        let stream = f.stream.clone().unwrap_or_default();
        let venue = f.venue.clone().unwrap_or_default();
        let mkt = match venue.as_str() {
            "BINANCE_FUTURES" => Market::UsdM,
            "BINANCE_DELIVERY" => Market::CoinM,
            "BINANCE" => Market::Spot,
            _ => market,
        };
        let (host, api) = mkt.rest();
        let push = |plan: &mut BackfillPlan,
                    kind: &str,
                    url: String,
                    checksum: Option<String>,
                    note: String| {
            plan.requests.push(Request {
                kind: kind.into(),
                for_finding: at.clone(),
                method: "GET".into(),
                url,
                checksum_url: checksum,
                api_key_header: None,
                note,
            });
        };
        let coinbase = venue.starts_with("COINBASE") || stream == "matches";
        match (f.kind, f.unit, f.from, f.to) {
            (
                Kind::Gap | Kind::Conflict,
                Some(Unit::TradeId | Unit::AggTradeId),
                Some(a),
                Some(b),
            ) if coinbase => {
                push(
                    &mut plan,
                    "rest",
                    format!(
                        "https://api.exchange.coinbase.com/products/{sym}/trades?after={}&limit={PAGE}",
                        b + 1
                    ),
                    None,
                    format!(
                        "Coinbase pages backwards: this returns trade_id < {}; keep trade_id {a} to {b}",
                        b + 1
                    ),
                );
            }
            (
                Kind::Gap | Kind::Conflict,
                Some(u @ (Unit::TradeId | Unit::AggTradeId)),
                Some(a),
                Some(b),
            ) if !venue.starts_with("tardis") && !venue.starts_with("OKX") => {
                let (endpoint, kind_name) = if u == Unit::AggTradeId || stream == "aggTrades" {
                    ("aggTrades", "aggTrades")
                } else {
                    ("historicalTrades", "trades")
                };
                let mut id = a;
                while id <= b && plan.requests.len() < 100_000 {
                    let n = (b - id + 1).min(PAGE);
                    push(
                        &mut plan,
                        "rest",
                        format!("{host}{api}/{endpoint}?symbol={sym}&fromId={id}&limit={n}"),
                        None,
                        format!(
                            "{}{}",
                            id_range(id, id + n - 1),
                            if endpoint == "historicalTrades" {
                                " (historicalTrades needs the API key in the header X-MBX-APIKEY; no signature)"
                            } else {
                                ""
                            }
                        ),
                    );
                    if endpoint == "historicalTrades"
                        && let Some(r) = plan.requests.last_mut()
                    {
                        r.api_key_header = Some("X-MBX-APIKEY".into());
                    }
                    id += n;
                }
                if let Some([t0, t1]) = f.time_ms {
                    archives(
                        &mut plan,
                        &at,
                        mkt,
                        &sym,
                        kind_name,
                        None,
                        t0,
                        t1,
                        republished,
                    );
                }
            }
            (Kind::Gap | Kind::Conflict, Some(Unit::Ms), Some(a), Some(b))
                if stream.starts_with("candles_") || stream.starts_with("klines_") =>
            {
                let iv = stream.split('_').next_back().unwrap_or("1m").to_string();
                let Some(ivms) = crate::grid::parse_interval(&iv).map(|u| u / 1000) else {
                    plan.not_planned
                        .push(format!("{at}: unknown interval `{iv}`"));
                    continue;
                };
                let mut t = a;
                while t <= b && plan.requests.len() < 100_000 {
                    let end = (t + ivms * PAGE - 1).min(b + ivms - 1);
                    push(
                        &mut plan,
                        "rest",
                        format!("{host}{api}/klines?symbol={sym}&interval={iv}&startTime={t}&endTime={end}&limit={PAGE}"),
                        None,
                        "a slot the exchange returns nothing for had no trades (mark it no-trade; never interpolate)".into(),
                    );
                    t = end + 1;
                }
                archives(
                    &mut plan,
                    &at,
                    mkt,
                    &sym,
                    "klines",
                    Some(&iv),
                    a,
                    b,
                    republished,
                );
            }
            (Kind::NoBridge | Kind::Gap | Kind::Checksum, _, _, _) if stream == "depth" => {
                push(
                    &mut plan,
                    "resnapshot",
                    format!("{host}{api}/depth?symbol={}&limit=1000", sym.to_ascii_uppercase()),
                    None,
                    "diff-depth history cannot be re-fetched: take a new snapshot, buffer the stream, drop events with u < lastUpdateId and resume from the first bridging event".into(),
                );
            }
            (Kind::Checksum | Kind::NoBridge | Kind::Gap, _, _, _)
                if stream.starts_with("books") =>
            {
                push(
                    &mut plan,
                    "resnapshot",
                    "wss://ws.okx.com:8443/ws/v5/public".into(),
                    None,
                    format!(
                        "unsubscribe and subscribe {{\"channel\":\"{stream}\",\"instId\":\"{sym}\"}} again for a fresh snapshot"
                    ),
                );
            }
            (k, ..) if k.is_defect() && k != Kind::NoCheck && k != Kind::Clock => {
                plan.not_planned.push(format!(
                    "{at}: {} has no exchange request that repairs it: {}",
                    k.as_str(),
                    f.message
                ));
            }
            _ => {}
        }
    }
    plan
}

#[allow(clippy::too_many_arguments)]
fn archives(
    plan: &mut BackfillPlan,
    at: &str,
    mkt: Market,
    sym: &str,
    kind: &str,
    interval: Option<&str>,
    t0: i64,
    t1: i64,
    republished: &HashMap<String, Republished>,
) {
    let base = mkt.archive();
    let sym = sym.to_ascii_uppercase();
    for day in days(t0, t1) {
        let (dir, name) = match interval {
            Some(iv) => (
                format!("{base}/daily/{kind}/{sym}/{iv}"),
                format!("{sym}-{iv}-{day}"),
            ),
            None => (
                format!("{base}/daily/{kind}/{sym}"),
                format!("{sym}-{kind}-{day}"),
            ),
        };
        let month = &day[..7];
        let monthly = match interval {
            Some(iv) => format!("{sym}-{iv}-{month}"),
            None => format!("{sym}-{kind}-{month}"),
        };
        let mut note = "verify: the SHA-256 of the zip must equal the first field of its .CHECKSUM (Get-FileHash -Algorithm SHA256)".to_string();
        for n in [&name, &monthly] {
            if let Some(r) = republished.get(n.as_str()) {
                let _ = write!(
                    note,
                    "; {n}.zip was REPUBLISHED: a copy with SHA-256 {} is the superseded original, the current one is {}",
                    r.original, r.new
                );
            }
        }
        plan.requests.push(Request {
            kind: "archive".into(),
            for_finding: at.to_string(),
            method: "GET".into(),
            url: format!("{dir}/{name}.zip"),
            checksum_url: Some(format!("{dir}/{name}.zip.CHECKSUM")),
            api_key_header: None,
            note,
        });
    }
}

/// Where a REST answer is saved: the endpoint and the query's values
/// (`historicalTrades-BTCUSDT-102-2.json`), safe as a Windows file name.
fn rest_file(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut parts = vec![path.rsplit('/').next().unwrap_or("answer").to_string()];
    parts.extend(
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, _)| *k != "limit")
            .map(|(_, v)| v.to_string()),
    );
    let name: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}.json")
}

impl BackfillPlan {
    /// The plan as PowerShell lines an operator can run as printed.
    pub fn render_powershell(&self) -> String {
        let mut out = String::new();
        for r in &self.requests {
            let _ = writeln!(out, "# {} — {}", r.for_finding, r.note);
            match (r.kind.as_str(), &r.checksum_url) {
                ("archive", Some(cs)) => {
                    let name = r.url.rsplit('/').next().unwrap_or("archive.zip");
                    let _ = writeln!(out, "Invoke-WebRequest -Uri '{}' -OutFile '{name}'", r.url);
                    let _ = writeln!(
                        out,
                        "Invoke-WebRequest -Uri '{cs}' -OutFile '{name}.CHECKSUM'"
                    );
                    let _ = writeln!(
                        out,
                        "if ((Get-FileHash '{name}' -Algorithm SHA256).Hash -ne ((Get-Content '{name}.CHECKSUM') -split '\\s+')[0]) {{ throw 'checksum mismatch: {name}' }}"
                    );
                }
                ("resnapshot", _) if r.url.starts_with("wss://") => {
                    let _ = writeln!(out, "# re-subscribe on {}", r.url);
                }
                _ => {
                    let headers = r.api_key_header.as_ref().map_or_else(String::new, |h| {
                        format!(" -Headers @{{ '{h}' = $env:{API_KEY_ENV} }}")
                    });
                    let _ = writeln!(
                        out,
                        "Invoke-RestMethod -Method Get -Uri '{}'{headers} -OutFile '{}'",
                        r.url,
                        rest_file(&r.url)
                    );
                }
            }
        }
        for n in &self.not_planned {
            let _ = writeln!(out, "# not planned: {n}");
        }
        out
    }
}
