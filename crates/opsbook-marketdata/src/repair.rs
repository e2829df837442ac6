//! Non-destructive repair (D-DATA-REPAIR), in the order the data-integrity
//! spec gives: **mark** (a sidecar JSONL manifest next to each data file,
//! carrying the file's SHA-256), **quarantine** (move, hard-link or copy the
//! affected files aside with a manifest; never deletes, never overwrites,
//! verified by hash) and **backfill plan** (the exact REST and archive
//! requests, with data.binance.vision `.CHECKSUM` files and republished
//! archives flagged). Nothing here edits or deletes an original.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::report::{Finding, Kind, Report, Unit};

/// Streams a file through SHA-256; lower-case hex.
///
/// # Errors
/// [`Error::Io`].
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// One line of a marks sidecar (`<data file>.marks.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// The finding kind (`gap`, `duplicate`, `no_trade`, …).
    pub kind: Kind,
    /// The data file's name (the sidecar sits beside it).
    pub file: String,
    /// SHA-256 of the data file when marked: a mark is void for other bytes.
    pub sha256: String,
    /// 1-based line or row of the finding.
    pub line: Option<u64>,
    /// Symbol.
    pub symbol: Option<String>,
    /// Stream.
    pub stream: Option<String>,
    /// First affected ID or time.
    pub from: Option<i64>,
    /// Last affected ID or time (inclusive).
    pub to: Option<i64>,
    /// How many.
    pub count: u64,
    /// What `from`/`to` count.
    pub unit: Option<Unit>,
    /// The scan's message.
    pub message: String,
    /// When marked (RFC 3339 UTC).
    pub marked_at: String,
    /// Who or what marked it (incident ID, operator), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// What makes two marks the same: the finding and the file's bytes.
type MarkKey = (
    Kind,
    Option<u64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    String,
);

impl Mark {
    fn key(&self) -> MarkKey {
        (
            self.kind,
            self.line,
            self.symbol.clone(),
            self.stream.clone(),
            self.from,
            self.to,
            self.sha256.clone(),
        )
    }
}

/// What `mark` wrote for one data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkOutcome {
    /// The sidecar written.
    pub sidecar: PathBuf,
    /// The data file's SHA-256.
    pub sha256: String,
    /// Marks added now.
    pub added: usize,
    /// Marks that were already there (same finding, same file bytes).
    pub kept: usize,
}

/// The sidecar path for a data file: `<file>.marks.jsonl`.
pub fn sidecar_for(data: &Path) -> PathBuf {
    let mut s = data.as_os_str().to_owned();
    s.push(".marks.jsonl");
    PathBuf::from(s)
}

/// Resolves a finding's file against `base` (the directory the scan ran in).
fn resolve(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Writes the report's findings into a marks sidecar beside each data file
/// (append-only in effect: existing lines are kept byte for byte, new ones
/// appended, the file replaced atomically; a finding already marked for the
/// same file bytes is not added twice).
///
/// # Errors
/// I/O errors; a sidecar line that is not a mark ([`Error::Record`]).
pub fn mark(
    report: &Report,
    base: &Path,
    reference: Option<&str>,
) -> Result<Vec<MarkOutcome>, Error> {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if !f.file.is_empty() {
            by_file.entry(f.file.as_str()).or_default().push(f);
        }
    }
    let mut out = Vec::new();
    for (file, findings) in by_file {
        let data = resolve(base, file);
        let sha = sha256_file(&data)?;
        let side = sidecar_for(&data);
        let existing = match std::fs::read(&side) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&side, e)),
        };
        let mut seen = BTreeSet::new();
        for (i, l) in existing.split(|b| *b == b'\n').enumerate() {
            if l.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let m: Mark = serde_json::from_slice(l).map_err(|e| {
                Error::record(
                    &side,
                    i as u64 + 1,
                    format!("expected a mark (JSON object): {e}"),
                )
            })?;
            seen.insert(m.key());
        }
        let kept = seen.len();
        let mut bytes = existing.clone();
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        let name = data
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let at = now();
        let mut added = 0;
        for f in findings {
            let m = Mark {
                kind: f.kind,
                file: name.clone(),
                sha256: sha.clone(),
                line: f.line,
                symbol: f.symbol.clone(),
                stream: f.stream.clone(),
                from: f.from,
                to: f.to,
                count: f.count,
                unit: f.unit,
                message: f.message.clone(),
                marked_at: at.clone(),
                reference: reference.map(str::to_string),
            };
            if seen.insert(m.key()) {
                bytes.extend_from_slice(serde_json::to_string(&m).unwrap_or_default().as_bytes());
                bytes.push(b'\n');
                added += 1;
            }
        }
        if added > 0 {
            opsbook_core::fsutil::write_atomic(&side, &bytes).map_err(|e| Error::io(&side, e))?;
        }
        out.push(MarkOutcome {
            sidecar: side,
            sha256: sha,
            added,
            kept,
        });
    }
    Ok(out)
}

/// How quarantine sets a file aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineMode {
    /// Rename into quarantine (copy, verify, then remove the source across
    /// file systems): consumers no longer see the file.
    Move,
    /// Hard link (a copy where links are impossible): the original stays.
    Link,
    /// Copy: the original stays.
    Copy,
}

/// One line of `<dest>/quarantine.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// Where the file was.
    pub original: String,
    /// Where it is now.
    pub quarantined: String,
    /// SHA-256 (the same at both places, verified).
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// How it was set aside.
    pub mode: QuarantineMode,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Incident or operator reference, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Findings in the file, per kind.
    pub findings: BTreeMap<String, u64>,
    /// The affected line (row) ranges, `[first, last]`, for consumers that
    /// keep using a linked or copied file.
    pub ranges: Vec<[u64; 2]>,
}

/// Sets aside every file with a defect finding (or only `only`, if given)
/// into `dest`, and appends one manifest line per file to
/// `dest/quarantine.jsonl`. All targets are checked first: if any exists,
/// nothing is done ([`Error::Exists`]). Each copy is verified by SHA-256
/// before a move removes its source.
///
/// # Errors
/// [`Error::Exists`], I/O errors, a hash mismatch after copying.
pub fn quarantine(
    report: &Report,
    base: &Path,
    dest: &Path,
    mode: QuarantineMode,
    only: Option<&[String]>,
    reference: Option<&str>,
) -> Result<Vec<QuarantineEntry>, Error> {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if !f.file.is_empty()
            && f.kind.is_defect()
            && only.is_none_or(|o| o.iter().any(|x| x == &f.file))
        {
            by_file.entry(f.file.as_str()).or_default().push(f);
        }
    }
    let mut plan = Vec::new();
    for (file, fs) in &by_file {
        let src = resolve(base, file);
        let name = src
            .file_name()
            .ok_or_else(|| Error::Usage(format!("{file}: not a file")))?;
        let to = dest.join(name);
        if to.exists() {
            return Err(Error::Exists { path: to });
        }
        if !src.is_file() {
            return Err(Error::io(
                &src,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        plan.push((src, to, fs));
    }
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    let mut entries = Vec::new();
    for (src, to, fs) in plan {
        let sha = sha256_file(&src)?;
        let bytes = std::fs::metadata(&src)
            .map_err(|e| Error::io(&src, e))?
            .len();
        set_aside(&src, &to, mode)?;
        let got = sha256_file(&to)?;
        if got != sha {
            return Err(Error::Usage(format!(
                "{}: SHA-256 after copying is {got}, expected {sha}; the original is untouched",
                to.display()
            )));
        }
        if mode == QuarantineMode::Move && src.exists() {
            std::fs::remove_file(&src).map_err(|e| Error::io(&src, e))?;
        }
        let mut findings = BTreeMap::new();
        let mut ranges = Vec::new();
        for f in fs.iter() {
            *findings.entry(f.kind.as_str().to_string()).or_default() += 1;
            if let Some(l) = f.line {
                let last = match f.kind {
                    Kind::Duplicate
                    | Kind::Conflict
                    | Kind::OutOfOrder
                    | Kind::PossibleDuplicate => l + f.count.saturating_sub(1),
                    _ => l,
                };
                ranges.push([l, last]);
            }
        }
        ranges.sort_unstable();
        entries.push(QuarantineEntry {
            original: src.display().to_string(),
            quarantined: to.display().to_string(),
            sha256: sha,
            bytes,
            mode,
            at: now(),
            reference: reference.map(str::to_string),
            findings,
            ranges,
        });
    }
    if !entries.is_empty() {
        let manifest = dest.join("quarantine.jsonl");
        let mut bytes = match std::fs::read(&manifest) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&manifest, e)),
        };
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        for e in &entries {
            bytes.extend_from_slice(serde_json::to_string(e).unwrap_or_default().as_bytes());
            bytes.push(b'\n');
        }
        opsbook_core::fsutil::write_atomic(&manifest, &bytes)
            .map_err(|e| Error::io(&manifest, e))?;
    }
    Ok(entries)
}

/// Move (rename, else copy), link (else copy) or copy `src` to the new path
/// `to` through a temporary name, so `to` appears whole or not at all.
fn set_aside(src: &Path, to: &Path, mode: QuarantineMode) -> Result<(), Error> {
    if mode == QuarantineMode::Move && std::fs::rename(src, to).is_ok() {
        return Ok(());
    }
    if mode == QuarantineMode::Link && std::fs::hard_link(src, to).is_ok() {
        return Ok(());
    }
    let tmp = to.with_file_name(format!(
        ".{}.{}.tmp",
        to.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let r = (|| {
        std::fs::copy(src, &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        if to.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "appeared while copying",
            ));
        }
        std::fs::rename(&tmp, to)
    })();
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(to, e));
    }
    Ok(())
}

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
    /// What to check or know.
    pub note: String,
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
                        "Coinbase pages backwards: this returns trade_id < {}; keep trade_id {a}..={b}",
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
                            "IDs {id}..={}{}",
                            id + n - 1,
                            if endpoint == "historicalTrades" {
                                " (historicalTrades needs an API key header X-MBX-APIKEY)"
                            } else {
                                ""
                            }
                        ),
                    );
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
            note,
        });
    }
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
                    let _ = writeln!(out, "Invoke-RestMethod -Method Get -Uri '{}'", r.url);
                }
            }
        }
        for n in &self.not_planned {
            let _ = writeln!(out, "# not planned: {n}");
        }
        out
    }
}
