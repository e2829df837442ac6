//! Incidents end to end: the lifecycle, its guards (D-ORDER), links,
//! merges, severity, postmortems and their action items, the report.
//!
//! Times are fixed per step with `OPSBOOK_NOW` so durations are exact.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{at, codes, gate_json, init_ssot, ok, opsbook};

/// Asserts a refusal: exit 1 and the stderr contains `needle`.
fn refused(dir: &Path, now: &str, args: &[&str], needle: &str) {
    let (code, out, err) = at(dir, now, args);
    assert_eq!(code, 1, "{args:?} should be refused: {out}{err}");
    assert!(err.contains(needle), "{args:?}: `{needle}` not in: {err}");
}

fn show(dir: &Path, id: &str) -> Value {
    let out = ok(
        dir,
        "2026-11-29T23:59:00Z",
        &["incident", "show", id, "--format", "json"],
    );
    serde_json::from_str(&out).unwrap()
}

const ACCEPT_ALL: [&str; 6] = [
    "cause_mitigated=pass:EVB-20261129-0215",
    "reconciliation_ok=pass:recon-0240.csv",
    "time_ok=pass:w32tm-0241.txt",
    "no_split_brain=pass:lease-0242.txt",
    "alerts_quiet=pass:alertmanager-0243.json",
    "recovering_dwell=pass:safety.jsonl#12",
];

fn accept_args<'a>(id: &'a str, answers: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["incident", "accept", id];
    for a in answers {
        v.push("--check");
        v.push(a);
    }
    v
}

fn write_postmortem(
    dir: &Path,
    id: &str,
    item_desc: &str,
    target: &str,
    status: &str,
    due: &str,
) -> PathBuf {
    let p = dir.join("incidents").join(id).join("postmortem.md");
    let text = format!(
        "---\r\nincident_id: {id}\r\ntitle:\r\n  en: Orders rejected because the clock ran ahead\r\nseverity: P0\r\nstatus: reviewed\r\nauthors: [Aiko]\r\ncreated: 2026-11-29\r\nsummary: W32Time stopped syncing; Binance rejected signed requests for 40 minutes.\r\nimpact: No orders 02:10-02:50 UTC; unexpected loss USD 0.\r\nroot_cause: A firewall change blocked UDP 123.\r\ndefect_analysis:\r\n  detection: No alert on sync age.\r\n  response: The gateway was restarted first.\r\n  recovery: Resync needed Administrator rights.\r\n  learning: The time drill had never been run.\r\naction_items:\r\n  - id: AI-1\r\n    type: runbook\r\n    target: {target}\r\n    description: \"{item_desc}\"\r\n    owner: Aiko\r\n    due: {due}\r\n    status: {status}\r\n    done_ref: null\r\n---\r\n\r\n# Postmortem\r\n"
    );
    std::fs::write(&p, text).unwrap();
    p
}

/// The proof the issue asks for: a whole P0 from open to closed, driven from
/// the CLI, with every out-of-order step refused on the way.
#[test]
fn full_p0_incident_open_to_closed_with_guards_refusing_out_of_order_steps() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    // 02:10 impact, 02:12 detected, 02:15 declared.
    let id = ok(
        d,
        "2026-11-29T02:15:00Z",
        &[
            "incident",
            "open",
            "--title",
            "Orders rejected: -1021 timestamp outside recvWindow",
            "--fact",
            "mode=live",
            "--fact",
            "environment=prod",
            "--fact",
            "unexpected_loss_usd=0",
            "--fact",
            "unhedged_exposure_usd=0",
            "--fact",
            "unhedged_minutes=0",
            "--fact",
            "trading_halted=true",
            "--fact",
            "halt_unplanned=false",
            "--fact",
            "security_suspected=false",
            "--fact",
            "reconciliation_drift_usd=0",
            "--fact",
            "stale_market_data_seconds=0",
            "--fact",
            "order_state_unknown=false",
            "--fact",
            "exchange_ip_banned=false",
            "--fact",
            "clock_offset_ms=600",
            "--detected",
            "2026-11-29T02:12:00Z",
            "--impact-started",
            "2026-11-29T11:10:00+09:00",
        ],
    );
    let id = id.trim().to_string();
    assert_eq!(id, "INC-20261129-001", "stdout is only the ID");
    let v = show(d, &id);
    assert_eq!(v["status"], "OPEN");
    assert_eq!(v["severity"], "P1");
    assert_eq!(v["events"][0]["data"]["rule"], "SEV-P1-CLOCK");
    assert_eq!(v["impact_started_at"], "2026-11-29T02:10:00.000Z");
    assert_eq!(v["detected_at"], "2026-11-29T02:12:00.000Z");
    // The offset grew: severity is recomputed from the new fact; raising
    // never needs a reason.
    ok(
        d,
        "2026-11-29T02:15:30Z",
        &[
            "incident",
            "severity",
            &id,
            "--fact",
            "clock_offset_ms=1200",
        ],
    );
    let v = show(d, &id);
    assert_eq!(v["severity"], "P0");
    assert_eq!(v["events"][1]["data"]["rule"], "SEV-P0-CLOCK");
    // Skipping ACKED is illegal; the allowed next states are listed.
    refused(
        d,
        "2026-11-29T02:16:00Z",
        &["incident", "status", &id, "MITIGATING", "--reason", "go"],
        "allowed next (ACKED, CANCELLED)",
    );
    ok(
        d,
        "2026-11-29T02:17:00Z",
        &["incident", "ack", &id, "--commander", "Aiko"],
    );
    // safe first: no MITIGATING before a safety decision.
    refused(
        d,
        "2026-11-29T02:18:00Z",
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "resync",
        ],
        "no safety decision",
    );
    ok(
        d,
        "2026-11-29T02:19:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--safety",
            "HALTED",
            "--decision",
            "engage kill switch",
            "--reason",
            "orders rejected, positions unknown",
            "--alternative",
            "keep trading and retry",
        ],
    );
    ok(
        d,
        "2026-11-29T02:20:00Z",
        &[
            "incident",
            "scope",
            &id,
            "--affected",
            "order entry on Binance",
            "--not-affected",
            "market data",
            "--not-affected",
            "positions (reconciled 02:19)",
        ],
    );
    ok(
        d,
        "2026-11-29T02:21:00Z",
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "resync W32Time",
        ],
    );
    ok(
        d,
        "2026-11-29T02:40:00Z",
        &[
            "incident",
            "status",
            &id,
            "MONITORING",
            "--reason",
            "offset 12 ms, orders accepted",
        ],
    );
    // evidence before RESOLVED.
    refused(
        d,
        "2026-11-29T02:41:00Z",
        &["incident", "resolve", &id, "--reason", "looks fine"],
        "no evidence attached",
    );
    let ev = dir.join("w32tm.txt");
    std::fs::write(&ev, "Phase Offset: 0.0120000s\r\n").unwrap();
    ok(
        d,
        "2026-11-29T02:42:00Z",
        &["incident", "attach", &id, ev.to_str().unwrap()],
    );
    // A hash that does not match the file is refused (exit 2: bad input).
    let (code, _, err) = at(
        d,
        "2026-11-29T02:42:10Z",
        &[
            "incident",
            "attach",
            &id,
            ev.to_str().unwrap(),
            "--sha256",
            &"0".repeat(64),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("not 0000"), "{err}");
    // verify before RESOLVED: recovery acceptance.
    refused(
        d,
        "2026-11-29T02:43:00Z",
        &["incident", "resolve", &id, "--reason", "quiet"],
        "recovery acceptance has not passed",
    );
    let mut failing = ACCEPT_ALL.to_vec();
    failing[3] = "no_split_brain=fail";
    let (code, out, _) = at(d, "2026-11-29T02:44:00Z", &accept_args(&id, &failing));
    assert_eq!(
        code, 1,
        "a failed acceptance is recorded and exits 1: {out}"
    );
    refused(
        d,
        "2026-11-29T02:45:00Z",
        &["incident", "resolve", &id, "--reason", "quiet"],
        "failed on: no_split_brain",
    );
    // An answer without evidence is not an answer.
    let mut noev = ACCEPT_ALL.to_vec();
    noev[0] = "cause_mitigated=pass";
    let (code, _, err) = at(d, "2026-11-29T02:46:00Z", &accept_args(&id, &noev));
    assert_eq!(code, 2);
    assert!(err.contains("passes only with evidence"), "{err}");
    ok(d, "2026-11-29T02:50:00Z", &accept_args(&id, &ACCEPT_ALL));
    ok(
        d,
        "2026-11-29T02:55:00Z",
        &["incident", "resolve", &id, "--reason", "acceptance passed"],
    );
    // learn: a P0 closes only with a postmortem whose items pass.
    refused(
        d,
        "2026-11-29T03:00:00Z",
        &["incident", "close", &id, "--reason", "done"],
        "closes only with a postmortem",
    );
    write_postmortem(
        d,
        &id,
        "Be careful with the clock",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    );
    refused(
        d,
        "2026-11-29T03:01:00Z",
        &["incident", "close", &id, "--reason", "done"],
        "is vague (\"be careful\")",
    );
    write_postmortem(
        d,
        &id,
        "Add a step that checks w32tm /query /status before restarting OrderGateway",
        "RB-PLAT-CLOCK",
        "open",
        "2026-12-13",
    );
    refused(
        d,
        "2026-11-29T03:02:00Z",
        &["incident", "close", &id, "--reason", "done"],
        "runbook `RB-PLAT-CLOCK` is not registered",
    );
    let pm = write_postmortem(
        d,
        &id,
        "Add a step that checks w32tm /query /status before restarting OrderGateway",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    );
    ok(
        d,
        "2026-11-29T03:05:00Z",
        &["incident", "close", &id, "--reason", "postmortem reviewed"],
    );
    // Terminal: nothing more is allowed.
    refused(
        d,
        "2026-11-29T03:06:00Z",
        &["incident", "status", &id, "MITIGATING", "--reason", "again"],
        "none: it is terminal",
    );

    let v = show(d, &id);
    assert_eq!(v["status"], "CLOSED");
    assert_eq!(v["severity"], "P0");
    assert_eq!(v["commander"], "Aiko");
    // Durations from detection (02:12): ack 02:17, mitigated 02:40, resolved 02:55.
    assert_eq!(v["durations"]["to_ack_ms"], 5 * 60_000);
    assert_eq!(v["durations"]["to_mitigate_ms"], 28 * 60_000);
    assert_eq!(v["durations"]["to_resolve_ms"], 43 * 60_000);
    let types: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "opened",
            "severity_changed",
            "status_changed",
            "safety_decision",
            "scope",
            "status_changed",
            "status_changed",
            "evidence_attached",
            "recovery_acceptance",
            "recovery_acceptance",
            "status_changed",
            "postmortem_attached",
            "status_changed"
        ]
    );
    let sha = v["postmortem"][1].as_str().unwrap();
    let bytes = std::fs::read(&pm).unwrap();
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, want, "the attached postmortem hash is the file's");
    // Every event carries the actor and the decision log has every reason.
    assert!(
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"]["name"] == "Aiko")
    );
    let reasons: Vec<&str> = v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"orders rejected, positions unknown"));
    assert!(reasons.contains(&"postmortem reviewed"));

    // The timeline shows every event in order, UTC times.
    let tl = ok(d, "2026-11-29T23:59:00Z", &["incident", "timeline", &id]);
    let lines: Vec<&str> = tl.lines().collect();
    assert_eq!(lines.len(), 1 + 13, "title and 13 events: {tl}");
    assert!(
        lines[4].contains("2026-11-29 02:19:00Z")
            && lines[4].contains("safety state HALTED: engage kill switch"),
        "{tl}"
    );
    assert!(
        tl.contains("recovery acceptance FAILED: no_split_brain"),
        "{tl}"
    );
    let md = ok(
        d,
        "2026-11-29T23:59:00Z",
        &["incident", "timeline", &id, "--format", "markdown"],
    );
    assert!(md.starts_with("# Timeline INC-20261129-001"), "{md}");
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| ")).count(),
        13 + 1,
        "13 events and the header row"
    );

    // The gate accepts the whole record, and the ledger verifies.
    let (code, g) = gate_json(d, &[]);
    assert_eq!(code, 0, "{g}");
    ok(d, "2026-11-29T23:59:00Z", &["ledger", "verify"]);

    // Report: MTTA 5 min, MTTR 43 min for P0.
    let r: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T23:59:00Z",
        &["report", "--format", "json", "--as-of", "2026-11-29"],
    ))
    .unwrap();
    assert_eq!(r["by_severity"]["P0"]["incidents"], 1);
    assert_eq!(r["by_severity"]["P0"]["mtta_ms"], 300_000);
    assert_eq!(r["by_severity"]["P0"]["mttr_ms"], 43 * 60_000);
    assert_eq!(r["open_incidents"].as_array().unwrap().len(), 0);
}

#[test]
fn ids_are_unique_under_concurrent_opens() {
    let (_t, dir) = init_ssot();
    let bin = env!("CARGO_BIN_EXE_opsbook");
    let children: Vec<_> = (0..8)
        .map(|p| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for k in 0..5 {
                    let out = std::process::Command::new(bin)
                        .env("OPSBOOK_NOW", "2026-11-29T02:00:00Z")
                        .args([
                            "incident",
                            "open",
                            "--title",
                            &format!("p{p} k{k}"),
                            "--severity",
                            "P2",
                            "--reason",
                            "test",
                            "--format",
                            "json",
                            "--root",
                        ])
                        .arg(&dir)
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                    ids.push(v["id"].as_str().unwrap().to_string());
                }
                ids
            })
        })
        .collect();
    let mut all: Vec<String> = children
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort();
    let want: Vec<String> = (1..=40).map(|n| format!("INC-20261129-{n:03}")).collect();
    assert_eq!(all, want, "40 opens, 40 distinct consecutive IDs");
    // Each incident's title landed in its own log.
    let listed: Value = serde_json::from_str(&ok(
        &dir,
        "2026-11-29T03:00:00Z",
        &["incident", "list", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(listed["incidents"].as_array().unwrap().len(), 40);
}

#[test]
fn eight_processes_appending_500_events_to_one_incident_lose_nothing() {
    let (_t, dir) = init_ssot();
    let id = ok(
        &dir,
        "2026-11-29T02:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "load",
            "--severity",
            "P2",
            "--reason",
            "test",
        ],
    );
    let log = dir.join("incidents").join(id.trim()).join("events.jsonl");
    let bin = env!("CARGO_BIN_EXE_opsbook");
    let children: Vec<_> = (0..8)
        .map(|p| {
            std::process::Command::new(bin)
                .args(["ledger", "append"])
                .arg(&log)
                .args([
                    "--type",
                    "note",
                    "--data",
                    &format!("{{\"text\":\"writer {p}\"}}"),
                    "--repeat",
                    "500",
                ])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let v = show(&dir, id.trim());
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 1 + 8 * 500);
    for p in 0..8 {
        let n = events
            .iter()
            .filter(|e| e["data"]["text"] == format!("writer {p}"))
            .count();
        assert_eq!(n, 500, "writer {p}");
    }
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=4001).collect::<Vec<u64>>());
    let (code, g) = gate_json(&dir, &[]);
    assert_eq!(code, 0, "{g}");
}

#[test]
fn links_refuse_cycles_and_a_second_parent_and_parents_wait_for_children() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let open = |t: &str| {
        ok(
            d,
            "2026-11-29T02:00:00Z",
            &[
                "incident",
                "open",
                "--title",
                t,
                "--severity",
                "P1",
                "--reason",
                "test",
            ],
        )
        .trim()
        .to_string()
    };
    let (a, b, c) = (
        open("exchange outage"),
        open("BTCUSDT order state unknown"),
        open("ETHUSDT order state unknown"),
    );
    ok(
        d,
        "2026-11-29T02:01:00Z",
        &["incident", "link", &b, "--parent", &a],
    );
    ok(
        d,
        "2026-11-29T02:01:00Z",
        &["incident", "link", &c, "--parent", &b],
    );
    let (code, _, err) = at(
        d,
        "2026-11-29T02:02:00Z",
        &["incident", "link", &a, "--parent", &c],
    );
    assert_eq!(code, 2);
    assert!(err.contains("would make a cycle"), "{err}");
    let (code, _, err) = at(
        d,
        "2026-11-29T02:02:00Z",
        &["incident", "link", &b, "--parent", &c],
    );
    assert_eq!(code, 2);
    assert!(err.contains("already has a parent"), "{err}");
    ok(
        d,
        "2026-11-29T02:03:00Z",
        &["incident", "link", &a, "--related", &c],
    );
    // Both sides carry the link.
    assert_eq!(show(d, &a)["links"][0]["relation"], "child");
    assert_eq!(show(d, &b)["links"][0]["relation"], "parent");
    // Drive A to MONITORING with evidence and acceptance: RESOLVED waits for B.
    ok(d, "2026-11-29T02:04:00Z", &["incident", "ack", &a]);
    ok(
        d,
        "2026-11-29T02:05:00Z",
        &[
            "incident",
            "decide",
            &a,
            "--safety",
            "SAFE_MODE",
            "--decision",
            "reduce only",
            "--reason",
            "exchange down",
        ],
    );
    ok(
        d,
        "2026-11-29T02:06:00Z",
        &[
            "incident",
            "status",
            &a,
            "MITIGATING",
            "--reason",
            "waiting",
        ],
    );
    ok(
        d,
        "2026-11-29T02:07:00Z",
        &[
            "incident",
            "status",
            &a,
            "MONITORING",
            "--reason",
            "exchange back",
        ],
    );
    ok(
        d,
        "2026-11-29T02:08:00Z",
        &[
            "incident",
            "attach",
            &a,
            "EVB-20261129-0208",
            "--sha256",
            &"ab".repeat(32),
        ],
    );
    ok(d, "2026-11-29T02:09:00Z", &accept_args(&a, &ACCEPT_ALL));
    refused(
        d,
        "2026-11-29T02:10:00Z",
        &["incident", "resolve", &a, "--reason", "back"],
        &format!("child incidents not resolved yet: {b} (OPEN)"),
    );
}

#[test]
fn merge_cancel_severity_corrections_and_time_never_backwards() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let a = ok(
        d,
        "2026-11-29T02:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "feed stale",
            "--severity",
            "P2",
            "--reason",
            "paper",
        ],
    )
    .trim()
    .to_string();
    let b = ok(
        d,
        "2026-11-29T02:01:00Z",
        &[
            "incident",
            "open",
            "--title",
            "feed stale again",
            "--severity",
            "P2",
            "--reason",
            "paper",
        ],
    )
    .trim()
    .to_string();
    ok(
        d,
        "2026-11-29T02:02:00Z",
        &[
            "incident",
            "attach",
            &b,
            "EVB-1",
            "--sha256",
            &"cd".repeat(32),
        ],
    );
    ok(
        d,
        "2026-11-29T02:03:00Z",
        &[
            "incident",
            "merge",
            &b,
            "--into",
            &a,
            "--reason",
            "same feed outage",
        ],
    );
    let vb = show(d, &b);
    assert_eq!(vb["status"], "MERGED");
    assert_eq!(vb["merged_into"], a.as_str());
    let va = show(d, &a);
    assert_eq!(
        va["evidence"][0]["ref"], "EVB-1",
        "evidence follows the merge"
    );
    assert_eq!(va["links"][0]["relation"], "duplicate");
    // Lowering severity needs a reason; raising does not.
    ok(
        d,
        "2026-11-29T02:04:00Z",
        &["incident", "severity", &a, "--to", "P1"],
    );
    let (code, _, err) = at(
        d,
        "2026-11-29T02:05:00Z",
        &["incident", "severity", &a, "--to", "P2"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("needs --reason"), "{err}");
    ok(
        d,
        "2026-11-29T02:05:00Z",
        &[
            "incident",
            "severity",
            &a,
            "--to",
            "P2",
            "--reason",
            "paper only, confirmed",
        ],
    );
    // Corrections reference, never edit.
    ok(
        d,
        "2026-11-29T02:06:00Z",
        &["incident", "log", &a, "vendor says 02:10"],
    );
    ok(
        d,
        "2026-11-29T02:07:00Z",
        &[
            "incident",
            "correct",
            &a,
            "--seq",
            "6",
            "--reason",
            "typo",
            "--text",
            "vendor says 01:10",
        ],
    );
    let tl = ok(d, "2026-11-29T02:08:00Z", &["incident", "timeline", &a]);
    assert!(
        tl.contains("vendor says 02:10 [corrected by #7: typo → \"vendor says 01:10\"]"),
        "{tl}"
    );
    // A clock behind the last event does not block the log: the event takes
    // the last event's time and records how far behind the clock was.
    let (code, _, err) = at(d, "2026-11-29T02:06:30Z", &["incident", "log", &a, "late"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("is 30000 ms behind the last recorded event"),
        "{err}"
    );
    let v = show(d, &a);
    let last = v["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["ts"], "2026-11-29T02:07:00.000Z");
    assert_eq!(last["data"]["clock_observed"], "2026-11-29T02:06:30.000Z");
    // Cancel needs a reason, and the ID is never reused.
    ok(
        d,
        "2026-11-29T02:09:00Z",
        &[
            "incident",
            "cancel",
            &a,
            "--reason",
            "duplicate of a vendor ticket",
        ],
    );
    let c = ok(
        d,
        "2026-11-29T02:10:00Z",
        &[
            "incident",
            "open",
            "--title",
            "x",
            "--severity",
            "P2",
            "--reason",
            "y",
        ],
    );
    assert_eq!(c.trim(), "INC-20261129-003");
    // Bad input: no severity and no facts; unknown incident; future time.
    let (code, _, err) = at(
        d,
        "2026-11-29T02:11:00Z",
        &["incident", "open", "--title", "x"],
    );
    assert_eq!(
        (code, err.contains("state the severity")),
        (2, true),
        "{err}"
    );
    let (code, _, err) = at(
        d,
        "2026-11-29T02:11:00Z",
        &["incident", "log", "INC-20261129-099", "x"],
    );
    assert_eq!(
        (code, err.contains("no incident `INC-20261129-099`")),
        (2, true),
        "{err}"
    );
    let (code, _, err) = at(
        d,
        "2026-11-29T02:11:00Z",
        &[
            "incident",
            "scope",
            c.trim(),
            "--detected",
            "2026-11-29T05:00:00Z",
        ],
    );
    assert_eq!((code, err.contains("in the future")), (2, true), "{err}");
}

#[test]
fn gate_reports_incident_logs_written_around_the_guards_and_postmortem_items() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let id = ok(
        d,
        "2026-11-29T02:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "raw",
            "--severity",
            "P1",
            "--reason",
            "test",
        ],
    )
    .trim()
    .to_string();
    let log = dir.join("incidents").join(&id).join("events.jsonl");
    let raw = |data: &str| {
        opsbook()
            .env("OPSBOOK_NOW", "2026-11-29T02:01:00Z")
            .args(["ledger", "append"])
            .arg(&log)
            .args(["--type", "status_changed", "--data", data])
            .assert()
            .success();
    };
    raw(r#"{"from":"OPEN","to":"ACKED","reason":"x"}"#);
    raw(r#"{"from":"ACKED","to":"MITIGATING"}"#);
    raw(r#"{"from":"MITIGATING","to":"CLOSED","reason":"x"}"#);
    let (code, g) = gate_json(d, &[]);
    assert_eq!(code, 1);
    let mut got: Vec<(String, u64)> = g["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("OB802".to_string(), 3),
            ("OB803".to_string(), 3),
            ("OB803".to_string(), 4),
            ("OB804".to_string(), 4),
        ],
        "{g}"
    );
    assert!(
        g["findings"].to_string().contains("no safety decision"),
        "{g}"
    );

    // Postmortem items: vague, unknown target, done without ref, overdue.
    let (_t2, dir2) = init_ssot();
    let id2 = ok(
        &dir2,
        "2026-11-29T02:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "pm",
            "--severity",
            "P2",
            "--reason",
            "test",
        ],
    )
    .trim()
    .to_string();
    write_postmortem(
        &dir2,
        &id2,
        "Add the drift check step to the time runbook",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-06",
    );
    let (code, _) = gate_json(&dir2, &["--as-of", "2026-12-06"]);
    assert_eq!(code, 0, "due today is not overdue");
    let (code, g) = gate_json(&dir2, &["--as-of", "2026-12-10"]);
    assert_eq!((code, codes(&g)), (0, vec!["OB808".to_string()]), "{g}");
    let (code, g) = gate_json(&dir2, &["--as-of", "2026-12-21"]);
    assert_eq!((code, codes(&g)), (1, vec!["OB809".to_string()]), "{g}");
    write_postmortem(
        &dir2,
        &id2,
        "全員が時刻設定の変更時に確認を徹底する",
        "RB-NOPE",
        "done",
        "2027-01-01",
    );
    let (code, g) = gate_json(&dir2, &[]);
    let mut c = codes(&g);
    c.sort();
    assert_eq!(
        (code, c),
        (
            1,
            vec![
                "OB805".to_string(),
                "OB806".to_string(),
                "OB807".to_string()
            ]
        ),
        "{g}"
    );
    // `actions` lists open items with their overdue days.
    write_postmortem(
        &dir2,
        &id2,
        "Add the drift check step to the time runbook",
        "RB-PLAT-TIME-DRIFT",
        "in_progress",
        "2026-12-06",
    );
    let a: Value = serde_json::from_str(&ok(
        &dir2,
        "2026-12-10T00:00:00Z",
        &["actions", "--format", "json", "--as-of", "2026-12-10"],
    ))
    .unwrap();
    assert_eq!(a["overdue"], 1);
    assert_eq!(a["items"][0]["days_overdue"], 4);
    assert_eq!(a["items"][0]["incident"], id2.as_str());
}

#[test]
fn postmortem_new_drafts_from_events_and_check_blocks_the_draft() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let id = ok(
        d,
        "2026-11-29T02:15:00Z",
        &[
            "incident",
            "open",
            "--title",
            "Clock drift",
            "--severity",
            "P1",
            "--reason",
            "orders rejected",
            "--detected",
            "2026-11-29T02:12:00Z",
        ],
    )
    .trim()
    .to_string();
    ok(d, "2026-11-29T02:17:00Z", &["incident", "ack", &id]);
    ok(
        d,
        "2026-11-29T02:19:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--decision",
            "resync first",
            "--reason",
            "cheapest safe step",
        ],
    );
    ok(d, "2026-11-30T00:00:00Z", &["postmortem", "new", &id]);
    let p = dir.join("incidents").join(&id).join("postmortem.md");
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("incident_id: INC-20261129-001"), "{text}");
    assert!(
        text.contains("| Acknowledged | 2026-11-29T02:17:00.000Z | 5m 00s |"),
        "{text}"
    );
    assert!(text.contains("resync first — cheapest safe step"), "{text}");
    let (code, out, _) = at(d, "2026-11-30T00:00:00Z", &["postmortem", "check", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TODO placeholders"), "{out}");
    // Never overwritten.
    let (code, _, err) = at(d, "2026-11-30T00:00:00Z", &["postmortem", "new", &id]);
    assert_eq!(
        (code, err.contains("never overwritten")),
        (2, true),
        "{err}"
    );
}

/// What the operator reads: `incident show`, `report`, `actions` (human).
#[test]
fn snapshot_show_report_and_actions() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let id = ok(
        d,
        "2026-11-29T02:15:00Z",
        &[
            "incident",
            "open",
            "--title",
            "Market data stale on BTCUSDT",
            "--severity",
            "P1",
            "--reason",
            "positions open, feed stale 90 s",
            "--detected",
            "2026-11-29T02:13:30Z",
        ],
    )
    .trim()
    .to_string();
    ok(
        d,
        "2026-11-29T02:16:00Z",
        &["incident", "ack", &id, "--commander", "Aiko"],
    );
    ok(
        d,
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
            "feed stale with open positions",
            "--alternative",
            "HALT (not needed: cancels work)",
        ],
    );
    ok(
        d,
        "2026-11-29T02:18:00Z",
        &[
            "incident",
            "scope",
            &id,
            "--affected",
            "BTCUSDT quotes",
            "--not-affected",
            "ETHUSDT quotes",
            "--not-affected",
            "order entry",
        ],
    );
    ok(
        d,
        "2026-11-29T02:19:00Z",
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "fail over to the backup feed",
        ],
    );
    ok(
        d,
        "2026-11-29T02:31:00Z",
        &[
            "incident",
            "status",
            &id,
            "MONITORING",
            "--reason",
            "backup feed fresh, lag 40 ms",
        ],
    );
    ok(
        d,
        "2026-11-29T02:32:00Z",
        &[
            "incident",
            "attach",
            &id,
            "EVB-20261129-0232",
            "--sha256",
            &"5e".repeat(32),
        ],
    );
    ok(d, "2026-11-29T02:45:00Z", &accept_args(&id, &ACCEPT_ALL));
    ok(
        d,
        "2026-11-29T02:46:00Z",
        &["incident", "resolve", &id, "--reason", "acceptance passed"],
    );
    write_postmortem(
        d,
        &id,
        "Add the backup-feed failover as step 4 of RB-MD-GAP-REPAIR",
        "RB-MD-GAP-REPAIR",
        "open",
        "2026-12-06",
    );
    let open2 = ok(
        d,
        "2026-11-29T03:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "Rate limit at 85 %",
            "--severity",
            "P2",
            "--reason",
            "warning only",
        ],
    )
    .trim()
    .to_string();
    ok(
        d,
        "2026-11-29T03:01:00Z",
        &["incident", "link", &open2, "--related", &id],
    );
    let s = super::snapshots();
    s.bind(|| {
        insta::assert_snapshot!(
            "incident_show",
            ok(d, "2026-11-29T23:00:00Z", &["incident", "show", &id])
        );
        insta::assert_snapshot!(
            "incident_list",
            ok(d, "2026-11-29T23:00:00Z", &["incident", "list"])
        );
        insta::assert_snapshot!(
            "report",
            ok(
                d,
                "2026-12-10T00:00:00Z",
                &["report", "--as-of", "2026-12-10"]
            )
        );
        insta::assert_snapshot!(
            "actions",
            ok(
                d,
                "2026-12-10T00:00:00Z",
                &["actions", "--as-of", "2026-12-10"]
            )
        );
    });
}

/// The forms the starter runbooks use: `$env:OPSBOOK_INCIDENT`, `log --type
/// decision|scope --text … --reason …`, `list --status open`.
#[test]
fn runbook_forms_of_the_commands_work() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let id = ok(
        d,
        "2026-11-29T02:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "t",
            "--severity",
            "P2",
            "--reason",
            "r",
        ],
    )
    .trim()
    .to_string();
    let run = |args: &[&str]| {
        let out = opsbook()
            .env("OPSBOOK_NOW", "2026-11-29T02:05:00Z")
            .env("OPSBOOK_INCIDENT", &id)
            .args(args)
            .arg("--root")
            .arg(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "incident",
        "log",
        "--type",
        "decision",
        "--text",
        "stay HALTED",
        "--reason",
        "recon pending",
    ]);
    run(&[
        "incident",
        "log",
        "--type",
        "scope",
        "--text",
        "BTCUSDT only",
    ]);
    run(&["incident", "log", "--text", "vendor ticket 4711"]);
    let v = show(d, &id);
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "decision", "scope", "note"]);
    assert_eq!(v["decisions"][0]["reason"], "recon pending");
    let (code, _, err) = at(
        d,
        "2026-11-29T02:06:00Z",
        &["incident", "log", &id, "--type", "decision", "--text", "x"],
    );
    assert_eq!(
        (code, err.contains("needs a short reason")),
        (2, true),
        "{err}"
    );
    let l: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T02:07:00Z",
        &["incident", "list", "--status", "open", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(l["incidents"][0]["id"], id.as_str());
}

/// Found by a first-time user: ambiguous short IDs, refusals that are not
/// usage errors, a postmortem of another incident, early drafts, odd input.
#[test]
fn first_user_findings_stay_fixed() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let a = ok(
        d,
        "2026-11-29T23:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "a",
            "--severity",
            "P1",
            "--reason",
            "r",
        ],
    )
    .trim()
    .to_string();
    let b = ok(
        d,
        "2026-11-30T01:00:00Z",
        &[
            "incident",
            "open",
            "--title",
            "b",
            "--severity",
            "P2",
            "--reason",
            "r",
        ],
    )
    .trim()
    .to_string();
    let (code, _, err) = at(d, "2026-11-30T01:01:00Z", &["incident", "show", "001"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("matches 2 incidents ({a}, {b})")),
        "{err}"
    );
    // A step the incident's state refuses exits 1, like a guard.
    refused(
        d,
        "2026-11-30T01:02:00Z",
        &["incident", "accept", &b, "--check", "time_ok=pass:x"],
        "is OPEN: recovery acceptance is answered while MITIGATING or MONITORING",
    );
    ok(
        d,
        "2026-11-30T01:03:00Z",
        &["incident", "cancel", &b, "--reason", "mistake"],
    );
    refused(
        d,
        "2026-11-30T01:04:00Z",
        &[
            "incident",
            "attach",
            &b,
            "EVB-1",
            "--sha256",
            &"ab".repeat(32),
        ],
        "is CANCELLED",
    );
    ok(
        d,
        "2026-11-30T01:04:00Z",
        &["incident", "ack", &a, "--reason", "x"],
    );
    refused(
        d,
        "2026-11-30T01:05:00Z",
        &["incident", "ack", &a],
        "it is already ACKED",
    );
    // An early draft does not turn the gate red; a draft of a closed incident would.
    ok(d, "2026-11-30T01:06:00Z", &["postmortem", "new", &a]);
    let (code, g) = gate_json(d, &["--as-of", "2026-11-30"]);
    assert_eq!(code, 0, "{g}");
    // A postmortem naming another incident, or another severity, does not pass.
    write_postmortem(
        d,
        &a,
        "Add a drift check step before restarting the gateway",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    );
    let (code, out, _) = at(d, "2026-11-30T01:07:00Z", &["postmortem", "check", &a]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("severity is P0, but INC-20261129-001 is P1"),
        "{out}"
    );
    // Odd input is refused with the reason.
    let (code, _, err) = at(
        d,
        "2026-11-30T01:08:00Z",
        &[
            "incident",
            "scope",
            &a,
            "--detected",
            "0001-01-01T00:00:00Z",
        ],
    );
    assert_eq!(
        (code, err.contains("more than a year ago")),
        (2, true),
        "{err}"
    );
    let (code, _, err) = at(
        d,
        "2026-11-30T01:08:00Z",
        &[
            "incident",
            "open",
            "--title",
            "two\nlines",
            "--severity",
            "P2",
            "--reason",
            "r",
        ],
    );
    assert_eq!((code, err.contains("must be one line")), (2, true), "{err}");
    let (code, _, err) = at(
        d,
        "2026-11-30T01:08:00Z",
        &[
            "incident",
            "open",
            "--title",
            "t",
            "--fact",
            "mode=live",
            "--fact",
            "mode=paper",
        ],
    );
    assert_eq!((code, err.contains("stated twice")), (2, true), "{err}");
    ok(
        d,
        "2026-11-30T01:09:00Z",
        &["incident", "severity", &a, "--severity", "P0"],
    );
}

/// Read models do not trust a log written around the guards (issue 11,
/// item 5): `incident show`, `list` and `report` flag it (the gate's OB803
/// rejects it) instead of counting it silently; a correction of seq 1 changes
/// the title shown everywhere.
#[test]
fn read_models_flag_logs_written_around_the_guards_and_show_corrected_titles() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let open = |now: &str, title: &str| {
        ok(
            d,
            now,
            &[
                "incident",
                "open",
                "--title",
                title,
                "--severity",
                "P1",
                "--reason",
                "test",
            ],
        )
        .trim()
        .to_string()
    };
    let good = open("2026-11-29T01:00:00Z", "orders rejectd");
    ok(d, "2026-11-29T01:05:00Z", &["incident", "ack", &good]);
    let raw = open("2026-11-29T02:00:00Z", "raw log");
    let log = dir.join("incidents").join(&raw).join("events.jsonl");
    for data in [
        r#"{"from":"OPEN","to":"ACKED","reason":"x"}"#,
        r#"{"from":"ACKED","to":"RESOLVED","reason":"skipped the guards"}"#,
    ] {
        opsbook()
            .env("OPSBOOK_NOW", "2026-11-29T02:10:00Z")
            .args(["ledger", "append"])
            .arg(&log)
            .args(["--type", "status_changed", "--data", data])
            .assert()
            .success();
    }
    // show: flagged at the top, in JSON too.
    let v = show(d, &raw);
    assert_eq!(v["breaks_order"], true);
    assert_eq!(v["violations"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(show(d, &good)["breaks_order"], false);
    let human = ok(d, "2026-11-29T03:00:00Z", &["incident", "show", &raw]);
    assert!(
        human.contains(
            "Log              NOT TRUSTED: 1 event(s) written around the guards (gate OB803"
        ),
        "{human}"
    );
    // list: the row says so, the JSON row counts the violations.
    let l: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T03:00:00Z",
        &["incident", "list", "--format", "json"],
    ))
    .unwrap();
    let row = |id: &str| {
        l["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row(&raw)["order_violations"], 1);
    assert_eq!(row(&good)["order_violations"], 0);
    let human = ok(d, "2026-11-29T03:00:00Z", &["incident", "list"]);
    let raw_line = human.lines().find(|x| x.starts_with(raw.as_str())).unwrap();
    assert!(
        raw_line.ends_with("[log breaks the order in 1 place(s): gate OB803]"),
        "{human}"
    );
    assert!(
        human.contains("2 incidents, 1 open, 1 with a log written around the guards"),
        "{human}"
    );
    // report: not counted in MTTA/MTTR, listed apart.
    let r: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T03:00:00Z",
        &["report", "--format", "json", "--as-of", "2026-11-29"],
    ))
    .unwrap();
    assert_eq!(r["by_severity"]["P1"]["incidents"], 1, "{r:#}");
    assert_eq!(
        r["by_severity"]["P1"]["resolved"], 0,
        "the raw RESOLVED is not counted"
    );
    assert_eq!(r["not_counted"][0]["id"], raw.as_str());
    assert_eq!(r["not_counted"][0]["order_violations"][0]["seq"], 3);
    let human = ok(
        d,
        "2026-11-29T03:00:00Z",
        &["report", "--as-of", "2026-11-29"],
    );
    assert!(
        human.contains(&format!(
            "Not counted: 1 incident(s) whose log breaks the incident order (gate OB803)\n  {raw} P1 RESOLVED: event seq 3:"
        )),
        "{human}"
    );
    // A correction of seq 1 with a text is the title everywhere.
    ok(
        d,
        "2026-11-29T03:10:00Z",
        &[
            "incident",
            "correct",
            &good,
            "--seq",
            "1",
            "--reason",
            "typo",
            "--text",
            "Orders rejected",
        ],
    );
    assert_eq!(show(d, &good)["title"], "Orders rejected");
    let l = ok(d, "2026-11-29T03:11:00Z", &["incident", "list"]);
    assert!(
        l.lines()
            .any(|x| x.starts_with(good.as_str()) && x.contains("Orders rejected")),
        "{l}"
    );
    let r: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T03:11:00Z",
        &["report", "--format", "json", "--as-of", "2026-11-29"],
    ))
    .unwrap();
    assert_eq!(r["open_incidents"][0]["title"], "Orders rejected", "{r:#}");
    let t = ok(d, "2026-11-29T03:11:00Z", &["incident", "timeline", &good]);
    assert!(t.starts_with(&format!("{good} — Orders rejected\n")), "{t}");
    let (code, g) = gate_json(d, &[]);
    assert_eq!(code, 1);
    assert!(codes(&g).iter().all(|c| c == "OB803"), "{g:#}");
}
