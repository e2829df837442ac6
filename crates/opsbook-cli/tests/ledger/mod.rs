//! Ledgers end to end: `ledger verify` names the first bad line, concurrent
//! and killed appends lose nothing, torn-ledger hints work as printed, the
//! gate verifies ledgers.

use serde_json::Value;
use std::path::Path;

use super::{finding, gate_json, init_ssot, opsbook};

// ---------------------------------------------------------------- ledger

fn ledger_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn ledger_verify_names_the_first_bad_line() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("events.jsonl");
    opsbook()
        .args([
            "ledger",
            "append",
            "--type",
            "note",
            "--repeat",
            "4",
            "--data",
            r#"{"text":"x"}"#,
        ])
        .arg(&p)
        .assert()
        .success();
    opsbook()
        .args(["ledger", "verify"])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicates::str::contains("(4 events)"));
    let good = ledger_lines(&p);
    let cases: Vec<(&str, String, usize, &str)> = vec![
        (
            "one changed byte",
            good.join("\n")
                .replacen(r#""text":"x""#, r#""text":"y""#, 2)
                .replacen(r#""text":"y""#, r#""text":"x""#, 1)
                + "\n",
            2,
            "edited",
        ),
        (
            "removed line",
            [good[0].clone(), good[2].clone(), good[3].clone()].join("\n") + "\n",
            2,
            "removed",
        ),
        (
            "swapped lines",
            [
                good[0].clone(),
                good[2].clone(),
                good[1].clone(),
                good[3].clone(),
            ]
            .join("\n")
                + "\n",
            2,
            "reordered",
        ),
    ];
    for (name, content, line, kind) in cases {
        std::fs::write(&p, content).unwrap();
        let out = opsbook()
            .args(["ledger", "verify", "--format", "json"])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            v["ledgers"][0]["first_break"]["line"], line,
            "{name}: {v:#}"
        );
        assert_eq!(
            v["ledgers"][0]["first_break"]["damage"], kind,
            "{name}: {v:#}"
        );
    }
}

#[test]
fn ledger_concurrent_appends_lose_nothing() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("events.jsonl");
    // Eight processes appending 500 events each to one ledger (fewer under
    // Wine, where process start-up and fsync are far slower: same code path).
    let per = if cfg!(windows) { 50 } else { 500 };
    let children: Vec<std::process::Child> = (0..8)
        .map(|i| {
            std::process::Command::new(env!("CARGO_BIN_EXE_opsbook"))
                .args([
                    "ledger",
                    "append",
                    "--type",
                    "note",
                    "--repeat",
                    &per.to_string(),
                    "--data",
                ])
                .arg(format!(r#"{{"writer":{i}}}"#))
                .arg(&p)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let out = opsbook()
        .args(["ledger", "verify", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["ledgers"][0]["events"], 8 * per);
    let mut per_writer = [0usize; 8];
    for l in ledger_lines(&p) {
        let e: Value = serde_json::from_str(&l).unwrap();
        per_writer[e["data"]["writer"].as_u64().unwrap() as usize] += 1;
    }
    assert!(per_writer.iter().all(|&n| n == per), "{per_writer:?}");
}

// Unix only: it needs SIGKILL (`Child::kill`), which Wine maps onto its own
// process teardown rather than an abrupt kill of a Windows process.
#[cfg(unix)]
#[test]
fn ledger_survives_kill_9_in_a_loop_of_appends() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("events.jsonl");
    let mut before = 0u64;
    for round in 0..5 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsbook"))
            .args([
                "ledger",
                "append",
                "--type",
                "note",
                "--repeat",
                "100000",
                "--data",
                r#"{"round":1}"#,
            ])
            .arg(&p)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it mid-append: once it has written past the last round
        // (under load the process may take long to start), then a little
        // later so that the kill lands at a varying point.
        let len = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let start_len = len(&p);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while len(&p) <= start_len && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(50 + 50 * round));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        let out = opsbook()
            .args(["ledger", "verify", "--format", "json"])
            .arg(&p)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        if out.status.code() == Some(1) {
            assert_eq!(v["ledgers"][0]["first_break"]["damage"], "torn", "{v:#}");
            opsbook()
                .args(["ledger", "repair"])
                .arg(&p)
                .assert()
                .success();
        }
        let out = opsbook()
            .args(["ledger", "verify", "--format", "json"])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let events = v["ledgers"][0]["events"].as_u64().unwrap();
        assert!(
            events > before,
            "round {round}: {events} events after {before}: progress and nothing lost"
        );
        before = events;
    }
}

/// Splits a printed command the way PowerShell reads it: words, and
/// single-quoted words with `''` for a quote.
fn split_printed(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = cmd.trim().chars().peekable();
    let mut quoted = false;
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' if quoted && chars.peek() == Some(&'\'') => {
                chars.next();
                cur.push('\'');
            }
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                }
                in_word = false;
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Runs a printed `opsbook …` hint as printed, from `cwd`.
fn run_printed(cwd: &Path, cmd: &str) -> std::process::Output {
    let words = split_printed(cmd);
    assert_eq!(words[0], "opsbook", "{cmd}");
    opsbook()
        .current_dir(cwd)
        .args(&words[1..])
        .output()
        .unwrap()
}

/// Every hint about a torn ledger is a command that works as printed, also
/// when the SSOT's path holds a space (issue 11, item 6).
#[test]
fn torn_ledger_hints_work_as_printed() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("trading ops");
    opsbook().arg("init").arg(&dir).assert().success();
    let log = dir.join("ledger").join("safety.jsonl");
    let tear = || {
        opsbook()
            .env("OPSBOOK_NOW", "2026-11-29T02:00:00Z")
            .args(["ledger", "append", "--type", "note", "--data", r#"{"n":1}"#])
            .arg(&log)
            .assert()
            .success();
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        std::io::Write::write_all(&mut f, br#"{"seq":2,"ts":"2026-11"#).unwrap();
    };
    // `ledger verify` with --root prints the path it verified and the repair.
    tear();
    let out = opsbook()
        .current_dir(t.path())
        .args(["ledger", "verify", "--root", "trading ops"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let hint = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("run: "))
        .unwrap_or_else(|| panic!("no hint in {text}"));
    assert_eq!(
        hint.replace('\\', "/"),
        "opsbook ledger repair 'trading ops/ledger/safety.jsonl'",
        "{text}"
    );
    let fixed = run_printed(t.path(), hint);
    assert!(fixed.status.success(), "{fixed:?}");
    opsbook()
        .args(["ledger", "verify"])
        .arg(&log)
        .assert()
        .success();
    // The gate's help names a command that repairs every torn ledger.
    tear();
    let (code, g) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    let help = finding(&g, "OB801")["help"].as_str().unwrap().to_string();
    let cmd = help.split('`').nth(1).unwrap_or_else(|| panic!("{help}"));
    assert!(cmd.starts_with("opsbook ledger repair --root '"), "{cmd}");
    let fixed = run_printed(Path::new("/"), cmd);
    assert!(fixed.status.success(), "{fixed:?}");
    assert!(
        String::from_utf8_lossy(&fixed.stdout).contains("set aside"),
        "{fixed:?}"
    );
    opsbook()
        .args(["ledger", "verify", "--root"])
        .arg(&dir)
        .assert()
        .success();
    // A command refused by a torn log says how to repair it, as printed.
    tear();
    let out = opsbook()
        .current_dir(&dir)
        .args(["safety", "set", "DEGRADED", "--reason", "test"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let cmd = err
        .split('`')
        .find(|s| s.starts_with("opsbook ledger repair"))
        .unwrap_or_else(|| panic!("{err}"));
    let fixed = run_printed(&dir, cmd);
    assert!(fixed.status.success(), "{cmd}: {fixed:?}");
    opsbook()
        .args(["ledger", "verify", "--root"])
        .arg(&dir)
        .assert()
        .success();
}

#[test]
fn gate_verifies_ledgers() {
    let (_t, dir) = init_ssot();
    let p = dir.join("ledger").join("safety.jsonl");
    opsbook()
        .args([
            "ledger",
            "append",
            "--type",
            "safety_set",
            "--repeat",
            "3",
            "--data",
            r#"{"state":"HALTED"}"#,
        ])
        .arg(&p)
        .assert()
        .success();
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 0, "{v:#}");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replacen("HALTED", "NORMAL", 1);
    std::fs::write(&p, text).unwrap();
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    let f = finding(&v, "OB801");
    assert_eq!(f["file"], "ledger/safety.jsonl");
    assert_eq!(f["line"], 1);
    assert!(f["message"].as_str().unwrap().contains("edited"), "{f:#}");
    opsbook()
        .args(["ledger", "verify", "--root"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("BROKEN"));
}
