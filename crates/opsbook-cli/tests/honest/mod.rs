//! Issue 13 items 6, 9 and 11 as the operator sees them: `opsbook p0`
//! stops at a step that is not really done and resumes there; `confirm`
//! says when the cooling-off ends and `confirm status` shows CNF-1, CNF-2
//! and the abandoned ones; `postmortem amend` clears the gate's OB812;
//! `drill record --evidence` must exist; long texts are refused.

use std::path::Path;

use serde_json::Value;

use super::{at, init_ssot, ok};

fn expect(dir: &Path, now: &str, args: &[&str], code: i32, needle: &str) -> (String, String) {
    let (c, out, err) = at(dir, now, args);
    assert_eq!(c, code, "{args:?}: {out}{err}");
    assert!(
        format!("{out}{err}").contains(needle),
        "{args:?}: `{needle}` not in: {out}{err}"
    );
    (out, err)
}

fn p0_file(dir: &Path, name: &str, steps: std::ops::RangeInclusive<u32>) -> String {
    let mut text = String::from("steps:\n");
    for n in steps {
        text.push_str(&format!(
            "  \"{n}\": {{result: done, note: \"step {n} seen\"}}\n"
        ));
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn p0_stops_at_a_step_not_really_done_and_resumes_there() {
    let (_t, dir) = init_ssot();
    let first = p0_file(&dir, "p0-a.yaml", 1..=3);
    let (out, _) = expect(
        &dir,
        "2026-11-29T03:10:00Z",
        &["p0", "--answers", &first, "--title", "orders stuck"],
        1,
        "Step 3 is NOT done: it sets HALTED, and ledger/safety.jsonl shows NORMAL.",
    );
    let at_id = out.find("INC-").unwrap();
    let id: String = out[at_id..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    assert!(
        out.contains("2 step(s) recorded") && out.contains(", opened at step 2"),
        "{out}"
    );
    assert!(
        out.contains(&format!("Next: step 3. `opsbook p0 {id}` continues there.")),
        "{out}"
    );
    ok(
        &dir,
        "2026-11-29T03:11:00Z",
        &[
            "halt",
            "--reason",
            "orders stuck",
            "--incident",
            &id,
            "--manual",
        ],
    );
    // An answers file that ends at step 8 stops cleanly before step 9
    // (issue 13): exit 1, where it stopped and the command that resumes.
    let part = p0_file(&dir, "p0-part.yaml", 1..=8);
    let (out, _) = expect(
        &dir,
        "2026-11-29T03:11:30Z",
        &["p0", "--answers", &part],
        1,
        "Stopped before step 9: the answers file has no answer for it (`steps.9`); every step before it is recorded whole, nothing of step 9.",
    );
    assert!(
        out.contains(&format!("Resumed {id} at step 3."))
            && out.contains("6 step(s) recorded")
            && out.contains(&format!("and run `opsbook p0 {id} --answers ")),
        "{out}"
    );
    // Step 10 checks step 9's records: without them it is not done.
    let rest = p0_file(&dir, "p0-b.yaml", 1..=10);
    let (out, _) = expect(
        &dir,
        "2026-11-29T03:11:40Z",
        &["p0", "--answers", &rest],
        1,
        "Step 10 is NOT done: the record lacks a scope declaration (what is affected and what is not) and a decision with its reason.",
    );
    assert!(out.contains("1 step(s) recorded"), "{out}");
    ok(
        &dir,
        "2026-11-29T03:11:50Z",
        &[
            "incident",
            "log",
            &id,
            "--type",
            "scope",
            "--text",
            "Binance spot",
        ],
    );
    ok(
        &dir,
        "2026-11-29T03:11:55Z",
        &[
            "incident",
            "log",
            &id,
            "--type",
            "decision",
            "--text",
            "Stay HALTED",
            "--reason",
            "orders stuck",
        ],
    );
    let out = ok(&dir, "2026-11-29T03:12:00Z", &["p0", "--answers", &rest]);
    assert!(
        out.contains(&format!("Resumed {id} at step 10."))
            && out.contains("1 step(s) recorded")
            && out.contains("Every step is done."),
        "{out}"
    );
    let v: Value = serde_json::from_str(&ok(
        &dir,
        "2026-11-29T03:13:00Z",
        &["incident", "list", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(v["incidents"].as_array().map(Vec::len), Some(1), "{v}");
}

#[test]
fn confirm_says_when_the_cooling_off_ends_and_status_lists_every_confirmation() {
    let (_t, dir) = init_ssot();
    let mx = dir.join("policy/safety-matrix.yaml");
    let s = std::fs::read_to_string(&mx)
        .unwrap()
        .replace("cooling_off_seconds: 180", "cooling_off_seconds: 1");
    std::fs::write(&mx, s).unwrap();
    ok(
        &dir,
        "2026-11-29T12:00:00Z",
        &["safety", "set", "HALTED", "--reason", "drill", "--manual"],
    );
    let short = dir.join("short.yaml");
    std::fs::write(&short, "hours_awake: 8\n").unwrap();
    expect(
        &dir,
        "2026-11-29T12:01:00Z",
        &[
            "confirm",
            "release_halt",
            "--answers",
            short.to_str().unwrap(),
            // Inside HALTED's dwell on purpose (numbering, closing).
            "--before-dwell",
        ],
        2,
        "hours_slept",
    );
    let fit = dir.join("fit.yaml");
    std::fs::write(
        &fit,
        opsbook_testkit::ssot::confirm_answers("RECOVERING", 8),
    )
    .unwrap();
    let (out, err) = expect(
        &dir,
        "2026-11-29T12:02:00Z",
        &[
            "confirm",
            "release_halt",
            "--answers",
            fit.to_str().unwrap(),
            "--before-dwell",
        ],
        0,
        "CNF-2 confirmed",
    );
    assert!(
        err.contains("Cooling-off 1 s: it ends at 2026-11-29T12:02:01.000Z (UTC), 1 s from now.")
            && err.contains("CNF-1 closed as abandoned: never answered to the end: CNF-2 of the same action (release_halt) started"),
        "{out}{err}"
    );
    let out = ok(&dir, "2026-11-29T12:30:00Z", &["confirm", "status"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("CNF-2   expired     release_halt on `RECOVERING` (T2)")
            && lines[0].ends_with("(recorded when the next confirmation starts)"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("CNF-1   abandoned   release_halt"),
        "{out}"
    );
    let v: Value = serde_json::from_str(&ok(
        &dir,
        "2026-11-29T12:30:00Z",
        &["confirm", "status", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(v["confirmations"][0]["id"], "CNF-2");
    assert_eq!(v["confirmations"][0]["status"], "expired");
    assert_eq!(v["confirmations"][1]["status"], "abandoned");
}

#[test]
fn a_postmortem_edited_after_close_fails_the_gate_until_amended() {
    let (_t, dir) = init_ssot();
    // A P2 worked to RESOLVED (the log as the incident commands write it).
    let id = "INC-20261129-001".to_string();
    let log = dir.join(format!("incidents/{id}/events.jsonl"));
    let sha = "ab".repeat(32);
    let events = [
        (
            "opened",
            r#"{"title":"Clock drift warning","severity":"P2","reason":"ClockDriftWarning fired"}"#
                .to_string(),
        ),
        (
            "status_changed",
            r#"{"from":"OPEN","to":"ACKED","reason":"ack","commander":"Aiko"}"#.to_string(),
        ),
        (
            "safety_decision",
            r#"{"to":"NORMAL","reason":"a warning only","decision":"stay NORMAL"}"#.to_string(),
        ),
        (
            "status_changed",
            r#"{"from":"ACKED","to":"MITIGATING","reason":"resync"}"#.to_string(),
        ),
        (
            "status_changed",
            r#"{"from":"MITIGATING","to":"MONITORING","reason":"offset 12 ms"}"#.to_string(),
        ),
        (
            "evidence_attached",
            format!(r#"{{"ref":"w32tm.txt","sha256":"{sha}","kind":"file"}}"#),
        ),
        (
            "recovery_acceptance",
            r#"{"checks":[{"id":"time_ok","result":"pass","evidence":"w32tm.txt"}],"passed":true}"#
                .to_string(),
        ),
        (
            "status_changed",
            r#"{"from":"MONITORING","to":"RESOLVED","reason":"accepted"}"#.to_string(),
        ),
    ];
    for (i, (kind, data)) in events.iter().enumerate() {
        super::opsbook()
            .env("OPSBOOK_NOW", format!("2026-11-29T02:0{i}:00Z"))
            .args(["ledger", "append"])
            .arg(&log)
            .args(["--type", kind, "--data", data])
            .assert()
            .success();
    }
    let text = opsbook_testkit::ssot::postmortem(
        &id,
        "Add a step that checks w32tm /query /status before restarting OrderGateway",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    )
    .replace("severity: P0", "severity: P2");
    let pm = dir.join(format!("incidents/{id}/postmortem.md"));
    std::fs::write(&pm, &text).unwrap();
    ok(
        &dir,
        "2026-11-29T03:05:00Z",
        &["incident", "close", &id, "--reason", "reviewed"],
    );
    let (_, g) = super::gate_json(&dir, &[]);
    assert!(!super::codes(&g).iter().any(|c| c == "OB812"), "{g}");
    std::fs::write(
        &pm,
        text.replace("# Postmortem", "# Postmortem\n\nLate finding."),
    )
    .unwrap();
    let (code, g) = super::gate_json(&dir, &[]);
    assert_eq!(code, 1, "{g}");
    let f = super::finding(&g, "OB812");
    assert_eq!(f["file"], format!("incidents/{id}/events.jsonl"));
    assert!(
        f["message"].as_str().unwrap().starts_with(&format!(
            "incidents/{id}/postmortem.md was edited after {id} was closed"
        )),
        "{f}"
    );
    let help = f["help"].as_str().unwrap();
    assert!(
        help.contains(&format!("`opsbook postmortem amend {id} --reason")),
        "{help}"
    );
    let out = ok(
        &dir,
        "2026-12-01T10:00:00Z",
        &["postmortem", "amend", &id, "--reason", "late finding added"],
    );
    assert!(
        out.starts_with(&format!(
            "Amended incidents/{id}/postmortem.md of {id}: SHA-256 "
        )),
        "{out}"
    );
    let (_, g) = super::gate_json(&dir, &[]);
    assert!(!super::codes(&g).iter().any(|c| c == "OB812"), "{g}");
}

#[test]
fn drill_evidence_must_exist_and_long_texts_are_refused() {
    let (t, dir) = init_ssot();
    expect(
        &dir,
        "2026-11-29T04:00:00Z",
        &[
            "drill",
            "record",
            "DR-HALT-EVIDENCE",
            "--result",
            "pass",
            "--evidence",
            "EVB-7",
        ],
        2,
        "--evidence EVB-7: no such bundle in ledger/custody.jsonl",
    );
    assert!(!dir.join("ledger/drills.jsonl").exists());
    let notes = t.path().join("halt-drill.txt");
    std::fs::write(&notes, "HALT drill: hook ok\n").unwrap();
    ok(
        &dir,
        "2026-11-29T04:01:00Z",
        &[
            "drill",
            "record",
            "DR-HALT-EVIDENCE",
            "--result",
            "pass",
            "--evidence",
            notes.to_str().unwrap(),
        ],
    );
    let long = "x".repeat(201);
    expect(
        &dir,
        "2026-11-29T04:02:00Z",
        &[
            "incident",
            "open",
            "--title",
            &long,
            "--severity",
            "P2",
            "--reason",
            "r",
        ],
        2,
        "the title is 201 characters long; the limit is 200 characters",
    );
    let incidents = std::fs::read_dir(dir.join("incidents"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .count()
        })
        .unwrap_or(0);
    assert_eq!(incidents, 0, "nothing opened");
    let reason = "r".repeat(5000);
    expect(
        &dir,
        "2026-11-29T04:03:00Z",
        &[
            "safety",
            "set",
            "SAFE_MODE",
            "--reason",
            &reason,
            "--manual",
        ],
        2,
        "the reason is 5000 bytes long; the limit is 4096 bytes (4 KiB)",
    );
}
