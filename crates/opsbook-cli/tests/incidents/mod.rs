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

fn accept_args<'a>(id: &'a str, answers: &'a [String]) -> Vec<&'a str> {
    let mut v = vec!["incident", "accept", id];
    for a in answers {
        v.push("--check");
        v.push(a.as_str());
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
    std::fs::write(
        &p,
        opsbook_testkit::ssot::postmortem(id, item_desc, target, status, due),
    )
    .unwrap();
    p
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
    // SAFE_MODE held for it: RECOVERING at 02:33 (after SAFE_MODE's 15 min),
    // the acceptance after RECOVERING's 30 min (issue 13 item 5).
    super::recover(d, "2026-11-29T02:33:00Z", &id);
    let all = super::accept_all(d, "2026-11-29T03:04:00Z");
    ok(d, "2026-11-29T03:04:00Z", &accept_args(&id, &all));
    ok(
        d,
        "2026-11-29T03:05:00Z",
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
        "2026-11-29T03:06:00Z",
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
        "2026-11-29T03:07:00Z",
        &["incident", "link", &open2, "--related", &id],
    );
    // The report's ID hashes its input paths (a temporary directory).
    let show = regex::Regex::new(r"REC-[0-9]{8}-[0-9a-f]{10}")
        .unwrap()
        .replace_all(
            &ok(d, "2026-11-29T23:00:00Z", &["incident", "show", &id]),
            "REC-{ID}",
        )
        .into_owned();
    let s = super::snapshots();
    s.bind(|| {
        insta::assert_snapshot!("incident_show", show);
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

/// The incident commands end to end, for what only the CLI does: stdout
/// holds only the ID, refusals exit 1 with the way forward as a command,
/// bad input exits 2, the timeline in text and Markdown, the report as
/// JSON, clock and postmortem messages. (The lifecycle itself is tested in
/// `opsbook-ops/tests/incidents.rs`.)
#[test]
fn incident_commands_end_to_end() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let id = ok(
        d,
        "2026-11-29T02:15:00Z",
        &[
            "incident",
            "open",
            "--title",
            "Orders rejected",
            "--fact",
            "mode=live",
            "--fact",
            "clock_offset_ms=1200",
            "--detected",
            "2026-11-29T02:12:00Z",
        ],
    );
    assert_eq!(id, "INC-20261129-001\n", "stdout is only the ID");
    let id = id.trim().to_string();
    refused(
        d,
        "2026-11-29T02:16:00Z",
        &["incident", "status", &id, "MITIGATING", "--reason", "go"],
        "allowed next (ACKED, CANCELLED)",
    );
    ok(d, "2026-11-29T02:17:00Z", &["incident", "ack", &id]);
    refused(
        d,
        "2026-11-29T02:18:00Z",
        &["incident", "status", &id, "MITIGATING", "--reason", "x"],
        &format!(
            "no safety decision recorded yet; first decide the platform's safety state: `opsbook incident decide {id} --safety HALTED --decision \"…\" --reason \"…\"` (NORMAL is a valid decision) (D-ORDER"
        ),
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
            "positions unknown",
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
            "resync",
        ],
    );
    ok(
        d,
        "2026-11-29T02:40:00Z",
        &["incident", "status", &id, "MONITORING", "--reason", "quiet"],
    );
    refused(
        d,
        "2026-11-29T02:41:00Z",
        &["incident", "resolve", &id, "--reason", "x"],
        &format!(
            "attach at least one reference: `opsbook evidence collect --incident {id}` (attaches its bundle), or `opsbook incident attach {id} FILE|EVB-…`"
        ),
    );
    let ev = dir.join("w32tm.txt");
    std::fs::write(&ev, "Phase Offset: 0.0120000s\r\n").unwrap();
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
    assert_eq!((code, err.contains("not 0000")), (2, true), "{err}");
    ok(
        d,
        "2026-11-29T02:42:20Z",
        &["incident", "attach", &id, ev.to_str().unwrap()],
    );
    // Still HALTED for it: the acceptance is refused, every failing check
    // named at once, with the command that starts recovery (issue 13).
    let early = super::accept_all(d, "2026-11-29T02:44:00Z");
    let mut failing = early.clone();
    failing[4] = "alerts_quiet=pass:x".into();
    let (code, _, err) = at(d, "2026-11-29T02:44:00Z", &accept_args(&id, &failing));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("2 checks are not accepted:\n  - check `alerts_quiet`: `x` is a placeholder")
            && err.contains(&format!(
                "\n  - recovering_dwell: {id} held the platform in HALTED since 2026-11-29T02:19:00.000Z"
            ))
            && err.contains(&format!(
                "start recovery: `opsbook confirm release_halt --target RECOVERING`, then `opsbook safety set RECOVERING --incident {id} --reason \"…\" --evidence EVB-…` (fill in the reason and the bundle that shows the cause is gone)"
            )),
        "{err}"
    );
    // The listing prints a template whose FILL_ words are named.
    let list = ok(d, "2026-11-29T02:44:30Z", &["incident", "accept", &id]);
    assert!(
        list.contains("A TEMPLATE: replace each FILL_… word")
            && list.contains("  FILL_ALERTS_QUIET: a file or URL showing no alert")
            && list.contains("--check no_split_brain=pass:ledger/lease.jsonl")
            && list.contains("--check alerts_quiet=pass:FILL_ALERTS_QUIET")
            && list.contains("not yet: recovering_dwell:")
            // Checks opsbook verifies from its own ledgers say which, and
            // how to make the record: never "a bundle ID, a file or a URL".
            && list.contains(&format!(
                "  FILL_RECOVERING_DWELL: `ledger/safety.jsonl` (opsbook reads the dwell there itself, whatever is typed): move the platform to RECOVERING (from HALTED `opsbook confirm release_halt --target RECOVERING` first), `opsbook safety set RECOVERING --incident {id} --reason TEXT --evidence EVB-…`, and answer after its dwell"
            ))
            && !list.contains("a bundle ID (EVB-…), a file or a URL"),
        "{list}"
    );
    super::recover(d, "2026-11-29T02:50:00Z", &id);
    let all = super::accept_all(d, "2026-11-29T03:21:00Z");
    let mut failing = all.clone();
    failing[3] = "no_split_brain=fail".into();
    let (code, out, _) = at(d, "2026-11-29T03:21:00Z", &accept_args(&id, &failing));
    assert_eq!(
        code, 1,
        "a failed acceptance is recorded and exits 1: {out}"
    );
    assert!(
        out.contains("recovery acceptance FAILED on no_split_brain"),
        "{out}"
    );
    let mut noev = all.clone();
    noev[0] = "cause_mitigated=pass".into();
    let (code, _, err) = at(d, "2026-11-29T03:22:00Z", &accept_args(&id, &noev));
    assert_eq!(
        (code, err.contains("passes only with evidence")),
        (2, true),
        "{err}"
    );
    // A clock behind the last event: recorded, and said on stderr.
    let (code, _, err) = at(d, "2026-11-29T03:20:00Z", &["incident", "log", &id, "late"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("is 60000 ms behind the last recorded event"),
        "{err}"
    );
    ok(
        d,
        "2026-11-29T03:23:00Z",
        &[
            "incident", "correct", &id, "--seq", "9", "--reason", "typo", "--text", "later",
        ],
    );
    // The timeline: title and every event, UTC; Markdown rows.
    let tl = ok(d, "2026-11-29T23:59:00Z", &["incident", "timeline", &id]);
    let lines: Vec<&str> = tl.lines().collect();
    assert_eq!(lines.len(), 1 + 10, "title and 10 events: {tl}");
    assert!(
        lines[3].contains("2026-11-29 02:19:00Z")
            && lines[3].contains("safety state HALTED: engage kill switch"),
        "{tl}"
    );
    assert!(
        tl.contains("recovery acceptance FAILED: no_split_brain"),
        "{tl}"
    );
    assert!(
        tl.contains("late [corrected by #10: typo → \"later\"]"),
        "{tl}"
    );
    let md = ok(
        d,
        "2026-11-29T23:59:00Z",
        &["incident", "timeline", &id, "--format", "markdown"],
    );
    assert!(md.starts_with("# Timeline INC-20261129-001"), "{md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 10 + 1);
    let r: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T23:59:00Z",
        &["report", "--format", "json", "--as-of", "2026-11-29"],
    ))
    .unwrap();
    assert_eq!(r["by_severity"]["P0"]["incidents"], 1);
    assert_eq!(r["by_severity"]["P0"]["mtta_ms"], 300_000);
    assert_eq!(r["open_incidents"].as_array().unwrap().len(), 1);
    // Postmortems: the draft is checked and never overwritten.
    ok(d, "2026-11-30T00:00:00Z", &["postmortem", "new", &id]);
    let (code, out, _) = at(d, "2026-11-30T00:00:00Z", &["postmortem", "check", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TODO placeholders"), "{out}");
    let (code, _, err) = at(d, "2026-11-30T00:00:00Z", &["postmortem", "new", &id]);
    assert_eq!(
        (code, err.contains("never overwritten")),
        (2, true),
        "{err}"
    );
    // An ambiguous short ID is a usage error.
    ok(
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
    );
    let (code, _, err) = at(d, "2026-11-30T01:01:00Z", &["incident", "show", "001"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("matches 2 incidents (INC-20261129-001, INC-20261130-001)"),
        "{err}"
    );
    let _ = write_postmortem;
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
