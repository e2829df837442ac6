//! `opsbook reconcile …` end to end (issue 15): exit codes (0 clean, 1
//! breaks, 3 only pending, 2 error), the JSON shape, the human report
//! (snapshot), recheck, accept, and `incident accept` verifying a report.
//!
//! Inputs are written next to the SSOT and named relatively (the process
//! runs in their directory), so reports are the same on every machine.

use std::path::Path;

use serde_json::Value;

use super::{init_ssot, opsbook, outcome};

const IHEAD: &str = "exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms";
const EHEAD: &str = "symbol,id,orderId,side,qty,price,commission,commissionAsset,time";
/// 2026-11-29T02:00:00Z
const T0: i64 = 1_795_917_600_000;
const MIN: i64 = 60_000;

/// Runs opsbook in `dir` (the SSOT is `dir/ops`) at `now`.
fn run(dir: &Path, now: &str, args: &[&str]) -> (i32, String, String) {
    let out = opsbook()
        .current_dir(dir)
        .env("OPSBOOK_NOW", now)
        .env("OPSBOOK_ACTOR", "Aiko")
        .env("TZ", "UTC")
        .env_remove("OPSBOOK_INCIDENT")
        .args(args)
        .args(["--root", "ops"])
        .output()
        .unwrap();
    outcome(&out)
}

fn csv(dir: &Path, name: &str, head: &str, rows: &[String]) {
    let mut s = format!("\u{feff}{head}\r\n");
    for r in rows {
        s.push_str(r);
        s.push_str("\r\n");
    }
    std::fs::write(dir.join(name), s).unwrap();
}

/// Ours: trades 1..=3 at 02:00, 02:20, 02:30 (trade 3 has 17 decimals).
fn ours(dir: &Path, extra: &[String]) {
    let mut rows: Vec<String> = [
        (1, 0, "0.5"),
        (2, 20, "0.25"),
        (3, 30, "1.00000000000000001"),
    ]
    .iter()
    .map(|(id, m, q)| {
        format!(
            "binance,BTCUSDT,{id},7,buy,{q},60000,0.0001,BNB,{}",
            T0 + m * MIN
        )
    })
    .collect();
    rows.extend_from_slice(extra);
    csv(dir, "ours.csv", IHEAD, &rows);
}

fn theirs(dir: &Path, name: &str, q3: &str) {
    let rows: Vec<String> = [(1, 0, "0.50000000"), (2, 20, "0.25"), (3, 30, q3)]
        .iter()
        .map(|(id, m, q)| {
            format!(
                "BTCUSDT,{id},7,BUY,{q},60000.00000000,0.00010000,BNB,{}",
                T0 + m * MIN
            )
        })
        .collect();
    csv(dir, name, EHEAD, &rows);
}

fn fills<'a>(exchange: &'a str, format: &'a str) -> Vec<&'a str> {
    vec![
        "reconcile",
        "fills",
        "--internal",
        "ours.csv",
        "--exchange",
        exchange,
        "--grace",
        "2m",
        "--format",
        format,
    ]
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn reconcile_fills_exit_codes_and_json_shape() {
    let (t, _) = init_ssot();
    let d = t.path();
    ours(d, &[]);
    theirs(d, "clean.csv", "1.00000000000000001");
    theirs(d, "diff.csv", "1.00000000000000002");
    // Clean: exit 0.
    let (c, out, err) = run(d, "2026-11-29T02:45:00Z", &fills("clean.csv", "json"));
    assert_eq!(c, 0, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["summary"]["verdict"], "clean");
    assert_eq!(v["summary"]["matched"], 3);
    assert_eq!(v["summary"]["rows"]["internal"], 3);
    assert_eq!(v["summary"]["rows"]["exchange"], 3);
    assert_eq!(v["summary"]["classes"]["value_diff"], 0);
    assert_eq!(v["breaks"], Value::Array(vec![]));
    let id = v["stored"]["id"].as_str().unwrap();
    assert!(id.starts_with("REC-20261129-"), "{id}");
    assert!(
        d.join("ops")
            .join(v["stored"]["path"].as_str().unwrap())
            .is_file()
    );
    assert_eq!(v["run"]["inputs"][0]["role"], "internal");
    assert_eq!(v["run"]["inputs"][0]["encoding"], "utf-8-bom");
    assert_eq!(v["run"]["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(v["run"]["grace_ms"], 120_000);
    // A 1e-17 difference: exit 1, one value_diff with both values and the delta.
    let (c, out, _) = run(d, "2026-11-29T02:45:00Z", &fills("diff.csv", "json"));
    assert_eq!(c, 1);
    let v = json(&out);
    let b = &v["breaks"][0];
    assert_eq!(b["class"], "value_diff");
    assert_eq!(b["key"]["trade_id"], "3");
    assert_eq!(b["fields"][0]["field"], "qty");
    assert_eq!(b["fields"][0]["internal"], "1.00000000000000001");
    assert_eq!(b["fields"][0]["exchange"], "1.00000000000000002");
    assert_eq!(b["fields"][0]["delta"], "0.00000000000000001");
    assert_eq!(b["internal"]["line"], 4);
    assert_eq!(b["exchange"]["file"], "diff.csv");
    // The same run again: the same break ID (stable across runs).
    let (_, again, _) = run(d, "2026-11-29T02:46:00Z", &fills("diff.csv", "json"));
    assert_eq!(json(&again)["breaks"][0]["id"], b["id"]);
    // Only pending left (our fill 30 s before as_of, not exported yet): exit 3.
    ours(
        d,
        &[format!(
            "binance,BTCUSDT,4,8,sell,0.1,60000,0.0001,BNB,{}",
            T0 + 44 * MIN + 30_000
        )],
    );
    let (c, out, _) = run(d, "2026-11-29T02:45:00Z", &fills("clean.csv", "json"));
    assert_eq!(c, 3, "{out}");
    assert_eq!(json(&out)["summary"]["classes"]["pending"], 1);
    // An error: exit 2, the file and what was expected.
    csv(d, "broken.csv", "symbol,id,qty", &["BTCUSDT,1,0.5".into()]);
    let (c, out, err) = run(d, "2026-11-29T02:45:00Z", &fills("broken.csv", "json"));
    assert_eq!(c, 2, "{out}{err}");
    assert!(err.starts_with("error: broken.csv"), "{err}");
    let (c, _, err) = run(
        d,
        "2026-11-29T02:45:00Z",
        &[&fills("clean.csv", "json")[..], &["--as-of", "soon"]].concat(),
    );
    assert_eq!(c, 2);
    assert!(err.contains("--as-of: `soon` is not a time"), "{err}");
    // Every run above that produced a report recorded it.
    let ledger = std::fs::read_to_string(d.join("ops/ledger/reconciliation.jsonl")).unwrap();
    assert_eq!(ledger.matches("\"report_stored\"").count(), 4);
    // --no-store records nothing.
    let (c, out, _) = run(
        d,
        "2026-11-29T02:47:00Z",
        &[&fills("diff.csv", "json")[..], &["--no-store"]].concat(),
    );
    assert_eq!(c, 1);
    assert_eq!(json(&out)["stored"], Value::Null);
    let after = std::fs::read_to_string(d.join("ops/ledger/reconciliation.jsonl")).unwrap();
    assert_eq!(after, ledger);
    let (c, out, err) = run(d, "2026-11-29T02:48:00Z", &["ledger", "verify"]);
    assert_eq!(c, 0, "{out}{err}");
}

#[test]
fn reconcile_human_report_snapshot() {
    let (t, _) = init_ssot();
    let d = t.path();
    ours(d, &[]);
    theirs(d, "diff.csv", "1.00000000000000002");
    let (c, out, err) = run(d, "2026-11-29T02:45:00Z", &fills("diff.csv", "human"));
    assert_eq!(c, 1);
    super::snapshots().bind(|| insta::assert_snapshot!("reconcile_human", out));
    assert!(
        err.contains("stored as REC-20261129-")
            && err.contains("recheck: opsbook reconcile recheck REC-"),
        "{err}"
    );
    // Markdown and CSV are there too.
    let (_, md, _) = run(d, "2026-11-29T02:45:00Z", &fills("diff.csv", "markdown"));
    assert!(md.contains("value_diff"), "{md}");
    let (_, csv_out, _) = run(d, "2026-11-29T02:45:00Z", &fills("diff.csv", "csv"));
    assert!(
        csv_out.lines().count() >= 2 && csv_out.contains("0.00000000000000001"),
        "{csv_out}"
    );
}

#[test]
fn reconcile_recheck_accept_and_incident_acceptance() {
    let (t, _) = init_ssot();
    let d = t.path();
    ours(d, &[]);
    theirs(d, "export.csv", "1.00000000000000002");
    let (c, out, _) = run(d, "2026-11-29T02:45:00Z", &fills("export.csv", "json"));
    assert_eq!(c, 1);
    let v = json(&out);
    let rid = v["stored"]["id"].as_str().unwrap().to_string();
    let brk = v["breaks"][0]["id"].as_str().unwrap().to_string();
    // An incident whose impact started 02:10 and recovered 02:40.
    let inc = |now: &str, args: &[&str]| {
        let (c, out, err) = run(d, now, args);
        assert_eq!(c, 0, "{args:?}: {out}{err}");
        out
    };
    let o = inc(
        "2026-11-29T02:15:00Z",
        &[
            "incident",
            "open",
            "--title",
            "Fills missing",
            "--severity",
            "P1",
            "--reason",
            "unknown orders",
            "--impact-started",
            "2026-11-29T02:10:00Z",
            "--format",
            "json",
        ],
    );
    let id = json(&o)["id"].as_str().unwrap().to_string();
    inc("2026-11-29T02:16:00Z", &["incident", "ack", &id]);
    inc(
        "2026-11-29T02:17:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--safety",
            "SAFE_MODE",
            "--decision",
            "reduce only",
            "--reason",
            "positions unknown",
        ],
    );
    inc(
        "2026-11-29T02:21:00Z",
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "resync",
        ],
    );
    inc(
        "2026-11-29T02:40:00Z",
        &["incident", "status", &id, "MONITORING", "--reason", "quiet"],
    );
    // SAFE_MODE held for it: recovery goes through RECOVERING (after
    // SAFE_MODE's 15 min dwell), and the acceptance waits for RECOVERING's
    // 30 min dwell (issue 13 item 5).
    inc(
        "2026-11-29T02:33:00Z",
        &[
            "safety",
            "set",
            "RECOVERING",
            "--reason",
            "positions resynced",
            "--evidence",
            "EVB-20261129-0233",
            "--incident",
            &id,
        ],
    );
    let recon = format!("reconciliation_ok=pass:{rid}");
    let mut accept = vec!["incident", "accept", id.as_str()];
    // The clock and the order writers' leases, recorded before answering.
    let tck = super::integrity_records(&d.join("ops"), "2026-11-29T03:03:30Z");
    let answers = opsbook_testkit::ssot::accept_all(&rid, &tck);
    assert_eq!(answers[1], recon);
    for a in &answers {
        accept.push("--check");
        accept.push(a);
    }
    // The open break refuses recovery acceptance, with the reason.
    let (c, _, err) = run(d, "2026-11-29T03:04:00Z", &accept);
    assert_eq!(c, 1, "{err}");
    assert!(
        err.contains(&format!("refused: reconciliation_ok: reconciliation report {rid} is not clean: 1 open ({brk} value_diff)")),
        "{err}"
    );
    // accept: a reason is required (clap), then recorded.
    let (c, _, _) = run(d, "2026-11-29T03:05:00Z", &["reconcile", "accept", &brk]);
    assert_eq!(c, 2);
    let (c, out, err) = run(
        d,
        "2026-11-29T03:05:00Z",
        &[
            "reconcile",
            "accept",
            &brk,
            "--reason",
            "venue rounding, ticket OPS-42",
            "--format",
            "json",
        ],
    );
    assert_eq!(c, 0, "{out}{err}");
    let a = json(&out);
    assert_eq!(a["break_id"], brk.as_str());
    assert_eq!(a["report"], rid.as_str());
    assert_eq!(a["class"], "value_diff");
    assert_eq!(a["event"]["ts"], "2026-11-29T03:05:00.000Z");
    assert_eq!(a["event"]["actor"]["name"], "Aiko");
    let (c, _, err) = run(
        d,
        "2026-11-29T03:05:30Z",
        &["reconcile", "accept", "R0000000000000000", "--reason", "x"],
    );
    assert_eq!(c, 2);
    assert!(
        err.contains("has a break or error finding `R0000000000000000`"),
        "{err}"
    );
    // Now it verifies and passes.
    let (c, out, err) = run(d, "2026-11-29T03:06:00Z", &accept);
    assert_eq!(c, 0, "{out}{err}");
    // recheck with the corrected export: exit 1 (corrected), transitions in JSON.
    theirs(d, "export-2.csv", "1.00000000000000001");
    let (c, out, err) = run(
        d,
        "2026-11-29T03:10:00Z",
        &[
            "reconcile",
            "recheck",
            &rid,
            "--exchange",
            "export-2.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(c, 1, "{out}{err}");
    let r = json(&out);
    assert_eq!(r["previous"], rid.as_str());
    assert_eq!(r["counts"]["changed"], 1);
    assert_eq!(r["changes"][0]["transition"], "changed");
    assert_eq!(r["changes"][0]["current"]["class"], "corrected");
    assert_eq!(r["report"]["run"]["as_of"], "2026-11-29T03:10:00Z");
    let rid2 = r["stored"]["id"].as_str().unwrap().to_string();
    // Human recheck of the newest report against the same export: still open, exit 1.
    let (c, out, _) = run(
        d,
        "2026-11-29T03:12:00Z",
        &["reconcile", "recheck", &rid2, "--exchange", "export-2.csv"],
    );
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("resolved 1"), "{out}");
    let (c, _, err) = run(
        d,
        "2026-11-29T03:13:00Z",
        &["reconcile", "recheck", "REC-nope"],
    );
    assert_eq!(c, 1);
    assert!(err.contains("no reconciliation report `REC-nope`"), "{err}");
}

#[test]
fn reconcile_other_kinds_run_with_their_default_formats() {
    let (t, _) = init_ssot();
    let d = t.path();
    ours(d, &[]);
    // Positions: +1.75 from fills; the exchange says 1.75000000 → clean.
    csv(
        d,
        "pos.csv",
        "exchange,symbol,qty,ts_ms",
        &[format!(
            "binance,BTCUSDT,1.75000000000000001,{}",
            T0 + 40 * MIN
        )],
    );
    let (c, out, err) = run(
        d,
        "2026-11-29T02:45:00Z",
        &[
            "reconcile",
            "positions",
            "--internal",
            "ours.csv",
            "--exchange",
            "pos.csv",
            "--internal-since",
            "2026-11-29T01:00:00Z",
            "--format",
            "json",
        ],
    );
    assert_eq!(c, 0, "{out}{err}");
    assert_eq!(json(&out)["summary"]["kind"], "positions");
    // Transfers: legs that do not net to zero are a break.
    csv(
        d,
        "legs.csv",
        "exchange,account,asset,amount,category,transfer_id,status,ts_ms",
        &[
            format!("binance,spot,USDT,-100,transfer,T1,done,{}", T0),
            format!("binance,futures,USDT,99.99,transfer,T1,done,{}", T0),
        ],
    );
    let (c, out, err) = run(
        d,
        "2026-11-29T02:45:00Z",
        &[
            "reconcile",
            "transfers",
            "--internal",
            "legs.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(c, 1, "{out}{err}");
    assert_eq!(json(&out)["summary"]["kind"], "transfers");
    // --help teaches the exit codes.
    let out = opsbook().args(["reconcile", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("3 only `pending` left"), "{help}");
}
