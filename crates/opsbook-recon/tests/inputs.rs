#![allow(clippy::unwrap_used)]
//! Inputs as they arrive: CRLF, BOM, UTF-16LE, gzip, preamble lines, `E-05`,
//! ragged rows, quoted fields, the Binance myTrades JSON, broken files — read,
//! or reported with the file and the line.

use std::io::Write;
use std::path::{Path, PathBuf};

use opsbook_recon::{
    Class, Input, IoOptions, Kind, Params, ReconError, Report, Request, Severity, reconcile,
};

const HEADER: &str = "exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms";

fn params() -> Params {
    let mut p = Params::new(opsbook_recon::parse_time("2026-01-01T00:00:00Z").unwrap());
    p.tolerance = opsbook_recon::parse_duration("0s").unwrap();
    p
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn fills(
    internal: &Path,
    iformat: &str,
    exchange: &Path,
    eformat: &str,
) -> Result<Report, ReconError> {
    let mut req = Request::new(Kind::Fills, params());
    req.internal
        .push(Input::new(internal, iformat, None).unwrap());
    req.exchange
        .push(Input::new(exchange, eformat, None).unwrap());
    reconcile(&req)
}

fn rows(lines: &[&str]) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

const A: &str = "binance,BTCUSDT,1,10,buy,0.5,60000,0.0001,BNB,1700000000000";
const B: &str = "binance,BTCUSDT,2,10,sell,123456789.12345678,60001.5,0,USDT,1700000001000";

#[test]
fn crlf_bom_utf16_and_gzip_read_the_same_fills() {
    let dir = tempfile::tempdir().unwrap();
    let text = rows(&[A, B]);
    let plain = write(dir.path(), "plain.csv", text.as_bytes());
    let crlf = text.replace('\n', "\r\n");
    let bom = write(
        dir.path(),
        "bom.csv",
        &[&[0xEF, 0xBB, 0xBF][..], crlf.as_bytes()].concat(),
    );
    let mut u16 = vec![0xFF, 0xFE];
    for u in crlf.encode_utf16() {
        u16.extend_from_slice(&u.to_le_bytes());
    }
    let utf16 = write(dir.path(), "utf16.csv", &u16);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(crlf.as_bytes()).unwrap();
    let gzip = write(dir.path(), "fills.csv.gz", &gz.finish().unwrap());
    for (other, enc) in [(&bom, "utf-8-bom"), (&utf16, "utf-16"), (&gzip, "gzip")] {
        let r = fills(&plain, "opsbook", other, "opsbook").unwrap();
        assert_eq!(r.summary.matched, 2, "{enc}");
        assert!(r.breaks.is_empty(), "{enc}: {:?}", r.breaks);
        assert!(r.findings.is_empty(), "{enc}: {:?}", r.findings);
        assert_eq!(r.run.inputs[1].encoding, enc);
    }
}

#[test]
fn equal_values_in_other_spellings_match_and_a_1e8_difference_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A, B]).as_bytes());
    let spelled = rows(&[
        "binance,BTCUSDT,1,10,BUY,5E-1,6.0000E+4,1.0E-4,BNB,1700000000000",
        "binance,BTCUSDT,2,10,Sell,123456789.123456780,60001.50000000,0.00000000,USDT,1700000001000",
    ]);
    let theirs = write(dir.path(), "theirs.csv", spelled.as_bytes());
    let r = fills(&ours, "opsbook", &theirs, "opsbook").unwrap();
    assert_eq!(r.summary.matched, 2, "{:?}", r.breaks);
    let off = rows(&[
        A,
        "binance,BTCUSDT,2,10,sell,123456789.12345679,60001.5,0,USDT,1700000001000",
    ]);
    let theirs = write(dir.path(), "off.csv", off.as_bytes());
    let r = fills(&ours, "opsbook", &theirs, "opsbook").unwrap();
    assert_eq!(r.breaks.len(), 1);
    let b = &r.breaks[0];
    assert_eq!(b.class, Class::ValueDiff);
    assert_eq!(b.fields.len(), 1);
    assert_eq!(b.fields[0].field, "qty");
    assert_eq!(b.fields[0].internal.as_deref(), Some("123456789.12345678"));
    assert_eq!(b.fields[0].exchange.as_deref(), Some("123456789.12345679"));
    assert_eq!(b.fields[0].delta.as_deref(), Some("0.00000001"));
}

#[test]
fn preamble_lines_are_skipped_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A]).as_bytes());
    let text = format!(
        "Name: JOHN DOE\nUserID: x\nDate Generated: 2026-01-01\n\n{}",
        rows(&[A])
    );
    let theirs = write(dir.path(), "theirs.csv", text.as_bytes());
    let r = fills(&ours, "opsbook", &theirs, "opsbook").unwrap();
    assert_eq!(r.summary.matched, 1);
    let n = r
        .findings
        .iter()
        .find(|f| f.message.contains("before the header"))
        .unwrap();
    assert_eq!(n.severity, Severity::Note);
    assert_eq!(n.line, Some(5));
    assert_eq!(n.message, "skipped 4 lines before the header");
}

#[test]
fn unreadable_rows_name_the_file_the_line_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A, B]).as_bytes());
    let text = rows(&[
        A,
        "binance,BTCUSDT,2,10,sell,1,2,0,USDT",
        "binance,BTCUSDT,3,10,sell,1\u{00A0}000,2,0,USDT,1700000001000",
        "binance,BTCUSDT,4,10,hold,1,2,0,USDT,1700000001000",
    ]);
    let theirs = write(dir.path(), "theirs.csv", text.as_bytes());
    let r = fills(&ours, "opsbook", &theirs, "opsbook").unwrap();
    let errors: Vec<(u64, &str)> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.line.unwrap(), f.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].0, 3);
    assert_eq!(
        errors[0].1,
        "missing `ts` (column `ts_ms`) (the row has 9 fields, the header 10)"
    );
    assert_eq!(errors[1].0, 4);
    assert!(
        errors[1]
            .1
            .starts_with("`qty` (column `qty`): `1\u{00A0}000` is not an exact decimal number"),
        "{}",
        errors[1].1
    );
    assert_eq!(errors[2].0, 5);
    assert_eq!(
        errors[2].1,
        "`side` (column `side`): `hold` is not buy or sell"
    );
    assert!(r.findings.iter().all(|f| f.file.ends_with("theirs.csv")));
    let text = opsbook_recon::render::human(&r, 5);
    let want = format!(
        "  error exchange {}:3: missing `ts` (column `ts_ms`)",
        theirs.display()
    );
    assert!(text.contains(&want), "{text}");
    assert_eq!(r.summary.rows["rejected"], 3);
    // Rejected rows make the report not clean, and trade 2 is ours only.
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.breaks_of(Class::MissingExchange).count(), 1);
}

#[test]
fn a_header_without_a_required_column_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A]).as_bytes());
    let theirs = write(
        dir.path(),
        "theirs.csv",
        b"exchange,symbol,trade_id,side,qty,price\nbinance,BTCUSDT,1,buy,1,2\n",
    );
    let e = fills(&ours, "opsbook", &theirs, "opsbook").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("theirs.csv:1: no header found"), "{msg}");
    assert!(msg.contains("`ts_ms`"), "{msg}");
}

#[test]
fn quoted_fields_with_delimiters_and_line_breaks_keep_their_lines_in_any_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A, B]).as_bytes());
    let text = format!(
        "{HEADER}\r\n\"binance\",\"BTCUSDT\",\"1\",10,buy,0.5,\"60000\",0.0001,BNB,1700000000000\r\n\"binance\",\"BTC\nUSDT\",2,10,sell,1,2,0,USDT,1700000001000\r\nbinance,BTCUSDT,2,10,sell,1,\"2,5\",0,USDT,1700000001000\r\n"
    );
    let theirs = write(dir.path(), "theirs.csv", text.as_bytes());
    for block in [16, 37, 64, 1 << 20] {
        let mut p = params();
        p.io = IoOptions {
            workers: 2,
            block_bytes: block,
        };
        let mut req = Request::new(Kind::Fills, p);
        req.internal
            .push(Input::new(&ours, "opsbook", None).unwrap());
        req.exchange
            .push(Input::new(&theirs, "opsbook", None).unwrap());
        let r = reconcile(&req).unwrap();
        assert_eq!(r.summary.matched, 1, "block {block}");
        // The multi-line symbol is its own instrument: theirs only, at line 3.
        let mi: Vec<_> = r.breaks_of(Class::MissingInternal).collect();
        assert_eq!(mi.len(), 1, "block {block}: {:?}", r.breaks);
        assert_eq!(mi[0].exchange.as_ref().unwrap()["line"], 3);
        let bad = r
            .findings
            .iter()
            .find(|f| f.severity == Severity::Error)
            .unwrap();
        assert_eq!(bad.line, Some(5), "block {block}");
        assert!(
            bad.message.contains("`2,5` is not an exact decimal"),
            "{}",
            bad.message
        );
    }
}

#[test]
fn binance_mytrades_json_as_the_api_returns_it() {
    let dir = tempfile::tempdir().unwrap();
    let json = r#"[
  {"symbol":"BNBBTC","id":28457,"orderId":100234,"orderListId":-1,"price":"4.00000100","qty":"12.00000000",
   "quoteQty":"48.000012","commission":"10.10000000","commissionAsset":"BNB","time":1499865549590,
   "isBuyer":true,"isMaker":false,"isBestMatch":true},
  {"symbol":"BNBBTC","id":28458,"orderId":100234,"orderListId":-1,"price":"4.00000100","qty":"1.00000000",
   "quoteQty":"4.000001","commission":"0.00000000","commissionAsset":"BNB","time":1499865549590,
   "isBuyer":false,"isMaker":true,"isBestMatch":true}
]"#;
    let theirs = write(dir.path(), "mytrades.json", json.as_bytes());
    let ours = write(
        dir.path(),
        "ours.csv",
        rows(&[
            "binance,BNBBTC,28457,100234,buy,12,4.000001,10.1,BNB,1499865549590",
            "binance,BNBBTC,28458,100234,sell,1,4.000001,0,BNB,1499865549590",
        ])
        .as_bytes(),
    );
    let r = fills(&ours, "opsbook", &theirs, "binance-mytrades").unwrap();
    assert_eq!(r.summary.matched, 2, "{:?} {:?}", r.breaks, r.findings);
    assert_eq!(r.run.inputs[1].layout, "json");
    // The same fields as CSV, with a `side` that contradicts isBuyer.
    let csv = "symbol,id,orderId,side,isBuyer,qty,price,commission,commissionAsset,time\nBNBBTC,28457,100234,SELL,true,12,4.000001,10.1,BNB,1499865549590\n";
    let theirs = write(dir.path(), "mytrades.csv", csv.as_bytes());
    let r = fills(&ours, "opsbook", &theirs, "binance-mytrades").unwrap();
    let e = r
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
        .unwrap();
    assert_eq!(e.line, Some(2));
    assert_eq!(e.message, "`side` says sell but `isBuyer` says buy");
}

#[test]
fn broken_json_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A]).as_bytes());
    let theirs = write(
        dir.path(),
        "bad.json",
        b"[\n {\"symbol\": \"X\"},\n {\"symbol\": \n",
    );
    let e = fills(&ours, "opsbook", &theirs, "binance-mytrades").unwrap_err();
    match e {
        ReconError::Input {
            path,
            line,
            message,
        } => {
            assert!(path.ends_with("bad.json"));
            assert_eq!(line, Some(4), "{message}");
            assert!(message.starts_with("not JSON"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn jsonl_rows_carry_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A]).as_bytes());
    let jl = "{\"exchange\":\"binance\",\"symbol\":\"BTCUSDT\",\"trade_id\":1,\"order_id\":10,\"side\":\"buy\",\"qty\":\"0.50\",\"price\":60000.0,\"fee\":\"0.0001\",\"fee_asset\":\"BNB\",\"ts_ms\":1700000000000}\r\n\r\n{\"exchange\":\"binance\",\"symbol\":\"BTCUSDT\",\"trade_id\":9,\"side\":\"buy\",\"qty\":\"x\"}\n";
    let theirs = write(dir.path(), "fills.jsonl", jl.as_bytes());
    let r = fills(&ours, "opsbook", &theirs, "opsbook").unwrap();
    assert_eq!(r.summary.matched, 1);
    assert_eq!(r.run.inputs[1].layout, "jsonl");
    let e = r
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
        .unwrap();
    assert_eq!(e.line, Some(3));
}

#[test]
fn a_format_that_reads_another_record_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(dir.path(), "ours.csv", rows(&[A]).as_bytes());
    let e = fills(&ours, "opsbook", &ours, "binance-statement").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("must be fills records, but format `binance-statement` reads ledger records"),
        "{msg}"
    );
}

#[test]
fn trade_ids_are_unique_per_symbol_only() {
    let dir = tempfile::tempdir().unwrap();
    let ours = write(
        dir.path(),
        "ours.csv",
        rows(&[
            "binance,BTCUSDT,7,1,buy,1,100,0,BNB,1700000000000",
            "binance,ETHUSDT,7,2,buy,2,10,0,BNB,1700000000000",
        ])
        .as_bytes(),
    );
    let theirs = write(
        dir.path(),
        "theirs.csv",
        rows(&[
            "binance,ETHUSDT,7,2,buy,2,10,0,BNB,1700000000000",
            "binance,SOLUSDT,7,3,buy,3,1,0,BNB,1700000000000",
        ])
        .as_bytes(),
    );
    let r = fills(&ours, "opsbook", &theirs, "opsbook").unwrap();
    assert_eq!(r.summary.matched, 1);
    let sym = |c: Class| -> Vec<String> {
        r.breaks_of(c)
            .map(|b| b.key["symbol"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(sym(Class::MissingExchange), ["BTCUSDT"]);
    assert_eq!(sym(Class::MissingInternal), ["SOLUSDT"]);
    assert!(
        r.breaks
            .iter()
            .all(|b| b.class != Class::Duplicate && b.class != Class::Conflict)
    );
}
