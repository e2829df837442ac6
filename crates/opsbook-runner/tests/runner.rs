#![allow(clippy::unwrap_used)]
#![cfg(unix)]
//! The step runner on Linux: bash for real; PowerShell through a stand-in
//! `pwsh` that records its argv and the script bytes it was given.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opsbook_runner::{BOM, Shell, StepSpec, run_step, script_bytes};

fn spec<'a>(shell: Shell, code: &'a str, program: &'a str, dir: &'a Path) -> StepSpec<'a> {
    StepSpec {
        shell,
        code,
        program,
        work_dir: dir,
        env: &[],
        timeout: Duration::from_secs(20),
        output_cap: 64 * 1024,
    }
}

/// A stand-in `pwsh`: writes each argument on its own line to `argv.txt`,
/// copies the `-File` script to `script.ps1`, prints canned output.
pub fn stand_in_pwsh(dir: &Path) -> PathBuf {
    let p = dir.join("pwsh");
    let rec = dir.join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\nrec='{}'\n: > \"$rec/argv.txt\"\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$rec/argv.txt\"; done\nprev=''\nfor a in \"$@\"; do if [ \"$prev\" = '-File' ]; then cp \"$a\" \"$rec/script.ps1\"; fi; prev=\"$a\"; done\necho 'canned output'\necho 'canned error' >&2\nexit 7\n",
            rec.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn bash_steps_run_for_real_and_fail_fast() {
    let dir = tempfile::tempdir().unwrap();
    let ok = run_step(&spec(
        Shell::Bash,
        "echo hello\necho err >&2",
        "bash",
        dir.path(),
    ))
    .unwrap();
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.exit_code, Some(0));
    assert_eq!(ok.stdout, "hello\n");
    assert_eq!(ok.stderr, "err\n");
    assert_eq!(
        ok.code_sha256,
        opsbook_runner::code_sha256("echo hello\necho err >&2")
    );
    // set -e: the first failing command stops the step.
    let bad = run_step(&spec(Shell::Bash, "false\necho never", "bash", dir.path())).unwrap();
    assert_eq!(bad.exit_code, Some(1));
    assert!(!bad.ok && bad.stdout.is_empty(), "{bad:?}");
    // pipefail and -u.
    let pipe = run_step(&spec(
        Shell::Bash,
        "false | cat\necho never",
        "bash",
        dir.path(),
    ))
    .unwrap();
    assert!(!pipe.ok && pipe.stdout.is_empty(), "{pipe:?}");
    let unset = run_step(&spec(
        Shell::Bash,
        "echo \"$NOT_SET_ANYWHERE_X\"",
        "bash",
        dir.path(),
    ))
    .unwrap();
    assert!(!unset.ok, "{unset:?}");
    // The temporary script is gone.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn secrets_reach_a_step_through_the_environment_only() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("OPSBOOK_TEST_SECRET", "s3cr3t-value".to_string())];
    let mut s = spec(
        Shell::Bash,
        "printf '%s' \"$OPSBOOK_TEST_SECRET\"",
        "bash",
        dir.path(),
    );
    s.env = &env;
    let t = run_step(&s).unwrap();
    assert_eq!(t.stdout, "s3cr3t-value");
    assert!(t.argv.iter().all(|a| !a.contains("s3cr3t")), "{:?}", t.argv);
}

#[test]
fn a_timeout_kills_the_step_and_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("late");
    let code = format!("(sleep 2; touch '{}') &\nsleep 30", mark.display());
    let work = dir.path().join("work");
    let mut s = spec(Shell::Bash, &code, "bash", &work);
    s.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let t = run_step(&s).unwrap();
    assert!(t.timed_out && !t.ok, "{t:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(3));
    assert!(!mark.exists(), "a child of the step outlived its timeout");
}

#[test]
fn powershell_runs_with_the_exact_argv_and_a_bom_script() {
    let dir = tempfile::tempdir().unwrap();
    let pwsh = stand_in_pwsh(dir.path());
    let work = dir.path().join("work");
    let code = "Get-Service -Name W32Time\nw32tm /query /status\n";
    let t = run_step(&spec(
        Shell::PowerShell,
        code,
        pwsh.to_str().unwrap(),
        &work,
    ))
    .unwrap();
    let argv = std::fs::read_to_string(dir.path().join("rec/argv.txt")).unwrap();
    let lines: Vec<&str> = argv.lines().collect();
    assert_eq!(lines.len(), 4, "{argv}");
    assert_eq!(&lines[..3], ["-NoProfile", "-NonInteractive", "-File"]);
    assert!(
        lines[3].starts_with(work.to_str().unwrap()) && lines[3].ends_with(".ps1"),
        "{argv}"
    );
    assert_eq!(t.argv[0], pwsh.to_str().unwrap());
    assert_eq!(&t.argv[1..], &lines[..]);
    let bytes = std::fs::read(dir.path().join("rec/script.ps1")).unwrap();
    assert_eq!(bytes, script_bytes(Shell::PowerShell, code));
    assert!(bytes.starts_with(BOM));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(
        text.starts_with("$ErrorActionPreference = 'Stop'\r\n"),
        "{text}"
    );
    // The native program's exit code is checked right after its statement
    // (Windows PowerShell 5.1 ignores it otherwise).
    assert!(
        text.contains("Get-Service -Name W32Time\r\nw32tm /query /status; if ($global:LASTEXITCODE -ne 0) { throw \"w32tm exited $($global:LASTEXITCODE) (line 2 of the step)\" }\r\n"),
        "{text}"
    );
    assert!(text.contains("$PSNativeCommandUseErrorActionPreference = $false\r\n"));
    assert!(text.ends_with("}\r\nexit 0\r\n"), "{text}");
    // Canned output and exit code come back.
    assert_eq!(
        (t.stdout.as_str(), t.stderr.as_str()),
        ("canned output\n", "canned error\n")
    );
    assert_eq!(t.exit_code, Some(7));
    assert!(!t.ok);
}

#[test]
fn a_program_that_does_not_exist_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let t = run_step(&spec(
        Shell::PowerShell,
        "Get-Date",
        "/nonexistent/pwsh",
        dir.path(),
    ))
    .unwrap();
    assert!(
        !t.ok
            && t.error
                .as_deref()
                .is_some_and(|e| e.contains("cannot start")),
        "{t:?}"
    );
}
