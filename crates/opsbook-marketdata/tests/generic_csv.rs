//! Generic CSV with a header line, generated here. IDs that are not
//! sequential integers (UUIDs, as Coinbase Advanced Trade and many
//! recorders write them): a gap cannot be judged from them and the report
//! says so (`no_check`), but an ID seen twice is a `duplicate` (same row) or
//! a `conflict` (another row) at its line. A file that is not market data
//! is refused with the columns it has.
#![allow(clippy::unwrap_used)] // test helpers: a failure is the test failing

use std::path::{Path, PathBuf};

use opsbook_marketdata::{Kind, Report, ScanOptions, scan};

/// A deterministic UUID-shaped ID for row `i`.
fn uuid(i: u64) -> String {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        (x >> 8) & 0xfff,
        x & 0xffff_ffff_ffff
    )
}

/// `n` trades, one per second from 2025-01-01T00:00:00Z, header first.
fn rows(n: u64) -> Vec<String> {
    let mut v = vec!["trade_id,time,price,size,side".to_string()];
    for i in 0..n {
        v.push(format!(
            "{},{},{}.{:02},0.0{},buy",
            uuid(i),
            1_735_689_600_000 + i * 1000,
            94_000 + i % 7,
            i % 100,
            1 + i % 9
        ));
    }
    v
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\r\n") + "\r\n").unwrap();
    p
}

fn run(p: &Path) -> Report {
    scan(
        &[p.to_path_buf()],
        &ScanOptions {
            symbol: Some("BTC-USD".into()),
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

fn kinds(r: &Report) -> Vec<(Kind, Option<u64>, u64)> {
    r.findings
        .iter()
        .map(|f| (f.kind, f.line, f.count))
        .collect()
}

#[test]
fn clean_uuid_ids_say_gaps_cannot_be_judged_and_nothing_else() {
    let t = tempfile::tempdir().unwrap();
    let r = run(&write(t.path(), "clean.csv", &rows(500)));
    assert_eq!(
        kinds(&r),
        [(Kind::NoCheck, Some(2), 1)],
        "{:#?}",
        r.findings
    );
    let m = &r.findings[0].message;
    assert!(
        m.contains("gaps cannot be judged") && m.contains("repeated IDs"),
        "{m}"
    );
    assert_eq!(r.summary.records, 500);
    // Nothing wrong, but not verified: exit 1, and the verdict says why.
    assert!(r.only_no_check());
    assert_eq!(r.exit_code(), 1);
    let human = r.render_human();
    assert!(human.contains("verdict: not verified (exit 1)"), "{human}");
}

#[test]
fn a_repeated_uuid_is_a_duplicate_with_the_same_row_and_a_conflict_with_another() {
    let t = tempfile::tempdir().unwrap();
    let mut d = rows(500);
    // Line 102 (row 100) repeated right after itself: a duplicate at 103.
    d.insert(102, d[101].clone());
    // Row 300's ID again at the end with another price: a conflict (its
    // first row ends up at line 306 once the block below is inserted).
    let changed = d[302].replacen(",94", ",95", 1);
    assert_ne!(changed, d[302]);
    let conflict_id = d[302].split(',').next().unwrap().to_string();
    d.push(changed);
    // A replayed block of three rows (lines 201–203 again): one finding.
    let block: Vec<String> = d[200..203].to_vec();
    d.splice(203..203, block);
    let r = run(&write(t.path(), "damaged.csv", &d));
    assert_eq!(
        kinds(&r),
        [
            (Kind::NoCheck, Some(2), 1),
            (Kind::Duplicate, Some(103), 1),
            (Kind::Duplicate, Some(204), 3),
            (Kind::Conflict, Some(506), 1),
        ],
        "{:#?}",
        r.findings
    );
    let c = &r.findings[3].message;
    assert!(
        c.contains(&conflict_id) && c.contains("first at line 306"),
        "{c}"
    );
    assert!(
        r.findings[2]
            .message
            .contains("lines 204–206: 3 IDs repeated with the same row"),
        "{}",
        r.findings[2].message
    );
    // No gap is ever claimed from UUIDs.
    assert!(r.findings.iter().all(|f| f.kind != Kind::Gap));
}

#[test]
fn a_file_that_is_not_market_data_shows_the_columns_it_has_and_the_schemes() {
    let t = tempfile::tempdir().unwrap();
    let p = write(
        t.path(),
        "staff.csv",
        &["name,team,phone".into(), "Aiko,ops,123".into()],
    );
    let e = scan(&[p], &ScanOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("staff.csv")
            && e.contains("among the columns seen (`name`, `team`, `phone`)")
            && e.contains("--scheme trade-id|agg-trade|candles|time-grid"),
        "{e}"
    );
    assert!(!e.contains("declare the columns with a header"), "{e}");
}
