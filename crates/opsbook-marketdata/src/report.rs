//! The scan report: findings with file and line, their JSON shape, the human
//! rendering and the verdict → exit-code mapping (D-DATA-REPAIR).
//!
//! JSON (issue 16): `{"summary": {"files": N, "records": N, "findings":
//! {"<kind>": N}}, "findings": [{"kind", "file", "line", "symbol", "from",
//! "to", "count", "message", …}]}`. `from`/`to`/`count` are in the unit the
//! stream counts in, named by `unit` (`trade_id`, `agg_trade_id`,
//! `update_id`, `seq_id`, `sequence`, `ms` = milliseconds since the Unix
//! epoch, UTC, or `message`). Findings are sorted by file, line, kind, symbol
//! and `from`, so the same input gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// What a finding says about the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// IDs or time slots missing: `from`..=`to`, `count` of them.
    Gap,
    /// The same ID again with the same payload.
    Duplicate,
    /// Identical rows in a stream without IDs: reported, never deleted.
    PossibleDuplicate,
    /// The same ID (or time slot) again with a different payload.
    Conflict,
    /// An ID that does not advance (a keep-alive or a frozen feed); not a gap.
    Stale,
    /// An ID lower than one already seen that was missing until then.
    OutOfOrder,
    /// An update stream that does not connect to its snapshot: re-snapshot,
    /// never apply.
    NoBridge,
    /// A book checksum that fails: the first failing message and how many
    /// failed after it until the next snapshot.
    Checksum,
    /// Receive time before exchange time (the local clock is behind), a
    /// delivery stall, or a timestamp off its interval grid.
    Clock,
    /// A stream that carries nothing to check (no ID, no sequence, no
    /// checksum): said, never passed silently.
    NoCheck,
    /// A missing candle that a coarser series proves was a minute without
    /// trades (informational: not a defect).
    NoTrade,
    /// A record that could not be read (a trade ID that is not an integer,
    /// a missing column): reported at its line and skipped; the scan goes on.
    Malformed,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 12] = [
        Kind::Gap,
        Kind::Duplicate,
        Kind::PossibleDuplicate,
        Kind::Conflict,
        Kind::Stale,
        Kind::OutOfOrder,
        Kind::NoBridge,
        Kind::Checksum,
        Kind::Clock,
        Kind::NoCheck,
        Kind::NoTrade,
        Kind::Malformed,
    ];

    /// The JSON name (`out_of_order`, `no_bridge`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gap => "gap",
            Kind::Duplicate => "duplicate",
            Kind::PossibleDuplicate => "possible_duplicate",
            Kind::Conflict => "conflict",
            Kind::Stale => "stale",
            Kind::OutOfOrder => "out_of_order",
            Kind::NoBridge => "no_bridge",
            Kind::Checksum => "checksum",
            Kind::Clock => "clock",
            Kind::NoCheck => "no_check",
            Kind::NoTrade => "no_trade",
            Kind::Malformed => "malformed",
        }
    }

    /// Whether the kind makes the verdict "findings" (exit 1). `stale`
    /// (an exchange keep-alive) and `no_trade` (proven quiet minutes) are
    /// reported but are not defects of the data.
    pub fn is_defect(self) -> bool {
        !matches!(self, Kind::Stale | Kind::NoTrade)
    }
}

/// What `from`/`to`/`count` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Binance `t` / `trade Id`, Coinbase `trade_id`, any per-symbol trade ID.
    TradeId,
    /// Binance aggregate trade ID `a`.
    AggTradeId,
    /// Binance order-book update IDs `U`/`u`/`pu`.
    UpdateId,
    /// OKX `seqId`/`prevSeqId`.
    SeqId,
    /// Coinbase `sequence`.
    Sequence,
    /// Milliseconds since the Unix epoch, UTC (time slots, time ranges).
    Ms,
    /// Messages (checksums, clock findings): `from`/`to` are exchange times in ms.
    Message,
}

/// Whether a gap is seen in one symbol only or across the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Only this symbol misses the range: a recorder or per-symbol problem.
    Symbol,
    /// Every scanned symbol that covers the time misses it (exchange downtime
    /// or a recorder outage).
    Market,
}

/// One finding, at a file and line (text formats) or row (JSON arrays, Arrow,
/// Parquet; 1-based).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// The file as given to the scan.
    pub file: String,
    /// 1-based line (or row) where it was seen; `null` for a whole-file finding.
    pub line: Option<u64>,
    /// The symbol (`BTCUSDT`, `BTC-USD-220527`), when the stream names one.
    pub symbol: Option<String>,
    /// First missing / affected ID or time (see `unit`).
    pub from: Option<i64>,
    /// Last missing / affected ID or time (inclusive).
    pub to: Option<i64>,
    /// How many IDs, slots or messages.
    pub count: u64,
    /// One sentence for the operator, with the action when there is one.
    pub message: String,
    /// What `from`/`to`/`count` count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The stream within the file (`trades`, `aggTrades`, `depth`, `books`,
    /// `matches`, `klines_1m`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// The venue when the input names it (`BINANCE_FUTURES` from a
    /// cryptofeed file name, `tardis:bitmex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
    /// Gaps only: seen in this symbol alone or market-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Time range of a gap in ms UTC (`[before, after]`: the records on either
    /// side), used for backfill by time and the market-wide test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<[i64; 2]>,
}

/// What one input was read as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The file as given.
    pub file: String,
    /// The format it was read as (`binance-trades-csv`, `cryptofeed`, …).
    pub format: String,
    /// Records read (rows, messages).
    pub records: u64,
    /// The symbol the file's findings carry, when one symbol is known
    /// before reading (`--symbol`, or the file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// Where that symbol comes from: `option` (`--symbol`), `data` (a
    /// column or field of each record, which wins) or `file_name` (a guess:
    /// said so in the human report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol_from: Option<String>,
    /// The member read from a `.zip` archive: its findings' lines are the
    /// member's lines (their `file` stays the archive, which mark and
    /// quarantine act on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Files scanned.
    pub files: u64,
    /// Records read across all files.
    pub records: u64,
    /// Findings per kind (every kind present, zero included).
    pub findings: BTreeMap<String, u64>,
    /// Findings counted but not listed (past the per-kind listing limit).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A scan's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Totals.
    pub summary: Summary,
    /// Findings in deterministic order.
    pub findings: Vec<Finding>,
    /// What each input was read as.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// What the operator should know about how the scan was run (a
    /// `--symbol` that replaces the symbol a file name says).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The verdict of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No defect found (informational findings may exist).
    Clean,
    /// At least one defect.
    Findings,
}

impl Verdict {
    /// 0 clean, 1 findings (2 is the caller's: usage or I/O error).
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::Findings => 1,
        }
    }
}

impl Report {
    /// Builds a report: sorts the findings and fills the per-kind counts
    /// (`counted` adds findings that were counted but not listed).
    pub fn new(
        mut findings: Vec<Finding>,
        inputs: Vec<Input>,
        counted: &BTreeMap<Kind, u64>,
    ) -> Report {
        sort_findings(&mut findings);
        let mut per_kind: BTreeMap<String, u64> = Kind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), 0))
            .collect();
        for f in &findings {
            *per_kind.entry(f.kind.as_str().to_string()).or_default() += 1;
        }
        let mut omitted = 0;
        for (k, n) in counted {
            *per_kind.entry(k.as_str().to_string()).or_default() += n;
            omitted += n;
        }
        Report {
            summary: Summary {
                files: inputs.len() as u64,
                records: inputs.iter().map(|i| i.records).sum(),
                findings: per_kind,
                omitted,
            },
            findings,
            inputs,
            warnings: Vec::new(),
        }
    }

    /// Whether the only defects are `no_check` (nothing wrong was found,
    /// but something could not be checked: still exit 1).
    pub fn only_no_check(&self) -> bool {
        let no_check = Kind::NoCheck.as_str();
        self.summary
            .findings
            .iter()
            .any(|(k, n)| k == no_check && *n > 0)
            && self.summary.findings.iter().all(|(k, n)| {
                *n == 0 || k == no_check || kind_from_str(k).is_some_and(|k| !k.is_defect())
            })
    }

    /// Clean unless a defect kind was found ([`Kind::is_defect`]).
    pub fn verdict(&self) -> Verdict {
        let defects = self
            .summary
            .findings
            .iter()
            .filter(|(k, n)| **n > 0 && kind_from_str(k).is_none_or(Kind::is_defect))
            .count();
        if defects == 0 {
            Verdict::Clean
        } else {
            Verdict::Findings
        }
    }

    /// Process exit code for the verdict: 0 clean, 1 findings.
    pub fn exit_code(&self) -> u8 {
        self.verdict().exit_code()
    }

    /// Number of findings of one kind (listed and omitted).
    pub fn count(&self, kind: Kind) -> u64 {
        self.summary
            .findings
            .get(kind.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// Reads a report written by [`Report::to_json`] (for `mark`,
    /// `quarantine` and `backfill-plan` run from a saved scan).
    ///
    /// # Errors
    /// The JSON error, with its line and column.
    pub fn from_json(s: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(s)
    }

    /// The report as pretty JSON (the shape, plus `inputs`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A human rendering: one line per finding (`file:line: kind [symbol]
    /// message`), then the totals and the verdict.
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let at = match f.line {
                Some(l) => format!("{}:{l}", f.file),
                None => f.file.clone(),
            };
            let sym = f
                .symbol
                .as_deref()
                .map(|s| match &f.stream {
                    Some(st) => format!(" [{s} {st}]"),
                    None => format!(" [{s}]"),
                })
                .unwrap_or_default();
            let scope = match f.scope {
                Some(Scope::Market) => " (market-wide)",
                _ => "",
            };
            let _ = writeln!(out, "{at}: {}{sym}{scope}: {}", f.kind.as_str(), f.message);
        }
        for i in &self.inputs {
            if let Some(m) = &i.member {
                let _ = writeln!(
                    out,
                    "{}: read its member {m} (the lines above are {m}'s)",
                    i.file
                );
            }
            if let (Some(sym), Some("file_name")) = (&i.symbol, i.symbol_from.as_deref()) {
                let _ = writeln!(
                    out,
                    "{}: symbol {sym} guessed from the file name (state it with --symbol SYMBOL if that is wrong)",
                    i.file
                );
            }
        }
        if self.summary.omitted > 0 {
            let _ = writeln!(
                out,
                "… {} more findings counted but not listed (use --format json for the counts)",
                self.summary.omitted
            );
        }
        let counts: Vec<String> = self
            .summary
            .findings
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        let _ = writeln!(
            out,
            "{} file(s), {} record(s): {}",
            self.summary.files,
            self.summary.records,
            if counts.is_empty() {
                "no findings".to_string()
            } else {
                counts.join(", ")
            }
        );
        let _ = writeln!(
            out,
            "verdict: {}",
            match self.verdict() {
                Verdict::Clean => "clean",
                Verdict::Findings if self.only_no_check() => {
                    "not verified (exit 1): nothing wrong was found, but what no_check names could not be checked; a stream opsbook cannot check is never reported clean"
                }
                Verdict::Findings => "findings (exit 1)",
            }
        );
        out
    }
}

/// Parses a kind's JSON name.
pub fn kind_from_str(s: &str) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| k.as_str() == s)
}

fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then(a.line.cmp(&b.line))
            .then(a.kind.cmp(&b.kind))
            .then(a.symbol.cmp(&b.symbol))
            .then(a.stream.cmp(&b.stream))
            .then(a.from.cmp(&b.from))
            .then(a.to.cmp(&b.to))
            .then(a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: Kind, line: u64) -> Finding {
        Finding {
            kind,
            file: "a.csv".into(),
            line: Some(line),
            symbol: Some("BTCUSDT".into()),
            from: Some(3),
            to: Some(4),
            count: 2,
            message: "m".into(),
            unit: Some(Unit::TradeId),
            stream: Some("trades".into()),
            venue: None,
            scope: None,
            time_ms: None,
        }
    }

    #[test]
    fn json_shape_and_order_and_exit_code() {
        let r = Report::new(
            vec![f(Kind::Gap, 9), f(Kind::Duplicate, 2)],
            vec![Input {
                file: "a.csv".into(),
                format: "binance-trades-csv".into(),
                records: 10,
                symbol: None,
                symbol_from: None,
                member: None,
            }],
            &BTreeMap::new(),
        );
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["summary"]["files"], 1);
        assert_eq!(v["summary"]["records"], 10);
        assert_eq!(v["summary"]["findings"]["gap"], 1);
        assert_eq!(v["summary"]["findings"]["no_bridge"], 0);
        assert_eq!(v["findings"][0]["kind"], "duplicate");
        assert_eq!(v["findings"][1]["line"], 9);
        assert_eq!(v["findings"][1]["from"], 3);
        assert_eq!(r.exit_code(), 1);
        let back: Report = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn informational_kinds_keep_the_verdict_clean() {
        let r = Report::new(
            vec![f(Kind::NoTrade, 1), f(Kind::Stale, 2)],
            vec![],
            &BTreeMap::new(),
        );
        assert_eq!(r.verdict(), Verdict::Clean);
        assert_eq!(r.exit_code(), 0);
        assert!(r.render_human().contains("verdict: clean"));
        let r = Report::new(vec![f(Kind::NoCheck, 1)], vec![], &BTreeMap::new());
        assert_eq!(r.exit_code(), 1, "no_check never passes silently");
    }
}
