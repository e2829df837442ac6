#![allow(clippy::unwrap_used)]
//! End-to-end tests of the `opsbook` binary: what an operator and CI see.
//!
//! One integration binary (ripgrep style). Tests that read the shared corpus
//! use it by path (`../shared/corpus/` from the project root).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use serde_json::Value;

mod adopt;
mod evidence;
mod find;
mod gate;
mod gate_input;
mod golden;
mod honest;
mod incidents;
mod integrity;
mod issue13;
mod ledger;
mod reconcile;
mod run;
mod safety;
mod secrets;

const AS_OF: &str = "2026-11-29";

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn corpus(rel: &str) -> PathBuf {
    project_root()
        .join("..")
        .join("shared")
        .join("corpus")
        .join(rel)
}

fn opsbook() -> Command {
    // Not `Command::cargo_bin`: under a cross-compilation runner (Wine) it
    // would wrap the binary in the Linux runner, which a Windows process
    // cannot start. The test binary itself already runs on the target.
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsbook"));
    c.env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("OPSBOOK_ROOT")
        .env_remove("OPSBOOK_FORMAT")
        .env("NO_COLOR", "1");
    c
}

/// Runs opsbook with `args --root DIR` at time `now` (actor Aiko, UTC, no
/// incident from the environment); returns (exit, stdout, stderr).
fn at(dir: &Path, now: &str, args: &[&str]) -> (i32, String, String) {
    let out = opsbook()
        .env("OPSBOOK_NOW", now)
        .env("OPSBOOK_ACTOR", "Aiko")
        .env("TZ", "UTC")
        .env_remove("OPSBOOK_INCIDENT")
        .args(args)
        .arg("--root")
        .arg(dir)
        .output()
        .unwrap();
    outcome(&out)
}

/// (exit code, stdout, stderr) of a finished run.
fn outcome(out: &std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`at`], asserting exit 0; returns stdout.
fn ok(dir: &Path, now: &str, args: &[&str]) -> String {
    let (code, out, err) = at(dir, now, args);
    assert_eq!(code, 0, "{args:?} failed: {out}{err}");
    out
}

/// Runs `opsbook reconcile fills` at `now` over a clean pair of exports
/// (stored and recorded, covering any incident window before `now`),
/// records the clock and the order writers' leases ([`integrity_records`])
/// and returns every recovery-acceptance answer passed with those records.
fn accept_all(dir: &Path, now: &str) -> Vec<String> {
    let (ours, theirs) = opsbook_testkit::ssot::clean_fills(dir);
    let out = ok(
        dir,
        now,
        &[
            "reconcile",
            "fills",
            "--internal",
            ours.to_str().unwrap(),
            "--exchange",
            theirs.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let tck = integrity_records(dir, now);
    opsbook_testkit::ssot::accept_all(v["stored"]["id"].as_str().unwrap(), &tck)
}

/// Starts the platform's recovery for incident `id` at `now`, as an
/// operator does (issue 13 item 5: RESOLVED after a hold waits for
/// RECOVERING and its dwell): from HALTED, `opsbook confirm release_halt`
/// with a fit operator's answers first (the cooling-off set to 0 s), then
/// `opsbook safety set RECOVERING --incident ID` with evidence.
fn recover(dir: &Path, now: &str, id: &str) {
    let st: Value =
        serde_json::from_str(&ok(dir, now, &["safety", "status", "--format", "json"])).unwrap();
    if st["state"] == "HALTED" {
        edit(
            &dir.join("policy").join("safety-matrix.yaml"),
            "cooling_off_seconds: 180",
            "cooling_off_seconds: 0",
        );
        let a = dir.join("fit-recovering.yaml");
        std::fs::write(&a, opsbook_testkit::ssot::confirm_answers("RECOVERING", 8)).unwrap();
        ok(
            dir,
            now,
            &[
                "confirm",
                "release_halt",
                "--target",
                "RECOVERING",
                "--answers",
                a.to_str().unwrap(),
                "--override-reason",
                "the night's operator, rested",
            ],
        );
    }
    ok(
        dir,
        now,
        &[
            "safety",
            "set",
            "RECOVERING",
            "--reason",
            "cause mitigated, reconciliation clean",
            "--evidence",
            "EVB-20261129-0001",
            "--incident",
            id,
        ],
    );
}

/// What `time_ok` and `no_split_brain` are verified from, recorded at
/// `now` through the commands an operator runs: `opsbook time check
/// --record` against an SNTP responder 5 ms off (returns its `TCK-<n>`),
/// and `opsbook lease acquire` of every order writer by `n1` for 24 h in
/// the SSOT's own store (kept when already held).
fn integrity_records(dir: &Path, now: &str) -> String {
    let (addr, _) = opsbook_testkit::sntp::scripted(vec![opsbook_testkit::sntp::Reply::at(5)]);
    let out = ok(
        dir,
        now,
        &[
            "time", "check", "--server", &addr, "--record", "--format", "json",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    opsbook_testkit::ssot::own_lease_store(dir, &dir.join("..").join("leases"));
    for name in opsbook_testkit::ssot::ORDER_WRITERS {
        let st: Value = serde_json::from_str(&ok(
            dir,
            now,
            &["lease", "status", name, "--format", "json"],
        ))
        .unwrap();
        if st["state"] != "held" {
            ok(
                dir,
                now,
                &["lease", "acquire", name, "--holder", "n1", "--ttl", "24h"],
            );
        }
    }
    v["recorded"].as_str().unwrap().to_string()
}

/// A fresh SSOT from `opsbook init` in a temp dir, whose starter runbooks
/// the operator has then walked on their platform on [`AS_OF`] (`init`
/// writes them as never verified: see `starter_ssot_is_green_on_any_date…`).
fn init_ssot() -> (tempfile::TempDir, PathBuf) {
    let (t, dir) = init_ssot_as_written();
    for p in walkdir(&dir.join("runbooks")) {
        if p.extension().is_some_and(|e| e == "md")
            && !p.starts_with(dir.join("runbooks/templates"))
        {
            let s = std::fs::read_to_string(&p).unwrap();
            std::fs::write(
                &p,
                s.replacen("last_verified: null", &format!("last_verified: {AS_OF}"), 1),
            )
            .unwrap();
        }
    }
    (t, dir)
}

/// A fresh SSOT exactly as `opsbook init` writes it.
fn init_ssot_as_written() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("ops");
    opsbook().arg("init").arg(&dir).assert().success();
    (t, dir)
}

fn gate_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut cmd = opsbook();
    cmd.args(["gate", "--format", "json", "--root"])
        .arg(dir)
        .args(extra);
    if !extra.contains(&"--as-of") {
        cmd.args(["--as-of", AS_OF]);
    }
    let out = cmd.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {:#}", v["findings"]))
}

fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).unwrap();
}

fn line_of(path: &Path, needle: &str) -> u64 {
    let s = std::fs::read_to_string(path).unwrap();
    (s.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {}", path.display()))
        + 1) as u64
}

// ---------------------------------------------------------------- init / example

#[test]
fn init_output_equals_examples_ops_byte_for_byte() {
    let (_t, dir) = init_ssot_as_written();
    let example = project_root().join("examples").join("ops");
    let mut from_init = Vec::new();
    for e in walkdir(&dir) {
        from_init.push(e.strip_prefix(&dir).unwrap().to_path_buf());
    }
    let mut in_example = Vec::new();
    for e in walkdir(&example) {
        in_example.push(e.strip_prefix(&example).unwrap().to_path_buf());
    }
    assert_eq!(
        from_init, in_example,
        "examples/ops must hold exactly what `opsbook init` writes"
    );
    for rel in &from_init {
        let (a, b) = (
            std::fs::read(dir.join(rel)).unwrap(),
            std::fs::read(example.join(rel)).unwrap(),
        );
        // Not assert_eq!: a byte dump of two files helps nobody.
        let first = String::from_utf8_lossy(&a)
            .lines()
            .zip(String::from_utf8_lossy(&b).lines())
            .position(|(x, y)| x != y)
            .map_or_else(|| "length".to_string(), |i| format!("line {}", i + 1));
        assert!(
            a == b,
            "{} differs from `opsbook init` output at {first}: regenerate with `rm -rf examples/ops; cargo run -p opsbook-cli -- init examples/ops`",
            rel.display()
        );
    }
    assert!(
        from_init.len() > 50,
        "the starter SSOT has {} files",
        from_init.len()
    );
}

/// Every runbook of the embedded starter SSOT: (path, bytes).
fn walk_scaffold_runbooks() -> Vec<(String, Vec<u8>)> {
    let root = project_root().join("scaffold").join("runbooks");
    walkdir(&root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

#[test]
fn starter_ssot_passes_the_gate_with_no_finding() {
    let (_t, dir) = init_ssot();
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        0,
        "{:#}",
        v["findings"]
    );
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(v["summary"]["warnings"], 0);
    assert_eq!(v["summary"]["runbooks"], 12);
    assert!(v["summary"]["files_checked"].as_u64().unwrap() >= 60);
}

/// The starter SSOT claims no verification the user never did, and stays
/// green on any date (issue 11, item 7): each active starter runbook is a
/// draft never verified (one OB505 warning each), the same today, in two
/// years and in ten; the README's first command exits 0 whenever it is run.
#[test]
fn starter_ssot_is_green_on_any_date_without_claiming_a_verification() {
    let (_t, dir) = init_ssot_as_written();
    let example = project_root().join("examples").join("ops");
    let today = opsbook_core::clock::today_utc();
    let mut seen = Vec::new();
    for root in [&dir, &example] {
        for as_of in [
            AS_OF.to_string(),
            today.to_string(),
            today
                .checked_add(jiff::Span::new().years(2))
                .unwrap()
                .to_string(),
            "2036-11-29".to_string(),
        ] {
            let (code, v) = gate_json(root, &["--as-of", &as_of]);
            assert_eq!(code, 0, "{} as of {as_of}: {v:#}", root.display());
            let found: Vec<(String, String, String)> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["code"].as_str().unwrap().to_string(),
                        f["level"].as_str().unwrap().to_string(),
                        f["file"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(found.len(), 11, "{found:#?}");
            assert!(
                found.iter().all(|(c, l, _)| c == "OB505" && l == "warning"),
                "{found:#?}"
            );
            seen.push(found);
        }
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "the same on every date"
    );
    for (path, bytes) in walk_scaffold_runbooks() {
        let text = String::from_utf8(bytes).unwrap();
        if path.contains("templates") {
            continue;
        }
        assert!(
            text.contains("\nmaturity: draft\n") && text.contains("\nlast_verified: null\n"),
            "{path} claims a review or verification nobody did"
        );
    }
    // The README's first command, as written: no --as-of, today's date.
    let out = opsbook()
        .current_dir(project_root())
        .args(["gate", "--root", "examples/ops"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn starter_ssot_has_what_the_seed_asks_for() {
    let (_t, dir) = init_ssot();
    let count = |sub: &str, ext: &str| {
        std::fs::read_dir(dir.join(sub))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().to_string_lossy().ends_with(ext))
            .count()
    };
    assert_eq!(
        count("spec", ".md") - usize::from(dir.join("spec/README.md").exists()),
        15,
        "fifteen specs (D-SPEC-*)"
    );
    assert_eq!(count("plans", ".yaml"), 5, "five plans (D-PLAN-*)");
    for p in [
        "severity",
        "degraded",
        "safety-matrix",
        "change-freeze",
        "evidence",
        "time",
        "notification",
        "alert-noise",
        "failover",
    ] {
        assert!(dir.join(format!("policy/{p}.yaml")).is_file(), "policy {p}");
    }
    for t in ["runbook", "incident", "postmortem"] {
        assert!(
            dir.join(format!("runbooks/templates/{t}.md")).is_file(),
            "template {t}"
        );
    }
    for c in [
        "quick",
        "platform",
        "execution",
        "marketdata",
        "security",
        "windows",
    ] {
        assert!(count(&format!("runbooks/{c}"), ".md") >= 1, "category {c}");
    }
    assert_eq!(count("runbooks/quick", ".md"), 4, "four quick runbooks");
    assert!(count("contracts", ".schema.json") >= 21);
}

#[test]
fn init_refuses_a_non_empty_directory_and_force_keeps_files() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("opsbook.toml"), "# mine\n").unwrap();
    opsbook().arg("init").arg(t.path()).assert().code(2).stderr(
        predicates::str::contains("is not empty").and(predicates::str::contains("--force")),
    );
    assert!(
        !t.path().join("policy").exists(),
        "nothing written on refusal"
    );
    opsbook()
        .arg("init")
        .arg(t.path())
        .arg("--force")
        .assert()
        .success()
        .stdout(predicates::str::contains("Kept 1 existing"));
    assert_eq!(
        std::fs::read_to_string(t.path().join("opsbook.toml")).unwrap(),
        "# mine\n"
    );
    assert!(t.path().join("policy/severity.yaml").is_file());
}

// ---------------------------------------------------------------- snapshots of the reports

fn three_faults() -> (tempfile::TempDir, PathBuf) {
    let (t, dir) = init_ssot();
    edit(
        &dir.join("runbooks/platform/time-drift.md"),
        "## Backout / 切り戻し",
        "## Backout",
    );
    edit(
        &dir.join("runbooks/platform/rate-limit-429.md"),
        "kind: TRIAGE",
        "kind: TRIAGEE",
    );
    edit(
        &dir.join("runbooks/execution/reconciliation.md"),
        "last_verified: 2026-11-29",
        "last_verified: 2026-08-01",
    );
    (t, dir)
}

/// Snapshot settings with an absolute snapshot directory: under Wine insta
/// cannot run `cargo metadata` to find the workspace, so it must not need to.
fn snapshots() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("snapshots"),
    );
    s
}

#[test]
fn snapshot_human_report() {
    let (_t, dir) = three_faults();
    let out = opsbook()
        .args(["gate", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    snapshots().bind(|| insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap()));
}

#[test]
fn snapshot_markdown_and_github_reports() {
    let (_t, dir) = three_faults();
    let md = opsbook()
        .args(["gate", "--format", "markdown", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    snapshots().bind(|| insta::assert_snapshot!("markdown", String::from_utf8(md.stdout).unwrap()));
    let gh = opsbook()
        .args(["gate", "--format", "github", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    snapshots().bind(|| insta::assert_snapshot!("github", String::from_utf8(gh.stdout).unwrap()));
}

// ---------------------------------------------------------------- severity

#[test]
fn severity_is_classified_from_facts_by_the_starter_policy() {
    let (t, dir) = init_ssot();
    let all_quiet = [
        "mode=live",
        "security_suspected=false",
        "unexpected_loss_usd=0",
        "unhedged_exposure_usd=0",
        "unhedged_minutes=0",
        "order_state_unknown=false",
        "reconciliation_drift_usd=0",
        "stale_market_data_seconds=0",
        "trading_halted=false",
        "halt_unplanned=false",
        "clock_offset_ms=0",
        "exchange_ip_banned=false",
    ];
    let classify = |over: &[&str]| -> Value {
        let mut cmd = opsbook();
        cmd.args(["severity", "classify", "--format", "json", "--root"])
            .arg(&dir);
        // Conflicting values of one fact are refused: the overrides replace
        // the quiet baseline's value.
        let key = |f: &str| f.split('=').next().unwrap_or("").to_string();
        for f in all_quiet
            .iter()
            .filter(|q| !over.iter().any(|o| key(o) == key(q)))
            .chain(over)
        {
            cmd.args(["--fact", f]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["classification"].clone()
    };
    let c = classify(&["unexpected_loss_usd=1500"]);
    assert_eq!(
        (c["severity"].as_str(), c["rule"].as_str()),
        (Some("P0"), Some("SEV-P0-LOSS"))
    );
    let c = classify(&["unexpected_loss_usd=150"]);
    assert_eq!(
        (c["severity"].as_str(), c["rule"].as_str()),
        (Some("P1"), Some("SEV-P1-LOSS"))
    );
    let c = classify(&["clock_offset_ms=1200"]);
    assert_eq!(c["rule"], "SEV-P0-CLOCK");
    // Missing facts raise, never lower: only the mode stated.
    let out = opsbook()
        .args(["severity", "classify", "--fact", "mode=live", "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.starts_with(
            "P0: no rule matches the stated facts alone; P0 through ASSUMED facts: rule "
        ),
        "{s}"
    );
    // Facts from a file; typed values.
    let f = t.path().join("facts.json");
    std::fs::write(&f, r#"{"mode": "live", "security_suspected": true}"#).unwrap();
    let out = opsbook()
        .args(["severity", "classify", "--format", "json", "--facts"])
        .arg(&f)
        .arg("--root")
        .arg(&dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["classification"]["rule"], "SEV-P0-SECURITY");
    opsbook()
        .args(["severity", "classify", "--fact", "mod=live", "--root"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("unknown fact `mod`").and(predicates::str::contains("mode")),
        );
    opsbook()
        .args([
            "severity",
            "classify",
            "--fact",
            "unexpected_loss_usd=lots",
            "--root",
        ])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a number"));
}

// ---------------------------------------------------------------- drills

#[test]
fn drill_record_edits_only_the_date_lines() {
    let (t, dir) = init_ssot();
    // What the drills left behind (outside the SSOT): `--evidence` must
    // name something that exists.
    let halt_notes = t.path().join("halt-drill-2026-11-28.txt");
    std::fs::write(&halt_notes, "HALT drill: hook ok, bundle spooled\n").unwrap();
    let time_notes = t.path().join("time-drill.txt");
    std::fs::write(&time_notes, "time drill: resync failed without admin\n").unwrap();
    let out = opsbook()
        .args([
            "drill", "due", "--format", "json", "--as-of", AS_OF, "--root",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let due = v["due"].as_array().unwrap();
    assert_eq!(
        due.len(),
        8,
        "every starter drill is due: none has been run"
    );
    assert!(due.iter().all(|d| d["due_since"].is_null()));
    // A runbook saved by Windows: CRLF line endings must survive the edit.
    let rb = dir.join("runbooks/quick/halt-and-evidence.md");
    let crlf = std::fs::read_to_string(&rb).unwrap().replace('\n', "\r\n");
    std::fs::write(&rb, &crlf).unwrap();
    let drills_before = std::fs::read_to_string(dir.join("runbooks/drills.yaml")).unwrap();
    opsbook()
        .args([
            "drill",
            "record",
            "DR-HALT-EVIDENCE",
            "--result",
            "pass",
            "--evidence",
        ])
        .arg(&halt_notes)
        .args(["--date", "2026-11-28", "--root"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "updated runbooks/quick/halt-and-evidence.md",
        ));
    assert_eq!(
        std::fs::read_to_string(&rb).unwrap(),
        crlf.replacen("last_drilled: null\r\n", "last_drilled: 2026-11-28\r\n", 1),
        "only the value changed, CRLF kept"
    );
    let drills_after = std::fs::read_to_string(dir.join("runbooks/drills.yaml")).unwrap();
    let changed: Vec<(&str, &str)> = drills_before
        .lines()
        .zip(drills_after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed,
        [("    last_run: null", "    last_run: 2026-11-28")]
    );
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 0, "{v:#}");
    let out = opsbook()
        .args([
            "drill", "due", "--format", "json", "--as-of", AS_OF, "--root",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["due"].as_array().unwrap().len(), 7);
    // A failed drill is recorded but changes no date.
    opsbook()
        .args([
            "drill",
            "record",
            "DR-TIME-DRIFT",
            "--result",
            "fail",
            "--evidence",
        ])
        .arg(&time_notes)
        .arg("--root")
        .arg(&dir)
        .assert()
        .success();
    opsbook()
        .args(["ledger", "verify"])
        .arg(dir.join("ledger/drills.jsonl"))
        .assert()
        .success()
        .stdout(predicates::str::contains("(2 events)"));
    opsbook()
        .args([
            "drill",
            "record",
            "DR-NOPE",
            "--result",
            "pass",
            "--evidence",
            "x",
            "--root",
        ])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("unknown drill `DR-NOPE`")
                .and(predicates::str::contains("DR-HALT-EVIDENCE")),
        );
}
