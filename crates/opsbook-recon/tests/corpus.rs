#![allow(clippy::unwrap_used)]
//! Reconciliations on real exports from `../shared/corpus` (read by path,
//! never copied), asserting what each file plainly shows. The expected
//! figures come from `scripts/recon-corpus-figures.py` (plain Python with
//! `decimal`, no code shared with this crate), stored in
//! `scripts/recon-corpus-figures.json`.

use std::path::{Path, PathBuf};

use opsbook_recon::{Class, Input, Kind, Params, Report, Request, Severity, Verdict, reconcile};
use rust_decimal::Decimal;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn corpus(rel: &str) -> PathBuf {
    root().join("..").join("shared").join("corpus").join(rel)
}

fn figures() -> Value {
    let p = root().join("scripts").join("recon-corpus-figures.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("profiles")
        .join(name)
        .display()
        .to_string()
}

const ROTKI: &str = "rotki-testdata/rotkehlchen/tests/data/";
const BITMEX: &str = "nautilus-trader-testdata/crates/adapters/bitmex/test_data/";
const FREQTRADE: &str = "freqtrade-testdata/tests/testdata/";

fn params() -> Params {
    Params::new(opsbook_recon::parse_time("2026-01-01T00:00:00Z").unwrap())
}

fn input(rel: &str, format: &str) -> Input {
    Input::new(corpus(rel), format, None).unwrap()
}

fn d(v: &Value) -> Decimal {
    Decimal::from_str_exact(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap()
}

fn sha_of(r: &Report, role: &str) -> String {
    r.run
        .inputs
        .iter()
        .find(|i| i.role == role)
        .unwrap()
        .sha256
        .clone()
}

fn detail<'a>(r: &'a Report, account: Option<&str>, asset: &str) -> &'a Value {
    r.details
        .as_ref()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["asset"] == asset && account.is_none_or(|a| x["account"] == a))
        .unwrap_or_else(|| panic!("no detail for {account:?} {asset}"))
}

#[test]
fn rotki_binance_statement_sums_every_readable_row_exactly() {
    let f = &figures()["rotki_binance_statement"];
    let mut req = Request::new(Kind::Balances, params());
    req.exchange.push(input(
        &format!("{ROTKI}binance_history.csv"),
        "binance-statement",
    ));
    let r = reconcile(&req).unwrap();
    assert_eq!(
        sha_of(&r, "exchange"),
        figures()["sha256"][format!("{ROTKI}binance_history.csv")]
    );
    // Identical rows are kept, short rows (no Remark) read, unreadable ones
    // reported with their line.
    assert_eq!(r.summary.rows["exchange"], f["readable"].as_u64().unwrap());
    assert_eq!(
        r.summary.rows["rejected"],
        f["rows"].as_u64().unwrap() - f["readable"].as_u64().unwrap()
    );
    let bad: Vec<u64> = r
        .findings
        .iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| x.line.unwrap())
        .collect();
    let want: Vec<u64> = f["unreadable_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(bad, want);
    let msgs: Vec<&str> = r.findings.iter().map(|x| x.message.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("missing `ts` (column `UTC_Time`)")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("missing `asset` (column `Coin`)")),
        "{msgs:?}"
    );
    // The unknown operation is noted on its line, counted as `other`.
    let abc = r
        .findings
        .iter()
        .find(|x| x.message.contains("`ABC`"))
        .unwrap();
    assert_eq!(abc.severity, Severity::Note);
    assert_eq!(abc.line, f["operations"]["ABC"]["first_line"].as_u64());
    // Σ Change per (account, coin), E-05 notation and 18 decimals included.
    let sums = f["sums"].as_object().unwrap();
    for (k, v) in sums {
        let (account, coin) = k.split_once('|').unwrap();
        let got = detail(&r, Some(account), coin);
        assert_eq!(d(&got["exchange"]["total"]), d(v), "{k}");
        assert_eq!(got["exchange"]["rows"], f["counts"][k], "{k}");
    }
    assert_eq!(
        r.details.as_ref().unwrap().as_array().unwrap().len(),
        sums.len()
    );
    // No closing balance to compare with: no break, but unreadable rows.
    assert!(r.breaks.is_empty(), "{:?}", r.breaks);
    assert_eq!(r.summary.verdict, Verdict::Breaks);
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn rotki_binance_statement_transfer_legs_net_to_zero() {
    let f = &figures()["rotki_binance_statement"];
    let mut req = Request::new(Kind::Transfers, params());
    req.internal.push(input(
        &format!("{ROTKI}binance_history.csv"),
        "binance-statement",
    ));
    let r = reconcile(&req).unwrap();
    assert_eq!(
        r.summary.matched,
        f["transfer_groups_net_zero"].as_u64().unwrap()
    );
    let not_zero =
        f["transfer_groups"].as_u64().unwrap() - f["transfer_groups_net_zero"].as_u64().unwrap();
    assert_eq!(r.breaks.len() as u64, not_zero, "{:?}", r.breaks);
}

#[test]
fn rotki_coinbase_ledger_running_balance_follows_every_row() {
    let f = &figures()["rotki_coinbasepro"];
    let mut req = Request::new(Kind::Balances, params());
    req.exchange
        .push(input(&format!("{ROTKI}coinbasepro.csv"), "coinbase-ledger"));
    let r = reconcile(&req).unwrap();
    assert_eq!(
        sha_of(&r, "exchange"),
        figures()["sha256"][format!("{ROTKI}coinbasepro.csv")]
    );
    let chain_breaks: usize = f
        .as_object()
        .unwrap()
        .values()
        .map(|u| u["chain_breaks"].as_array().unwrap().len())
        .sum();
    assert_eq!(r.breaks.len(), chain_breaks);
    assert_eq!(r.summary.matched as usize, f.as_object().unwrap().len());
    assert_eq!(r.summary.verdict, Verdict::Clean);
    for (unit, u) in f.as_object().unwrap() {
        let got = detail(&r, None, unit);
        assert_eq!(d(&got["opening"]), d(&u["opening"]), "{unit}");
        assert_eq!(d(&got["closing"]), d(&u["closing"]), "{unit}");
        assert_eq!(d(&got["unexplained"]), Decimal::ZERO, "{unit}");
        // Coinbase's `match` rows are trades; the other types keep their name.
        for (ty, v) in u["by_type"].as_object().unwrap() {
            let cat = if ty == "match" { "trade" } else { ty.as_str() };
            assert_eq!(d(&got["exchange"][cat]), d(v), "{unit} {ty}");
        }
    }
}

#[test]
fn bitmex_orders_agree_with_their_executions() {
    let f = &figures()["bitmex"]["orders"];
    let mut req = Request::new(Kind::Orders, params());
    req.internal.push(input(
        &format!("{BITMEX}http_get_executions.json"),
        "bitmex-executions",
    ));
    req.exchange.push(input(
        &format!("{BITMEX}http_get_orders.json"),
        "bitmex-orders",
    ));
    let r = reconcile(&req).unwrap();
    let consistent = f
        .as_object()
        .unwrap()
        .values()
        .filter(|o| o["sum_qty"] == o["cumQty"] && o["vwap"] == o["avgPx"])
        .count() as u64;
    assert_eq!(r.summary.matched, consistent);
    assert!(r.breaks.is_empty(), "{:?}", r.breaks);
    let execs: u64 = f
        .as_object()
        .unwrap()
        .values()
        .map(|o| o["executions"].as_u64().unwrap())
        .sum();
    assert_eq!(r.summary.rows["internal"], execs);
    assert_eq!(
        r.summary.rows["exchange"],
        f.as_object().unwrap().len() as u64
    );
    assert_eq!(
        sha_of(&r, "internal"),
        figures()["sha256"][format!("{BITMEX}http_get_executions.json")]
    );
}

#[test]
fn bitmex_position_history_starts_mid_position_unless_declared() {
    let f = &figures()["bitmex"]["positions"]["XBTUSD"];
    let run = |since: Option<&str>| {
        let mut p = params();
        p.internal_since = since.map(|s| opsbook_recon::parse_time(s).unwrap());
        let mut req = Request::new(Kind::Positions, p);
        req.internal.push(input(
            &format!("{BITMEX}http_get_executions.json"),
            "bitmex-executions",
        ));
        req.exchange.push(input(
            &format!("{BITMEX}http_get_positions.json"),
            "bitmex-positions",
        ));
        reconcile(&req).unwrap()
    };
    // The executions start after the position opened: not a mismatch.
    let r = run(None);
    assert_eq!(r.breaks.len(), 1);
    let b = &r.breaks[0];
    assert_eq!(b.class, Class::IncompleteWindow);
    assert_eq!(
        d(&b.fields[0].internal.clone().unwrap().into()),
        d(&f["signed_sum"]) + d(&f["openingQty"])
    );
    assert_eq!(
        d(&b.fields[0].exchange.clone().unwrap().into()),
        d(&f["currentQty"])
    );
    assert_eq!(
        d(&b.fields[0].delta.clone().unwrap().into()),
        d(&f["difference"])
    );
    assert_eq!(r.summary.verdict, Verdict::Clean);
    // Declaring that our history starts at the opening makes it a mismatch.
    let r = run(Some(f["openingTimestamp"].as_str().unwrap()));
    assert_eq!(r.breaks.len(), 1);
    assert_eq!(r.breaks[0].class, Class::ValueDiff);
    assert_eq!(
        d(&r.breaks[0].fields[0].delta.clone().unwrap().into()),
        d(&f["difference"])
    );
    assert_eq!(r.summary.verdict, Verdict::Breaks);
}

#[test]
fn bitmex_wallet_growth_is_explained_by_realised_pnl_only() {
    let f = &figures()["bitmex"];
    let w = &f["wallet"];
    let mut req = Request::new(Kind::Balances, params());
    req.exchange.push(input(
        &format!("{BITMEX}http_get_wallet.json"),
        "bitmex-wallet",
    ));
    let r = reconcile(&req).unwrap();
    assert_eq!(r.breaks.len(), 1);
    let b = &r.breaks[0];
    assert_eq!(b.class, Class::ValueDiff);
    assert_eq!(b.key["asset"], w["currency"]);
    assert_eq!(b.key["account"], w["account"]);
    assert_eq!(
        d(&b.fields[0].delta.clone().unwrap().into()),
        d(&w["unexplained"])
    );
    // The position's realised PnL, read as a movement, explains it exactly.
    req.internal.push(
        Input::new(
            corpus(&format!("{BITMEX}http_get_positions.json")),
            &fixture("bitmex-realised-pnl.yaml"),
            None,
        )
        .unwrap(),
    );
    let r = reconcile(&req).unwrap();
    assert_eq!(
        d(&f["positions"]["XBTUSD"]["prevRealisedPnl"]),
        d(&w["unexplained"])
    );
    assert!(r.breaks.is_empty(), "{:?}", r.breaks);
    assert_eq!(r.summary.matched, 1);
    assert_eq!(r.summary.verdict, Verdict::Clean);
}

#[test]
fn freqtrade_trades_in_two_encodings_match_fill_for_fill() {
    let f = &figures()["freqtrade"];
    for exchange_profile in ["ccxt-trades.yaml", "binance-aggtrade-info.yaml"] {
        let mut req = Request::new(Kind::Fills, params());
        req.internal.push(
            Input::new(
                corpus(&format!("{FREQTRADE}XRP_ETH-trades.json.gz")),
                &fixture("freqtrade-trades-rows.yaml"),
                None,
            )
            .unwrap(),
        );
        req.exchange.push(
            Input::new(
                corpus(&format!("{FREQTRADE}XRP_OLD-trades.json.gz")),
                &fixture(exchange_profile),
                None,
            )
            .unwrap(),
        );
        let r = reconcile(&req).unwrap();
        let want = if exchange_profile == "ccxt-trades.yaml" {
            "agree_rows_vs_dicts"
        } else {
            "agree_rows_vs_info"
        };
        assert_eq!(
            r.summary.matched,
            f[want].as_u64().unwrap(),
            "{exchange_profile}"
        );
        assert_eq!(
            r.summary.rows["internal"],
            f["rows_trades"].as_u64().unwrap()
        );
        assert_eq!(
            r.summary.rows["exchange"],
            f["dicts_trades"].as_u64().unwrap()
        );
        assert!(
            r.breaks.is_empty(),
            "{exchange_profile}: {:?}",
            &r.breaks[..r.breaks.len().min(3)]
        );
        assert_eq!(r.summary.verdict, Verdict::Clean);
        let gz = r.run.inputs.iter().find(|i| i.role == "internal").unwrap();
        assert_eq!(gz.encoding, "gzip");
        assert_eq!(
            gz.sha256,
            figures()["sha256"][format!("{FREQTRADE}XRP_ETH-trades.json.gz")]
        );
    }
}
