//! Issue 16 end to end: `opsbook time check` against local SNTP responders
//! with set offsets, `opsbook lease` (one holder, refusal with who holds
//! it, every step a ledger event), `opsbook marketdata` on a damaged copy of
//! a real recording (the gap at its line; mark, quarantine, backfill-plan
//! recorded), and the T2 gates of failback and switch-version.

use std::path::Path;

mod lease;

use opsbook_testkit::sntp::{Reply, scripted, silent};
use serde_json::Value;

use super::{at, corpus, init_ssot, ok};

const NOW: &str = "2026-11-29T03:00:00Z";
/// By day: a T2 confirmation at night is refused for fatigue.
const DAY: &str = "2026-11-29T11:00:00Z";

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn types(ledger: &Path) -> Vec<String> {
    std::fs::read_to_string(ledger)
        .unwrap()
        .lines()
        .map(|l| json(l)["type"].as_str().unwrap().to_string())
        .collect()
}

fn open_incident(dir: &Path) -> String {
    ok(
        dir,
        NOW,
        &[
            "incident",
            "open",
            "--title",
            "clock",
            "--severity",
            "P1",
            "--reason",
            "test",
        ],
    )
    .trim()
    .to_string()
}

#[test]
fn time_check_exit_codes_follow_the_verdict_and_a_record_is_a_tck_on_the_timeline() {
    let (_t, dir) = init_ssot();
    // 600 ms off: at or above halt_new_orders (starter 500 ms) → exit 1.
    let (far, _) = scripted(vec![Reply::at(600)]);
    let (code, out, err) = at(
        &dir,
        NOW,
        &["time", "check", "--server", &far, "--format", "json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["verdict"], "halt_new_orders", "{out}");
    let off = v["offset_ms"].as_i64().unwrap();
    assert!((550..=650).contains(&off), "{off}");
    assert_eq!(v["thresholds_ms"]["warn"], 250);
    assert!(v.get("recorded").is_none(), "{out}");
    // 10 ms off, recorded for an incident → exit 0, TCK-1, a note on its timeline.
    let id = open_incident(&dir);
    let (near, _) = scripted(vec![Reply::at(10)]);
    let (code, out, err) = at(
        &dir,
        NOW,
        &[
            "time",
            "check",
            "--server",
            &near,
            "--incident",
            &id,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["verdict"], "ok");
    assert_eq!(v["recorded"], "TCK-1");
    assert_eq!(
        types(&dir.join("ledger").join("time.jsonl")),
        ["time_checked"]
    );
    let log =
        std::fs::read_to_string(dir.join("incidents").join(&id).join("events.jsonl")).unwrap();
    assert!(log.contains("clock check TCK-1: ok"), "{log}");
    // Human text names the record and the check that accepts it.
    let (code, out, _) = at(&dir, NOW, &["time", "check", "--server", &near, "--record"]);
    assert_eq!(code, 0);
    assert!(out.contains("recorded as TCK-2"), "{out}");
    assert!(out.contains("time_ok=pass:TCK-2"), "{out}");
    // Nothing answers → unmeasured, exit 2 (never OK).
    let (_sock, dead) = silent();
    let (code, out, err) = at(
        &dir,
        NOW,
        &["time", "check", "--server", &dead, "--format", "json"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(json(&out)["verdict"], "unmeasured");
    // Recorded unmeasured: kept as evidence, never offered as time_ok.
    let (code, out, err) = at(&dir, NOW, &["time", "check", "--server", &dead, "--record"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("recorded as TCK-3"), "{out}");
    assert!(!out.contains("time_ok=pass"), "{out}");
    assert!(
        out.contains("the time_ok check does not accept it (unmeasured"),
        "{out}"
    );
    // …and a 600 ms offset recorded is not offered either.
    let (far, _) = scripted(vec![Reply::at(600)]);
    let (code, out, _) = at(&dir, NOW, &["time", "check", "--server", &far, "--record"]);
    assert_eq!(code, 1);
    assert!(out.contains("recorded as TCK-4"), "{out}");
    assert!(!out.contains("time_ok=pass"), "{out}");
}

#[test]
fn lease_one_holder_refusal_names_it_and_every_step_is_a_ledger_event() {
    let (t, dir) = init_ssot();
    let leases = t.path().join("leases");
    let run = |args: &[&str]| {
        let out = super::opsbook()
            .env("OPSBOOK_NOW", NOW)
            .env("OPSBOOK_ACTOR", "Aiko")
            .env("OPSBOOK_LEASE_DIR", &leases)
            .args(args)
            .arg("--root")
            .arg(&dir)
            .output()
            .unwrap();
        super::outcome(&out)
    };
    let (code, out, err) = run(&[
        "lease",
        "acquire",
        "order-gateway",
        "--holder",
        "n1",
        "--ttl",
        "30s",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let l = json(&out);
    assert_eq!(
        (l["holder"].as_str(), l["token"].as_u64()),
        (Some("n1"), Some(1))
    );
    assert_eq!(l["valid_for_ms"], 28_000);
    // A second instance is refused with who holds it since when, exit 1.
    let (code, out, err) = run(&["lease", "acquire", "order-gateway", "--holder", "n2"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("held by n1"), "{err}");
    assert!(
        err.contains("`opsbook lease status order-gateway`"),
        "{err}"
    );
    // The token is current; a wrong one is not.
    assert_eq!(
        run(&["lease", "check", "order-gateway", "--token", "1"]).0,
        0
    );
    assert_eq!(
        run(&["lease", "check", "order-gateway", "--token", "7"]).0,
        1
    );
    let (code, out, _) = run(&[
        "lease",
        "renew",
        "order-gateway",
        "--holder",
        "n1",
        "--token",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["token"], 1);
    assert_eq!(
        run(&[
            "lease",
            "release",
            "order-gateway",
            "--holder",
            "n1",
            "--token",
            "1"
        ])
        .0,
        0
    );
    // Released: the next holder gets a higher token.
    let (code, out, _) = run(&[
        "lease",
        "acquire",
        "order-gateway",
        "--holder",
        "n2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["token"], 2);
    let (code, out, _) = run(&["lease", "status", "order-gateway", "--format", "json"]);
    assert_eq!(code, 0);
    let s = json(&out);
    assert_eq!(
        (s["state"].as_str(), s["holder"].as_str()),
        (Some("held"), Some("n2"))
    );
    let kinds = types(&dir.join("ledger").join("lease.jsonl"));
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("lease_acquired"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "lease_renewed"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "lease_released"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| *k == "lease_acquired").count(),
        2,
        "{kinds:?}"
    );
    // Missing --token is a usage error, not a refusal.
    assert_eq!(
        run(&["lease", "renew", "order-gateway", "--holder", "n2"]).0,
        2
    );
    // A check without --holder names no invented holder.
    let (code, _, err) = run(&["lease", "check", "order-gateway", "--token", "1"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("token 1 is stale for lease `order-gateway`"),
        "{err}"
    );
    assert!(!err.contains("holder -"), "{err}");
    // Without a name: every lease this SSOT knows — the order writers of
    // policy/failover.yaml (trading-engine never acquired) and the ledger's —
    // each with its store.
    let (code, out, err) = run(&["lease", "status"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("order-gateway: held, holder n2, token 2"),
        "{out}"
    );
    assert!(out.contains("trading-engine: free"), "{out}");
    assert!(
        out.contains(&format!("store: file:{}", leases.display())),
        "{out}"
    );
    let (_, out, _) = run(&["lease", "status", "--format", "json"]);
    let v = json(&out);
    let names: Vec<&str> = v["leases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["order-gateway", "trading-engine"]);
    // The local store fences one host: said on acquire.
    let (_, _, err) = run(&["lease", "acquire", "trading-engine", "--holder", "n2"]);
    assert!(
        err.contains("fences the processes of this host only"),
        "{err}"
    );
    // --help says where the local store is and shows an example.
    let out = super::opsbook().args(["lease", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("OPSBOOK_LEASE_DIR")
            && help.contains("%ProgramData%\\opsbook\\leases")
            && help.contains("opsbook lease acquire order-gateway --holder n1"),
        "{help}"
    );
}

#[test]
fn no_split_brain_given_as_a_file_is_refused_with_the_command_that_shows_the_holders() {
    let (_t, dir) = init_ssot();
    let id = open_incident(&dir);
    ok(&dir, NOW, &["incident", "ack", &id, "--commander", "Aiko"]);
    ok(
        &dir,
        NOW,
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
            "--record-only",
        ],
    );
    ok(
        &dir,
        NOW,
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "resync",
        ],
    );
    let (code, _, err) = at(
        &dir,
        NOW,
        &[
            "incident",
            "accept",
            &id,
            "--check",
            "cause_mitigated=pass:https://wiki.example.invalid/x",
            "--check",
            "reconciliation_ok=fail:recon.csv",
            "--check",
            "time_ok=fail:w32tm.txt",
            "--check",
            "no_split_brain=pass:lease-0242.txt",
            "--check",
            "alerts_quiet=pass:am.json",
            "--check",
            "recovering_dwell=fail",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no_split_brain is not verified: `lease-0242.txt` is not this SSOT's lease ledger")
            && err.contains("see who holds each lease: `opsbook lease status`, then answer `no_split_brain=pass:ledger/lease.jsonl`"),
        "{err}"
    );
}

#[test]
fn marketdata_scan_finds_the_dropped_ids_at_their_line_then_mark_quarantine_plan_record_it() {
    let (t, dir) = init_ssot();
    let src = std::fs::read_to_string(corpus(
        "freqtrade-testdata/tests/testdata/orderflow/public_trades_list.csv",
    ))
    .unwrap();
    let mut lines: Vec<&str> = src.lines().collect();
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("clean.csv"), lines.join("\n") + "\n").unwrap();
    lines.drain(100..102); // IDs 1206419286 and 1206419287 at lines 101-102
    let damaged = data.join("dropped.csv");
    std::fs::write(&damaged, lines.join("\n") + "\n").unwrap();
    let d = data.to_str().unwrap();
    let (code, out, err) = at(
        &dir,
        NOW,
        &[
            "marketdata",
            "scan",
            &format!("{d}/clean.csv"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 0);
    let report = t.path().join("scan.json");
    let (code, out, err) = at(
        &dir,
        NOW,
        &[
            "marketdata",
            "scan",
            damaged.to_str().unwrap(),
            "--save",
            report.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["summary"]["files"], 1);
    // 1000 data rows in the recording (`wc -l` minus the header), two dropped.
    assert_eq!(v["summary"]["records"], 998, "{out}");
    assert_eq!(v["summary"]["findings"]["gap"], 1, "{out}");
    let f = &v["findings"][0];
    assert_eq!(
        (
            f["kind"].as_str(),
            f["line"].as_u64(),
            f["from"].as_u64(),
            f["to"].as_u64(),
            f["count"].as_u64()
        ),
        (
            Some("gap"),
            Some(101),
            Some(1_206_419_286),
            Some(1_206_419_287),
            Some(2)
        ),
        "{f}"
    );
    assert!(report.is_file());
    // Human text names the file and line.
    let (code, human, _) = at(
        &dir,
        NOW,
        &["marketdata", "scan", damaged.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert!(human.contains("dropped.csv:101"), "{human}");
    // mark: a sidecar beside the file and data_marked in the SSOT.
    let r = report.to_str().unwrap();
    let out = ok(
        &dir,
        NOW,
        &["marketdata", "mark", "--report", r, "--format", "json"],
    );
    assert_eq!(json(&out)["files"][0]["added"], 1, "{out}");
    assert!(data.join("dropped.csv.marks.jsonl").is_file());
    // Marked again: nothing new, no second event.
    ok(&dir, NOW, &["marketdata", "mark", "--report", r]);
    // backfill-plan: the exact requests (the freqtrade file names no venue: the note says so, or a request).
    let out = ok(
        &dir,
        NOW,
        &[
            "marketdata",
            "backfill-plan",
            "--report",
            r,
            "--format",
            "json",
        ],
    );
    let plan = json(&out);
    assert!(
        plan["requests"].as_array().is_some_and(|a| !a.is_empty())
            || plan["not_planned"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
        "{out}"
    );
    // quarantine (ALLOW in NORMAL): moved aside with a manifest, never deleted.
    let q = t.path().join("quarantine");
    let out = ok(
        &dir,
        NOW,
        &[
            "marketdata",
            "quarantine",
            "--report",
            r,
            "--dest",
            q.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let v = json(&out);
    assert_eq!(v["entries"].as_array().unwrap().len(), 1, "{out}");
    assert!(!damaged.exists());
    assert!(q.join("quarantine.jsonl").is_file());
    assert!(data.join("clean.csv").is_file());
    assert_eq!(
        types(&dir.join("ledger").join("data.jsonl")),
        ["data_marked", "data_quarantined"]
    );
    // No file and no report: a usage error.
    assert_eq!(at(&dir, NOW, &["marketdata", "mark"]).0, 2);
}

#[test]
fn failback_and_switch_version_are_t2_refused_without_a_confirmation() {
    let (t, dir) = init_ssot();
    let (code, out, err) = at(
        &dir,
        NOW,
        &[
            "failover",
            "failback",
            "order-gateway",
            "--fact",
            "primary=n1",
            "--fact",
            "standby=n2",
            "--reason",
            "primary repaired",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("`opsbook confirm failback --target order-gateway`"),
        "{err}"
    );
    // failover check: nothing stated → unknown never passes, exit 1; JSON per component.
    let (code, out, _) = at(
        &dir,
        NOW,
        &["failover", "check", "order-gateway", "--format", "json"],
    );
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["ok"], false);
    assert_eq!(v["components"][0]["component"], "order-gateway");
    assert_eq!(
        at(&dir, NOW, &["failover", "check", "--fact", "bogus=1"]).0,
        2
    );
    // switch-version: refused without the confirmation; the pointer unchanged.
    let data = t.path().join("derived");
    std::fs::create_dir_all(data.join("v2")).unwrap();
    let pointer = data.join("CURRENT");
    std::fs::write(&pointer, "v1\n").unwrap();
    let p = pointer.to_str().unwrap();
    let id = open_incident(&dir);
    let switch = [
        "marketdata",
        "switch-version",
        p,
        "v2",
        "--incident",
        &id,
        "--reason",
        "rebuilt",
    ];
    // The P1 turned the change freeze on: the freeze refuses first.
    let (code, out, err) = at(&dir, NOW, &switch);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("replay_reprocess_data is frozen"), "{err}");
    ok(
        &dir,
        NOW,
        &[
            "freeze",
            "except",
            "--action",
            "replay_reprocess_data",
            "--reason",
            "rebuild",
            "--risk",
            "derived data",
            "--backout",
            "switch back",
            "--expires-in",
            "60m",
            "--approver",
            "Ken",
        ],
    );
    // With the exception, the one-person confirmation is what is missing.
    let (code, out, err) = at(
        &dir,
        NOW,
        &[
            "marketdata",
            "switch-version",
            p,
            "v2",
            "--incident",
            &id,
            "--reason",
            "rebuilt",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!(
            "`opsbook confirm replay_reprocess_data --target {p}`"
        )),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&pointer).unwrap(), "v1\n");
}

/// The one-person confirmation of `op` on `target` from an answers file.
fn confirm(dir: &Path, op: &str, target: &str) -> String {
    let a = dir.join(format!("answers-{op}.yaml"));
    std::fs::write(&a, opsbook_testkit::ssot::confirm_answers(target, 8)).unwrap();
    ok(
        dir,
        DAY,
        &[
            "confirm",
            op,
            "--target",
            target,
            "--answers",
            a.to_str().unwrap(),
        ],
    )
}

fn no_cooling_off(dir: &Path) {
    super::edit(
        &dir.join("policy").join("safety-matrix.yaml"),
        "cooling_off_seconds: 180",
        "cooling_off_seconds: 0",
    );
}

#[test]
fn switch_version_and_failback_with_their_confirmations_are_done_and_recorded() {
    let (t, dir) = init_ssot();
    no_cooling_off(&dir);
    // switch-version: the pointer moves, the old version stays, evidence first.
    let data = t.path().join("derived");
    std::fs::create_dir_all(data.join("v1")).unwrap();
    std::fs::create_dir_all(data.join("v2")).unwrap();
    let pointer = data.join("CURRENT");
    std::fs::write(&pointer, "v1\n").unwrap();
    let p = pointer.to_str().unwrap();
    let id = ok(
        &dir,
        DAY,
        &[
            "incident",
            "open",
            "--title",
            "rebuild",
            "--severity",
            "P2",
            "--reason",
            "test",
        ],
    )
    .trim()
    .to_string();
    confirm(&dir, "replay_reprocess_data", p);
    let (code, out, err) = at(
        &dir,
        DAY,
        &[
            "marketdata",
            "switch-version",
            p,
            "v2",
            "--incident",
            &id,
            "--reason",
            "rebuilt",
            "--clock-reference",
            "none",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["switch"]["previous"], "v1");
    assert_eq!(v["switch"]["current"], "v2");
    assert_eq!(std::fs::read_to_string(&pointer).unwrap().trim(), "v2");
    assert!(data.join("v1").is_dir());
    assert_eq!(
        types(&dir.join("ledger").join("data.jsonl")),
        ["data_version_switched"]
    );
    let conf = types(&dir.join("ledger").join("confirmations.jsonl"));
    assert_eq!(
        conf.last().map(String::as_str),
        Some("confirmation_used"),
        "{conf:?}"
    );
    // failback: the standby released, every condition stated → approved.
    confirm(&dir, "failback", "order-gateway");
    let (code, out, err) = at(
        &dir,
        DAY,
        &[
            "failover",
            "failback",
            "order-gateway",
            "--fact",
            "primary=n1",
            "--fact",
            "standby=n2",
            "--fact",
            "stable_minutes_on_standby=75",
            "--fact",
            "reconciliation_ok=true",
            "--reason",
            "primary repaired",
            "--incident",
            &id,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["assessment"]["ok"], true, "{out}");
    assert!(
        v["confirmation"].as_str().unwrap().starts_with("CNF-"),
        "{out}"
    );
    let log =
        std::fs::read_to_string(dir.join("incidents").join(&id).join("events.jsonl")).unwrap();
    assert!(log.contains("failback of order-gateway approved"), "{log}");
    assert!(log.contains("data version switched"), "{log}");
    // The confirmation is used up: a second failback is refused.
    let (code, _, err) = at(
        &dir,
        DAY,
        &[
            "failover",
            "failback",
            "order-gateway",
            "--fact",
            "primary=n1",
            "--fact",
            "standby=n2",
            "--fact",
            "stable_minutes_on_standby=75",
            "--fact",
            "reconciliation_ok=true",
            "--reason",
            "again",
        ],
    );
    assert_eq!(code, 1, "{err}");
}
