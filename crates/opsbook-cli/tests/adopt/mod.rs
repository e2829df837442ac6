//! `opsbook coverage` and `opsbook adopt` on hand-made and real (corpus)
//! alert rule collections.

use serde_json::Value;
use std::path::{Path, PathBuf};

use super::{codes, corpus, edit, gate_json, init_ssot, opsbook, walkdir};

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
