#![allow(clippy::unwrap_used)]
//! End-to-end tests of the `opsbook` binary: what an operator and CI see.
//!
//! One integration binary (ripgrep style). Tests that read the shared corpus
//! use it by path (`../shared/corpus/` from the project root).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

mod evidence;
mod find;
mod golden;
mod honest;
mod incidents;
mod integrity;
mod issue13;
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

/// An error among warnings is repeated under the verdict, one line with
/// file, line, column, code and message: it does not hide in file order.
#[test]
fn gate_repeats_errors_under_the_verdict() {
    let (_t, dir) = init_ssot_as_written();
    let rb = dir.join("runbooks/platform/time-drift.md");
    let text = std::fs::read_to_string(&rb).unwrap();
    let owner = text.lines().find(|l| l.starts_with("owner:")).unwrap();
    std::fs::write(&rb, text.replacen(&format!("{owner}\n"), "", 1)).unwrap();
    let out = opsbook()
        .args(["gate", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let tail = text
        .split("opsbook gate: FAIL: 1 error, 11 warnings")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        tail.contains(
            "errors (1, among 11 other findings) — these fail the gate:\n  runbooks/platform/time-drift.md:2:1  OB201 `/`: \"owner\" is a required property\n"
        ),
        "{tail}"
    );
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

use predicates::prelude::PredicateBooleanExt;

// ---------------------------------------------------------------- gate: each check fires

struct Fault {
    name: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    code: &'static str,
    /// The line of this text (after the edit) is where the finding must point; "" = any.
    at: &'static str,
}

const FAULTS: &[Fault] = &[
    Fault {
        name: "missing section",
        file: "runbooks/platform/time-drift.md",
        from: "## Backout / 切り戻し",
        to: "### Backout notes",
        code: "OB101",
        at: "",
    },
    Fault {
        name: "section at the wrong level is pointed at",
        file: "runbooks/platform/time-drift.md",
        from: "## Backout / 切り戻し",
        to: "### Backout / 切り戻し",
        code: "OB101",
        at: "### Backout / 切り戻し",
    },
    Fault {
        name: "misspelt section is pointed at",
        file: "runbooks/platform/rate-limit-429.md",
        from: "## Mitigation / 緩和",
        to: "## Mitigaton / 緩和",
        code: "OB101",
        at: "## Mitigaton / 緩和",
    },
    Fault {
        name: "heading not bilingual",
        file: "runbooks/platform/time-drift.md",
        from: "## Backout / 切り戻し",
        to: "## Backout",
        code: "OB102",
        at: "## Backout",
    },
    Fault {
        name: "wrong ja term",
        file: "runbooks/platform/time-drift.md",
        from: "## Backout / 切り戻し",
        to: "## Backout / 切戻し",
        code: "OB102",
        at: "## Backout / 切戻し",
    },
    Fault {
        name: "op without backout",
        file: "runbooks/platform/time-drift.md",
        from: "    backout: \"Step 9 (leave-safe-mode) once the offset is below 250 ms for 10 minutes.\"\n",
        to: "",
        code: "OB105",
        at: "- id: enter-safe-mode",
    },
    Fault {
        name: "step without tier",
        file: "runbooks/platform/time-drift.md",
        from: "```powershell {step=1 tier=T0}",
        to: "```powershell {step=1}",
        code: "OB107",
        at: "```powershell {step=1}",
    },
    Fault {
        name: "schema enum",
        file: "runbooks/platform/rate-limit-429.md",
        from: "kind: TRIAGE",
        to: "kind: TRIAGEE",
        code: "OB201",
        at: "kind: TRIAGEE",
    },
    Fault {
        name: "registry missing file",
        file: "runbooks/runbooks.yaml",
        from: "path: platform/time-drift.md",
        to: "path: platform/time-drfit.md",
        code: "OB302",
        at: "time-drfit.md",
    },
    Fault {
        name: "p0 coverage hole",
        file: "runbooks/coverage_matrix.yaml",
        from: "RB-PLAT-TIME-DRIFT",
        to: "RB-PLAT-TIME-DRIFTT",
        code: "OB403",
        at: "RB-PLAT-TIME-DRIFTT",
    },
    Fault {
        name: "expired verification",
        file: "runbooks/execution/reconciliation.md",
        from: "last_verified: 2026-11-29",
        to: "last_verified: 2026-01-01",
        code: "OB502",
        at: "last_verified: 2026-01-01",
    },
    Fault {
        name: "expiring verification",
        file: "runbooks/execution/reconciliation.md",
        from: "last_verified: 2026-11-29",
        to: "last_verified: 2026-08-01",
        code: "OB501",
        at: "last_verified: 2026-08-01",
    },
    Fault {
        name: "deprecated replacement missing",
        file: "runbooks/platform/clock-sync-legacy.md",
        from: "replaced_by: RB-PLAT-TIME-DRIFT",
        to: "replaced_by: RB-PLAT-NOPE",
        code: "OB602",
        at: "replaced_by: RB-PLAT-NOPE",
    },
    Fault {
        name: "routes to deprecated",
        file: "runbooks/coverage_matrix.yaml",
        from: "RB-PLAT-TIME-DRIFT",
        to: "RB-PLAT-CLOCK-SYNC-LEGACY",
        code: "OB603",
        at: "RB-PLAT-CLOCK-SYNC-LEGACY",
    },
    Fault {
        name: "duplicate key",
        file: "plans/coverage.yaml",
        from: "\n",
        to: "\nzz: 1\nzz: 2\n",
        code: "OB005",
        at: "zz: 2",
    },
];

#[test]
fn each_planted_fault_is_reported_at_its_line() {
    for f in FAULTS {
        let (_t, dir) = init_ssot();
        let path = dir.join(f.file);
        edit(&path, f.from, f.to);
        let (code, v) = gate_json(&dir, &[]);
        let hit = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == f.code && x["file"] == f.file);
        let hit = hit.unwrap_or_else(|| {
            panic!(
                "{}: no {} on {} in {:#}",
                f.name, f.code, f.file, v["findings"]
            )
        });
        if !f.at.is_empty() {
            assert_eq!(
                hit["line"].as_u64().unwrap(),
                line_of(&path, f.at),
                "{}: {hit:#}",
                f.name
            );
        }
        let level = hit["level"].as_str().unwrap();
        if f.code == "OB105" {
            assert!(
                !v["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["code"] == "OB201" && x["file"] == f.file),
                "one mistake, one finding: {:#}",
                v["findings"]
            );
        }
        assert_eq!(
            code,
            if v["summary"]["errors"].as_u64().unwrap() > 0 {
                1
            } else {
                0
            },
            "{}",
            f.name
        );
        assert!(
            !hit["help"].as_str().unwrap().is_empty(),
            "{}: help",
            f.name
        );
        if f.code == "OB501" {
            assert_eq!(level, "warning", "expiry warns first");
        }
    }
}

#[test]
fn unregistered_runbook_and_safety_matrix_hole_and_broken_link() {
    let (_t, dir) = init_ssot();
    std::fs::copy(
        dir.join("runbooks/platform/time-drift.md"),
        dir.join("runbooks/platform/copy.md"),
    )
    .unwrap();
    let m = dir.join("policy/safety-matrix.yaml");
    let text = std::fs::read_to_string(&m).unwrap();
    // Drop one cell of the matrix: the first `RECOVERING: X` line under `matrix:`.
    let matrix_at = text.find("\nmatrix:").expect("matrix key");
    let (head, tail) = text.split_at(matrix_at);
    let re = find_or_panic(tail, "RECOVERING:");
    let mut tail = tail.to_string();
    let line_start = tail[..re].rfind('\n').map_or(0, |i| i + 1);
    let line_end = tail[re..].find('\n').map_or(tail.len(), |i| re + i + 1);
    let removed = tail[line_start..line_end].to_string();
    if removed.trim_start().starts_with("RECOVERING:") {
        tail.replace_range(line_start..line_end, "");
    } else {
        // flow mapping on one line: `{NORMAL: ALLOW, …, RECOVERING: DENY}`
        let seg_end = tail[re..].find(['}', ',']).map_or(tail.len(), |i| re + i);
        let seg_start = tail[..re].rfind(',').unwrap_or(re);
        tail.replace_range(seg_start..seg_end, "");
    }
    std::fs::write(&m, format!("{head}{tail}")).unwrap();
    let rb = dir.join("runbooks/execution/reconciliation.md");
    let s = std::fs::read_to_string(&rb).unwrap();
    std::fs::write(&rb, format!("{s}\nSee [nowhere](../nowhere/missing.md).\n")).unwrap();
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    let c = codes(&v);
    assert!(c.contains(&"OB301".to_string()), "{c:?}");
    assert!(
        c.contains(&"OB303".to_string()),
        "duplicate ID of the copy: {c:?}"
    );
    assert!(c.contains(&"OB703".to_string()), "{c:?}");
    let link = finding(&v, "OB701");
    assert_eq!(link["file"], "runbooks/execution/reconciliation.md");
    assert_eq!(
        link["line"].as_u64().unwrap(),
        line_of(&rb, "nowhere/missing.md")
    );
}

/// A redaction class that `evidence collect` would refuse (OB203) and one
/// whose keywords its matches never contain (OB204) fail or warn in CI.
#[test]
fn redaction_classes_are_checked_by_the_gate() {
    let (_t, dir) = init_ssot();
    let pol = dir.join("policy/evidence.yaml");
    let text = std::fs::read_to_string(&pol).unwrap();
    assert!(text.contains("      keywords: [account]\n"));
    let text = text.replace(
        "      keywords: [account]\n",
        "      keywords: [acct]\n\
         \x20   - id: desk_token\n\
         \x20     description: look-behind\n\
         \x20     pattern: '(?<=desk=)\\w+'\n\
         \x20   - id: any_x\n\
         \x20     description: matches nothing too\n\
         \x20     pattern: 'x*'\n\
         \x20   - id: line_breaks\n\
         \x20     description: matches only line breaks\n\
         \x20     pattern: '\\r?\\n'\n",
    );
    std::fs::write(&pol, &text).unwrap();
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 1, "{v}");
    let unused = finding(&v, "OB204");
    assert_eq!(unused["file"], "policy/evidence.yaml");
    assert_eq!(
        unused["line"].as_u64().unwrap(),
        line_of(&pol, "keywords: [acct]")
    );
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("class `broker_account_number`: none of its keywords (acct)"),
        "{unused}"
    );
    let invalid: Vec<(String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OB203")
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(invalid.len(), 3, "{invalid:?}");
    assert!(
        invalid[0]
            .0
            .starts_with("class `desk_token`: the pattern does not compile: error: look-around"),
        "{invalid:?}"
    );
    assert_eq!(invalid[0].1, line_of(&pol, "(?<=desk=)"));
    assert_eq!(
        invalid[1].0,
        "class `any_x`: the pattern can match an empty span"
    );
    assert_eq!(
        invalid[2].0,
        "class `line_breaks`: the pattern matches only white space or line breaks"
    );
}

fn find_or_panic(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("{needle} not found"))
}

#[test]
fn drilled_required_for_p0_reports_undrilled_p0_runbooks() {
    let (_t, dir) = init_ssot();
    edit(
        &dir.join("plans/verification.yaml"),
        "drilled_required_for: []",
        "drilled_required_for: [P0]",
    );
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 0, "a warning, not a failure");
    let hits: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OB507")
        .collect();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .any(|f| f["file"] == "runbooks/quick/halt-and-evidence.md"),
        "{hits:#?}"
    );
    assert!(hits.iter().all(|f| f["level"] == "warning"));
    // Recording a drill clears it.
    edit(
        &dir.join("runbooks/quick/halt-and-evidence.md"),
        "last_drilled: null",
        "last_drilled: 2026-11-20",
    );
    let (_, v2) = gate_json(&dir, &[]);
    let after = v2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OB507")
        .count();
    assert_eq!(after, hits.len() - 1);
}

#[test]
fn levels_from_config_change_and_silence_rules() {
    let (_t, dir) = init_ssot();
    edit(
        &dir.join("runbooks/execution/reconciliation.md"),
        "last_verified: 2026-11-29",
        "last_verified: 2026-08-01",
    );
    edit(
        &dir.join("opsbook.toml"),
        "# OB501 = \"error\"",
        "OB501 = \"error\"",
    );
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 1, "OB501 raised to error fails the gate");
    assert_eq!(finding(&v, "OB501")["level"], "error");
    edit(
        &dir.join("opsbook.toml"),
        "OB501 = \"error\"",
        "verification-expiring = \"off\"",
    );
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 0);
    assert!(codes(&v).is_empty(), "{v:#}");
    edit(
        &dir.join("opsbook.toml"),
        "verification-expiring = \"off\"",
        "OB5O1 = \"off\"",
    );
    let (_, v) = gate_json(&dir, &[]);
    let hint = v["findings"].as_array().unwrap().iter().any(|f| {
        f["code"] == "OB201"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("unknown rule `OB5O1` (did you mean `OB501`?)")
    });
    assert!(hint, "{v:#}");
}

#[test]
fn baseline_grandfathers_existing_findings_and_fails_new_ones() {
    let (_t, dir) = init_ssot();
    edit(
        &dir.join("runbooks/platform/time-drift.md"),
        "## Backout / 切り戻し",
        "## Backout",
    );
    edit(
        &dir.join("runbooks/execution/reconciliation.md"),
        "last_verified: 2026-11-29",
        "last_verified: 2025-01-15",
    );
    opsbook()
        .args(["gate", "--write-baseline", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicates::str::contains("Wrote 2 findings"));
    assert!(dir.join(".opsbook/baseline.json").is_file());
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["baselined"], 2);
    // Days pass: "684 days ago" becomes "700 days ago", still the same finding.
    let (code, v) = gate_json(&dir, &["--as-of", "2026-12-15"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["baselined"], 2);
    edit(
        &dir.join("runbooks/platform/rate-limit-429.md"),
        "## Backout / 切り戻し",
        "## Backout",
    );
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["findings"][0]["file"],
        "runbooks/platform/rate-limit-429.md"
    );
    let (_, v) = gate_json(&dir, &["--no-baseline"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);
}

// ---------------------------------------------------------------- gate: formats and exit codes

#[test]
fn json_report_has_the_documented_shape() {
    let (_t, dir) = init_ssot();
    edit(
        &dir.join("runbooks/platform/time-drift.md"),
        "## Backout / 切り戻し",
        "## Backout",
    );
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    for k in ["errors", "warnings", "files_checked"] {
        assert!(v["summary"][k].is_u64(), "summary.{k}");
    }
    let f = &v["findings"][0];
    for k in ["code", "level", "file", "line", "column", "message", "help"] {
        assert!(!f[k].is_null(), "finding.{k} in {f:#}");
    }
    assert!(v["changes"].is_array());
}

#[test]
fn human_report_looks_like_rustc() {
    let (_t, dir) = init_ssot();
    edit(
        &dir.join("runbooks/platform/time-drift.md"),
        "## Backout / 切り戻し",
        "## Backout",
    );
    let line = line_of(&dir.join("runbooks/platform/time-drift.md"), "## Backout");
    let out = opsbook()
        .args(["gate", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("error[OB102]: heading `## Backout` lacks the Japanese `切り戻し`"),
        "{s}"
    );
    assert!(
        s.contains(&format!("--> runbooks/platform/time-drift.md:{line}:1")),
        "{s}"
    );
    assert!(s.contains("help: write `## Backout / 切り戻し`"), "{s}");
    assert!(s.contains("FAIL: 1 error, 0 warnings"), "{s}");
}

#[test]
fn sarif_junit_github_markdown_and_output_file() {
    let (t, dir) = init_ssot();
    edit(
        &dir.join("runbooks/platform/time-drift.md"),
        "## Backout / 切り戻し",
        "## Backout",
    );
    let out = t.path().join("report.sarif");
    opsbook()
        .args(["gate", "--format", "sarif", "--as-of", AS_OF, "--output"])
        .arg(&out)
        .arg("--root")
        .arg(&dir)
        .assert()
        .code(1);
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "OB102");
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "opsbook");
    // The OASIS schema (vendored from serde-sarif 0.8.0) has one pattern that is not a
    // valid ECMA-262 regex (an unbalanced `]`); fix that one pattern so the schema compiles.
    let raw = include_str!("schemas/sarif-2.1.0.json").replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: Value = serde_json::from_str(&raw).expect("vendored SARIF 2.1.0 schema");
    let validator = jsonschema::options()
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");

    let xml = t.path().join("gate.xml");
    opsbook()
        .args(["gate", "--format", "junit", "--as-of", AS_OF, "--output"])
        .arg(&xml)
        .arg("--root")
        .arg(&dir)
        .assert()
        .code(1);
    let x = std::fs::read_to_string(&xml).unwrap();
    assert!(
        x.contains("<testsuites") && x.contains("<failure") && x.contains("OB102"),
        "{x}"
    );
    validate_junit(&xml);

    let gh = opsbook()
        .args(["gate", "--format", "github", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    let g = String::from_utf8(gh.stdout).unwrap();
    assert!(g.starts_with("::error file="), "{g}");
    assert!(g.contains("runbooks/platform/time-drift.md,line="), "{g}");

    let md = opsbook()
        .args(["gate", "--format", "markdown", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    let m = String::from_utf8(md.stdout).unwrap();
    assert!(
        m.contains("## opsbook gate: ❌ FAIL") && m.contains("| error | `OB102`"),
        "{m}"
    );
}

/// Validates JUnit XML against `tests/schemas/junit.xsd` with xmllint
/// (libxml2-utils, installed by `.ci/run`). Skipped where xmllint cannot be
/// started: under Wine the Linux tool is not reachable from the Windows build.
fn validate_junit(xml: &Path) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit.xsd");
    match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(xml)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "JUnit XML invalid: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none() || cfg!(windows),
                "xmllint is required in CI: {e}"
            );
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skipped JUnit schema validation: xmllint not available ({e})");
            }
        }
    }
}

#[test]
fn usage_and_io_errors_exit_2() {
    let t = tempfile::tempdir().unwrap();
    opsbook()
        .args(["gate", "--root"])
        .arg(t.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not an opsbook SSOT"));
    opsbook()
        .args(["gate", "--root"])
        .arg(t.path().join("nope"))
        .assert()
        .code(2);
    let (_t, dir) = init_ssot();
    opsbook()
        .args(["gate", "--as-of", "29/11/2026", "--root"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("YYYY-MM-DD"));
    opsbook().args(["gate", "--format", "xml"]).assert().code(2);
    opsbook()
        .args(["gate", "--baseline", "missing.json", "--root"])
        .arg(&dir)
        .assert()
        .code(2);
}

#[test]
fn root_may_name_opsbook_toml_and_coverage_without_rules_is_an_error() {
    let (_t, dir) = init_ssot();
    opsbook()
        .args(["gate", "--format", "json", "--as-of", AS_OF, "--root"])
        .arg(dir.join("opsbook.toml"))
        .assert()
        .success();
    opsbook()
        .args(["coverage", "--root"])
        .arg(&dir)
        .arg("--alerts")
        .arg(dir.join("policy"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no alerting rules"));
}

#[test]
fn root_is_discovered_upwards_from_the_current_directory() {
    let (_t, dir) = init_ssot();
    opsbook()
        .current_dir(dir.join("runbooks").join("platform"))
        .args(["gate", "--format", "json", "--as-of", AS_OF])
        .assert()
        .success()
        .stdout(predicates::str::contains("\"errors\": 0"));
}

#[test]
fn changed_files_summary_against_a_git_base_and_step_summary() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        return; // no git on this host: nothing to summarise against
    }
    let (t, dir) = init_ssot();
    let git = |args: &[&str]| {
        let st = std::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.invalid",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "start"]);
    edit(&dir.join("policy/time.yaml"), "\n", "\n# tuned\n");
    std::fs::write(dir.join("runbooks/notes.txt"), "x\n").unwrap();
    let summary = t.path().join("summary.md");
    let out = opsbook()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "gate", "--format", "json", "--base", "HEAD", "--as-of", AS_OF, "--root",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["path"] == "policy/time.yaml"
            && c["status"] == "modified"
            && c["kind"] == "policy"),
        "{changes:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["path"] == "runbooks/notes.txt" && c["status"] == "added"),
        "{changes:#?}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("### Changed files (2)") && md.contains("policy/time.yaml"),
        "{md}"
    );
    let out = opsbook()
        .args(["gate", "--base", "no-such-ref", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad --base is a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-ref") && err.contains("hint:"),
        "{err}"
    );
    assert!(
        err.lines().count() <= 4,
        "one clear message, not git's usage text: {err}"
    );
}

// ---------------------------------------------------------------- input as Windows writes it, bad input

fn utf16le_crlf(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in s.replace('\n', "\r\n").encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

#[test]
fn utf16le_bom_crlf_and_utf8_bom_runbooks_pass() {
    let (_t, dir) = init_ssot();
    let a = dir.join("runbooks/platform/time-drift.md");
    let text = std::fs::read_to_string(&a).unwrap();
    std::fs::write(&a, utf16le_crlf(&text)).unwrap();
    let b = dir.join("runbooks/platform/rate-limit-429.md");
    let text = std::fs::read_to_string(&b).unwrap();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
    std::fs::write(&b, bom).unwrap();
    let reg = dir.join("runbooks/runbooks.yaml");
    let text = std::fs::read_to_string(&reg).unwrap();
    std::fs::write(&reg, utf16le_crlf(&text)).unwrap();
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert!(codes(&v).is_empty());
}

#[test]
fn bad_input_gives_diagnostics_not_panics() {
    let (_t, dir) = init_ssot();
    let rb = dir.join("runbooks/platform");
    std::fs::write(
        rb.join("binary.md"),
        [0x89, b'P', b'N', b'G', 0, 0, 0xFF, 0x10],
    )
    .unwrap();
    std::fs::write(rb.join("empty.md"), "").unwrap();
    std::fs::write(
        rb.join("unterminated.md"),
        "---\nrunbook_id: RB-X-Y\ntitle: x\n",
    )
    .unwrap();
    std::fs::write(
        rb.join("tabs.md"),
        "---\nrunbook_id: RB-X-Y\ntitle:\n\ten: x\n---\n# x\n",
    )
    .unwrap();
    std::fs::write(
        rb.join("dupkey.md"),
        "---\nrunbook_id: RB-X-Y\nrunbook_id: RB-X-Z\n---\n# x\n",
    )
    .unwrap();
    std::fs::write(rb.join("nofm.md"), "# Just a title\n").unwrap();
    std::fs::write(rb.join("scalar.md"), "---\njust a string\n---\n# x\n").unwrap();
    let mut big = String::from("---\nrunbook_id: RB-BIG-FILE\n---\n");
    while big.len() < 50 * 1024 * 1024 {
        big.push_str("## Log / ログ\n0123456789012345678901234567890123456789012345678901234567890123456789\n");
    }
    std::fs::write(rb.join("big.md"), big).unwrap();
    let out = opsbook()
        .args(["gate", "--format", "json", "--as-of", AS_OF, "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = |file: &str, code: &str| -> u64 {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"] == format!("runbooks/platform/{file}") && f["code"] == code)
            .unwrap_or_else(|| panic!("{code} on {file}: {:#}", v["findings"]))["line"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(at("binary.md", "OB002"), 1);
    assert_eq!(at("empty.md", "OB004"), 1);
    assert_eq!(at("unterminated.md", "OB007"), 1);
    assert_eq!(at("tabs.md", "OB005"), 4);
    // One broken front matter is one finding, not a cascade of section, step
    // and registry findings that follow from it (unregistered aside).
    for file in [
        "tabs.md",
        "dupkey.md",
        "unterminated.md",
        "binary.md",
        "scalar.md",
    ] {
        let other: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == format!("runbooks/platform/{file}") && f["code"] != "OB301")
            .collect();
        assert_eq!(other.len(), 1, "{file}: {other:#?}");
    }
    let dup = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "runbooks/platform/dupkey.md" && f["code"] == "OB005")
        .unwrap();
    assert!(
        dup["message"]
            .as_str()
            .unwrap()
            .ends_with("(first defined at line 2)"),
        "{dup:#}"
    );
    assert_eq!(at("dupkey.md", "OB005"), 3);
    assert_eq!(at("nofm.md", "OB006"), 1);
    assert_eq!(at("scalar.md", "OB007"), 2);
    assert_eq!(at("big.md", "OB003"), 1);
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_a_diagnostic() {
    let (_t, dir) = init_ssot();
    std::os::unix::fs::symlink("..", dir.join("runbooks/platform/loop")).unwrap();
    let (code, v) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    let f = finding(&v, "OB001");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link loop"),
        "{f:#}"
    );
}

// ---------------------------------------------------------------- explain, contracts

#[test]
fn explain_shows_the_rule_page_and_suggests_on_typos() {
    opsbook()
        .args(["explain", "OB105"])
        .assert()
        .success()
        .stdout(
            predicates::str::contains("# dangerous-op-without-backout (OB105)")
                .and(predicates::str::contains("## Why is this bad?")),
        );
    opsbook()
        .args(["explain", "missing-section"])
        .assert()
        .success()
        .stdout(predicates::str::contains("OB101"));
    opsbook()
        .args(["explain", "OB1O5"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `OB105`"));
    let out = opsbook()
        .args(["explain", "--all", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Every code the gate can emit (findings are built only from the
    // registry's `&'static Rule`s), in code order, with its level and summary.
    let listed: Vec<(&str, &str, &str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap(),
                r["name"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                r["summary"].as_str().unwrap(),
            )
        })
        .collect();
    let registry: Vec<(&str, &str, &str, &str)> = opsbook_gate::rules::all()
        .map(|r| (r.code, r.name, r.level.as_str(), r.summary))
        .collect();
    assert_eq!(listed, registry);
    assert_eq!(listed.len(), 79);
    let human = opsbook().args(["explain", "--all"]).output().unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    for (code, name, _, _) in &registry {
        assert!(
            text.contains(&format!("{code}  {name} ")),
            "{code} missing:\n{text}"
        );
    }
}

#[test]
fn contracts_export_writes_valid_schemas_identical_to_init() {
    let (t, dir) = init_ssot();
    let out = t.path().join("exported");
    opsbook()
        .args(["contracts", "export"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("Wrote 22 contracts"));
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(
            v["$schema"],
            "https://json-schema.org/draft/2020-12/schema",
            "{}",
            p.display()
        );
        jsonschema::meta::validate(&v).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(dir.join("contracts").join(p.file_name().unwrap())).unwrap()
        );
    }
    let list = opsbook()
        .args(["contracts", "list", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "policy-safety-matrix"
                && c["applies_to"] == "policy/safety-matrix.yaml")
    );
}

// ---------------------------------------------------------------- coverage: link forms

#[test]
fn coverage_resolves_every_link_form_and_fails_on_p0_holes() {
    let (_t, dir) = init_ssot();
    let rules = r#"
groups:
  - name: forms
    rules:
      - alert: AbsoluteUnderBase
        labels: {severity: critical}
        annotations: {runbook_url: "https://runbooks.example.com/runbooks/platform/time-drift#validation"}
      - alert: RelativePath
        labels: {severity: warning}
        annotations: {runbook_url: "runbooks/execution/reconciliation.md"}
      - alert: InLabelsAsRunbook
        labels: {severity: warning, runbook: "./runbooks/platform/rate-limit-429.md?x=1"}
      - alert: Templated
        labels: {severity: critical}
        annotations: {runbook_url: "https://runbooks.example.com/runbooks/{{ $labels.alertname }}"}
      - alert: OtherHost
        labels: {severity: info}
        annotations: {runbook_url: "https://wiki.example.org/page"}
      - alert: ToTheStub
        labels: {severity: warning}
        annotations: {runbook_url: "https://runbooks.example.com/runbooks/platform/clock-sync-legacy"}
      - alert: NoLinkButInMatrix
        labels: {severity: critical}
      - alert: CriticalNowhere
        labels: {severity: critical}
        annotations: {runbook_url: "https://runbooks.example.com/runbooks/platform/nope"}
"#;
    let coverage_alert = {
        let m = std::fs::read_to_string(dir.join("runbooks/coverage_matrix.yaml")).unwrap();
        let v = opsbook_yaml_first_alert(&m);
        v.to_string()
    };
    std::fs::write(
        dir.join("extra.rules.yaml"),
        rules.replace("NoLinkButInMatrix", &coverage_alert),
    )
    .unwrap();
    let out = opsbook()
        .args(["coverage", "--format", "json", "--root"])
        .arg(&dir)
        .arg("--alerts")
        .arg(dir.join("extra.rules.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "P0 alerts without a runbook fail"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |name: &str| -> (String, String, Value) {
        let a = v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["alert"] == name)
            .unwrap_or_else(|| panic!("{name}"));
        (
            a["status"].as_str().unwrap().to_string(),
            a["priority"].as_str().unwrap().to_string(),
            a["runbook_id"].clone(),
        )
    };
    assert_eq!(
        status("AbsoluteUnderBase"),
        (
            "covered".into(),
            "P0".into(),
            Value::from("RB-PLAT-TIME-DRIFT")
        )
    );
    assert_eq!(status("RelativePath").2, "RB-EXEC-RECONCILIATION");
    assert_eq!(status("InLabelsAsRunbook").2, "RB-PLAT-RATE-LIMIT-429");
    assert_eq!(status("Templated").0, "templated");
    assert_eq!(
        status("OtherHost"),
        ("missing".into(), "P2".into(), Value::Null)
    );
    assert_eq!(status("ToTheStub").0, "deprecated");
    // The matrix names a runbook, but the operator clicks the link: both
    // facts are reported, and a P0 alert without a link is not covered.
    let no_link = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert"] == coverage_alert.as_str())
        .unwrap();
    assert_eq!(no_link["status"], "missing", "{no_link:#}");
    assert_eq!(no_link["link"], "missing");
    assert!(
        no_link["matrix"].as_str().unwrap().starts_with("RB-"),
        "{no_link:#}"
    );
    assert_eq!(
        status("CriticalNowhere"),
        ("missing".into(), "P0".into(), Value::Null)
    );
    let link = |name: &str| {
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["alert"] == name)
            .unwrap()["link"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(link("CriticalNowhere"), "dead");
    assert_eq!(link("OtherHost"), "foreign");
    assert_eq!(
        link("AbsoluteUnderBase"),
        "ok",
        "#validation is a heading of the page"
    );
    assert_eq!(
        v["summary"]["p0_missing"], 3,
        "CriticalNowhere, Templated and the matrix-only alert"
    );
    assert_eq!(v["summary"]["templated"], 1);
    assert_eq!(v["summary"]["links"]["dead"], 1);
    // The human report shows both facts per alert.
    let human = opsbook()
        .args(["coverage", "--root"])
        .arg(&dir)
        .arg("--alerts")
        .arg(dir.join("extra.rules.yaml"))
        .output()
        .unwrap();
    let h = String::from_utf8_lossy(&human.stdout);
    assert!(
        h.contains(&format!(
            "error: P0 alert `{coverage_alert}` (critical) does not lead to its runbook"
        )) && h.contains("  link: missing — no runbook_url or runbook annotation")
            && h.contains("  coverage matrix: maps it to RB-"),
        "{h}"
    );
    // The gate runs the same check on the alert files opsbook.toml lists.
    std::fs::copy(dir.join("extra.rules.yaml"), dir.join("alerts/extra.yaml")).unwrap();
    let (code, g) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    let c = codes(&g);
    for code in ["OB404", "OB405", "OB406", "OB603"] {
        assert!(c.iter().any(|x| x == code), "{code} in {c:?}");
    }
}

/// Rule files as Prometheus loads them (Go yaml, libyaml rules) are read; an
/// unreadable one is a finding with its line and the rest is still checked;
/// promtool's test files can be left out (issue 11, item 2).
#[test]
fn coverage_reads_what_prometheus_loads_and_goes_on_past_a_broken_file() {
    let (_t, dir) = init_ssot();
    let rules = dir.join("monitoring");
    std::fs::create_dir_all(rules.join("team")).unwrap();
    // A quoted description whose continuation lines sit at the key's
    // indentation and below: Prometheus (yaml.v3) loads it, YAML 1.2 does not.
    std::fs::write(
        rules.join("team/clock.yaml"),
        "groups:\n- name: clock\n  rules:\n  - alert: ClockDriftHigh\n    expr: abs(offset) > 1\n    labels:\n      severity: critical\n    annotations:\n      description: \"Signed requests are rejected,\n      cancels included; the offset is\n    {{ $value }} seconds\"\n      runbook_url: https://runbooks.example.com/runbooks/platform/time-drift\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("broken.yaml"),
        "groups:\n- name: broken\n  rules:\n  - alert: Half\n    labels: {severity: critical\n  - alert: Other\n",
    )
    .unwrap();
    // promtool's unit tests: not rule files.
    std::fs::write(
        rules.join("clock_test.yaml"),
        "rule_files: [team/clock.yaml]\ntests:\n  - interval: 1m\n    input_series: [\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = opsbook()
            .args(["coverage", "--format", "json", "--root"])
            .arg(&dir)
            .arg("--alerts")
            .arg(&rules)
            .args(extra)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), v)
    };
    let (code, v) = run(&["--exclude", "*_test.yaml"]);
    assert_eq!(
        code,
        Some(1),
        "an unreadable rule file fails the run, not exit 2"
    );
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["unreadable"], 1);
    let u = &v["unreadable"][0];
    assert_eq!(u["file"], "monitoring/broken.yaml");
    assert_eq!(u["line"], 6, "{u:#}");
    assert_eq!(
        v["summary"]["alerts"], 1,
        "the readable file is still checked"
    );
    assert_eq!(v["alerts"][0]["alert"], "ClockDriftHigh");
    assert_eq!(v["alerts"][0]["status"], "covered");
    // Without --exclude the promtool file is one more unreadable file.
    let (_, v) = run(&[]);
    assert_eq!(v["summary"]["unreadable"], 2, "{:#}", v["unreadable"]);
    // The gate: `!` excludes in `[gate] alerts`, the broken file is OB005 at
    // its line, and the continuation-line file loads.
    std::fs::rename(&rules, dir.join("alerts/more")).unwrap();
    edit(
        &dir.join("opsbook.toml"),
        r#"alerts = ["alerts/*.yaml"]"#,
        r#"alerts = ["alerts/**/*.yaml", "!alerts/**/*_test.yaml"]"#,
    );
    let (code, g) = gate_json(&dir, &[]);
    assert_eq!(code, 1);
    let f: Vec<(String, String, u64)> = g["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        f,
        [(
            "OB005".to_string(),
            "alerts/more/broken.yaml".to_string(),
            6
        )],
        "{:#}",
        g["findings"]
    );
}

/// The first alert name listed in a coverage matrix (YAML flow list `alerts: [A, B]`).
fn opsbook_yaml_first_alert(matrix: &str) -> String {
    let line = matrix
        .lines()
        .find(|l| l.trim_start().starts_with("alerts: [") && !l.contains("[]"))
        .unwrap();
    line.split('[')
        .nth(1)
        .unwrap()
        .split([',', ']'])
        .next()
        .unwrap()
        .trim()
        .to_string()
}

// ---------------------------------------------------------------- real corpus: adopt + coverage

/// Figures computed independently by `scripts/corpus-figures.py` (Python +
/// PyYAML, case-insensitive path match on the upstream snapshot).
#[test]
fn corpus_prometheus_operator_adopt_and_kube_prometheus_coverage() {
    let src = corpus("prometheus-operator-runbooks/content/runbooks");
    if !src.is_dir() {
        panic!("corpus missing at {}", src.display());
    }
    let t = tempfile::tempdir().unwrap();
    let into = t.path().join("po");
    let plan = opsbook()
        .args(["adopt", "--format", "json", "--into"])
        .arg(&into)
        .arg(&src)
        .output()
        .unwrap();
    assert!(plan.status.success());
    assert!(!into.exists(), "plan only: nothing written without --write");
    let p: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(
        p["items"].as_array().unwrap().len(),
        108,
        "108 runbooks, `_index.md` section pages skipped"
    );
    assert_eq!(
        p["skipped"].as_array().unwrap().len(),
        10,
        "9 `_index.md` and one runbook saved without an extension, listed, not silently left out"
    );
    assert!(
        p["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"] == "prometheus-operator/PrometheusOperatorSyncFailed"),
        "{:#}",
        p["skipped"]
    );
    opsbook()
        .args([
            "adopt",
            "--write",
            "--runbook-base",
            "https://runbooks.prometheus-operator.dev/runbooks/",
            "--into",
        ])
        .arg(&into)
        .arg(&src)
        .assert()
        .success();
    let out = opsbook()
        .args(["coverage", "--format", "json", "--root"])
        .arg(&into)
        .arg("--alerts")
        .arg(corpus("kube-prometheus/manifests"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a critical (P0) alert has no runbook page"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    assert_eq!(s["alerts"], 139, "alerting rules");
    assert_eq!(s["distinct_alerts"], 125);
    assert_eq!(s["missing"], 27, "rules whose runbook page does not exist");
    assert_eq!(s["covered"], 112);
    assert_eq!(s["templated"], 0);
    assert_eq!(s["p0_missing"], 1, "critical ones among them");
    // Both facts per alert: where the link leads, and the matrix (here the
    // adopted runbooks' triggers). Python: adopted_link_status, adopted_matrix_*.
    assert_eq!(s["links"], serde_json::json!({"dead": 27, "ok": 112}));
    assert_eq!(
        (s["in_matrix"].as_u64(), s["not_in_matrix"].as_u64()),
        (Some(112), Some(27))
    );
    assert!(
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| (a["link"] == "ok") == (a["matrix"].is_string())),
        "every alert with a page also has it as a trigger, and none other"
    );
    let missing: std::collections::BTreeSet<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "missing")
        .map(|a| a["alert"].as_str().unwrap())
        .collect();
    assert_eq!(missing.len(), 26);
    assert!(
        missing.contains("KubePersistentVolumeInodesFillingUp")
            && missing.contains("NodeCPUHighUsage")
    );
    let crit = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "missing" && a["priority"] == "P0")
        .unwrap();
    assert_eq!(crit["alert"], "KubePersistentVolumeInodesFillingUp");
    // The gate on the adopted SSOT names what is missing, in opsbook's terms.
    let (code, g) = gate_json(&into, &[]);
    assert_eq!(code, 1);
    let c = codes(&g);
    assert_eq!(
        c.iter().filter(|x| *x == "OB505").count(),
        108,
        "none of them verified"
    );
    assert!(c.iter().any(|x| x == "OB101"));
    let no_backout = g["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OB101" && f["message"].as_str().unwrap().contains("`Do-Not-Do`"))
        .count();
    assert_eq!(
        no_backout, 108,
        "no upstream runbook has a Do-Not-Do section"
    );
    // The plan said what the gate reports: missing sections per runbook.
    let plan: Value = serde_json::from_slice(
        &opsbook()
            .args(["adopt", "--format", "json", "--into"])
            .arg(t.path().join("again"))
            .arg(&src)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    for item in plan["items"].as_array().unwrap() {
        let dest = item["dest"].as_str().unwrap();
        let from_gate: std::collections::BTreeSet<&str> = g["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "OB101" && f["file"] == dest)
            .map(|f| f["message"].as_str().unwrap().split('`').nth(1).unwrap())
            .collect();
        let from_plan: std::collections::BTreeSet<&str> = item["missing_sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert_eq!(from_gate, from_plan, "{dest}");
    }
    assert_eq!(
        c.iter().filter(|x| *x == "OB701").count(),
        0,
        "no link broken"
    );
}

#[test]
fn corpus_openshift_adopt_skips_helpers() {
    let src = corpus("openshift-runbooks");
    let t = tempfile::tempdir().unwrap();
    let into = t.path().join("os");
    let plan = opsbook()
        .args([
            "adopt",
            "--format",
            "json",
            "--skip",
            "**/helpers/**",
            "--skip",
            "example.md",
            "--into",
        ])
        .arg(&into)
        .arg(&src)
        .output()
        .unwrap();
    let p: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let items = p["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        259,
        "runbooks under alerts/, without helpers/ and README"
    );
    assert!(
        items
            .iter()
            .all(|i| !i["original_path"].as_str().unwrap().contains("/helpers/"))
    );
    let skipped_helpers = p["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["path"].as_str().unwrap().contains("/helpers/"))
        .count();
    assert_eq!(skipped_helpers, 12);
    let meaning = items[0]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["from"] == "Meaning")
        .unwrap();
    assert_eq!(meaning["to"], "Triage");
    // Figures of scripts/corpus-figures.py ("adoption" → openshift_runbooks):
    // 13 pages marked [Deprecated], whose replacement is outside the
    // collection; 12 helpers the runbooks link to are copied; of 94 file
    // links, the 17 that did not resolve in the source are the only broken
    // links after adoption (75 before links were rewritten).
    let deprecated: Vec<&Value> = items
        .iter()
        .filter(|i| i["status"] == "deprecated")
        .collect();
    assert_eq!(deprecated.len(), 13);
    assert!(deprecated.iter().all(|i| i["replaced_by"].is_null()));
    assert_eq!(p["assets"].as_array().unwrap().len(), 12);
    opsbook()
        .args([
            "adopt",
            "--write",
            "--skip",
            "**/helpers/**",
            "--skip",
            "example.md",
            "--into",
        ])
        .arg(&into)
        .arg(&src)
        .assert()
        .success();
    let (_, g) = gate_json(&into, &[]);
    let count = |code: &str| {
        g["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .count()
    };
    assert_eq!(count("OB701"), 17, "links broken in the source too");
    assert_eq!(
        count("OB601"),
        13,
        "deprecated, replacement not in the collection"
    );
}

#[test]
fn corpus_moj_review_metadata_becomes_expiry() {
    let src = corpus("moj-cloud-platform/source");
    let t = tempfile::tempdir().unwrap();
    let into = t.path().join("moj");
    opsbook()
        .args(["adopt", "--write", "--into"])
        .arg(&into)
        .arg(&src)
        .assert()
        .success();
    let count = |v: &Value, code: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .count()
    };
    let (_, v) = gate_json(&into, &[]);
    assert_eq!(v["summary"]["runbooks"], 147);
    assert_eq!(
        count(&v, "OB501") + count(&v, "OB502"),
        90,
        "reviews overdue on 2026-11-29"
    );
    assert_eq!(count(&v, "OB505"), 42, "files without review metadata");
    assert_eq!(
        count(&v, "OB701"),
        7,
        "scripts/corpus-figures.py: of 77 file links, 7 did not resolve in the source (images not in the snapshot); 65 were reported before links were rewritten"
    );
    let (_, v) = gate_json(&into, &["--as-of", "2027-12-31"]);
    assert_eq!(
        count(&v, "OB501") + count(&v, "OB502"),
        105,
        "every review overdue by the end of 2027"
    );
}

fn tree_digest(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir(dir)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn adopt_never_modifies_the_source_and_never_overwrites() {
    let src = corpus("prometheus-operator-runbooks/content/runbooks");
    let before = tree_digest(&src);
    let t = tempfile::tempdir().unwrap();
    let into = t.path().join("po");
    opsbook()
        .args(["adopt", "--write", "--into"])
        .arg(&into)
        .arg(&src)
        .assert()
        .success();
    // The plan already says that adopting again would overwrite.
    let plan = opsbook()
        .args(["adopt", "--into"])
        .arg(&into)
        .arg(&src)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        text.contains("Conflicts: 108 destination files already exist")
            && text.contains("--write would refuse"),
        "{text}"
    );
    // Adopting again into the same SSOT would overwrite: refused, nothing written.
    let reg_before = std::fs::read(into.join("runbooks/runbooks.yaml")).unwrap();
    opsbook()
        .args(["adopt", "--write", "--into"])
        .arg(&into)
        .arg(&src)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));
    assert_eq!(
        std::fs::read(into.join("runbooks/runbooks.yaml")).unwrap(),
        reg_before
    );
    assert!(tree_digest(&src) == before, "the source tree changed");
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
