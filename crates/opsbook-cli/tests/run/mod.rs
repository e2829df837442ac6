//! `opsbook classify` and `opsbook run` end to end (issue 14): the JSON of
//! a classification, every starter runbook's plan, and a PowerShell step
//! through a stand-in `pwsh` on PATH that records its argv and script.

use std::path::Path;

use serde_json::Value;

#[cfg(unix)]
use super::at;
use super::{init_ssot, ok, opsbook};

const NOW: &str = "2026-11-29T05:00:00Z";

#[test]
fn classify_prints_exactly_tier_forced_by_and_reason_as_json() {
    let out = opsbook()
        .args(["classify", "-", "--format", "json"])
        .write_stdin("Get-ChildItem C:\\logs | Remove-Item -Recurse\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["tier", "forced_by", "reason"]);
    assert_eq!(v["tier"], "T2");
    assert_eq!(v["forced_by"]["command"], "Remove-Item -Recurse");
    assert_eq!(v["forced_by"]["line"], 1);
    assert_eq!(v["forced_by"]["column"], 25);
    // bash by --shell.
    let out = opsbook()
        .args(["classify", "-", "--shell", "bash", "--format", "json"])
        .write_stdin("ls -la /var/log\n")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tier"], "T0");
}

#[test]
fn classify_of_a_runbook_fails_a_step_declared_below_its_computed_tier() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("rb.md");
    std::fs::write(
        &p,
        "# x\n\n```powershell {step=1 tier=T0}\nGet-Process | Stop-Process\n```\n\n```text\nout\n```\n",
    )
    .unwrap();
    let out = opsbook()
        .args(["classify", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["tier"], "T1");
    assert_eq!(v["steps"][0]["declared"], "T0");
    assert_eq!(v["steps"][0]["declared_below_computed"], true);
    assert_eq!(v["not_steps"][0]["lang"], "text");
}

/// Item 4: every starter runbook plans, and no step is declared below its
/// computed tier.
#[test]
fn every_starter_runbook_plans_with_no_step_below_its_computed_tier() {
    let (_t, dir) = init_ssot();
    let reg = std::fs::read_to_string(dir.join("runbooks/runbooks.yaml")).unwrap();
    let ids: Vec<&str> = reg
        .lines()
        .filter_map(|l| l.split("id: ").nth(1))
        .filter_map(|r| r.split(',').next())
        .collect();
    assert_eq!(ids.len(), 12, "{ids:?}");
    for id in ids {
        let out = ok(&dir, NOW, &["run", id, "--plan", "--format", "json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["runbook"], id);
        for s in v["steps"].as_array().unwrap() {
            let (d, c) = (s["declared"].as_str(), s["computed"].as_str().unwrap());
            assert!(
                d.is_some_and(|d| d >= c),
                "{id} step {}: declared {d:?} computed {c}",
                s["step"]
            );
        }
        // Nothing ran, nothing was recorded.
        assert!(!dir.join("ledger/runs.jsonl").exists());
    }
    let out = ok(&dir, NOW, &["run", "RB-QUICK-HALT-EVIDENCE", "--plan"]);
    assert!(
        out.contains("step 9") && out.contains("release_halt DENY"),
        "{out}"
    );
}

#[cfg(unix)]
fn stand_in_pwsh(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("pwsh");
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\nrec='{}'\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$rec/argv.txt\"; done\nprev=''\nfor a in \"$@\"; do if [ \"$prev\" = '-File' ]; then cp \"$a\" \"$rec/script.ps1\"; fi; prev=\"$a\"; done\necho 'W32Time Running'\necho 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789'\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn a_powershell_step_runs_through_pwsh_on_path_with_a_bom_script() {
    let (_t, dir) = init_ssot();
    let bin = tempfile::tempdir().unwrap();
    stand_in_pwsh(bin.path());
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = opsbook()
        .env("OPSBOOK_NOW", NOW)
        .env("PATH", path)
        .env_remove("OPSBOOK_PWSH")
        .env_remove("OPSBOOK_INCIDENT")
        .args([
            "run",
            "RB-PLAT-TIME-DRIFT",
            "--only-step",
            "1",
            "--yes-t0",
            "--root",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let (code, so, se) = (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(code, Some(0), "{so}{se}");
    let argv = std::fs::read_to_string(bin.path().join("argv.txt")).unwrap();
    // The version probe, then the step.
    let lines: Vec<&str> = argv.lines().collect();
    let file_at = lines.iter().position(|l| *l == "-File").unwrap();
    assert_eq!(
        &lines[file_at - 2..file_at],
        ["-NoProfile", "-NonInteractive"]
    );
    assert!(lines[file_at + 1].ends_with(".ps1"));
    let script = std::fs::read(bin.path().join("script.ps1")).unwrap();
    assert!(script.starts_with(b"\xEF\xBB\xBF$ErrorActionPreference = 'Stop'\r\n"));
    let rb = std::fs::read_to_string(dir.join("runbooks/platform/time-drift.md")).unwrap();
    let code1 = rb
        .split("```powershell {step=1 tier=T0}\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let body = String::from_utf8_lossy(&script[3..]).into_owned();
    // The step's code, CRLF, with the exit code of each native statement
    // checked on its own line (Windows PowerShell 5.1 would not notice).
    let check = |n: usize| {
        format!(
            "; if ($global:LASTEXITCODE -ne 0) {{ throw \"w32tm exited $($global:LASTEXITCODE) (line {n} of the step)\" }}"
        )
    };
    let lines1: Vec<&str> = code1.lines().collect();
    assert_eq!(lines1.len(), 3, "{code1}");
    let want = format!(
        "try {{\r\n{}\r\n{}{}\r\n{}{}\r\n}} catch {{",
        lines1[0],
        lines1[1],
        check(2),
        lines1[2],
        check(3)
    );
    assert!(body.contains(&want), "{body}");
    assert!(body.contains("$PSNativeCommandUseErrorActionPreference = $false\r\n"));
    // The transcript: redacted.
    let t = std::fs::read_to_string(dir.join("runs/RUN-1/step-1.json")).unwrap();
    assert!(
        t.contains("W32Time Running") && t.contains("[REDACTED:github_token]"),
        "{t}"
    );
    assert!(!t.contains("ghp_abc"), "{t}");
    let (c, out, _) = at(&dir, NOW, &["ledger", "verify"]);
    assert_eq!(c, 0, "{out}");
}

#[cfg(unix)]
#[test]
fn inputs_reach_a_step_through_the_environment_and_ask_t0_asks_first() {
    use std::os::unix::fs::PermissionsExt;
    let (_t, dir) = init_ssot();
    let bin = tempfile::tempdir().unwrap();
    // A stand-in `powershell` (no `pwsh`): records its script, prints the input it got.
    let p = bin.path().join("powershell");
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\nprev=''\nfor a in \"$@\"; do if [ \"$prev\" = '-File' ]; then cp \"$a\" '{}/script.ps1'; fi; prev=\"$a\"; done\necho \"reason: $OPSBOOK_REASON\"\n",
            bin.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let answers = bin.path().join("answers.json");
    let run = |answer: &str, extra: &[&str]| {
        std::fs::write(&answers, format!("{{\"steps\": {{\"1\": \"{answer}\"}}}}")).unwrap();
        opsbook()
            .env("OPSBOOK_NOW", NOW)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
            .env_remove("OPSBOOK_PWSH")
            .env_remove("OPSBOOK_INCIDENT")
            .args([
                "run",
                "rb-plat-time-drift",
                "--only-step",
                "1",
                "--ask-t0",
                "--answers",
            ])
            .arg(&answers)
            .args(extra)
            .arg("--root")
            .arg(&dir)
            .output()
            .unwrap()
    };
    // --ask-t0 with the answer no: the T0 step is declined, nothing runs.
    let out = run("no", &["--input", "OPSBOOK_REASON=clock 640 ms ahead"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(!bin.path().join("script.ps1").exists());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("step 1 (T0): this code will run on ") && err.contains("declined"),
        "{err}"
    );
    // yes: it runs with the input in its environment, redacted in the transcript.
    let out = run(
        "yes",
        &[
            "--input",
            "OPSBOOK_REASON=clock 640 ms ahead",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t =
        std::fs::read_to_string(dir.join(v["steps"][0]["transcript"].as_str().unwrap())).unwrap();
    assert!(t.contains("reason: [REDACTED:input:OPSBOOK_REASON]"), "{t}");
    assert!(!t.contains("640 ms"), "{t}");
    assert!(t.contains("\"program\"") || t.contains("powershell"), "{t}");
    assert!(bin.path().join("script.ps1").exists());
    // A secret on the command line is refused before anything runs.
    let out = run("yes", &["--input", "TRADEBOT_ADMIN_TOKEN=abc"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("$env:TRADEBOT_ADMIN_TOKEN"));
    // Not NAME=VALUE: a usage error naming the form.
    let out = run("yes", &["--input", "OPSBOOK_REASON"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME=VALUE"));
}

#[test]
fn without_a_terminal_the_refusal_names_yes_t0_and_modes_come_from_the_config() {
    let (_t, dir) = init_ssot();
    let out = opsbook()
        .env("OPSBOOK_NOW", NOW)
        .env_remove("OPSBOOK_INCIDENT")
        .args(["run", "RB-PLAT-TIME-DRIFT", "--only-step", "1", "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--yes-t0") && err.contains("--answers"),
        "{err}"
    );
    // Unknown modes: both named at once, with where to give them.
    let plan = |dir: &Path| -> Value {
        let out = opsbook()
            .env("OPSBOOK_NOW", NOW)
            .env_remove("OPSBOOK_ENVIRONMENT")
            .env_remove("OPSBOOK_TRADING_MODE")
            .args([
                "run",
                "RB-QUICK-HALT-EVIDENCE",
                "--plan",
                "--format",
                "json",
                "--root",
            ])
            .arg(dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == "4")
            .unwrap()
            .clone()
    };
    let s4 = plan(&dir);
    let why = s4["blocked"].as_str().unwrap_or_default();
    assert!(
        why.contains("OPSBOOK_ENVIRONMENT") && why.contains("OPSBOOK_TRADING_MODE"),
        "{s4}"
    );
    // `[run]` in opsbook.toml gives this host's modes.
    let cfg = dir.join("opsbook.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!("{text}\n[run]\nenvironment = \"prod\"\ntrading_mode = \"live\"\n"),
    )
    .unwrap();
    let s4 = plan(&dir);
    assert!(
        !s4["blocked"]
            .as_str()
            .unwrap_or_default()
            .contains("OPSBOOK_ENVIRONMENT"),
        "{s4}"
    );
}
