//! Runbook lint details first-time users hit (issue 11, item 4): sections
//! that say nothing, `{#id}` heading attributes, every shell fence is a
//! step, e-mail autolinks and URIs are not files.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use opsbook_core::contracts::Contracts;

/// The example SSOT with `runbooks/platform/time-drift.md`'s body replaced.
fn with_body(body: &str) -> (tempfile::TempDir, PathBuf) {
    let (t, root) = common::example_ssot();
    let rb = root.join("runbooks/platform/time-drift.md");
    let text = std::fs::read_to_string(&rb).unwrap();
    let end = text[4..].find("\n---\n").unwrap() + 4 + 5;
    std::fs::write(&rb, format!("{}{body}", &text[..end])).unwrap();
    (t, root)
}

/// (code, line, message) of the findings on time-drift.md.
fn findings(root: &Path) -> Vec<(String, usize, String)> {
    let contracts = Contracts::load(Some(root));
    let opts = common::options();
    let (_, report) = opsbook_gate::check(root, &contracts, &opts).unwrap();
    report
        .findings
        .into_iter()
        .filter(|f| f.file == "runbooks/platform/time-drift.md")
        .map(|f| (f.code, f.line, f.message))
        .collect()
}

/// Eleven sections; `{n}` in the template is replaced by the section's content.
fn body(contents: &[&str; 11]) -> String {
    let names = [
        "Prerequisites / 前提条件",
        "Triage / トリアージ",
        "Safety / 安全確保",
        "Evidence / 証跡",
        "Mitigation / 緩和",
        "Recovery / 復旧",
        "Validation / 検証",
        "Backout / 切り戻し",
        "Post-Recovery Watch / 復旧後監視",
        "Related / 関連",
        "Do-Not-Do / やってはいけないこと",
    ];
    let mut s = String::from("\n# Clock drift\n");
    for (n, c) in names.iter().zip(contents) {
        s.push_str(&format!("\n## {n}\n\n{c}\n"));
    }
    s
}

#[test]
fn sections_holding_nothing_a_reader_can_use_are_empty() {
    let (_t, root) = with_body(&body(&[
        "<!-- TODO: write the prerequisites -->",
        "---",
        "```text\n```",
        "&nbsp;",
        "### Steps to come",
        "<!--\n  several lines\n  of comment\n-->",
        "Run `w32tm /query /status` and compare the offset.",
        "Restore the previous peers.",
        "Watch the offset for 30 minutes.",
        "RB-QUICK-HALT-EVIDENCE",
        "Never step the clock while orders are open.",
    ]));
    let f = findings(&root);
    let empty: Vec<&str> = f
        .iter()
        .filter(|(c, _, _)| c == "OB103")
        .map(|(_, _, m)| m.as_str())
        .collect();
    assert_eq!(
        empty,
        [
            "section `Prerequisites` is empty",
            "section `Triage` is empty",
            "section `Safety` is empty",
            "section `Evidence` is empty",
            "section `Mitigation` is empty",
            "section `Recovery` is empty",
        ],
        "{f:#?}"
    );
}

#[test]
fn sections_with_content_are_not_empty() {
    let (_t, root) = with_body(&body(&[
        "Administrator PowerShell.",
        "### Offset\n\nCompare the offset with the exchange.",
        "Enter SAFE_MODE.",
        "![W32Time status](w32tm.png)",
        "| step | what |\n|---|---|\n| 1 | resync |",
        "- resync the clock",
        "Not applicable / 該当なし — nothing to validate",
        "Restore the previous peers.",
        "Watch the offset.",
        "RB-QUICK-HALT-EVIDENCE",
        "Never step the clock while orders are open.",
    ]));
    std::fs::write(root.join("runbooks/platform/w32tm.png"), b"\x89PNG").unwrap();
    let f = findings(&root);
    assert!(!f.iter().any(|(c, _, _)| c == "OB103"), "{f:#?}");
}

#[test]
fn heading_attributes_are_not_heading_text() {
    let mut b = body(&["x"; 11]);
    b = b.replace("## Triage / トリアージ", "## Triage / トリアージ {#triage}");
    b = b.replace("## Backout / 切り戻し", "## Backout {#backout}");
    let (_t, root) = with_body(&b);
    let f = findings(&root);
    let bilingual: Vec<&str> = f
        .iter()
        .filter(|(c, _, _)| c == "OB102")
        .map(|(_, _, m)| m.as_str())
        .collect();
    assert_eq!(
        bilingual,
        ["heading `## Backout` lacks the Japanese `切り戻し`"],
        "the attribute is neither heading text nor a problem: {f:#?}"
    );
}

#[test]
fn every_shell_fence_needs_a_tier() {
    let mut c = ["x"; 11];
    let steps = "```console\n$ w32tm /query /status\n```\n\n```zsh\ndate\n```\n\n```posh\nGet-Date\n```\n\n```pwsh\nGet-Service w32time\n```\n\n```ps1\nw32tm /resync\n```\n\n```cmd\nw32tm /query /peers\n```\n\n```powershell {step=1 tier=T0}\nGet-Date\n```\n\n```text\noutput, not a step\n```";
    c[1] = steps;
    let (_t, root) = with_body(&body(&c));
    let f = findings(&root);
    let no_tier: Vec<&str> = f
        .iter()
        .filter(|(c, _, _)| c == "OB107")
        .map(|(_, _, m)| m.as_str())
        .collect();
    assert_eq!(
        no_tier,
        [
            "`console` block has no danger tier",
            "`zsh` block has no danger tier",
            "`posh` block has no danger tier",
            "`pwsh` block has no danger tier",
            "`ps1` block has no danger tier",
            "`cmd` block has no danger tier",
        ],
        "{f:#?}"
    );
}

#[test]
fn e_mail_autolinks_and_uris_are_not_files() {
    let mut c = ["x"; 11];
    c[9] = "Escalate to <ops-oncall@example.com>, [the desk](tel:+81-3-0000-0000), [chat](slack:channel?id=C1) or [mail](mailto:desk@example.com); see [missing](../nowhere.md).";
    let (_t, root) = with_body(&body(&c));
    let f = findings(&root);
    let broken: Vec<&str> = f
        .iter()
        .filter(|(c, _, _)| c == "OB701")
        .map(|(_, _, m)| m.as_str())
        .collect();
    assert_eq!(
        broken,
        ["link `../nowhere.md` does not resolve to a file"],
        "{f:#?}"
    );
}
