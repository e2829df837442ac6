//! What the gate and its neighbours do with what an operator gives them:
//! usage and I/O errors (exit 2), root discovery, changed files against a git
//! base, UTF-16/BOM/CRLF input, bad input as diagnostics, `explain` and
//! `contracts export`.

use predicates::prelude::PredicateBooleanExt;
use serde_json::Value;

use super::{AS_OF, codes, edit, finding, gate_json, init_ssot, init_ssot_as_written, opsbook};

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
fn explain_level_snippet_works_as_printed() {
    // The TOML block `explain` prints, pasted into opsbook.toml, changes
    // the rule's level: OB505 (default warning) becomes an error.
    let page = opsbook().args(["explain", "OB505"]).output().unwrap();
    let page = String::from_utf8(page.stdout).unwrap();
    let block = page
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml block");
    assert!(
        block.contains("OB505 = \"error\"   # or \"warning\", \"info\", \"off\""),
        "{block}"
    );
    let (_t, dir) = init_ssot_as_written();
    let cfg = dir.join("opsbook.toml");
    // The starter opsbook.toml already has the table: the block replaces
    // its header line, as an operator pastes it there.
    let toml = std::fs::read_to_string(&cfg).unwrap();
    assert!(toml.contains("\n[gate.levels]\n"));
    std::fs::write(&cfg, toml.replacen("[gate.levels]\n", block, 1)).unwrap();
    opsbook()
        .args(["gate", "--root"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("OB505 never-verified (error)"));
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
