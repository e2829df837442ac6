//! Scans of the real recordings in ../shared/corpus, read by path (never
//! copied: three folders are copyleft). Every figure asserted here is in
//! `scripts/marketdata-figures.json`, computed by the independent
//! `scripts/marketdata-figures.py` (plain Python sharing no code with the
//! crate); the tests read that file so the two cannot drift apart silently.
#![allow(clippy::unwrap_used)] // test helpers: a failure is the test failing

use std::path::{Path, PathBuf};

use opsbook_marketdata::{Finding, Kind, Report, ScanOptions, scan};
use serde_json::Value;

fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel);
    assert!(p.exists(), "corpus file missing: {}", p.display());
    p
}

fn figures() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/marketdata-figures.json");
    serde_json::from_slice(&std::fs::read(p).expect("scripts/marketdata-figures.json"))
        .expect("JSON")
}

fn run(paths: &[PathBuf], opts: &ScanOptions) -> Report {
    scan(paths, opts).unwrap_or_else(|e| panic!("scan failed: {e}"))
}

fn of(r: &Report, k: Kind) -> Vec<&Finding> {
    r.findings.iter().filter(|f| f.kind == k).collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn nautilus_45031_gap_free_bars_give_no_finding() {
    let fig = figures();
    let r = run(
        &[corpus(
            "nautilus-trader-testdata/tests/test_data/btc-perp-20211231-20220201_1m.csv",
        )],
        &ScanOptions::default(),
    );
    assert_eq!(r.summary.records, u(&fig["nautilus_bars"]["rows"]));
    assert_eq!(r.summary.records, 45_031);
    assert_eq!(fig["nautilus_bars"]["missing_slots"], 0);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(r.inputs[0].format, "csv");
}

#[test]
fn nautilus_depth_update_does_not_bridge_its_snapshot() {
    let fig = &figures()["nautilus_depth"];
    assert_eq!(fig["bridges"], false);
    let dir = "nautilus-trader-testdata/tests/test_data/binance/";
    let opts = ScanOptions {
        snapshots: vec![corpus(&format!("{dir}btcusdt-depth-snap.csv"))],
        ..ScanOptions::default()
    };
    let r = run(&[corpus(&format!("{dir}btcusdt-depth-update.csv"))], &opts);
    assert_eq!(
        r.summary.records,
        u(&fig["update_rows"]) + u(&fig["snapshot_rows"])
    );
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.kind, Kind::NoBridge);
    assert_eq!(f.line, Some(2), "the event's first row");
    assert_eq!(f.count, u(&fig["events"]));
    assert_eq!(f.from, fig["last_update_id"].as_i64());
    assert_eq!(f.to, fig["first_event"][0].as_i64());
    assert!(f.message.contains("re-snapshot"));
    assert_eq!(r.exit_code(), 1);

    // Both files given as inputs: the snap file is recognised by name and read first.
    let r2 = run(
        &[
            corpus(&format!("{dir}btcusdt-depth-update.csv")),
            corpus(&format!("{dir}btcusdt-depth-snap.csv")),
        ],
        &ScanOptions::default(),
    );
    assert_eq!(
        r2.findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![Kind::NoBridge]
    );

    // Without a snapshot the chain cannot be anchored: said, not passed.
    let r3 = run(
        &[corpus(&format!("{dir}btcusdt-depth-update.csv"))],
        &ScanOptions::default(),
    );
    assert_eq!(of(&r3, Kind::NoCheck).len(), 1);
    assert_eq!(r3.exit_code(), 1);
}

#[test]
fn freqtrade_trades_in_every_format_are_contiguous() {
    let fig = figures();
    let t = "freqtrade-testdata/tests/testdata/";
    for (file, key) in [
        ("orderflow/public_trades_list.csv", "ft_public_trades"),
        ("XRP_ETH-trades.json.gz", "ft_xrp_eth_json"),
        ("XRP_OLD-trades.json.gz", "ft_xrp_old_json"),
        ("XRP_ETH-trades.parquet", "ft_xrp_eth_parquet"),
    ] {
        let r = run(&[corpus(&format!("{t}{file}"))], &ScanOptions::default());
        assert_eq!(r.summary.records, u(&fig[key]["rows"]), "{file}");
        assert!(r.findings.is_empty(), "{file}: {:#?}", r.findings);
        assert_eq!(r.exit_code(), 0);
    }
    // The old ccxt dicts carry aggregate trades: a/f/l are checked as such.
    let r = run(
        &[corpus(&format!("{t}XRP_OLD-trades.json.gz"))],
        &ScanOptions::default(),
    );
    assert_eq!(fig["ft_xrp_old_json"]["f_chain_breaks"], 0);
    assert!(r.findings.is_empty());
}

#[test]
fn nautilus_trades_parquet_is_contiguous() {
    let fig = &figures()["nautilus_trades_parquet"];
    let r = run(
        &[corpus(
            "nautilus-trader-testdata/tests/test_data/binance/btcusdt-trades.parquet",
        )],
        &ScanOptions::default(),
    );
    assert_eq!(r.summary.records, u(&fig["rows"]));
    assert_eq!(fig["gaps"], 0);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

#[test]
fn freqtrade_1m_gaps_are_proven_quiet_by_the_5m_series() {
    let fig = &figures()["ft_xrp_eth_1m_5m"];
    let t = "freqtrade-testdata/tests/testdata/";
    let r = run(
        &[
            corpus(&format!("{t}XRP_ETH-5m.feather")),
            corpus(&format!("{t}XRP_ETH-1m.feather")),
        ],
        &ScanOptions::default(),
    );
    assert_eq!(r.summary.records, u(&fig["rows_1m"]) + u(&fig["rows_5m"]));
    let quiet = of(&r, Kind::NoTrade);
    assert_eq!(quiet.len() as u64, u(&fig["no_trade_findings"]));
    assert_eq!(
        quiet.iter().map(|f| f.count).sum::<u64>(),
        u(&fig["proven_no_trade"])
    );
    let one: Vec<_> = of(&r, Kind::Gap)
        .into_iter()
        .filter(|f| f.stream.as_deref() == Some("candles_1m"))
        .collect();
    let five: Vec<_> = of(&r, Kind::Gap)
        .into_iter()
        .filter(|f| f.stream.as_deref() == Some("candles_5m"))
        .collect();
    assert_eq!(one.len() as u64, u(&fig["gap_findings_1m"]));
    assert_eq!(
        one.iter().map(|f| f.count).sum::<u64>(),
        u(&fig["no_coarse_candle"])
    );
    assert_eq!(fig["coarse_shows_trades"], 0);
    assert_eq!(five.len() as u64, u(&fig["gaps_5m"]["gap_ranges"]));
    assert_eq!(
        r.findings.len(),
        quiet.len() + one.len() + five.len(),
        "nothing else"
    );
    // Alone, the 1m series proves nothing: every missing slot is a gap.
    let alone = run(
        &[corpus(&format!("{t}XRP_ETH-1m.feather"))],
        &ScanOptions::default(),
    );
    assert_eq!(of(&alone, Kind::NoTrade).len(), 0);
    assert_eq!(
        of(&alone, Kind::Gap).iter().map(|f| f.count).sum::<u64>(),
        u(&fig["missing_1m_slots"])
    );
}

#[test]
fn freqtrade_candles_json_and_jittered_funding_times() {
    let fig = figures();
    let t = "freqtrade-testdata/tests/testdata/";
    let r = run(
        &[corpus(&format!("{t}UNITTEST_BTC-1m.json"))],
        &ScanOptions::default(),
    );
    assert_eq!(r.summary.records, u(&fig["unittest_btc_1m"]["rows"]));
    let gaps = of(&r, Kind::Gap);
    assert_eq!(gaps.len() as u64, u(&fig["unittest_btc_1m"]["gap_ranges"]));
    assert_eq!(
        gaps.iter().map(|f| f.count).sum::<u64>(),
        u(&fig["unittest_btc_1m"]["missing_slots"])
    );
    assert!(gaps[0].message.contains("never interpolate"));

    let funding = corpus(&format!("{t}futures/XRP_USDT_USDT-8h-funding_rate.feather"));
    let r = run(std::slice::from_ref(&funding), &ScanOptions::default());
    assert_eq!(r.summary.records, u(&fig["ft_funding_8h"]["rows"]));
    assert!(
        r.findings.is_empty(),
        "jitter of up to {} ms is inside the tolerance: {:#?}",
        fig["ft_funding_8h"]["max_jitter_ms"],
        r.findings
    );
    let strict = ScanOptions {
        grid_tolerance_ms: 10,
        ..ScanOptions::default()
    };
    let r = run(&[funding], &strict);
    let clock = of(&r, Kind::Clock);
    assert_eq!(clock.len(), 1);
    assert_eq!(clock[0].count, u(&fig["ft_funding_8h"]["jitter_over_10ms"]));
}

#[test]
fn kraken_rows_without_ids_give_possible_duplicates_and_say_what_is_unchecked() {
    let fig = figures();
    let t = "freqtrade-testdata/tests/testdata/kraken/trades_csv/";
    for (file, key) in [
        ("BCHEUR.csv", "kraken_bcheur"),
        ("incremental_q2/BCHEUR.csv", "kraken_bcheur_q2"),
    ] {
        let r = run(&[corpus(&format!("{t}{file}"))], &ScanOptions::default());
        assert_eq!(r.summary.records, u(&fig[key]["rows"]));
        let pd = of(&r, Kind::PossibleDuplicate);
        assert_eq!(pd.len() as u64, u(&fig[key]["identical_runs"]), "{file}");
        assert_eq!(
            pd.iter().map(|f| f.count).sum::<u64>(),
            u(&fig[key]["identical_rows"])
        );
        assert_eq!(of(&r, Kind::NoCheck).len(), 1);
        assert_eq!(
            of(&r, Kind::OutOfOrder).len() as u64,
            u(&fig[key]["backwards"])
        );
    }
}

fn cf(name: &str) -> PathBuf {
    corpus(&format!("cryptofeed-sample-data/sample_data/{name}"))
}

/// Clock findings "behind" (not stalls) per "SYMBOL stream".
fn behind(r: &Report) -> std::collections::BTreeMap<String, u64> {
    of(r, Kind::Clock)
        .into_iter()
        .filter(|f| f.message.contains("before their exchange time"))
        .map(|f| {
            (
                format!(
                    "{} {}",
                    f.symbol.clone().unwrap_or_default(),
                    f.stream.clone().unwrap_or_default()
                ),
                f.count,
            )
        })
        .collect()
}

#[test]
fn cryptofeed_binance_recordings_follow_the_local_order_book_procedure() {
    let fig = &figures()["cryptofeed"];
    for venue in ["BINANCE", "BINANCE_FUTURES", "BINANCE_DELIVERY"] {
        let r = run(
            &[
                cf(&format!("{venue}.ws.1.0")),
                cf(&format!("{venue}.http.0.0")),
            ],
            &ScanOptions::default(),
        );
        let v = &fig[venue];
        for (sym, d) in v["depth"].as_object().unwrap() {
            assert_eq!(d["bridged"], true, "{venue} {sym}");
        }
        assert!(
            of(&r, Kind::NoBridge).is_empty(),
            "{venue}: {:#?}",
            of(&r, Kind::NoBridge)
        );
        assert!(
            of(&r, Kind::Gap).is_empty(),
            "{venue}: {:#?}",
            of(&r, Kind::Gap)
        );
        assert!(of(&r, Kind::OutOfOrder).is_empty());
        assert!(of(&r, Kind::Duplicate).is_empty());
        let want: std::collections::BTreeMap<String, u64> = v["clock_behind"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, n)| (k.clone(), u(n)))
            .collect();
        assert_eq!(behind(&r), want, "{venue}");
        assert_eq!(v["stalled_messages"], 0);
    }
    // USD-M futures: every stream is checkable and clean.
    let r = run(
        &[cf("BINANCE_FUTURES.ws.1.0"), cf("BINANCE_FUTURES.http.0.0")],
        &ScanOptions::default(),
    );
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(r.inputs.len(), 2);
    // Spot: the local clock of the recording host was behind Binance's.
    let r = run(
        &[cf("BINANCE.ws.1.0"), cf("BINANCE.http.0.0")],
        &ScanOptions::default(),
    );
    assert_eq!(r.exit_code(), 1);
    assert!(behind(&r)["NKNUSDT depth"] > 100);
}

#[test]
fn cryptofeed_depth_without_its_snapshots_is_not_passed_silently() {
    let r = run(&[cf("BINANCE_FUTURES.ws.1.0")], &ScanOptions::default());
    let nc: Vec<_> = of(&r, Kind::NoCheck)
        .into_iter()
        .filter(|f| f.stream.as_deref() == Some("depth"))
        .collect();
    assert_eq!(
        nc.len(),
        figures()["cryptofeed"]["BINANCE_FUTURES"]["depth"]
            .as_object()
            .unwrap()
            .len()
    );
}

#[test]
fn cryptofeed_coinbase_matches_level2_and_clock() {
    let fig = &figures()["cryptofeed"]["COINBASE"];
    let r = run(&[cf("COINBASE.ws.28.0")], &ScanOptions::default());
    for (p, m) in fig["matches"].as_object().unwrap() {
        assert_eq!(m["gaps"], 0, "{p}");
    }
    assert!(
        of(&r, Kind::Gap).is_empty()
            && of(&r, Kind::Duplicate).is_empty()
            && of(&r, Kind::OutOfOrder).is_empty()
    );
    let l2: Vec<_> = of(&r, Kind::NoCheck)
        .into_iter()
        .filter(|f| f.stream.as_deref() == Some("level2"))
        .collect();
    assert_eq!(l2.len() as u64, u(&fig["level2_products"]));
    let b = behind(&r);
    assert_eq!(b.len() as u64, u(&fig["clock_behind_streams"]));
    assert_eq!(b.values().sum::<u64>(), u(&fig["clock_behind_messages"]));
    let stalled: u64 = of(&r, Kind::Clock)
        .iter()
        .filter(|f| f.message.contains("stalled"))
        .map(|f| f.count)
        .sum();
    assert_eq!(stalled, u(&fig["stalled_messages"]));
}

#[test]
fn cryptofeed_okx_book_checksums_all_verify() {
    let fig = &figures()["cryptofeed"]["OKX"];
    assert_eq!(fig["checksum_failures"].as_object().unwrap().len(), 0);
    let r = run(&[cf("OKX.ws.1.0")], &ScanOptions::default());
    assert!(
        of(&r, Kind::Checksum).is_empty(),
        "{:#?}",
        of(&r, Kind::Checksum)
    );
    assert!(of(&r, Kind::NoBridge).is_empty());
    assert!(of(&r, Kind::OutOfOrder).is_empty() && of(&r, Kind::Duplicate).is_empty());
    // Tickers carry nothing to check: one no_check per instrument.
    let nc: Vec<_> = of(&r, Kind::NoCheck)
        .into_iter()
        .filter(|f| f.stream.as_deref() == Some("tickers"))
        .collect();
    assert_eq!(nc.len(), 3);
    // Only the books and nothing else under --scheme okx-book: clean.
    let only = ScanOptions {
        scheme: "okx-book".parse().unwrap(),
        ..ScanOptions::default()
    };
    let r = run(&[cf("OKX.ws.1.0")], &only);
    assert!(
        r.findings.iter().all(|f| f.kind == Kind::Clock),
        "{:#?}",
        r.findings
    );
}

#[test]
fn tardis_files_say_they_carry_nothing_to_check() {
    let fig = &figures()["tardis"];
    for (name, v) in fig.as_object().unwrap() {
        let r = run(
            &[corpus(&format!(
                "nautilus-trader-testdata/tests/test_data/tardis/{name}"
            ))],
            &ScanOptions::default(),
        );
        assert_eq!(r.summary.records, u(&v["rows"]), "{name}");
        assert_eq!(of(&r, Kind::NoCheck).len(), 1, "{name}: {:#?}", r.findings);
        assert_eq!(
            of(&r, Kind::Clock).len() as u64,
            u64::from(u(&v["local_before_exchange"]) > 0)
        );
        assert_eq!(r.inputs[0].format, "tardis-csv");
    }
}

#[test]
fn republished_archive_list_is_read() {
    let fig = &figures()["republished"];
    let list = opsbook_marketdata::repair::read_republished(&corpus(
        "binance-public-data/updates/2022-10-04_aggregate_trade_updates.csv",
    ))
    .unwrap();
    assert_eq!(list.len() as u64, u(&fig["files"]));
    assert_eq!(
        list[fig["first"].as_str().unwrap()].new,
        fig["first_new"].as_str().unwrap()
    );
}

#[test]
fn json_report_has_the_issue_shape() {
    let r = run(
        &[corpus(
            "freqtrade-testdata/tests/testdata/kraken/trades_csv/BCHEUR.csv",
        )],
        &ScanOptions::default(),
    );
    let v: Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["findings"]["possible_duplicate"], 1);
    let f = &v["findings"][0];
    for k in [
        "kind", "file", "line", "symbol", "from", "to", "count", "message",
    ] {
        assert!(f.get(k).is_some(), "key {k} missing in {f}");
    }
    let human = r.render_human();
    assert!(
        human.contains("possible_duplicate") && human.contains("verdict: findings (exit 1)"),
        "{human}"
    );
}

/// A ZIP archive at `dir/name` holding `members` (name, bytes), deflated,
/// as data.binance.vision ships its daily and monthly files.
fn zip_of(dir: &Path, name: &str, members: &[(&str, &[u8])]) -> PathBuf {
    use std::io::Write as _;
    let p = dir.join(name);
    let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (n, bytes) in members {
        w.start_file(*n, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
    p
}

#[test]
fn a_zipped_recording_scans_as_its_csv_and_a_damaged_archive_is_an_error() {
    let fig = figures();
    let src = std::fs::read(corpus(
        "nautilus-trader-testdata/tests/test_data/btc-perp-20211231-20220201_1m.csv",
    ))
    .unwrap();
    let t = tempfile::tempdir().unwrap();
    let csv = "btc-perp-20211231-20220201_1m.csv";
    // The 45,031 gap-free bars, zipped: the same records, still no finding.
    let z = zip_of(
        t.path(),
        "btc-perp-20211231-20220201_1m.zip",
        &[(csv, &src)],
    );
    let r = run(std::slice::from_ref(&z), &ScanOptions::default());
    assert_eq!(r.summary.records, u(&fig["nautilus_bars"]["rows"]));
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.inputs[0].format, "csv");
    // One bar dropped inside the archive: a one-slot gap at its line.
    let text = String::from_utf8(src.clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(1000); // line 1001 of the file
    let dropped = lines.join("\n") + "\n";
    let d = zip_of(t.path(), "dropped_1m.zip", &[(csv, dropped.as_bytes())]);
    let r = run(std::slice::from_ref(&d), &ScanOptions::default());
    let gaps = of(&r, Kind::Gap);
    assert_eq!(gaps.len(), 1, "{:#?}", r.findings);
    assert_eq!((gaps[0].line, gaps[0].count), (Some(1001), 1));
    assert!(gaps[0].file.ends_with("dropped_1m.zip"), "{}", gaps[0].file);
    // The report names the member whose line that is.
    assert_eq!(r.inputs[0].member.as_deref(), Some(csv));
    let human = r.render_human();
    assert!(
        human.contains(&format!(
            "dropped_1m.zip: read its member {csv} (the lines above are {csv}'s)"
        )),
        "{human}"
    );
    // A flipped byte inside the compressed data: an error, never short data.
    let mut bytes = std::fs::read(&z).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    let bad = t.path().join("damaged_1m.zip");
    std::fs::write(&bad, bytes).unwrap();
    let e = scan(&[bad], &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("damaged_1m.zip"), "{e}");
    // Two files in one archive: said, with their names.
    let two = zip_of(
        t.path(),
        "two.zip",
        &[("a.csv", b"1,2,3\n"), ("b.csv", b"1,2,3\n")],
    );
    let e = scan(&[two], &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 files (a.csv, b.csv)"), "{e}");
}
