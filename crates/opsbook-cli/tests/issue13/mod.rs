//! Issue 13 end to end, one command at a time: HALT always halts and
//! nothing stops half-way (a broken freeze ledger, its recovery), one truth
//! for the safety state, severity by magnitude, values that begin with `-`,
//! an idempotent halt.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{at, init_ssot, ok};

mod scenarios;

fn expect(dir: &Path, now: &str, args: &[&str], code: i32, needle: &str) -> String {
    let (c, out, err) = at(dir, now, args);
    let all = format!("{out}{err}");
    assert_eq!(c, code, "{args:?}: {all}");
    assert!(all.contains(needle), "{args:?}: `{needle}` not in: {all}");
    all
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A HALTED hook (opsbook itself appending to `platform.jsonl`): returns
/// the platform file.
fn halted_hook(dir: &Path) -> PathBuf {
    let platform = dir.join("platform.jsonl");
    let exe = env!("CARGO_BIN_EXE_opsbook");
    let mut s = std::fs::read_to_string(dir.join("opsbook.toml")).unwrap();
    s.push_str(&format!(
        "\n[safety.hooks.HALTED]\ncommand = [{}, \"ledger\", \"append\", {}, \"--type\", \"mode\", \"--data\", {}]\ntimeout_seconds = 20\n",
        toml_str(exe),
        toml_str(platform.to_str().unwrap()),
        toml_str("{\"mode\":\"HALTED\"}")
    ));
    std::fs::write(dir.join("opsbook.toml"), s).unwrap();
    platform
}

/// Breaks `ledger/freeze.jsonl` (a complete line edited: not torn).
fn break_freeze(dir: &Path) {
    ok(
        dir,
        "2026-11-29T02:00:00Z",
        &["freeze", "on", "--reason", "drill"],
    );
    let p = dir.join("ledger/freeze.jsonl");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("drill", "DRILL");
    std::fs::write(&p, text).unwrap();
}

fn incidents(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("incidents"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .count()
        })
        .unwrap_or(0)
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn halt_with_a_broken_freeze_ledger_halts_and_exits_2_naming_what_is_missing() {
    let (_t, dir) = init_ssot();
    let platform = halted_hook(&dir);
    break_freeze(&dir);
    let (code, out, err) = at(
        &dir,
        "2026-11-29T03:10:00Z",
        &[
            "halt",
            "--reason",
            "-1021 on every signed request",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    let h = json(&out);
    assert_eq!(h["state"], "HALTED");
    assert_eq!(h["unrecorded"].as_array().unwrap().len(), 2, "{h}");
    assert!(
        err.contains("NOT RECORDED") && err.contains("change freeze"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(&platform)
            .unwrap()
            .contains("HALTED")
    );
    let st = json(&ok(
        &dir,
        "2026-11-29T03:11:00Z",
        &["safety", "status", "--format", "json"],
    ));
    assert_eq!(st["state"], "HALTED");
    assert_eq!(st["incident"], h["incident"]);
    assert_eq!(incidents(&dir), 1);
}

#[test]
fn incident_open_with_a_broken_freeze_ledger_leaves_nothing_then_recovers() {
    let (_t, dir) = init_ssot();
    break_freeze(&dir);
    let open = [
        "incident",
        "open",
        "--title",
        "-1021 on every signed request",
        "--severity",
        "P0",
        "--reason",
        "orders rejected",
    ];
    expect(
        &dir,
        "2026-11-29T03:10:00Z",
        &open,
        2,
        "was not opened (nothing was recorded)",
    );
    expect(&dir, "2026-11-29T03:10:10Z", &open, 2, "was not opened");
    assert_eq!(incidents(&dir), 0, "a failed open left an incident behind");
    // The documented recovery: verify names it, set-aside keeps it as evidence.
    expect(
        &dir,
        "2026-11-29T03:11:00Z",
        &["ledger", "verify"],
        1,
        "opsbook ledger set-aside",
    );
    let p = dir.join("ledger/freeze.jsonl");
    let out = super::opsbook()
        .env("OPSBOOK_NOW", "2026-11-29T03:12:00Z")
        .args(["ledger", "set-aside"])
        .arg(&p)
        .args(["--reason", "-edited by hand", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let r = json(&String::from_utf8_lossy(&out.stdout));
    let aside = PathBuf::from(r["set_aside_to"].as_str().unwrap());
    assert!(
        aside.ends_with("freeze.jsonl.broken-20261129T031200Z"),
        "{r}"
    );
    assert_eq!(r["first_break_line"], 1);
    assert_eq!(r["event"]["data"]["reason"], "-edited by hand");
    assert!(std::fs::read_to_string(&aside).unwrap().contains("DRILL"));
    ok(&dir, "2026-11-29T03:13:00Z", &open);
    assert_eq!(incidents(&dir), 1);
    ok(&dir, "2026-11-29T03:14:00Z", &["ledger", "verify"]);
}

#[test]
fn safety_set_with_a_broken_freeze_ledger_records_the_state_and_names_the_freeze() {
    let (_t, dir) = init_ssot();
    break_freeze(&dir);
    let (code, out, err) = at(
        &dir,
        "2026-11-29T03:10:00Z",
        &[
            "safety",
            "set",
            "HALTED",
            "--reason",
            "-1021 storm",
            "--manual",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    let o = json(&out);
    assert_eq!(
        (o["from"].as_str(), o["to"].as_str()),
        (Some("NORMAL"), Some("HALTED"))
    );
    let u = o["unrecorded"].as_array().unwrap();
    assert_eq!(u.len(), 1);
    assert!(
        u[0].as_str().unwrap().starts_with("the change freeze"),
        "{o}"
    );
    assert!(err.contains("NOT RECORDED"), "{err}");
    let hist = ok(
        &dir,
        "2026-11-29T03:11:00Z",
        &["safety", "history", "--format", "json"],
    );
    let kinds: Vec<String> = json(&hist)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["state_exited", "state_entered"]);
}

#[test]
fn incident_decide_safety_halted_halts_the_platform() {
    let (_t, dir) = init_ssot();
    let platform = halted_hook(&dir);
    let open = ok(
        &dir,
        "2026-11-29T03:10:00Z",
        &[
            "incident",
            "open",
            "--title",
            "-1021",
            "--severity",
            "P1",
            "--reason",
            "x",
            "--format",
            "json",
        ],
    );
    let id = json(&open)["id"].as_str().unwrap().to_string();
    let out = ok(
        &dir,
        "2026-11-29T03:12:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--safety",
            "HALTED",
            "--decision",
            "-engage kill switch",
            "--reason",
            "positions unknown",
        ],
    );
    assert!(
        out.contains("platform NORMAL → HALTED, hook ok in"),
        "{out}"
    );
    assert!(
        std::fs::read_to_string(&platform)
            .unwrap()
            .contains("HALTED")
    );
    let st = json(&ok(
        &dir,
        "2026-11-29T03:13:00Z",
        &["safety", "status", "--format", "json"],
    ));
    assert_eq!(st["state"], "HALTED");
    assert_eq!(st["incident"].as_str(), Some(id.as_str()));
    // Refused: nothing recorded, the refusal says why (exit 1).
    expect(
        &dir,
        "2026-11-29T03:14:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--safety",
            "NORMAL",
            "--decision",
            "resume",
            "--reason",
            "ok",
        ],
        1,
        "HALTED → NORMAL is not a transition",
    );
    let st = json(&ok(
        &dir,
        "2026-11-29T03:15:00Z",
        &["safety", "status", "--format", "json"],
    ));
    assert_eq!(st["state"], "HALTED");
}

#[test]
fn severity_refuses_a_negative_offset_and_names_the_stated_rule_first() {
    let (_t, dir) = init_ssot();
    expect(
        &dir,
        "2026-11-29T03:10:00Z",
        &[
            "severity",
            "classify",
            "--fact",
            "mode=live",
            "--fact",
            "clock_offset_ms=-1200",
        ],
        2,
        "State its magnitude (clock_offset_ms=1200)",
    );
    let out = ok(
        &dir,
        "2026-11-29T03:10:00Z",
        &[
            "severity",
            "classify",
            "--fact",
            "mode=live",
            "--fact",
            "clock_offset_ms=1200",
        ],
    );
    assert!(
        out.starts_with(
            "P0: rule SEV-P0-CLOCK (P0) on the stated facts; P0 through ASSUMED facts: rule SEV-P0-SECURITY assumes security_suspected"
        ),
        "{out}"
    );
}

#[test]
fn the_runbooks_positional_forms_work_with_the_incident_from_the_environment() {
    let (_t, dir) = init_ssot();
    let open = ok(
        &dir,
        "2026-11-29T03:10:00Z",
        &[
            "incident",
            "open",
            "--title",
            "-1021 on every signed request",
            "--severity",
            "P1",
            "--reason",
            "-1021",
            "--format",
            "json",
        ],
    );
    let id = json(&open)["id"].as_str().unwrap().to_string();
    let with_env = |now: &str, args: &[&str]| {
        let out = super::opsbook()
            .env("OPSBOOK_NOW", now)
            .env("OPSBOOK_INCIDENT", &id)
            .args(args)
            .arg("--root")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    with_env(
        "2026-11-29T03:11:00Z",
        &["incident", "log", "vendor ticket 4711"],
    );
    with_env(
        "2026-11-29T03:11:10Z",
        &["incident", "log", "--text", "-1021 on every signed request"],
    );
    ok(
        &dir,
        "2026-11-29T03:11:20Z",
        &["incident", "log", &id, "-1021 again at 03:11"],
    );
    // The text alone, beginning with '-', the incident from the environment.
    with_env(
        "2026-11-29T03:11:30Z",
        &["incident", "log", "-1021 with only the environment"],
    );
    with_env("2026-11-29T03:12:00Z", &["incident", "ack"]);
    with_env(
        "2026-11-29T03:13:00Z",
        &[
            "incident",
            "decide",
            "--safety",
            "SAFE_MODE",
            "--decision",
            "-reduce only",
            "--reason",
            "x",
        ],
    );
    with_env(
        "2026-11-29T03:14:00Z",
        &["incident", "status", "MITIGATING", "--reason", "-resync"],
    );
    let show = json(&ok(
        &dir,
        "2026-11-29T03:15:00Z",
        &["incident", "show", &id, "--format", "json"],
    ));
    let text = show.to_string();
    for needle in [
        "vendor ticket 4711",
        "-1021 on every signed request",
        "-1021 again",
        "-1021 with only the environment",
        "-reduce only",
        "-resync",
        "MITIGATING",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    // Without the environment, a lone value is refused with the way forward.
    expect(
        &dir,
        "2026-11-29T03:16:00Z",
        &["incident", "log", "just text"],
        2,
        "set $env:OPSBOOK_INCIDENT",
    );
}

/// Found by a first-time user: every free-text option takes a value that
/// begins with `-` (`-1021 …`, a negative amount) as a value, never as a
/// flag — whatever the command then decides about the rest.
#[test]
fn every_free_text_option_takes_a_value_beginning_with_a_dash() {
    let (_t, dir) = init_ssot();
    let root = dir.to_str().unwrap();
    let lines: [&[&str]; 7] = [
        &[
            "reconcile",
            "accept",
            "R0123456789abcdef",
            "--reason",
            "-dust below precision",
        ],
        &["incident", "scope", "INC-X", "--affected", "-order entry"],
        &[
            "incident",
            "scope",
            "INC-X",
            "--not-affected",
            "-market data",
        ],
        &[
            "drill",
            "record",
            "RB-X",
            "--result",
            "pass",
            "--evidence",
            "-e",
        ],
        &[
            "marketdata",
            "switch-version",
            "CURRENT",
            "v2",
            "--incident",
            "INC-X",
            "--reason",
            "-x",
        ],
        &["failover", "failback", "gw", "--reason", "-x"],
        &[
            "incident",
            "decide",
            "INC-X",
            "--decision",
            "-1021 storm",
            "--reason",
            "-x",
        ],
    ];
    for args in lines {
        let out = super::opsbook()
            .args(args)
            .args(["--root", root])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("unexpected argument") && !err.contains("a value is required"),
            "{args:?}: {err}"
        );
    }
}
