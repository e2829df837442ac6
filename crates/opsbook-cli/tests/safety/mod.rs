//! Safe operation end to end: the safety state through platform hooks, the
//! flap limit, the actions matrix, the change freeze, the one-person
//! high-danger confirmation (also through a pseudo-terminal), `halt`, `p0`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{at, init_ssot, ok, opsbook};

mod unmet;

fn expect(dir: &Path, now: &str, args: &[&str], code: i32, needle: &str) -> String {
    let (c, out, err) = at(dir, now, args);
    assert_eq!(c, code, "{args:?}: {out}{err}");
    let all = format!("{out}{err}");
    assert!(all.contains(needle), "{args:?}: `{needle}` not in: {all}");
    all
}

fn state(dir: &Path, now: &str) -> Value {
    serde_json::from_str(&ok(dir, now, &["safety", "status", "--format", "json"])).unwrap()
}

fn append_toml(dir: &Path, text: &str) {
    let p = dir.join("opsbook.toml");
    let mut s = std::fs::read_to_string(&p).unwrap();
    s.push_str(text);
    std::fs::write(p, s).unwrap();
}

/// A TOML basic string (Windows paths carry backslashes).
fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The "platform": a ledger file the hook writes its mode into.
fn platform_mode(p: &Path) -> Option<String> {
    let text = std::fs::read_to_string(p).ok()?;
    let last = text.lines().last()?;
    let v: Value = serde_json::from_str(last).ok()?;
    v["data"]["mode"].as_str().map(str::to_string)
}

fn hook_that_sets(platform: &Path, mode: &str) -> String {
    let exe = env!("CARGO_BIN_EXE_opsbook");
    format!(
        "command = [{}, \"ledger\", \"append\", {}, \"--type\", \"mode\", \"--data\", {}]\ntimeout_seconds = 20\n",
        toml_str(exe),
        toml_str(platform.to_str().unwrap()),
        toml_str(&format!("{{\"mode\":\"{mode}\"}}"))
    )
}

/// `halt` whose hook fails: exit 4, the incident opened, and one command to
/// record the manual halt — `halt --incident … --manual` — not a second,
/// different `safety set` beside it.
#[test]
fn a_failed_halt_hook_names_one_record_command() {
    let (_t, dir) = init_ssot();
    let exe = env!("CARGO_BIN_EXE_opsbook");
    append_toml(
        &dir,
        &format!(
            "\n[safety.hooks.HALTED]\ncommand = [{}, \"explain\", \"OB999\"]\nmanual_runbook = \"RB-QUICK-HALT-EVIDENCE\"\n",
            toml_str(exe),
        ),
    );
    let all = expect(
        &dir,
        "2026-11-29T03:10:00Z",
        &["halt", "--reason", "order state unknown"],
        4,
        "the hook for HALTED failed",
    );
    let id = all
        .split("Incident ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("no incident named in: {all}"));
    assert!(id.starts_with("INC-"), "{all}");
    // The manual steps record HALTED themselves (`safety set HALTED
    // --manual`): that is the one way to record it, and the output says to
    // point it at the incident — not a second, different command.
    assert!(
        all.contains(
            "opsbook safety set HALTED --manual --reason $reason --incident $env:OPSBOOK_INCIDENT"
        ),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "they record the state themselves (with --manual), so first `$env:OPSBOOK_INCIDENT = '{id}'`; record it once, nothing else."
        )),
        "{all}"
    );
    assert!(!all.contains("opsbook halt --incident"), "{all}");
    assert_eq!(state(&dir, "2026-11-29T03:11:00Z")["state"], "NORMAL");
}

/// A hook that fails, one that succeeds (and one that hangs, on Unix): the
/// recorded state matches the platform every time.
#[test]
fn hooks_recorded_state_matches_the_platform() {
    let (_t, dir) = init_ssot();
    let platform: PathBuf = dir.join("platform-mode.jsonl");
    let exe = env!("CARGO_BIN_EXE_opsbook");
    append_toml(
        &dir,
        &format!(
            "\n[safety.hooks.DEGRADED]\n{}\n[safety.hooks.SAFE_MODE]\ncommand = [{}, \"explain\", \"OB999\"]\nmanual_runbook = \"RB-QUICK-HALT-EVIDENCE\"\n",
            hook_that_sets(&platform, "DEGRADED"),
            toml_str(exe),
        ),
    );
    // Success: the hook switched the platform, then the state is recorded.
    let out = ok(
        &dir,
        "2026-11-29T02:00:00Z",
        &["safety", "set", "DEGRADED", "--reason", "one feed stale"],
    );
    assert!(out.contains("NORMAL → DEGRADED (hook ok in"), "{out}");
    assert!(!out.contains("NO HOOK"), "{out}");
    assert_eq!(platform_mode(&platform).as_deref(), Some("DEGRADED"));
    assert_eq!(state(&dir, "2026-11-29T02:01:00Z")["state"], "DEGRADED");
    // Failure: exit 4, state unchanged, the manual steps shown, the attempt recorded.
    let all = expect(
        &dir,
        "2026-11-29T02:02:00Z",
        &["safety", "set", "SAFE_MODE", "--reason", "both feeds stale"],
        4,
        "the hook for SAFE_MODE failed (exited with 2)",
    );
    assert!(
        all.contains("Manual steps (RB-QUICK-HALT-EVIDENCE"),
        "{all}"
    );
    // The manual steps record the state themselves: no second command.
    assert!(
        all.contains(
            "they record the state themselves (with --manual); record it once, nothing else."
        ),
        "{all}"
    );
    assert!(!all.contains("record it once: `"), "{all}");
    assert!(!all.contains("opsbook halt --incident"), "{all}");
    assert_eq!(state(&dir, "2026-11-29T02:03:00Z")["state"], "DEGRADED");
    assert_eq!(platform_mode(&platform).as_deref(), Some("DEGRADED"));
    let h: Value = serde_json::from_str(&ok(
        &dir,
        "2026-11-29T02:03:00Z",
        &["safety", "history", "--format", "json"],
    ))
    .unwrap();
    let kinds: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "hook_attempt",
            "hook_result",
            "state_exited",
            "state_entered",
            "hook_attempt",
            "hook_result"
        ]
    );
    assert_eq!(h["events"][5]["data"]["outcome"]["exit_code"], 2);
    #[cfg(unix)]
    {
        // A hook that hangs is killed at its timeout: a failure, state unchanged.
        append_toml(
            &dir,
            "\n[safety.hooks.HALTED]\ncommand = [\"sleep\", \"30\"]\ntimeout_seconds = 1\n",
        );
        let started = std::time::Instant::now();
        expect(
            &dir,
            "2026-11-29T02:04:00Z",
            &["safety", "set", "HALTED", "--reason", "x"],
            4,
            "timed out after 1 s and was killed",
        );
        assert!(started.elapsed().as_secs() < 10, "the timeout is honoured");
        assert_eq!(state(&dir, "2026-11-29T02:05:00Z")["state"], "DEGRADED");
        // Stopped midway: the platform may be partly switched, and status says so.
        let out = ok(&dir, "2026-11-29T02:05:00Z", &["safety", "status"]);
        assert!(
            out.contains("WARNING") && out.contains("check the platform"),
            "{out}"
        );
    }
    // Every ledger verifies.
    ok(&dir, "2026-11-29T02:06:00Z", &["ledger", "verify"]);
}

fn answers(dir: &Path, target: &str, awake: u32) -> PathBuf {
    let p = dir.join(format!("answers-{target}-{awake}.yaml"));
    std::fs::write(&p, opsbook_testkit::ssot::confirm_answers(target, awake)).unwrap();
    p
}

fn short_cooling_off(dir: &Path, seconds: u32) {
    let p = dir.join("policy").join("safety-matrix.yaml");
    let s = std::fs::read_to_string(&p).unwrap().replace(
        "cooling_off_seconds: 180",
        &format!("cooling_off_seconds: {seconds}"),
    );
    std::fs::write(p, s).unwrap();
}

/// The confirmation flow through a pseudo-terminal: typed answers, a wrong
/// target, the cooling-off not yet passed, fatigue over the threshold.
#[cfg(unix)]
mod pty {
    use super::*;
    use rexpect::process::wait::WaitStatus;

    fn spawn(dir: &Path, args: &[&str]) -> rexpect::session::PtySession {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_opsbook"));
        cmd.args(args)
            .arg("--root")
            .arg(dir)
            .env("TZ", "UTC")
            .env("OPSBOOK_NOW", "2026-11-29T12:00:00Z")
            .env("NO_COLOR", "1")
            .env_remove("OPSBOOK_INCIDENT");
        rexpect::session::spawn_command(cmd, Some(20_000)).unwrap()
    }

    fn exit_code(p: &rexpect::session::PtySession) -> i32 {
        match p.process.wait().unwrap() {
            WaitStatus::Exited(_, c) => c,
            other => panic!("{other:?}"),
        }
    }

    fn fatigue_ok(p: &mut rexpect::session::PtySession) {
        p.exp_string("hours awake now?").unwrap();
        p.send_line("8").unwrap();
        p.exp_string("Hours slept").unwrap();
        p.send_line("7").unwrap();
        p.exp_string("Hours on this problem").unwrap();
        p.send_line("1").unwrap();
    }

    fn checklist_yes(p: &mut rexpect::session::PtySession) {
        for _ in 0..5 {
            p.exp_string("(y/n)").unwrap();
            p.send_line("y").unwrap();
        }
    }

    #[test]
    fn typed_answers_cooling_off_wrong_target_and_fatigue() {
        let (_t, dir) = init_ssot();
        short_cooling_off(&dir, 2);
        let args = ["confirm", "rotate_api_key", "--target", "binance-main-2026"];
        // 1. Typed answers; the target typed again too early is refused
        //    until the cooling-off has passed.
        let mut p = spawn(&dir, &args);
        fatigue_ok(&mut p);
        checklist_yes(&mut p);
        p.exp_string("Type the target exactly").unwrap();
        p.send_line("binance-main-2026").unwrap();
        p.exp_string("Cooling-off 2 s: it ends at 2026-11-29T12:00:02.000Z (UTC)")
            .unwrap();
        p.exp_string("Target again (after 2026-11-29T12:00:02.000Z):")
            .unwrap();
        p.send_line("binance-main-2026").unwrap();
        // Too early: opsbook names the end, waits, then rings (BEL).
        p.exp_string("Too early: the cooling-off ends at 2026-11-29T12:00:02.000Z (UTC)")
            .unwrap();
        p.exp_string("\u{7}Cooling-off over (2026-11-29T12:00:02.000Z UTC)")
            .unwrap();
        p.exp_string("Target again").unwrap();
        p.send_line("binance-main-2026").unwrap();
        p.exp_string("Why now").unwrap();
        p.send_line("key seen in a pasted log").unwrap();
        p.exp_string("confirmed: rotate_api_key on `binance-main-2026`")
            .unwrap();
        assert_eq!(exit_code(&p), 0);
        // 2. A wrong target stops it.
        let mut p = spawn(&dir, &args);
        fatigue_ok(&mut p);
        checklist_yes(&mut p);
        p.exp_string("Type the target exactly").unwrap();
        p.send_line("binance-main-2025").unwrap();
        p.exp_string("target mismatch").unwrap();
        assert_eq!(exit_code(&p), 1);
        // 3. Over the fatigue threshold, a T2 action is refused unless a reason is typed.
        let mut p = spawn(&dir, &args);
        p.exp_string("hours awake now?").unwrap();
        p.send_line("19").unwrap();
        p.exp_string("Hours slept").unwrap();
        p.send_line("4").unwrap();
        p.exp_string("Hours on this problem").unwrap();
        p.send_line("2").unwrap();
        p.exp_string("In doubt: HALT").unwrap();
        p.exp_string("type the reason (empty = stop)").unwrap();
        p.send_line("").unwrap();
        p.exp_string("refused: fatigue over threshold").unwrap();
        assert_eq!(exit_code(&p), 1);
        // Every answer was recorded, refusals included.
        let log = std::fs::read_to_string(dir.join("ledger").join("confirmations.jsonl")).unwrap();
        assert_eq!(log.matches("\"confirmed\"").count(), 1);
        assert_eq!(log.matches("\"confirmation_refused\"").count(), 2);
        assert!(
            log.matches("\"confirm_answer\"").count() >= 3 + 5 + 2 + 1 + 1 + 3 + 5 + 1 + 2,
            "{log}"
        );
        ok(&dir, "2026-11-29T12:30:00Z", &["ledger", "verify"]);
    }
}

/// Every `opsbook …` command line in the starter runbooks' steps names a
/// command that exists, except the ones still to be built (listed here so
/// that the list can only shrink).
#[test]
fn starter_runbooks_call_commands_that_exist() {
    let not_yet: [&str; 0] = [];
    let mut seen = std::collections::BTreeSet::new();
    for (path, bytes) in super::walk_scaffold_runbooks() {
        let text = String::from_utf8_lossy(&bytes);
        let mut in_code = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if !in_code {
                continue;
            }
            for (i, _) in line.match_indices("opsbook ") {
                // A command, not prose: at the start, or after ( | ; & {
                let before = line[..i].trim_end();
                if !(before.is_empty() || before.ends_with(['(', '|', ';', '&', '{'])) {
                    continue;
                }
                let words: Vec<&str> = line[i + 8..]
                    .split_whitespace()
                    .take(2)
                    .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
                    .collect();
                let Some(cmd) = words.first().filter(|w| {
                    !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                }) else {
                    continue;
                };
                let sub = words.get(1).copied().filter(|w| {
                    !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                });
                seen.insert((cmd.to_string(), sub.map(str::to_string), path.clone()));
            }
        }
    }
    let mut missing = std::collections::BTreeSet::new();
    for (cmd, sub, path) in &seen {
        let mut c = opsbook();
        c.arg(cmd);
        if let Some(s) = sub {
            c.arg(s);
        }
        c.arg("--help");
        let out = c.output().unwrap();
        if !out.status.success() {
            // `opsbook X value --help` fails when X takes a positional; try X alone.
            let alone = opsbook().args([cmd.as_str(), "--help"]).output().unwrap();
            let has_subcommands = String::from_utf8_lossy(&alone.stdout).contains("Commands:");
            if !alone.status.success() || has_subcommands {
                missing.insert(format!(
                    "{cmd}{}",
                    sub.as_ref().map(|s| format!(" {s}")).unwrap_or_default()
                ));
                let _ = path;
            }
        }
    }
    let missing: Vec<String> = missing.into_iter().collect();
    assert_eq!(
        missing, not_yet,
        "commands used by the starter runbooks that opsbook lacks"
    );
}

/// Found by a first-time user of the safety commands.
#[test]
fn safety_trial_findings_stay_fixed() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    let platform = dir.join("platform-mode.jsonl");
    let exe = env!("CARGO_BIN_EXE_opsbook");
    append_toml(
        d,
        &format!(
            "\n[safety.hooks.HALTED]\n{}",
            hook_that_sets(&platform, "HALTED")
        ),
    );
    // An invalid opsbook.toml does not silently drop the hooks.
    let good = std::fs::read_to_string(d.join("opsbook.toml")).unwrap();
    std::fs::write(
        d.join("opsbook.toml"),
        good.replace(
            "action_overdue_error_days = 14",
            "action_overdue_error_days = 14 days",
        ),
    )
    .unwrap();
    expect(
        d,
        "2026-11-29T02:00:00Z",
        &["safety", "set", "HALTED", "--reason", "x"],
        2,
        "must be valid before the platform is switched",
    );
    assert_eq!(platform_mode(&platform), None);
    std::fs::write(d.join("opsbook.toml"), &good).unwrap();
    // A typo in a state is a usage error.
    expect(
        d,
        "2026-11-29T02:00:00Z",
        &["safety", "set", "HALTD", "--reason", "x"],
        2,
        "not a safety state",
    );
    // Asking for the state we are in is never refused; the hook re-engages it.
    ok(
        d,
        "2026-11-29T02:01:00Z",
        &["safety", "set", "HALTED", "--reason", "kill switch"],
    );
    std::fs::remove_file(&platform).unwrap();
    let out = ok(
        d,
        "2026-11-29T02:02:00Z",
        &["safety", "set", "HALTED", "--reason", "again"],
    );
    assert!(out.contains("already HALTED"), "{out}");
    assert_eq!(
        platform_mode(&platform).as_deref(),
        Some("HALTED"),
        "re-engaged"
    );
    // A release_halt confirmation names the state it leads to.
    short_cooling_off(d, 0);
    let wrong = answers(d, "NORMAL", 8);
    expect(
        d,
        "2026-11-29T12:40:00Z",
        &[
            "confirm",
            "release_halt",
            "--target",
            "NORMAL",
            "--answers",
            wrong.to_str().unwrap(),
        ],
        2,
        "--target must be one of RECOVERING",
    );
    // A self-approved exception is covered only for the confirmed actions.
    let conf = answers(d, "change_config", 8);
    ok(
        d,
        "2026-11-29T12:41:00Z",
        &[
            "confirm",
            "freeze_exception",
            "--target",
            "change_config",
            "--answers",
            conf.to_str().unwrap(),
        ],
    );
    expect(
        d,
        "2026-11-29T12:42:00Z",
        &[
            "freeze",
            "except",
            "--action",
            "change_config,deploy_code",
            "--reason",
            "r",
            "--risk",
            "r",
            "--backout",
            "b",
            "--expires-in",
            "30m",
            "--approver",
            "Aiko",
        ],
        1,
        "high-danger confirmation first",
    );
    // Absurd durations are refused, not a panic.
    expect(
        d,
        "2026-11-29T12:43:00Z",
        &[
            "freeze",
            "except",
            "--action",
            "deploy_code",
            "--reason",
            "r",
            "--risk",
            "r",
            "--backout",
            "b",
            "--expires-in",
            "9999999999999h",
            "--approver",
            "Ken",
        ],
        2,
        "far too long",
    );
    // The freeze fails closed without its policy.
    let fz = d.join("policy").join("change-freeze.yaml");
    let keep = std::fs::read(&fz).unwrap();
    std::fs::remove_file(&fz).unwrap();
    expect(
        d,
        "2026-11-29T12:44:00Z",
        &["freeze", "check", "--change", "deploy"],
        2,
        "fail closed",
    );
    std::fs::write(&fz, keep).unwrap();
    // release_halt is judged by the matrix, not frozen (it is not a change).
    let (c, out, _) = at(
        d,
        "2026-11-29T12:45:00Z",
        &["safety", "can", "release_halt"],
    );
    assert_eq!((c, out.starts_with("CONFIRM")), (3, true), "{out}");
    // A hook that fails: record the manual switch instead.
    append_toml(
        d,
        &format!(
            "\n[safety.hooks.SAFE_MODE]\ncommand = [{}, \"explain\", \"OB999\"]\n",
            toml_str(exe)
        ),
    );
    let (_t2, d2) = init_ssot();
    std::fs::copy(d.join("opsbook.toml"), d2.join("opsbook.toml")).unwrap();
    expect(
        &d2,
        "2026-11-29T03:00:00Z",
        &["safety", "set", "SAFE_MODE", "--reason", "feed stale"],
        4,
        "--manual",
    );
    let out = ok(
        &d2,
        "2026-11-29T03:01:00Z",
        &[
            "safety",
            "set",
            "SAFE_MODE",
            "--reason",
            "switched by hand: reduce-only flag set",
            "--manual",
        ],
    );
    assert!(out.contains("recorded as switched by hand"), "{out}");
    assert_eq!(state(&d2, "2026-11-29T03:02:00Z")["state"], "SAFE_MODE");
    // An event appended around the guards is reported by the gate (OB810).
    opsbook()
        .env("OPSBOOK_NOW", "2026-11-29T03:03:00Z")
        .args(["ledger", "append"])
        .arg(d2.join("ledger").join("safety.jsonl"))
        .args([
            "--type",
            "state_entered",
            "--data",
            r#"{"state":"NORMAL","from":"SAFE_MODE","reason":"x","source":"operator"}"#,
        ])
        .assert()
        .success();
    let (code, g) = super::gate_json(&d2, &["--as-of", "2026-11-29"]);
    assert_eq!(code, 1);
    assert!(super::codes(&g).contains(&"OB810".to_string()), "{g}");
    // A broken safety ledger still lets the emergency stop run its hook.
    let (_t3, d3) = init_ssot();
    let p3 = d3.join("platform-mode.jsonl");
    append_toml(
        &d3,
        &format!("\n[safety.hooks.HALTED]\n{}", hook_that_sets(&p3, "HALTED")),
    );
    ok(
        &d3,
        "2026-11-29T04:00:00Z",
        &["safety", "set", "DEGRADED", "--reason", "x"],
    );
    let log = d3.join("ledger").join("safety.jsonl");
    let t = std::fs::read_to_string(&log)
        .unwrap()
        .replace("\"reason\":\"x\"", "\"reason\":\"y\"");
    std::fs::write(&log, t).unwrap();
    let all = expect(
        &d3,
        "2026-11-29T04:01:00Z",
        &["safety", "set", "HALTED", "--reason", "emergency"],
        2,
        "the HALTED hook ran and succeeded",
    );
    assert!(all.contains("could not be recorded"), "{all}");
    assert_eq!(platform_mode(&p3).as_deref(), Some("HALTED"));
}

/// The safety, freeze, confirm, halt and p0 commands end to end, for what
/// only the CLI does: exit codes (0 ALLOW, 3 CONFIRM, 1 DENY or refused,
/// 2 usage), the way forward printed as a command, the matrix in Markdown,
/// answers from a file or none at all. (The rules themselves are tested in
/// `opsbook-ops/tests/safety.rs`.)
#[test]
fn safety_commands_end_to_end() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    short_cooling_off(d, 0);
    let (c, out, _) = at(d, "2026-11-29T12:00:00Z", &["safety", "can", "deploy_code"]);
    assert_eq!((c, out.starts_with("ALLOW")), (0, true), "{out}");
    let (c, out, _) = at(
        d,
        "2026-11-29T12:00:00Z",
        &[
            "safety",
            "can",
            "release_halt",
            "--state",
            "HALTED",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((c, v["decision"].as_str()), (3, Some("CONFIRM")));
    let (c, out, _) = at(
        d,
        "2026-11-29T12:00:00Z",
        &["safety", "can", "release_halt", "--state", "HALTED"],
    );
    assert!(
        c == 3 && out.contains("first: `opsbook confirm release_halt --target NAME`"),
        "{out}"
    );
    let (c, out, _) = at(
        d,
        "2026-11-29T12:00:00Z",
        &["safety", "can", "place_new_order", "--state", "SAFE_MODE"],
    );
    assert_eq!((c, out.starts_with("DENY")), (1, true), "{out}");
    expect(
        d,
        "2026-11-29T12:00:00Z",
        &["safety", "can", "deploy_code", "--state", "PANIC"],
        2,
        "not a safety state",
    );
    let m: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T12:00:00Z",
        &["safety", "matrix", "--format", "json"],
    ))
    .unwrap();
    let md = ok(
        d,
        "2026-11-29T12:00:00Z",
        &["safety", "matrix", "--format", "markdown"],
    );
    assert_eq!(
        md.lines().count(),
        2 + m["actions"].as_array().unwrap().len()
    );
    // halt: HALTED, a P0, the evidence list, rest; the freeze guard refuses.
    // No hook configured (issue 13): HALTED is recorded as the operator's
    // manual act, the headline says nothing was stopped, and the exit
    // status is 1, not a silent 0.
    let (c, out, _) = at(
        d,
        "2026-11-29T12:00:00Z",
        &["halt", "--reason", "order state unknown"],
    );
    assert_eq!(c, 1, "{out}");
    assert!(
        out.starts_with("HALTED recorded as switched by hand (NORMAL → HALTED), incident INC-20261129-001: opsbook stopped NOTHING.\nopsbook.toml has no [safety.hooks.HALTED], so no kill switch ran. Stop trading by hand NOW"),
        "{out}"
    );
    assert!(out.contains("Rest."), "{out}");
    let hist: Value = serde_json::from_str(&ok(
        d,
        "2026-11-29T12:00:30Z",
        &["safety", "history", "--format", "json"],
    ))
    .unwrap();
    let entered = hist["events"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["type"] == "state_entered")
        .unwrap();
    assert_eq!(entered["data"]["hook"], "manual", "{entered}");
    // The status an operator checks next says HALTED is only what was
    // recorded by hand, not that trading stopped.
    let status = ok(d, "2026-11-29T12:00:40Z", &["safety", "status"]);
    assert!(
        status.starts_with("HALTED since 2026-11-29 12:00:00Z — order state unknown\n  switched       by hand, as recorded (opsbook ran no hook): check the platform itself\n"),
        "{status}"
    );
    let (c, out, _) = at(
        d,
        "2026-11-29T12:01:00Z",
        &[
            "freeze",
            "check",
            "--change",
            "deploy x",
            "--action",
            "deploy_code",
        ],
    );
    assert_eq!(c, 1, "{out}");
    assert!(
        out.starts_with("FROZEN: deploy x — ")
            && out.contains("ask for an exception (`opsbook freeze except --action deploy_code"),
        "{out}"
    );
    expect(
        d,
        "2026-11-29T12:02:00Z",
        &["freeze", "off", "--reason", "done"],
        1,
        "incident INC-20261129-001 is OPEN",
    );
    // Leaving HALTED: refused with the command that confirms it.
    expect(
        d,
        "2026-11-29T12:31:00Z",
        &[
            "safety",
            "set",
            "RECOVERING",
            "--reason",
            "x",
            "--evidence",
            "EVB-1",
        ],
        1,
        "needs the high-danger confirmation first: `opsbook confirm release_halt --target RECOVERING` (valid 15 min, used once)",
    );
    let a = answers(d, "RECOVERING", 10);
    let out = ok(
        d,
        "2026-11-29T12:32:00Z",
        &["confirm", "release_halt", "--answers", a.to_str().unwrap()],
    );
    assert!(
        out.contains(
            "confirmed: release_halt on `RECOVERING`, valid until 2026-11-29T12:47:00.000Z"
        ),
        "{out}"
    );
    let out = ok(
        d,
        "2026-11-29T12:33:00Z",
        &[
            "safety",
            "set",
            "RECOVERING",
            "--reason",
            "recon clean",
            "--evidence",
            "EVB-1",
        ],
    );
    assert!(out.starts_with("HALTED → RECOVERING"), "{out}");
    expect(
        d,
        "2026-11-29T12:34:00Z",
        &["safety", "watch-end", "--result", "ok", "--reason", "x"],
        2,
        "no post-recovery watch is running",
    );
    // p0: answers from a file; none and no terminal is refused, not guessed.
    let p = d.join("p0.yaml");
    let mut text = String::from("steps:\n");
    for n in 1..=10 {
        text.push_str(&format!("  \"{n}\": {{result: done, note: \"seen\"}}\n"));
    }
    std::fs::write(&p, text).unwrap();
    // Step 9's records, which step 10 (validation) checks (issue 13).
    ok(
        d,
        "2026-11-29T12:39:00Z",
        &[
            "incident",
            "log",
            "INC-20261129-001",
            "--type",
            "scope",
            "--text",
            "Binance spot",
        ],
    );
    ok(
        d,
        "2026-11-29T12:39:30Z",
        &[
            "incident",
            "log",
            "INC-20261129-001",
            "--type",
            "decision",
            "--text",
            "Stay HALTED",
            "--reason",
            "order state unknown",
        ],
    );
    let (c, out, err) = at(
        d,
        "2026-11-29T12:40:00Z",
        &["p0", "INC-20261129-001", "--answers", p.to_str().unwrap()],
    );
    assert_eq!(c, 0, "{out}{err}");
    assert!(
        out.contains("10 step(s) recorded in INC-20261129-001"),
        "{out}"
    );
    assert!(
        err.find("Do NOT").unwrap() < err.find("Step 1").unwrap(),
        "{err}"
    );
    expect(
        d,
        "2026-11-29T12:41:00Z",
        &["p0", "INC-20261129-001"],
        2,
        "no terminal",
    );
    ok(d, "2026-11-29T12:42:00Z", &["ledger", "verify"]);
}
