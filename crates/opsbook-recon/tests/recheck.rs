#![allow(clippy::unwrap_used)]
//! Re-reconciliation (D-DATA-RERECON): a run, new exports, and what happened
//! to each break; the report's helpers for recovery acceptance; renderers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use opsbook_recon::recheck::{Rerun, Transition, recheck, rerun};
use opsbook_recon::{
    Class, Input, Kind, Params, Report, Request, Verdict, Window, reconcile, render,
};

mod common;
use common::{snap, write_rows as write};

const IHEAD: &str = "exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms";
const EHEAD: &str = "symbol,id,orderId,side,qty,price,commission,commissionAsset,time";
/// 2026-01-01T00:00:00Z
const T0: i64 = 1_767_225_600_000;
const HOUR: i64 = 3_600_000;

fn at(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap()
}

struct Scene {
    _dir: tempfile::TempDir,
    root: String,
    internal: PathBuf,
    v1: PathBuf,
    v2: PathBuf,
}

fn scene() -> Scene {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = |off: i64| (T0 + off).to_string();
    let ours = [
        format!(
            "binance,BTCUSDT,1,7,buy,0.5,60000,0.0001,BNB,{}",
            t(-2 * HOUR)
        ),
        format!(
            "binance,BTCUSDT,2,7,buy,0.25,60000,0.0001,BNB,{}",
            t(-2 * HOUR)
        ),
        format!("binance,BTCUSDT,3,8,sell,1,61000,0.0002,BNB,{}", t(-10_000)),
        format!("binance,BTCUSDT,4,9,sell,2,61000,0.0002,BNB,{}", t(-HOUR)),
        format!("binance,BTCUSDT,7,9,sell,1,61000,0.0002,BNB,{}", t(-HOUR)),
    ];
    let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
    let internal = write(d, "ours.csv", IHEAD, &ours);
    let e1 = format!(
        "BTCUSDT,1,7,BUY,0.50000000,60000.00000000,0.00010000,BNB,{}",
        t(-2 * HOUR)
    );
    let e2_old = format!(
        "BTCUSDT,2,7,BUY,0.26000000,60000.00000000,0.00010000,BNB,{}",
        t(-2 * HOUR)
    );
    let e2_new = format!(
        "BTCUSDT,2,7,BUY,0.25000000,60000.00000000,0.00010000,BNB,{}",
        t(-2 * HOUR)
    );
    let e3 = format!(
        "BTCUSDT,3,8,SELL,1.00000000,61000.00000000,0.00020000,BNB,{}",
        t(-10_000)
    );
    let e5 = format!(
        "BTCUSDT,5,9,BUY,1.00000000,61000.00000000,0.00020000,BNB,{}",
        t(-HOUR)
    );
    let e6 = format!(
        "BTCUSDT,6,9,BUY,1.00000000,61000.00000000,0.00020000,BNB,{}",
        t(-HOUR)
    );
    let e7_old = format!(
        "BTCUSDT,7,9,SELL,1.10000000,61000.00000000,0.00020000,BNB,{}",
        t(-HOUR)
    );
    let e7_new = format!(
        "BTCUSDT,7,9,SELL,1.20000000,61000.00000000,0.00020000,BNB,{}",
        t(-HOUR)
    );
    let v1 = write(d, "export-1.csv", EHEAD, &[&e1, &e2_old, &e5, &e7_old]);
    let v2 = write(
        d,
        "export-2.csv",
        EHEAD,
        &[&e1, &e2_new, &e3, &e5, &e6, &e7_new],
    );
    Scene {
        root: d.display().to_string(),
        _dir: dir,
        internal,
        v1,
        v2,
    }
}

fn rerun_on(s: &Scene, export: &Path) -> Rerun {
    Rerun {
        internal: vec![Input::new(&s.internal, "opsbook", None).unwrap()],
        exchange: vec![Input::new(export, "binance-mytrades", None).unwrap()],
        orders: vec![],
        opening: vec![],
        as_of: at(T0 + HOUR),
    }
}

fn first_run(s: &Scene) -> Report {
    let mut req = Request::new(Kind::Fills, Params::new(at(T0)));
    req.internal
        .push(Input::new(&s.internal, "opsbook", None).unwrap());
    req.exchange
        .push(Input::new(&s.v1, "binance-mytrades", None).unwrap());
    reconcile(&req).unwrap()
}

fn ids_of(r: &Report, c: Class) -> Vec<String> {
    r.breaks_of(c)
        .map(|b| b.key["trade_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn pending_resolves_corrections_show_and_old_breaks_stay_open() {
    let s = scene();
    let r1 = first_run(&s);
    assert_eq!(ids_of(&r1, Class::Pending), ["3"]);
    assert_eq!(ids_of(&r1, Class::ValueDiff), ["2", "7"]);
    assert_eq!(ids_of(&r1, Class::MissingExchange), ["4"]);
    assert_eq!(ids_of(&r1, Class::MissingInternal), ["5"]);
    assert_eq!(r1.summary.matched, 1);

    let (r2, rc) = rerun(&r1, rerun_on(&s, &s.v2)).unwrap();
    // The previous export is the baseline: trade 2 was corrected by the exchange.
    assert_eq!(ids_of(&r2, Class::Corrected), ["2", "7"]);
    let corrected: Vec<_> = r2.breaks_of(Class::Corrected).collect();
    let f = &corrected[0].fields[0];
    assert_eq!(
        (
            f.field.as_str(),
            f.previous.as_deref(),
            f.exchange.as_deref()
        ),
        ("qty", Some("0.26000000"), Some("0.25"))
    );
    assert_eq!(
        r2.run
            .inputs
            .iter()
            .filter(|i| i.role == "previous_exchange")
            .count(),
        1
    );
    let by = |t: Transition| -> Vec<String> {
        rc.changes
            .iter()
            .filter(|c| c.transition == t)
            .map(|c| c.key["trade_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(by(Transition::Resolved), ["3"]);
    // Trade 7 changed on the exchange too: against the previous export it is a correction.
    assert_eq!(by(Transition::Changed), ["2", "7"]);
    assert_eq!(by(Transition::StillOpen), ["4", "5"]);
    assert_eq!(by(Transition::New), ["6"]);
    assert_eq!(rc.counts[&Transition::Resolved], 1);
    assert_eq!(rc.exit_code(), 1);
    let changed = rc
        .changes
        .iter()
        .find(|c| c.transition == Transition::Changed)
        .unwrap();
    assert_eq!(changed.previous.as_ref().unwrap().class, Class::ValueDiff);
    assert_eq!(changed.current.as_ref().unwrap().class, Class::Corrected);
    // IDs are stable: still-open breaks keep theirs.
    for c in rc
        .changes
        .iter()
        .filter(|c| c.transition == Transition::StillOpen)
    {
        assert_eq!(
            c.previous.as_ref().unwrap().id,
            c.current.as_ref().unwrap().id
        );
    }
    snap("recheck__recheck_human", &render::recheck_human(&rc));
    // Without the previous export as a baseline, trade 7 is a value_diff
    // both times, with other values: changed, not still open.
    let mut req = Request::new(Kind::Fills, Params::new(at(T0 + HOUR)));
    req.internal
        .push(Input::new(&s.internal, "opsbook", None).unwrap());
    req.exchange
        .push(Input::new(&s.v2, "binance-mytrades", None).unwrap());
    let plain = reconcile(&req).unwrap();
    let rc2 = recheck(&r1, &plain);
    let seven = rc2
        .changes
        .iter()
        .find(|c| c.key["trade_id"] == "7")
        .unwrap();
    assert_eq!(seven.transition, Transition::Changed);
    assert_eq!(seven.previous.as_ref().unwrap().class, Class::ValueDiff);
    assert_eq!(seven.current.as_ref().unwrap().class, Class::ValueDiff);
    assert_eq!(
        seven.current.as_ref().unwrap().fields[0]
            .exchange
            .as_deref(),
        Some("1.20000000")
    );
    snap("recheck__recheck_csv", &render::recheck_csv(&rc));
}

#[test]
fn a_previous_input_that_changed_is_not_used_and_says_so() {
    let s = scene();
    let r1 = first_run(&s);
    std::fs::write(
        &s.v1,
        "symbol,id,orderId,side,qty,price,commission,commissionAsset,time\n",
    )
    .unwrap();
    let problems = r1.verify_inputs(None);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].1.contains("SHA-256 is now"),
        "{}",
        problems[0].1
    );
    let (r2, rc) = rerun(&r1, rerun_on(&s, &s.v2)).unwrap();
    assert_eq!(r2.breaks_of(Class::Corrected).count(), 0);
    let note = r2.findings.iter().find(|f| f.role == "previous").unwrap();
    assert!(
        note.message.contains("changed since the report"),
        "{}",
        note.message
    );
    assert!(
        note.message
            .contains("corrections since the previous run cannot be seen")
    );
    let resolved: BTreeSet<_> = rc
        .changes
        .iter()
        .filter(|c| c.transition == Transition::Resolved)
        .map(|c| c.key["trade_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(resolved, BTreeSet::from(["2".to_string(), "3".to_string()]));
    assert_eq!(
        rc.changes
            .iter()
            .find(|c| c.key["trade_id"] == "7")
            .unwrap()
            .transition,
        Transition::Changed
    );
}

#[test]
fn recovery_acceptance_helpers() {
    let s = scene();
    let r = first_run(&s);
    assert!(r.verify_inputs(None).is_empty());
    // The window both sides cover: from the later first record to as_of.
    let start = r.run.window.start_ms.unwrap();
    assert_eq!(start, T0 - 2 * HOUR);
    assert_eq!(r.run.window.end_ms, T0);
    assert!(r.covers(Window {
        start_ms: Some(T0 - HOUR),
        end_ms: T0
    }));
    assert!(r.covers(Window {
        start_ms: Some(start),
        end_ms: T0 - 1
    }));
    assert!(!r.covers(Window {
        start_ms: Some(start - 1),
        end_ms: T0
    }));
    assert!(!r.covers(Window {
        start_ms: Some(T0 - HOUR),
        end_ms: T0 + 1
    }));
    // Clean only once every break is accepted.
    let all: BTreeSet<String> = r.breaks.iter().map(|b| b.id.clone()).collect();
    assert!(!r.is_clean_or_accepted(&BTreeSet::new()));
    let mut some = all.clone();
    some.pop_first();
    assert!(!r.is_clean_or_accepted(&some));
    assert!(r.is_clean_or_accepted(&all));
    // The JSON reads back to the same report.
    let back = Report::from_json(&r.to_json()).unwrap();
    assert_eq!(back, r);
    assert_eq!(
        recheck(&r, &back).counts[&Transition::StillOpen],
        r.breaks.len() as u64
    );
    assert_eq!(r.summary.verdict, Verdict::Breaks);
}

#[test]
fn renderers() {
    let s = scene();
    let r = first_run(&s);
    let escaped = s.root.replace('\\', "\\\\");
    let clean = |x: String| {
        x.replace(&escaped, "<dir>")
            .replace(&s.root, "<dir>")
            .replace("\\\\", "/")
            .replace('\\', "/")
    };
    snap("recheck__report_human", &clean(render::human(&r, 10)));
    snap("recheck__report_markdown", &clean(render::markdown(&r, 50)));
    snap("recheck__report_csv", &clean(render::csv(&r)));
    let json = clean(render::json(&r));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    // The shape.
    for k in ["rows", "matched", "classes"] {
        assert!(v["summary"].get(k).is_some(), "{k}");
    }
    for k in ["id", "class", "key", "fields", "internal", "exchange"] {
        assert!(v["breaks"][0].get(k).is_some(), "{k}");
    }
    snap("recheck__report_json", &json);
}
