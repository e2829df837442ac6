//! Every rule of the registry fires on a fixture and stays quiet on its
//! fixed twin (ruff-style): `tests/fixtures/rules/<CODE>/fires/` and
//! `…/passes/` are copied over the base SSOT `tests/fixtures/rules/_base/`
//! (where the gate finds nothing), the gate runs as of 2026-11-29, and the
//! findings of `<CODE>` on `fires` are snapshotted as the human report
//! renders them (`tests/fixtures/rules/<CODE>/fires.snap`).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use opsbook_core::contracts::Contracts;
use opsbook_gate::{Finding, render, rules};

/// Rules that no file fixture can fire, with the reason. Each is fired by
/// a test below that builds its input at run time, or (OB901) elsewhere.
const NOT_FROM_A_FILE: &[(&str, &str)] = &[
    (
        "OB001",
        "needs a file the gate cannot read (a symbolic-link loop or a permission), which git does not keep portably: `unreadable_file_fires` builds a loop at run time (Unix)",
    ),
    (
        "OB003",
        "needs a runbook over 2 MiB, which is not kept in the repository: `file_too_large_fires` writes one at run time",
    ),
    (
        "OB009",
        "needs a required policy the base SSOT has to be absent, and a fixture can only add files: `policy_unusable_fires` removes one at run time",
    ),
    (
        "OB901",
        "not a finding: the changed-file summary (`Report::changes`) needs a git work tree and `--base`; see crates/opsbook-cli/tests (gate --base)",
    ),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// The base SSOT with `overlay` copied over it, in a temporary directory.
fn ssot_with(overlay: Option<&Path>) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("ops");
    common::copy_dir(&fixtures().join("_base"), &root);
    if let Some(o) = overlay {
        common::copy_dir(o, &root);
    }
    (t, root)
}

fn gate(root: &Path) -> Vec<Finding> {
    let contracts = Contracts::load(Some(root));
    let (_, report) = opsbook_gate::check(root, &contracts, &common::options()).unwrap();
    report.findings
}

fn describe(fs: &[Finding]) -> String {
    fs.iter()
        .map(|f| format!("{} {}:{}: {}", f.code, f.file, f.line, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_base_ssot_is_clean() {
    let (_t, root) = ssot_with(None);
    let found = gate(&root);
    assert!(found.is_empty(), "{}", describe(&found));
}

#[test]
fn every_rule_fires_on_its_fixture_and_not_on_its_twin() {
    let exempt: BTreeSet<&str> = NOT_FROM_A_FILE.iter().map(|(c, _)| *c).collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    for rule in rules::all() {
        let dir = fixtures().join(rule.code);
        if exempt.contains(rule.code) {
            assert!(
                !dir.exists(),
                "{} is listed as not fireable from a file, but has fixtures",
                rule.code
            );
            continue;
        }
        let (fires, passes) = (dir.join("fires"), dir.join("passes"));
        if !fires.is_dir() || !passes.is_dir() {
            problems.push(format!(
                "{} {}: no fixture (tests/fixtures/rules/{}/{{fires,passes}}/)",
                rule.code, rule.name, rule.code
            ));
            continue;
        }
        let (_t, root) = ssot_with(Some(&fires));
        let found = gate(&root);
        let mine: Vec<Finding> = found
            .iter()
            .filter(|f| f.code == rule.code)
            .cloned()
            .collect();
        if mine.is_empty() {
            problems.push(format!(
                "{}: `fires` does not fire it; found:\n{}",
                rule.code,
                describe(&found)
            ));
        } else {
            insta::with_settings!({
                snapshot_path => dir.clone(),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("{} {}: {}", rule.code, rule.name, rule.summary),
            }, {
                insta::assert_snapshot!("fires", render::diagnostics(&mine, &root, false));
            });
        }
        let (_t, root) = ssot_with(Some(&passes));
        let found = gate(&root);
        if found.iter().any(|f| f.code == rule.code) {
            problems.push(format!(
                "{}: `passes` fires it:\n{}",
                rule.code,
                describe(&found)
            ));
        }
        checked += 1;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert_eq!(
        checked + NOT_FROM_A_FILE.len(),
        rules::all().count(),
        "every rule is either fixture-checked or listed with a reason"
    );
}

#[test]
fn file_too_large_fires() {
    let (_t, root) = ssot_with(None);
    let rb = root.join("runbooks/base.md");
    let mut text = std::fs::read_to_string(&rb).unwrap();
    while text.len() <= 2 * 1024 * 1024 {
        text.push_str("Pasted log line that does not belong in a runbook.\n");
    }
    std::fs::write(&rb, text).unwrap();
    let found = gate(&root);
    assert!(
        found
            .iter()
            .any(|f| f.code == rules::input::FILE_TOO_LARGE.code && f.file == "runbooks/base.md"),
        "{}",
        describe(&found)
    );
}

/// OB009: without `policy/degraded.yaml`, every `safety set` would fail;
/// the gate says so, naming the file and what needs it.
#[test]
fn policy_unusable_fires() {
    let (_t, root) = ssot_with(None);
    std::fs::remove_file(root.join("policy/degraded.yaml")).unwrap();
    let found = gate(&root);
    let hits: Vec<&Finding> = found
        .iter()
        .filter(|f| f.code == rules::input::POLICY_UNUSABLE.code)
        .collect();
    assert_eq!(hits.len(), 1, "{}", describe(&found));
    assert_eq!(hits[0].file, "policy/degraded.yaml");
    assert_eq!(
        hits[0].message,
        "missing: `opsbook safety set` and `safety status` refuse to run without it"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_fires() {
    let (_t, root) = ssot_with(None);
    std::os::unix::fs::symlink("..", root.join("runbooks/loop")).unwrap();
    let found = gate(&root);
    assert!(
        found
            .iter()
            .any(|f| f.code == rules::input::UNREADABLE_FILE.code),
        "{}",
        describe(&found)
    );
}

/// Rules whose findings have no span end, with the reason: the subject is
/// a whole file, or a file the gate could not decode. Every other rule's
/// findings on its fixture carry an end (the human report underlines it,
/// SARIF gets a region), checked by `every_finding_has_a_span_end`.
const NO_SPAN_END: &[(&str, &str)] = &[
    ("OB002", "the file is not text: there is no line to measure"),
    ("OB004", "the file is empty"),
    (
        "OB006",
        "the whole file lacks front matter: nothing on line 1 is the subject",
    ),
    (
        "OB008",
        "the whole contract file; the schema error names no place in it",
    ),
    ("OB010", "the whole file is a key"),
    ("OB202", "the whole policy file has no contract"),
    ("OB301", "the whole runbook is unregistered"),
];

#[test]
fn every_finding_has_a_span_end() {
    let exempt: BTreeSet<&str> = NOT_FROM_A_FILE.iter().map(|(c, _)| *c).collect();
    let no_end: BTreeSet<&str> = NO_SPAN_END.iter().map(|(c, _)| *c).collect();
    let mut problems = Vec::new();
    for rule in rules::all() {
        if exempt.contains(rule.code) {
            continue;
        }
        let (_t, root) = ssot_with(Some(&fixtures().join(rule.code).join("fires")));
        let mine: Vec<Finding> = gate(&root)
            .into_iter()
            .filter(|f| f.code == rule.code)
            .collect();
        let ended = mine.iter().filter(|f| f.end.is_some()).count();
        let expected = if no_end.contains(rule.code) {
            0
        } else {
            mine.len()
        };
        if ended != expected {
            problems.push(format!(
                "{}: {ended} of {} findings have a span end, expected {expected}",
                rule.code,
                mine.len()
            ));
        }
        // A span ends after it starts.
        for f in &mine {
            if let Some(e) = f.end {
                assert!(
                    (e.line, e.column) > (f.line, f.column),
                    "{}: end {e:?} not after {}:{}",
                    f.code,
                    f.line,
                    f.column
                );
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
