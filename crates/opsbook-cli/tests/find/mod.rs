//! `opsbook find` (D-RB-INDEX) end to end: the operator types what the
//! screen says and gets the runbook in one command; the commands printed
//! work as printed.

use serde_json::Value;

use super::{at, init_ssot, snapshots};

const NOW: &str = "2026-11-29T03:10:00Z";

#[test]
fn find_an_error_code_beginning_with_a_dash_names_the_runbook_and_the_commands() {
    let (_t, dir) = init_ssot();
    let (code, out, err) = at(&dir, NOW, &["find", "-1021"]);
    assert_eq!(code, 0, "{out}{err}");
    let shown = out.replace(&dir.display().to_string(), "[ROOT]");
    snapshots().bind(|| insta::assert_snapshot!("find_1021", shown));
    // The printed command works as printed.
    let line = out
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("steps: opsbook run RB-PLAT-TIME-DRIFT")
        })
        .unwrap();
    let args: Vec<&str> = line.trim_start()["steps: opsbook ".len()..]
        .split_whitespace()
        .collect();
    let (code, out, err) = at(&dir, NOW, &args[..args.len() - 2]);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    assert!(out.contains("w32tm"), "{out}");
}

#[test]
fn find_as_json_ranks_429_and_418_by_the_coverage_matrix() {
    let (_t, dir) = init_ssot();
    let hits = |q: &[&str]| -> Vec<(String, String)> {
        let mut args = vec!["find"];
        args.extend_from_slice(q);
        args.extend_from_slice(&["--format", "json"]);
        let (code, out, err) = at(&dir, NOW, &args);
        assert_eq!(code, 0, "{q:?}: {out}{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["runbook"].as_str().unwrap().to_string(),
                    h["severity"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    // 429 is a rate limit (P1); 418 is the IP ban (P0): same runbook first.
    assert_eq!(
        hits(&["429"])[0],
        ("RB-PLAT-RATE-LIMIT-429".into(), "P1".into())
    );
    assert_eq!(
        hits(&["418"])[0],
        ("RB-PLAT-RATE-LIMIT-429".into(), "P0".into())
    );
    assert_eq!(
        hits(&["--limit", "1", "ClockDriftHigh"]),
        vec![("RB-PLAT-TIME-DRIFT".to_string(), "P0".to_string())]
    );
}

/// JSON hits carry the commands the text prints; Markdown is a table, not
/// the text again; weak matches are counted, not offered.
#[test]
fn find_json_has_the_commands_and_markdown_is_a_table() {
    let (_t, dir) = init_ssot();
    let (code, out, err) = at(&dir, NOW, &["find", "APIキー漏洩", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["hits"][0]["runbook"], "RB-SEC-KEY-LEAK");
    // `--root` as given is repeated, so that the commands work as printed.
    let plan = v["hits"][0]["commands"]["plan"].as_str().unwrap();
    let root = plan
        .strip_prefix("opsbook run RB-SEC-KEY-LEAK --plan --root ")
        .unwrap_or_else(|| panic!("{plan}"));
    assert!(root.contains("ops"), "{plan}");
    assert_eq!(
        v["hits"][0]["commands"]["run"].as_str().unwrap(),
        format!("opsbook run RB-SEC-KEY-LEAK --root {root}")
    );
    assert_eq!(v["weak"], 3);
    let (code, md, err) = at(&dir, NOW, &["find", "APIキー漏洩", "--format", "markdown"]);
    assert_eq!(code, 0, "{md}{err}");
    assert!(
        md.contains("| # | runbook | severity | title | first step | steps |\n|---|"),
        "{md}"
    );
    assert!(md.contains("| 1 | `RB-SEC-KEY-LEAK` | P0 | "), "{md}");
    assert!(md.contains(&format!("`{plan}` |")), "{md}");
    let (_, text, _) = at(&dir, NOW, &["find", "APIキー漏洩"]);
    assert_ne!(md, text);
    assert!(
        text.contains("3 weaker matches not shown (scored below a quarter of the best)"),
        "{text}"
    );
}

#[test]
fn find_nothing_exits_1_with_the_way_forward_and_an_empty_query_is_a_usage_error() {
    let (_t, dir) = init_ssot();
    let (code, out, err) = at(&dir, NOW, &["find", "zzqx", "wobble"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("no runbook found for `zzqx wobble`"), "{out}");
    assert!(
        out.contains("opsbook run RB-QUICK-P0-FIRST-TEN --plan"),
        "{out}"
    );
    let (code, out, err) = at(&dir, NOW, &["find", "the", "of"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no word to search for"), "{err}");
}

/// Issue 13 item 11: a reader that stops early (`opsbook find … | head`)
/// does not turn "nothing found" (exit 1) into success.
#[test]
fn a_closed_pipe_keeps_the_exit_status() {
    let (_t, dir) = init_ssot();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsbook"))
        .env("OPSBOOK_NOW", NOW)
        .env_remove("OPSBOOK_INCIDENT")
        .args(["find", "zzqx", "--root"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

/// Issue 13 item 11: a control character typed into a note cannot forge a
/// timeline line or repaint the terminal: it is shown escaped.
#[test]
fn control_characters_in_a_note_are_shown_escaped() {
    let (_t, dir) = init_ssot();
    let (code, out, err) = at(
        &dir,
        NOW,
        &[
            "incident",
            "open",
            "--title",
            "-1021",
            "--severity",
            "P1",
            "--reason",
            "r",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let id = serde_json::from_str::<Value>(&out).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, out, err) = at(
        &dir,
        NOW,
        &["incident", "log", &id, "ok\nINC-X #9 resolved\u{1b}[2J"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok\\nINC-X #9 resolved\\u{1b}[2J"), "{out}");
    let (code, out, err) = at(&dir, NOW, &["incident", "timeline", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains('\u{1b}'), "{out}");
    assert!(out.contains("ok\\nINC-X #9 resolved\\u{1b}[2J"), "{out}");
}
