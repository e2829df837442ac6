//! Damaged copies made in a temporary directory from real recordings (read
//! by path, never kept in the project) and from generated Binance-format
//! files: each damage is found at the line where it is, and the undamaged
//! copy gives no finding.
#![allow(clippy::unwrap_used)] // test helpers: a failure is the test failing

use std::path::{Path, PathBuf};

use opsbook_marketdata::repair::{self, Market, QuarantineMode};
use opsbook_marketdata::{Kind, Report, ScanOptions, Unit, scan};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel)
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn run(paths: &[PathBuf]) -> Report {
    scan(paths, &ScanOptions::default()).unwrap()
}

#[test]
fn real_trades_csv_dropped_swapped_duplicated_and_changed_rows() {
    let t = tempfile::tempdir().unwrap();
    let src = lines(&corpus(
        "freqtrade-testdata/tests/testdata/orderflow/public_trades_list.csv",
    ));
    let clean = write(t.path(), "clean.csv", &src);
    assert!(run(&[clean]).findings.is_empty());

    // Drop data rows at lines 101 and 102 (IDs 1206419286, 1206419287).
    let mut d = src.clone();
    d.drain(100..102);
    let r = run(&[write(t.path(), "dropped.csv", &d)]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(
        (f.kind, f.line, f.from, f.to, f.count),
        (
            Kind::Gap,
            Some(101),
            Some(1_206_419_286),
            Some(1_206_419_287),
            2
        )
    );
    assert!(f.time_ms.is_some());

    // Swap lines 201 and 202: the second of the pair is out of order, no gap.
    let mut s = src.clone();
    s.swap(200, 201);
    let r = run(&[write(t.path(), "swapped.csv", &s)]);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    assert_eq!(
        (r.findings[0].kind, r.findings[0].line),
        (Kind::OutOfOrder, Some(202))
    );

    // Line 301 repeated (with a new pandas index, which is not payload): duplicate at 302.
    let mut u = src.clone();
    let again = u[300]
        .split_once(',')
        .map(|(_, rest)| format!("9999,{rest}"))
        .unwrap();
    u.insert(301, again.clone());
    // And the same ID with another price at line 402: conflict.
    let mut parts: Vec<String> = u[400].split(',').map(str::to_string).collect();
    parts[5].push('1');
    u.insert(401, parts.join(","));
    let r = run(&[write(t.path(), "dup.csv", &u)]);
    let kinds: Vec<_> = r.findings.iter().map(|f| (f.kind, f.line)).collect();
    assert_eq!(
        kinds,
        vec![(Kind::Duplicate, Some(302)), (Kind::Conflict, Some(402))],
        "{:#?}",
        r.findings
    );
}

/// A generated Binance spot aggTrades file (headerless, µs times as from 2025).
fn agg_rows(n: u64) -> Vec<String> {
    (0..n)
        .map(|i| {
            let a = 1000 + i;
            let f = 5000 + 2 * i;
            format!(
                "{a},0.2000000{},{}.00000000,{f},{},{},True,True",
                i % 10,
                1 + i % 7,
                f + 1,
                1_735_689_600_000_000 + i * 1_500
            )
        })
        .collect()
}

#[test]
fn generated_binance_aggtrades_across_daily_files() {
    let t = tempfile::tempdir().unwrap();
    let rows = agg_rows(2000);
    let day1 = write(t.path(), "BTCUSDT-aggTrades-2025-01-01.csv", &rows[..1000]);
    let day2 = write(t.path(), "BTCUSDT-aggTrades-2025-01-02.csv", &rows[1000..]);
    let r = run(&[day2.clone(), day1.clone()]);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.inputs[0].format, "binance-aggtrades-csv");

    // A lost file boundary: the second day starts 10 aggregates later.
    let day2b = write(t.path(), "BTCUSDT-aggTrades-2025-01-02.csv", &rows[1010..]);
    let r = run(&[day1.clone(), day2b]);
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(
        (f.kind, f.line, f.count, f.unit),
        (Kind::Gap, Some(1), 10, Some(Unit::AggTradeId))
    );
    assert!(f.file.ends_with("2025-01-02.csv"));

    // A broken f/l chain inside a contiguous `a` run: trade IDs missing.
    let mut broken = rows[..1000].to_vec();
    broken[500] = broken[500].replacen(",6000,", ",6003,", 1);
    let r = run(&[write(t.path(), "ETHUSDT-aggTrades-2025-01-01.csv", &broken)]);
    let f = &r.findings[0];
    assert_eq!(
        (f.kind, f.line, f.unit, f.from, f.to),
        (
            Kind::Gap,
            Some(501),
            Some(Unit::TradeId),
            Some(6000),
            Some(6002)
        )
    );

    // Backfill plan: REST by fromId and the daily archives of the gap's time.
    let list = repair::read_republished(&corpus(
        "binance-public-data/updates/2022-10-04_aggregate_trade_updates.csv",
    ))
    .unwrap();
    let day2b = t.path().join("BTCUSDT-aggTrades-2025-01-02.csv");
    let r = run(&[day1, day2b]);
    let plan = repair::backfill_plan(&r, Market::Spot, &list);
    assert_eq!(
        plan.requests[0].url,
        "https://api.binance.com/api/v3/aggTrades?symbol=BTCUSDT&fromId=2000&limit=10"
    );
    let archive = plan.requests.iter().find(|q| q.kind == "archive").unwrap();
    assert_eq!(
        archive.url,
        "https://data.binance.vision/data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.zip"
    );
    assert_eq!(
        archive.checksum_url.as_deref(),
        Some(
            "https://data.binance.vision/data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.zip.CHECKSUM"
        )
    );
    let ps = plan.render_powershell();
    assert!(ps.contains("Invoke-RestMethod -Method Get -Uri 'https://api.binance.com/api/v3/aggTrades?symbol=BTCUSDT&fromId=2000&limit=10' -OutFile 'aggTrades-BTCUSDT-2000.json'"), "{ps}");
    // aggTrades is public: no key header.
    assert!(!ps.contains("X-MBX-APIKEY"), "{ps}");
    assert!(plan.requests[0].api_key_header.is_none());
    assert!(ps.contains("Get-FileHash"));
}

#[test]
fn a_historical_trades_backfill_carries_the_api_key_header_and_a_human_range() {
    let t = tempfile::tempdir().unwrap();
    // Binance spot trades, IDs 100..=110 with 102 and 103 dropped.
    let rows: Vec<String> = (100..=110u64)
        .filter(|i| *i != 102 && *i != 103)
        .map(|i| format!("{i},2.0,3.0,6.0,{},true,true", 1_735_689_600_000_000 + i))
        .collect();
    let r = run(&[write(t.path(), "BTCUSDT-trades-2025-01-01.csv", &rows)]);
    assert_eq!(r.count(Kind::Gap), 1, "{:#?}", r.findings);
    let gap = &r.findings[0];
    assert!(
        gap.message.contains("missing 2 IDs, 102 to 103"),
        "{}",
        gap.message
    );
    assert!(!gap.message.contains("..="), "{}", gap.message);
    let plan = repair::backfill_plan(&r, Market::Spot, &Default::default());
    let rest = &plan.requests[0];
    assert_eq!(
        rest.url,
        "https://api.binance.com/api/v3/historicalTrades?symbol=BTCUSDT&fromId=102&limit=2"
    );
    assert_eq!(rest.api_key_header.as_deref(), Some("X-MBX-APIKEY"));
    assert!(
        rest.note.starts_with("IDs 102 to 103 (2 IDs)"),
        "{}",
        rest.note
    );
    let ps = plan.render_powershell();
    assert!(
        ps.contains("Invoke-RestMethod -Method Get -Uri 'https://api.binance.com/api/v3/historicalTrades?symbol=BTCUSDT&fromId=102&limit=2' -Headers @{ 'X-MBX-APIKEY' = $env:BINANCE_API_KEY } -OutFile 'historicalTrades-BTCUSDT-102.json'"),
        "{ps}"
    );
    assert!(!ps.contains("..="), "{ps}");
    // The printed PowerShell parses as PowerShell would read it: one
    // hashtable, quoted URL (no bare `&`).
    let line = ps
        .lines()
        .find(|l| l.contains("historicalTrades?"))
        .unwrap();
    assert_eq!(line.matches("@{").count(), 1);
    assert_eq!(line.matches('\'').count() % 2, 0, "{line}");
    // One missing ID reads as one.
    let rows: Vec<String> = [1u64, 2, 4]
        .iter()
        .map(|i| format!("{i},2.0,3.0,6.0,{},true,true", 1_735_689_600_000_000 + i))
        .collect();
    let r = run(&[write(t.path(), "ETHUSDT-trades-2025-01-01.csv", &rows)]);
    assert!(
        r.findings[0].message.contains("missing ID 3"),
        "{}",
        r.findings[0].message
    );
    let plan = repair::backfill_plan(&r, Market::Spot, &Default::default());
    assert!(
        plan.requests[0].note.starts_with("ID 3 ("),
        "{}",
        plan.requests[0].note
    );
}

#[test]
fn backfill_flags_a_republished_archive() {
    let list = repair::read_republished(&corpus(
        "binance-public-data/updates/2022-10-04_aggregate_trade_updates.csv",
    ))
    .unwrap();
    let t = tempfile::tempdir().unwrap();
    // BNBBTC aggregate trades of January 2018 (a republished month) with a hole.
    let rows: Vec<String> = (0..20u64)
        .filter(|i| *i != 7)
        .map(|i| {
            format!(
                "{},0.001,1.0,{},{},{},True,True",
                100 + i,
                200 + i,
                200 + i,
                1_515_000_000_000 + i * 1000
            )
        })
        .collect();
    let r = run(&[write(t.path(), "BNBBTC-aggTrades-2018-01-03.csv", &rows)]);
    assert_eq!(r.count(Kind::Gap), 1);
    let plan = repair::backfill_plan(&r, Market::Spot, &list);
    let a = plan.requests.iter().find(|q| q.kind == "archive").unwrap();
    assert!(
        a.note
            .contains("BNBBTC-aggTrades-2018-01.zip was REPUBLISHED"),
        "{}",
        a.note
    );
    assert!(a.note.contains(&list["BNBBTC-aggTrades-2018-01"].new));

    // A downloaded copy whose hash is the superseded original is flagged.
    let zip = t.path().join("BNBBTC-aggTrades-2018-01.zip");
    std::fs::write(&zip, b"not the real archive").unwrap();
    let sha = repair::sha256_file(&zip).unwrap();
    let mut fake = list.clone();
    fake.get_mut("BNBBTC-aggTrades-2018-01").unwrap().original = sha.clone();
    assert!(matches!(
        repair::check_archive(&zip, &fake).unwrap(),
        repair::ArchiveCheck::Superseded { .. }
    ));
    std::fs::write(
        t.path().join("BNBBTC-aggTrades-2018-01.zip.CHECKSUM"),
        format!("{sha}  BNBBTC-aggTrades-2018-01.zip\n"),
    )
    .unwrap();
    assert!(matches!(
        repair::check_archive(&zip, &list).unwrap(),
        repair::ArchiveCheck::Ok { .. }
    ));
}

#[test]
fn a_dropped_depth_event_is_a_gap_at_the_next_event_of_the_symbol() {
    let t = tempfile::tempdir().unwrap();
    let src = lines(&corpus(
        "cryptofeed-sample-data/sample_data/BINANCE_FUTURES.ws.1.0",
    ));
    let http = corpus("cryptofeed-sample-data/sample_data/BINANCE_FUTURES.http.0.0");
    let sushi: Vec<usize> = src
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("\"stream\":\"sushiusdt@depth@100ms\""))
        .map(|(i, _)| i)
        .collect();
    // Drop the 100th SUSHIUSDT depth event (well after the sync).
    let (drop, next) = (sushi[99], sushi[100]);
    let mut d = src.clone();
    d.remove(drop);
    let ws = write(t.path(), "BINANCE_FUTURES.ws.1.0", &d);
    let r = scan(
        &[ws],
        &ScanOptions {
            snapshots: vec![http],
            ..ScanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(
        (f.kind, f.symbol.as_deref(), f.line),
        (Kind::Gap, Some("SUSHIUSDT"), Some(next as u64))
    );
    assert!(f.message.contains("re-snapshot"));
}

#[test]
fn a_flipped_okx_book_level_fails_the_checksum_at_its_line() {
    let t = tempfile::tempdir().unwrap();
    let src = lines(&corpus("cryptofeed-sample-data/sample_data/OKX.ws.1.0"));
    let ok = write(t.path(), "OKX.ws.1.0", &src);
    assert_eq!(run(&[ok]).count(Kind::Checksum), 0);
    // The 10th BTC-USDT book update: change the size of its first level.
    let i = src
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.contains("\"channel\":\"books\",\"instId\":\"BTC-USDT\"")
                && l.contains("\"action\":\"update\"")
                && (l.contains("\"bids\":[[\"") || l.contains("\"asks\":[[\""))
        })
        .map(|(i, _)| i)
        .nth(9)
        .unwrap();
    let line = &src[i];
    let key = if line.contains("\"asks\":[[\"") {
        "\"asks\":[[\""
    } else {
        "\"bids\":[[\""
    };
    let start = line.find(key).unwrap() + key.len();
    let px_end = start + line[start..].find('"').unwrap();
    let sz_start = px_end + 3;
    let sz_end = sz_start + line[sz_start..].find('"').unwrap();
    let mut flipped = line.clone();
    flipped.replace_range(sz_start..sz_end, "123456");
    let mut d = src.clone();
    d[i] = flipped;
    let r = run(&[write(t.path(), "OKX.ws.1.0", &d)]);
    let c: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Checksum)
        .collect();
    assert_eq!(c.len(), 1, "{:#?}", c);
    assert_eq!(
        (c[0].line, c[0].symbol.as_deref()),
        (Some(i as u64 + 1), Some("BTC-USDT"))
    );
    assert!(c[0].count >= 1);
}

#[test]
fn a_dropped_bar_is_a_one_slot_gap_and_mark_quarantine_keep_everything() {
    let t = tempfile::tempdir().unwrap();
    let src = lines(&corpus(
        "nautilus-trader-testdata/tests/test_data/btc-perp-20211231-20220201_1m.csv",
    ));
    let mut d = src[..2001].to_vec();
    d.remove(1000);
    let p = write(t.path(), "btc-perp-20211231_1m.csv", &d);
    let r = scan(std::slice::from_ref(&p), &ScanOptions::default()).unwrap();
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(
        (f.kind, f.line, f.count, f.unit),
        (Kind::Gap, Some(1001), 1, Some(Unit::Ms))
    );

    // Mark: a sidecar with the file's SHA-256; marking twice adds nothing.
    let before = std::fs::read(&p).unwrap();
    let out = repair::mark(&r, Path::new(""), Some("INC-1")).unwrap();
    assert_eq!((out[0].added, out[0].kept), (1, 0));
    let out2 = repair::mark(&r, Path::new(""), Some("INC-1")).unwrap();
    assert_eq!((out2[0].added, out2[0].kept), (0, 1));
    let side = std::fs::read_to_string(repair::sidecar_for(&p)).unwrap();
    assert_eq!(side.lines().count(), 1);
    let m: repair::Mark = serde_json::from_str(side.lines().next().unwrap()).unwrap();
    assert_eq!(m.sha256, repair::sha256_file(&p).unwrap());
    assert_eq!(
        std::fs::read(&p).unwrap(),
        before,
        "the data file is untouched"
    );

    // Quarantine by link: the original stays, the copy hashes the same, a manifest line.
    let q = t.path().join("quarantine/INC-1");
    let e = repair::quarantine(
        &r,
        Path::new(""),
        &q,
        QuarantineMode::Link,
        None,
        Some("INC-1"),
    )
    .unwrap();
    assert_eq!(e.len(), 1);
    assert!(p.exists());
    assert_eq!(e[0].ranges, vec![[1001, 1001]]);
    assert_eq!(
        repair::sha256_file(&q.join("btc-perp-20211231_1m.csv")).unwrap(),
        e[0].sha256
    );
    // Refuses to overwrite what is there.
    let again = repair::quarantine(&r, Path::new(""), &q, QuarantineMode::Move, None, None);
    assert!(matches!(
        again,
        Err(opsbook_marketdata::Error::Exists { .. })
    ));
    assert!(p.exists(), "nothing moved after a refusal");
    // Move into a fresh place: gone from the original place, whole at the new one.
    let q2 = t.path().join("quarantine/INC-2");
    let e = repair::quarantine(&r, Path::new(""), &q2, QuarantineMode::Move, None, None).unwrap();
    assert!(!p.exists());
    assert_eq!(
        std::fs::read(q2.join("btc-perp-20211231_1m.csv")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_to_string(q2.join("quarantine.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    assert_eq!(e[0].mode, QuarantineMode::Move);
}

#[test]
fn market_wide_versus_single_symbol_gaps() {
    let t = tempfile::tempdir().unwrap();
    let k = |sym: &str, skip: &[u64]| -> PathBuf {
        let rows: Vec<String> = (0..60u64)
            .filter(|m| !skip.contains(m))
            .map(|m| {
                format!(
                    "{},1,2,0.5,1.5,{},{},3,4,5,6,0",
                    1_700_000_000_000 + m * 60_000,
                    10 + m,
                    1_700_000_000_000 + m * 60_000 + 59_999
                )
            })
            .collect();
        write(t.path(), &format!("{sym}-1m-2023-11-14.csv"), &rows)
    };
    let a = k("AAAUSDT", &[10, 11, 40]);
    let b = k("BBBUSDT", &[10, 11]);
    let c = k("CCCUSDT", &[10, 11]);
    let r = run(&[a, b, c]);
    let gaps: Vec<_> = r.findings.iter().filter(|f| f.kind == Kind::Gap).collect();
    assert_eq!(gaps.len(), 4, "{:#?}", gaps);
    let market = gaps
        .iter()
        .filter(|f| f.scope == Some(opsbook_marketdata::Scope::Market))
        .count();
    assert_eq!(market, 3, "minutes 10-11 miss everywhere");
    let single: Vec<_> = gaps
        .iter()
        .filter(|f| f.scope == Some(opsbook_marketdata::Scope::Symbol))
        .collect();
    assert_eq!(
        (single.len(), single[0].symbol.as_deref()),
        (1, Some("AAAUSDT"))
    );
    assert_eq!(r.inputs[0].format, "binance-klines-csv");
}

#[test]
fn bad_input_names_file_and_line() {
    let t = tempfile::tempdir().unwrap();
    let p = write(
        t.path(),
        "BTCUSDT-trades-2025-01-01.csv",
        &[
            "1,2.0,3.0,6.0,1735689600000000,true,true".into(),
            "x2,2.0,3.0,6.0,1735689600000001,true,true".into(),
        ],
    );
    // One bad trade ID is reported at its line and skipped: the rows after
    // it are still checked (the ID 3 missing after it is found too).
    let good = write(
        t.path(),
        "BTCUSDT-trades-2025-01-02.csv",
        &[
            "1,2.0,3.0,6.0,1735776000000000,true,true".into(),
            "x2,2.0,3.0,6.0,1735776000000001,true,true".into(),
            "2,2.0,3.0,6.0,1735776000000002,true,true".into(),
            "4,2.0,3.0,6.0,1735776000000003,true,true".into(),
        ],
    );
    let r = scan(&[good], &ScanOptions::default()).unwrap();
    let kinds: Vec<(Kind, Option<u64>)> = r.findings.iter().map(|f| (f.kind, f.line)).collect();
    assert_eq!(
        kinds,
        [(Kind::Malformed, Some(2)), (Kind::Gap, Some(4))],
        "{:#?}",
        r.findings
    );
    let m = &r.findings[0];
    assert!(
        m.message
            .contains("expected an integer trade ID in column 1, found `x2`")
            && m.message.contains("record skipped"),
        "{}",
        m.message
    );
    assert_eq!(r.summary.records, 3, "the skipped row is no record");
    let r = scan(&[p], &ScanOptions::default()).unwrap();
    assert_eq!(r.count(Kind::Malformed), 1);
    assert_eq!(
        r.findings[0].file.rsplit(['/', '\\']).next(),
        Some("BTCUSDT-trades-2025-01-01.csv")
    );
    let q = write(t.path(), "odd.csv", &["1,2,3,4,5".into()]);
    let e = scan(&[q], &ScanOptions::default()).unwrap_err().to_string();
    assert!(e.contains("odd.csv") && e.contains("5 columns"), "{e}");
}

#[test]
fn utf16_and_crlf_input_is_read() {
    let t = tempfile::tempdir().unwrap();
    let text = "1,2.0,3.0,6.0,1735689600000000,true,true\r\n2,2.0,3.0,6.0,1735689600000001,true,true\r\n4,2.0,3.0,6.0,1735689600000002,true,true\r\n";
    let mut b = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        b.extend_from_slice(&u.to_le_bytes());
    }
    let p = t.path().join("BTCUSDT-trades-2025-01-01.csv");
    std::fs::write(&p, b).unwrap();
    let r = run(&[p]);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(
        (r.findings[0].kind, r.findings[0].line, r.findings[0].from),
        (Kind::Gap, Some(3), Some(3))
    );
}

#[test]
fn monthly_klines_are_not_judged_on_a_fixed_grid() {
    let t = tempfile::tempdir().unwrap();
    // January, February, April 2024 (March missing): months differ in length.
    let rows: Vec<String> = [1_704_067_200_000i64, 1_706_745_600_000, 1_711_929_600_000]
        .iter()
        .map(|o| format!("{o},1,2,0.5,1.5,10,{},3,4,5,6,0", o + 1))
        .collect();
    let r = run(&[write(t.path(), "BTCUSDT-1mo-2024.csv", &rows)]);
    let kinds: Vec<_> = r.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, vec![Kind::NoCheck], "{:#?}", r.findings);
    assert!(r.findings[0].message.contains("calendar months"));
}

#[test]
fn the_symbol_is_stated_with_the_option_or_said_to_be_guessed_from_the_file_name() {
    let t = tempfile::tempdir().unwrap();
    let rows: Vec<String> = [1u64, 2, 4]
        .iter()
        .map(|i| format!("{i},2.0,3.0,6.0,{},true,true", 1_735_689_600_000_000 + i))
        .collect();
    let p = write(t.path(), "BTCUSDT-trades-2025-01-01.csv", &rows);
    let guessed = run(std::slice::from_ref(&p));
    assert_eq!(guessed.findings[0].symbol.as_deref(), Some("BTCUSDT"));
    assert_eq!(
        (
            guessed.inputs[0].symbol.as_deref(),
            guessed.inputs[0].symbol_from.as_deref()
        ),
        (Some("BTCUSDT"), Some("file_name"))
    );
    let human = guessed.render_human();
    assert!(
        human.contains("symbol BTCUSDT guessed from the file name (state it with --symbol SYMBOL"),
        "{human}"
    );
    let stated = scan(
        std::slice::from_ref(&p),
        &ScanOptions {
            symbol: Some("ETHUSDT".into()),
            ..ScanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(stated.findings[0].symbol.as_deref(), Some("ETHUSDT"));
    assert_eq!(stated.inputs[0].symbol_from.as_deref(), Some("option"));
    // Replacing the file name's symbol is said; the option is upper-cased.
    assert_eq!(
        stated.warnings,
        [format!(
            "{}: --symbol ETHUSDT replaces BTCUSDT, the symbol its file name says",
            p.display()
        )]
    );
    let lower = scan(
        std::slice::from_ref(&p),
        &ScanOptions {
            symbol: Some("btcusdt".into()),
            ..ScanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(lower.findings[0].symbol.as_deref(), Some("BTCUSDT"));
    assert!(lower.warnings.is_empty(), "{:?}", lower.warnings);
    assert!(!stated.render_human().contains("guessed"));
    // The backfill plan asks for the stated symbol.
    let plan = repair::backfill_plan(&stated, Market::Spot, &Default::default());
    assert!(
        plan.requests[0].url.contains("symbol=ETHUSDT&"),
        "{}",
        plan.requests[0].url
    );
}
