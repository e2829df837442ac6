#![allow(clippy::unwrap_used)]
//! Reconciliation as library tests (issue 15): a run stored in the SSOT
//! with the SHA-256 of every input and recorded in the hash-chained
//! ledger; re-check with new exports; an operator accepting a break; and
//! recovery acceptance verifying the report (exists, hash matches, covers
//! the incident's window, clean or accepted).

mod common;

use std::path::{Path, PathBuf};

use common::{Ssot, invalid, refused};
use opsbook_core::event::ReconciliationEvent;
use opsbook_core::incident::Status;
use opsbook_core::layout::LedgerFile;
use opsbook_ops::incident::{self as inc, OpenRequest, SeverityInput};
use opsbook_ops::reconcile::engine::{Class, Kind, Verdict};
use opsbook_ops::reconcile::{self as rec, AcceptRequest, InputSpec, RecheckRequest, RunRequest};
use sha2::{Digest, Sha256};

const IHEAD: &str = "exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms";
const EHEAD: &str = "symbol,id,orderId,side,qty,price,commission,commissionAsset,time";
/// 2026-11-29T02:00:00Z
const T0: i64 = 1_795_917_600_000;
const MIN: i64 = 60_000;

fn write(dir: &Path, name: &str, head: &str, rows: &[String]) -> PathBuf {
    let p = dir.join(name);
    let mut s = format!("{head}\r\n");
    for r in rows {
        s.push_str(r);
        s.push_str("\r\n");
    }
    std::fs::write(&p, s).unwrap();
    p
}

fn sha(p: &Path) -> String {
    let d = Sha256::digest(std::fs::read(p).unwrap());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Ours: trades 1..=3 at 02:00, 02:20, 02:30.
fn ours(dir: &Path) -> PathBuf {
    let rows: Vec<String> = [
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
    write(dir, "ours.csv", IHEAD, &rows)
}

/// Theirs: the same, trade 3's quantity as given (a 1e-17 difference when
/// `q3` is `1.00000000000000002`).
fn theirs(dir: &Path, name: &str, q3: &str) -> PathBuf {
    let rows: Vec<String> = [(1, 0, "0.50000000"), (2, 20, "0.25"), (3, 30, q3)]
        .iter()
        .map(|(id, m, q)| {
            format!(
                "BTCUSDT,{id},7,BUY,{q},60000.00000000,0.00010000,BNB,{}",
                T0 + m * MIN
            )
        })
        .collect();
    write(dir, name, EHEAD, &rows)
}

fn fills(internal: &Path, exchange: &Path, as_of: &str) -> RunRequest {
    let mut r = RunRequest::new(Kind::Fills);
    r.internal = vec![InputSpec {
        path: internal.to_path_buf(),
        format: "opsbook".into(),
    }];
    r.exchange = vec![InputSpec {
        path: exchange.to_path_buf(),
        format: "binance-mytrades".into(),
    }];
    r.as_of = Some(as_of.into());
    r.grace = Some("2m".into());
    r
}

/// An incident with impact from 02:10, MITIGATING 02:21, MONITORING 02:40.
fn incident(s: &Ssot) -> String {
    let o = inc::open(
        s.at("2026-11-29T02:15:00Z"),
        &OpenRequest {
            title: "Fills missing after reconnect".into(),
            severity: SeverityInput {
                stated: Some("P1".into()),
                reason: Some("order state unknown for minutes".into()),
                ..SeverityInput::default()
            },
            detected: Some("2026-11-29T02:12:00Z".into()),
            impact_started: Some("2026-11-29T02:10:00Z".into()),
            ..OpenRequest::default()
        },
    )
    .unwrap();
    let id = o.id;
    inc::change_status(
        s.at("2026-11-29T02:16:00Z"),
        &id,
        Status::Acked,
        "ack",
        None,
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:17:00Z"),
        &id,
        "safe mode",
        "positions unknown",
        &[],
        Some("SAFE_MODE"),
        true,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:21:00Z"),
        &id,
        Status::Mitigating,
        "resync",
        None,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:40:00Z"),
        &id,
        Status::Monitoring,
        "quiet",
        None,
    )
    .unwrap();
    id
}

/// Every answer passed, `reconciliation_ok` naming `recon`, with a clock
/// check and the order writers' leases recorded at the clock's time.
fn answers(s: &Ssot, recon: &str) -> Vec<opsbook_core::incident::CheckAnswer> {
    let list = opsbook_testkit::ssot::accept_all(recon, &s.integrity_records());
    list.iter().map(|a| inc::parse_check(a).unwrap()).collect()
}

fn ledger(s: &Ssot) -> Vec<(opsbook_core::ledger::Event, ReconciliationEvent)> {
    opsbook_core::event::read::<ReconciliationEvent>(&s.path(&LedgerFile::Reconciliation.rel()))
        .unwrap()
}

/// A run is stored with the SHA-256 of the report and of every input, the
/// parameters and the tool version, and recorded in the ledger.
#[test]
fn a_run_is_stored_and_recorded_with_every_hash() {
    let s = Ssot::new();
    let d = tempfile::tempdir().unwrap();
    let (i, e) = (
        ours(d.path()),
        theirs(d.path(), "t1.csv", "1.00000000000000002"),
    );
    let r = rec::run(
        s.at("2026-11-29T02:45:00Z"),
        &fills(&i, &e, "2026-11-29T02:45:00Z"),
    )
    .unwrap();
    assert_eq!(r.report.summary.verdict, Verdict::Breaks);
    assert_eq!(r.report.summary.matched, 2);
    let b: Vec<_> = r.report.breaks_of(Class::ValueDiff).collect();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].fields[0].delta.as_deref(), Some("0.00000000000000001"));
    let st = r.stored.clone().unwrap();
    assert!(st.id.starts_with("REC-20261129-"), "{}", st.id);
    assert_eq!(st.path, format!("recon/reports/{}.json", st.id));
    let file = s.path(&st.path);
    assert_eq!(sha(&file), st.sha256);
    // The stored file is the report's JSON.
    let back =
        opsbook_ops::reconcile::engine::Report::from_json(&std::fs::read_to_string(&file).unwrap())
            .unwrap();
    assert_eq!(back, r.report);
    let l = ledger(&s);
    assert_eq!(l.len(), 1);
    let (ev, ReconciliationEvent::ReportStored(rs)) = &l[0] else {
        panic!("{:?}", l[0].1)
    };
    assert_eq!(ev.ts, "2026-11-29T02:45:00.000Z", "the injected clock");
    assert_eq!(ev.actor.user, "op");
    assert_eq!(rs.report, st.id);
    assert_eq!(rs.sha256, st.sha256);
    assert_eq!(rs.kind, "fills");
    assert_eq!(rs.verdict, "breaks");
    assert_eq!(rs.breaks, 1);
    assert_eq!(rs.grace_ms, 120_000);
    assert_eq!(rs.tool, "opsbook-recon");
    assert_eq!(rs.version, env!("CARGO_PKG_VERSION"));
    let hashes: Vec<(&str, &str)> = rs
        .inputs
        .iter()
        .map(|i| (i.role.as_str(), i.sha256.as_str()))
        .collect();
    assert_eq!(
        hashes,
        [
            ("internal", sha(&i).as_str()),
            ("exchange", sha(&e).as_str())
        ]
    );
    assert!(rs.previous.is_none());
    // --no-store leaves nothing behind.
    let mut nostore = fills(&i, &e, "2026-11-29T02:45:00Z");
    nostore.store = false;
    assert!(rec::run(s.ctx(), &nostore).unwrap().stored.is_none());
    assert_eq!(ledger(&s).len(), 1);
    s.ledgers_verify();
    // A bad parameter or input is an error, not a report.
    let mut bad = fills(&i, &e, "yesterday");
    bad.store = false;
    invalid(
        rec::run(s.ctx(), &bad),
        "--as-of: `yesterday` is not a time",
    );
    let mut bad = fills(&i, &e, "2026-11-29T02:45:00Z");
    bad.exchange[0].format = "kraken".into();
    invalid(rec::run(s.ctx(), &bad), "unknown format");
}

/// Recovery acceptance verifies the report: refused while a break is
/// open, passes once it is accepted; refused for an edited report, an
/// unrecorded file and a report that does not cover the incident's window.
#[test]
fn recovery_acceptance_verifies_the_report() {
    let s = Ssot::new();
    let d = tempfile::tempdir().unwrap();
    let id = incident(&s);
    let (i, e) = (
        ours(d.path()),
        theirs(d.path(), "t1.csv", "1.00000000000000002"),
    );
    let r = rec::run(
        s.at("2026-11-29T02:45:00Z"),
        &fills(&i, &e, "2026-11-29T02:45:00Z"),
    )
    .unwrap();
    let rid = r.stored.unwrap().id;
    let brk = r.report.breaks[0].id.clone();
    // An open break refuses, naming it.
    refused(
        inc::accept(s.at("2026-11-29T02:46:00Z"), &id, answers(&s, &rid)),
        &format!(
            "reconciliation_ok: reconciliation report {rid} is not clean: 1 open ({brk} value_diff)"
        ),
    );
    // The operator accepts it: a reason is required.
    let req = |reason: &str| AcceptRequest {
        break_id: brk.clone(),
        reason: reason.into(),
        report: None,
    };
    invalid(rec::accept(s.ctx(), &req("  ")), "needs a short reason");
    invalid(
        rec::accept(
            s.ctx(),
            &AcceptRequest {
                break_id: "R0000000000000000".into(),
                ..req("x")
            },
        ),
        "has a break or error finding `R0000000000000000`",
    );
    let a = rec::accept(
        s.at("2026-11-29T02:47:00Z"),
        &req("1e-17 rounding on the venue, ticket OPS-42"),
    )
    .unwrap();
    assert_eq!(a.accepted.report, rid);
    assert_eq!(a.accepted.class, "value_diff");
    assert_eq!(a.event.ts, "2026-11-29T02:47:00.000Z");
    assert_eq!(a.event.actor.name.as_deref(), Some("Aiko"));
    assert_eq!(
        a.event.data["reason"],
        "1e-17 rounding on the venue, ticket OPS-42"
    );
    // Now the acceptance passes and records what was verified.
    let ok = inc::accept(s.at("2026-11-29T02:48:00Z"), &id, answers(&s, &rid)).unwrap();
    assert!(ok.passed);
    let checks = &ok.events[0].data["checks"];
    assert_eq!(checks[1]["id"], "reconciliation_ok");
    let note = checks[1]["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!("verified: reconciliation report {rid} (SHA-256 ")),
        "{note}"
    );
    assert!(
        note.ends_with(&format!("breaks, 1 accepted: {brk}")),
        "{note}"
    );
    // The same report by its file (a copy, e.g. in an evidence bundle) verifies too.
    let copy = d.path().join("copy.json");
    std::fs::copy(s.path(&format!("recon/reports/{rid}.json")), &copy).unwrap();
    let w = rec::incident_window(&opsbook_ops::views::show(s.ctx(), &id).unwrap().incident);
    assert_eq!(
        rec::verify(s.ctx(), copy.to_str().unwrap(), w)
            .unwrap()
            .report,
        rid
    );
    // An edited report no longer matches its recorded hash.
    let stored = s.path(&format!("recon/reports/{rid}.json"));
    let text = std::fs::read_to_string(&stored).unwrap();
    std::fs::write(&stored, text.replace("\"breaks\"", "\"breaks\" ")).unwrap();
    refused(
        inc::accept(s.at("2026-11-29T02:49:00Z"), &id, answers(&s, &rid)),
        "changed since it was stored: SHA-256 is",
    );
    std::fs::write(&stored, &text).unwrap();
    // A file that was never stored.
    let foreign = d.path().join("foreign.json");
    std::fs::write(&foreign, text.replace("0.00000000000000001", "0")).unwrap();
    refused(
        inc::accept(s.ctx(), &id, answers(&s, foreign.to_str().unwrap())),
        "is not a reconciliation report recorded in ledger/reconciliation.jsonl",
    );
    refused(
        inc::accept(s.ctx(), &id, answers(&s, "REC-20261129-ffffffffff")),
        "no reconciliation report `REC-20261129-ffffffffff`",
    );
    // A clean report judged before the recovery (02:40) does not cover the window.
    let e2 = theirs(d.path(), "t2.csv", "1.00000000000000001");
    let early = rec::run(
        s.at("2026-11-29T02:50:00Z"),
        &fills(&i, &e2, "2026-11-29T02:35:00Z"),
    )
    .unwrap();
    assert_eq!(early.report.summary.verdict, Verdict::Clean);
    refused(
        inc::accept(s.ctx(), &id, answers(&s, &early.stored.unwrap().id)),
        "not the incident's window 2026-11-29T02:10:00Z to 2026-11-29T02:40:00Z",
    );
    // Anything but a recorded report is refused, naming the step that
    // records one; so is a placeholder.
    let e = refused(
        inc::accept(s.ctx(), &id, answers(&s, "recon-0240.csv")),
        "reconciliation_ok: `recon-0240.csv` is not a reconciliation report recorded by opsbook",
    );
    assert_eq!(
        e.next(),
        Some(opsbook_core::next::NextStep::ReconcileFills {
            incident: Some(id.clone())
        })
    );
    invalid(
        inc::accept(s.ctx(), &id, answers(&s, "x")),
        "check `reconciliation_ok`: `x` is a placeholder, not evidence",
    );
    s.ledgers_verify();
}

/// Re-check: transitions per break, the new report linked to the previous
/// one; an acceptance pins the break's values.
#[test]
fn recheck_links_reports_and_acceptance_pins_values() {
    let s = Ssot::new();
    let d = tempfile::tempdir().unwrap();
    let id = incident(&s);
    let i = ours(d.path());
    let e1 = theirs(d.path(), "t1.csv", "1.00000000000000002");
    let r1 = rec::run(
        s.at("2026-11-29T02:45:00Z"),
        &fills(&i, &e1, "2026-11-29T02:45:00Z"),
    )
    .unwrap();
    let rid1 = r1.stored.unwrap().id;
    let brk = r1.report.breaks[0].id.clone();
    rec::accept(
        s.at("2026-11-29T02:46:00Z"),
        &AcceptRequest {
            break_id: brk.clone(),
            reason: "venue rounding".into(),
            report: Some(rid1.clone()),
        },
    )
    .unwrap();
    // Against the previous run's exports, a value the venue changed is
    // `corrected` (a new break, not covered by the acceptance).
    let e2 = theirs(d.path(), "t2.csv", "1.00000000000000003");
    let again = |at: &str, report: &str, exchange: Vec<InputSpec>| {
        rec::recheck(
            s.at(at),
            &RecheckRequest {
                report: report.into(),
                internal: vec![],
                exchange,
                orders: vec![],
                opening: vec![],
                as_of: None,
                store: true,
            },
        )
        .unwrap()
    };
    let spec = |p: &Path, f: &str| InputSpec {
        path: p.to_path_buf(),
        format: f.into(),
    };
    let rc = again("2026-11-29T02:50:00Z", &rid1, vec![spec(&e2, "")]);
    assert_eq!(rc.previous, rid1);
    assert_eq!(
        rc.report.run.as_of, "2026-11-29T02:50:00Z",
        "now by the injected clock"
    );
    assert_eq!(rc.report.run.grace_ms, 120_000, "the previous parameters");
    let ex: Vec<&str> = rc
        .report
        .run
        .inputs
        .iter()
        .filter(|i| i.role == "exchange")
        .map(|i| i.format.as_str())
        .collect();
    assert_eq!(ex, ["binance-mytrades"], "the previous run's format");
    let now = &rc.report.breaks[0];
    assert_eq!(now.class, Class::Corrected);
    assert_ne!(now.id, brk);
    let t: Vec<&str> = rc
        .recheck
        .changes
        .iter()
        .map(|c| c.transition.as_str())
        .collect();
    assert_eq!(t, ["changed"]);
    let rid2 = rc.stored.clone().unwrap().id;
    let l = ledger(&s);
    let ReconciliationEvent::ReportStored(last) = &l.last().unwrap().1 else {
        panic!()
    };
    assert_eq!(last.previous.as_deref(), Some(rid1.as_str()));
    refused(
        inc::accept(s.at("2026-11-29T02:51:00Z"), &id, answers(&s, &rid2)),
        &format!("1 open ({} corrected)", now.id),
    );
    // The export re-written in place (the runbook's habit): no baseline
    // left, so the same break comes back with its ID — but other values,
    // so the acceptance (pinned to the old values) does not hold.
    std::fs::write(&e1, std::fs::read(&e2).unwrap()).unwrap();
    let rc = again("2026-11-29T02:52:00Z", &rid1, vec![]);
    assert_eq!(rc.report.breaks[0].id, brk, "a stable ID");
    assert_eq!(rc.report.breaks[0].class, Class::ValueDiff);
    assert!(
        rc.report
            .findings
            .iter()
            .any(|f| f.message.contains("changed since the report")),
        "{:?}",
        rc.report.findings
    );
    let t: Vec<&str> = rc
        .recheck
        .changes
        .iter()
        .map(|c| c.transition.as_str())
        .collect();
    assert_eq!(t, ["changed"]);
    let rid3 = rc.stored.clone().unwrap().id;
    refused(
        inc::accept(s.at("2026-11-29T02:53:00Z"), &id, answers(&s, &rid3)),
        &format!("1 open ({brk} value_diff)"),
    );
    // Fixed at the venue, written in place again: resolved and clean.
    let fixed = theirs(d.path(), "t3.csv", "1.00000000000000001");
    std::fs::write(&e1, std::fs::read(&fixed).unwrap()).unwrap();
    let rc = again("2026-11-29T02:55:00Z", &rid3, vec![]);
    let t: Vec<&str> = rc
        .recheck
        .changes
        .iter()
        .map(|c| c.transition.as_str())
        .collect();
    assert_eq!(t, ["resolved"]);
    assert_eq!(rc.recheck.verdict, Verdict::Clean);
    let rid4 = rc.stored.unwrap().id;
    assert!(
        inc::accept(s.ctx(), &id, answers(&s, &rid4))
            .unwrap()
            .passed
    );
    // A re-check of a report that was never stored is refused.
    refused(
        rec::recheck(
            s.ctx(),
            &RecheckRequest {
                report: "REC-nope".into(),
                internal: vec![],
                exchange: vec![],
                orders: vec![],
                opening: vec![],
                as_of: None,
                store: false,
            },
        ),
        "no reconciliation report `REC-nope`",
    );
    assert_eq!(rec::list(s.ctx()).unwrap()[0].report, rid4);
    s.ledgers_verify();
}

/// Only `pending` left (a fill inside the grace window, not yet exported):
/// the verdict the CLI turns into exit 3; pending blocks acceptance.
#[test]
fn pending_only_is_its_own_verdict() {
    let s = Ssot::new();
    let d = tempfile::tempdir().unwrap();
    let mut rows: Vec<String> = std::fs::read_to_string(ours(d.path()))
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    rows.push(format!(
        "binance,BTCUSDT,4,8,sell,0.1,60000,0.0001,BNB,{}",
        T0 + 44 * MIN + 30_000
    ));
    let i = write(d.path(), "ours4.csv", IHEAD, &rows);
    let e = theirs(d.path(), "t.csv", "1.00000000000000001");
    let r = rec::run(
        s.at("2026-11-29T02:45:00Z"),
        &fills(&i, &e, "2026-11-29T02:45:00Z"),
    )
    .unwrap();
    assert_eq!(
        r.report.summary.verdict,
        Verdict::PendingOnly,
        "{}",
        r.report.to_json()
    );
    assert_eq!(r.report.breaks_of(Class::Pending).count(), 1);
    let w = opsbook_ops::reconcile::engine::Window {
        start_ms: Some(T0 + 10 * MIN),
        end_ms: T0 + 40 * MIN,
    };
    refused(rec::verify(s.ctx(), &r.stored.unwrap().id, w), "pending");
}

/// The column-mapping profile contract ships in the starter SSOT, the same
/// bytes the engine validates profiles with.
#[test]
fn the_profile_contract_ships_in_the_starter_ssot() {
    let s = Ssot::new();
    let shipped = std::fs::read_to_string(s.path("contracts/recon-profile.schema.json")).unwrap();
    assert_eq!(shipped, rec::PROFILE_CONTRACT);
    // And a profile under recon/profiles/ is found by its name.
    assert_eq!(
        s.ctx().layout.recon_profile("kraken"),
        s.path("recon/profiles/kraken.yaml")
    );
}
