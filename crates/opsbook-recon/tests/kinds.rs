#![allow(clippy::unwrap_used)]
//! Orders, positions, balances and transfers on small inputs that show each
//! rule: what matches, what breaks, in which class, with which values.

use std::path::{Path, PathBuf};

use opsbook_recon::{Class, Input, Kind, Params, Report, Request, reconcile};

const FILLS: &str = "exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms";
/// 2026-01-01T00:00:00Z
const T0: i64 = 1_767_225_600_000;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn params() -> Params {
    Params::new(jiff::Timestamp::from_millisecond(T0).unwrap())
}

fn run(kind: Kind, p: Params, inputs: &[(&str, &Path, &str)]) -> Report {
    let mut req = Request::new(kind, p);
    for (role, path, format) in inputs {
        let i = Input::new(path, format, None).unwrap();
        match *role {
            "internal" => req.internal.push(i),
            "exchange" => req.exchange.push(i),
            "opening" => req.opening.push(i),
            _ => req.orders.push(i),
        }
    }
    reconcile(&req).unwrap()
}

fn classes(r: &Report, key: &str) -> Vec<(String, Class)> {
    r.breaks
        .iter()
        .map(|b| (b.key[key].as_str().unwrap_or_default().to_string(), b.class))
        .collect()
}

#[test]
fn orders_rules() {
    let dir = tempfile::tempdir().unwrap();
    let t = |off: i64| T0 + off;
    let fills = format!(
        "{FILLS}\n\
         binance,BTCUSDT,1,100,buy,1,100,0,BNB,{a}\n\
         binance,BTCUSDT,2,100,buy,1,102,0,BNB,{a}\n\
         binance,BTCUSDT,3,101,buy,1,100,0,BNB,{a}\n\
         binance,BTCUSDT,4,102,buy,1,100,0,BNB,{late}\n\
         binance,BTCUSDT,5,103,buy,1,100,0,BNB,{a}\n\
         binance,BTCUSDT,6,106,buy,2,100,0,BNB,{a}\n\
         binance,BTCUSDT,7,107,buy,1,100,0,BNB,{recent}\n",
        a = t(-3_600_000),
        late = t(-3_000_000),
        recent = t(-5_000),
    );
    let orders = format!(
        "exchange,symbol,order_id,side,qty,price,status,executed_qty,avg_price,ts_ms,update_ts_ms\n\
         binance,BTCUSDT,100,buy,2,0,FILLED,2,101,{a},{a}\n\
         binance,BTCUSDT,101,buy,2,0,FILLED,2,100,{a},{a}\n\
         binance,BTCUSDT,102,buy,2,0,CANCELED,1,100,{a},{cancel}\n\
         binance,BTCUSDT,103,buy,2,0,FILLED,1,100,{a},{a}\n\
         binance,BTCUSDT,104,buy,2,0,FILLED,2,100,{a},{a}\n\
         binance,BTCUSDT,105,buy,2,0,NEW,0,,{a},{a}\n\
         binance,BTCUSDT,107,buy,2,0,FILLED,2,100,{a},{recent}\n\
         binance,BTCUSDT,105,buy,2,0,NEW,0,,{a},{a}\n",
        a = t(-3_600_000),
        cancel = t(-3_200_000),
        recent = t(-5_000),
    );
    let f = write(dir.path(), "fills.csv", &fills);
    let o = write(dir.path(), "orders.csv", &orders);
    let r = run(
        Kind::Orders,
        params(),
        &[
            ("internal", &f, "opsbook"),
            ("exchange", &o, "opsbook-orders"),
        ],
    );
    let got = classes(&r, "order_id");
    let want = [
        ("107", Class::Pending),
        ("106", Class::MissingExchange),
        ("104", Class::MissingInternal),
        ("101", Class::ValueDiff),
        ("103", Class::ValueDiff),
        ("105", Class::Duplicate),
        ("102", Class::FillAfterCancel),
    ];
    for (id, c) in want {
        assert!(
            got.contains(&(id.to_string(), c)),
            "{id} {c:?} not in {got:?}"
        );
    }
    assert_eq!(got.len(), want.len(), "{got:?}");
    // 100: VWAP (100 + 102) / 2 = 101 = avg_price; 105 (new, nothing filled).
    assert_eq!(r.summary.matched, 2);
    let b = r
        .breaks
        .iter()
        .find(|b| b.key["order_id"] == "101")
        .unwrap();
    let names: Vec<_> = b.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["executed_qty"]);
    assert_eq!(b.fields[0].internal.as_deref(), Some("1"));
    assert_eq!(b.fields[0].exchange.as_deref(), Some("2"));
    let b = r
        .breaks
        .iter()
        .find(|b| b.key["order_id"] == "103")
        .unwrap();
    assert_eq!(b.fields[0].field, "status");
    assert_eq!(b.fields[0].internal.as_deref(), Some("partially_filled"));
    assert_eq!(b.fields[0].exchange.as_deref(), Some("filled"));
}

#[test]
fn positions_rules() {
    let dir = tempfile::tempdir().unwrap();
    let old = T0 - 3_600_000;
    let fills = format!(
        "{FILLS}\n\
         binance,BTCUSDT,1,1,buy,1.000000004,100,0,BNB,{old}\n\
         binance,ETHUSDT,2,2,buy,3,100,0,BNB,{old}\n\
         binance,SOLUSDT,3,3,sell,5,100,0,BNB,{old}\n\
         binance,XRPUSDT,4,4,buy,7,1,0,BNB,{recent}\n",
        recent = T0 - 1_000,
    );
    let pos =
        "exchange,symbol,qty,ts_ms\nbinance,BTCUSDT,1,\nbinance,ETHUSDT,2,\nbinance,XRPUSDT,0,\n";
    let f = write(dir.path(), "fills.csv", &fills);
    let p = write(dir.path(), "pos.csv", pos);
    let ins = [
        ("internal", f.as_path(), "opsbook"),
        ("exchange", p.as_path(), "opsbook-positions"),
    ];
    // Without a declared history start, differences cannot be judged.
    let r = run(Kind::Positions, params(), &ins);
    assert_eq!(
        classes(&r, "symbol"),
        [
            ("XRPUSDT".to_string(), Class::Pending),
            ("BTCUSDT".to_string(), Class::IncompleteWindow),
            ("ETHUSDT".to_string(), Class::IncompleteWindow),
            ("SOLUSDT".to_string(), Class::IncompleteWindow),
        ]
    );
    // Declared, with BTC's precision step 0.00000001: 4e-9 is within it.
    let mut pr = params();
    pr.internal_since = Some(jiff::Timestamp::from_millisecond(old - 1).unwrap());
    pr.precision
        .insert("BTCUSDT".into(), rust_decimal::Decimal::new(1, 8));
    let r = run(Kind::Positions, pr, &ins);
    assert_eq!(
        classes(&r, "symbol"),
        [
            ("XRPUSDT".to_string(), Class::Pending),
            ("SOLUSDT".to_string(), Class::MissingExchange),
            ("ETHUSDT".to_string(), Class::ValueDiff),
        ]
    );
    assert_eq!(r.summary.matched, 1);
    let eth = r
        .breaks
        .iter()
        .find(|b| b.key["symbol"] == "ETHUSDT")
        .unwrap();
    assert_eq!(eth.fields[0].delta.as_deref(), Some("-1"));
}

#[test]
fn balances_from_fills_count_fees_in_their_asset() {
    let dir = tempfile::tempdir().unwrap();
    let old = T0 - 3_600_000;
    let fills = format!(
        "{FILLS}\n\
         binance,BTCUSDT,1,1,buy,0.5,60000,0.00075,BNB,{old}\n\
         binance,ETHBTC,2,2,sell,2,0.05,0.0001,BTC,{old}\n"
    );
    let opening = "asset,amount\nUSDT,40000\nBNB,1\nETH,5\n";
    let closing_ok = "asset,amount\nUSDT,10000\nBNB,0.99925\nBTC,0.5999\nETH,3\n";
    let closing_bad = "asset,amount\nUSDT,10000\nBNB,0.99925\nBTC,0.6\nETH,3\n";
    let f = write(dir.path(), "fills.csv", &fills);
    let o = write(dir.path(), "open.csv", opening);
    let ok = write(dir.path(), "close-ok.csv", closing_ok);
    let bad = write(dir.path(), "close-bad.csv", closing_bad);
    let r = run(
        Kind::Balances,
        params(),
        &[
            ("internal", &f, "opsbook"),
            ("exchange", &ok, "opsbook-balances"),
            ("opening", &o, "opsbook-balances"),
        ],
    );
    assert!(r.breaks.is_empty(), "{:?}", r.breaks);
    assert_eq!(r.summary.matched, 4);
    let r = run(
        Kind::Balances,
        params(),
        &[
            ("internal", &f, "opsbook"),
            ("exchange", &bad, "opsbook-balances"),
            ("opening", &o, "opsbook-balances"),
        ],
    );
    assert_eq!(
        classes(&r, "asset"),
        [("BTC".to_string(), Class::ValueDiff)]
    );
    let b = &r.breaks[0];
    assert_eq!(b.fields[0].internal.as_deref(), Some("0.5999"));
    assert_eq!(b.fields[0].delta.as_deref(), Some("0.0001"));
    assert_eq!(b.internal.as_ref().unwrap()["internal"]["fee"], "-0.0001");
    // Without opening balances, a remainder is not judged.
    let r = run(
        Kind::Balances,
        params(),
        &[
            ("internal", &f, "opsbook"),
            ("exchange", &bad, "opsbook-balances"),
        ],
    );
    assert!(
        r.breaks.iter().all(|b| b.class == Class::IncompleteWindow),
        "{:?}",
        r.breaks
    );
    assert_eq!(r.exit_code(), 0);
}

#[test]
fn transfers_rules() {
    let dir = tempfile::tempdir().unwrap();
    let old = T0 - 3_600_000;
    let recent = T0 - 1_000;
    let ledger = format!(
        "account,asset,amount,category,transfer_id,status,balance,ts_ms\n\
         spot,USDT,-100,transfer,t1,,900,{old}\n\
         futures,USDT,100,transfer,t1,,100,{old}\n\
         spot,USDT,-50,transfer,t2,,850,{old}\n\
         spot,USDT,-20,transfer,t3,cancelled,830,{old}\n\
         spot,USDT,-5,transfer,t4,,825,{recent}\n"
    );
    let l = write(dir.path(), "ledger.csv", &ledger);
    let r = run(
        Kind::Transfers,
        params(),
        &[("internal", &l, "opsbook-ledger")],
    );
    let got: Vec<(String, Class)> = r
        .breaks
        .iter()
        .map(|b| (b.key["transfer"].as_str().unwrap().to_string(), b.class))
        .collect();
    assert_eq!(
        got,
        [
            ("id:t4".to_string(), Class::Pending),
            ("id:t2".to_string(), Class::ValueDiff),
            ("id:t3".to_string(), Class::ValueDiff),
        ]
    );
    let t3 = r
        .breaks
        .iter()
        .find(|b| b.key["transfer"] == "id:t3")
        .unwrap();
    assert_eq!(
        t3.note.as_deref(),
        Some("a cancelled movement changed the balance")
    );
    assert_eq!(t3.fields[0].internal.as_deref(), Some("850"));
    assert_eq!(r.summary.matched, 2);
    // Both sides: t1 and t2 on theirs, t2 with another amount, t5 theirs only.
    let theirs = format!(
        "account,asset,amount,category,transfer_id,ts_ms\n\
         spot,USDT,-100,transfer,t1,{old}\n\
         futures,USDT,100,transfer,t1,{old}\n\
         spot,USDT,-55,transfer,t2,{old}\n\
         spot,USDT,-9,transfer,t5,{old}\n"
    );
    let e = write(dir.path(), "theirs.csv", &theirs);
    let r = run(
        Kind::Transfers,
        params(),
        &[
            ("internal", &l, "opsbook-ledger"),
            ("exchange", &e, "opsbook-ledger"),
        ],
    );
    let both: Vec<(String, Class)> = r
        .breaks
        .iter()
        .filter(|b| b.key["side"] == "both")
        .map(|b| (b.key["transfer"].as_str().unwrap().to_string(), b.class))
        .collect();
    assert_eq!(
        both,
        [
            ("id:t4".to_string(), Class::Pending),
            ("id:t5".to_string(), Class::MissingInternal),
            ("id:t2".to_string(), Class::ValueDiff),
        ]
    );
}
